"""`hub simulate`: build the model, write the landing zone, write the truth beside it."""

from __future__ import annotations

import json
import random
import shutil
from collections import Counter
from pathlib import Path

from penal_hub.simulator import truth
from penal_hub.simulator.build import build_world
from penal_hub.simulator.dates import LAST_CUTOFF
from penal_hub.simulator.model import World
from penal_hub.simulator.writers import (
    CourtWriter,
    write_incomplete_delivery,
    write_medio_libre,
    write_registry,
)

# Sender faults in the medio libre feed at scale 1 (at least one of each at any scale).
ML_INVALID_LINES, ML_LINES_WITHOUT_ID, ML_REPEATED_LINES = 30, 10, 200
# Up to this scale the truth carries every alert episode of the year (truth.alert_history).
ALERT_HISTORY_MAX_SCALE = 0.25


def simulate(scale: float, seed: int, out: Path) -> dict:
    """Write `out/landing` (the landing zone) and `out/truth` (what a correct hub finds)."""
    out = Path(out)
    landing, truth_dir = out / "landing", out / "truth"
    for folder in (landing, truth_dir):
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)

    world = build_world(scale, seed)
    # One generator per writer, so a change in one feed's quirks leaves the others as they were.
    court = CourtWriter(world, random.Random(f"{seed}-court"))
    court_schedule = court.schedule()
    sustained: set = set()
    manifests = {
        "pj_resoluciones": court.write(landing),
        "inpe_registro": write_registry(world, landing, random.Random(f"{seed}-registry"), sustained),
    }
    n = lambda k: max(1, int(k * scale + 0.5))
    manifests["inpe_medio_libre"], quarantine = write_medio_libre(
        world, landing, random.Random(f"{seed}-medio-libre"),
        n(ML_INVALID_LINES), n(ML_LINES_WITHOUT_ID), n(ML_REPEATED_LINES),
    )
    incomplete = write_incomplete_delivery(landing)

    summary = write_truth(world, truth_dir, manifests, quarantine, court_schedule, incomplete, landing,
                          sustained)
    return summary


def write_truth(world: World, truth_dir: Path, manifests: dict, quarantine: list[dict],
                court_schedule: dict, incomplete: Path, landing: Path, sustained: set) -> dict:
    delivered = {r.rid: r.person.pid for items in court_schedule.values() for r, _, _ in items}
    links = {
        "pj_resoluciones": delivered,
        "inpe_registro": {s.person.id_interno: s.person.pid for s in world.stays},
        "inpe_medio_libre": {m.id_caso: m.person.pid for m in world.medio_libre},
    }
    alerts = truth.alerts(world)
    executions = truth.order_executions(world, set(delivered), sustained)
    records = {src: sum(f["registros"] for m in ms for f in m["archivos"]) for src, ms in manifests.items()}
    doc = {
        "scale": world.scale,
        "seed": world.seed,
        "last_cutoff": LAST_CUTOFF.isoformat(),
        "deliveries": {src: [m["fecha_corte"] for m in ms] for src, ms in manifests.items()},
        "records": records,
        "incomplete_deliveries": [str(incomplete.relative_to(landing))],
        "indicators": truth.indicators(world),
        "alerts": alerts,
        "alert_counts": dict(sorted(Counter(a["codigo_alerta"] for a in alerts).items())),
        "planted_alerts": truth.planted(world),
        # The rules re-applied on 12 cut-offs in Python: about 70 s at scale 1, so the
        # history is left out of larger worlds (the tests' scales are far below).
        "alert_history": truth.alert_history(world) if world.scale <= ALERT_HISTORY_MAX_SCALE else None,
        "order_executions": executions,
        "execution_indicators": truth.execution_indicators(executions),
        "quarantine": quarantine,
        "court_resolutions": {
            "distinct": len(delivered),
            "corrected": sum(1 for r in world.resolutions if r.corrected_from and r.rid in delivered),
            "redelivered_batches": 1,
        },
        "persons": {
            "total": len(world.persons),
            "undocumented": sum(1 for p in world.persons if p.tipo_doc is None),
            "court_unidentified": sum(1 for p in world.persons if p.court_unidentified),
            "registry_dni_without_leading_zeros": sum(
                1 for s in world.stays if s.person.registry_drops_zeros),
        },
        "homonym_pairs": world.homonym_pairs,
        "person_documents": {p.pid: [p.tipo_doc, p.num_doc] for p in world.persons},
    }
    (truth_dir / "truth.json").write_text(json.dumps(doc, indent=1, ensure_ascii=False))
    (truth_dir / "person_links.json").write_text(json.dumps(links))
    last = doc["indicators"][LAST_CUTOFF.isoformat()]
    return {
        "records": records,
        "population": last["POBLACION_INTRAMUROS"]["valor"],
        "medio_libre": last["POBLACION_MEDIO_LIBRE"]["valor"],
        "alerts": doc["alert_counts"],
        "quarantine": len(quarantine),
    }
