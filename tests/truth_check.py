"""Compare the warehouse's marts with a simulator's truth (tests, bench, closing notes)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from penal_hub.core.warehouse import Warehouse


def indicator_differences(con: Warehouse, truth: dict) -> list[tuple]:
    """(period, code, expected, found) for every indicator that differs from the truth."""
    found = {
        (str(p), code): (n, d, float(v) if v is not None else None)
        for p, code, n, d, v in con.rows(
            "select periodo, codigo_indicador, numerador, denominador, valor "
            "from marts.indicadores_politica")
    }
    diffs = []
    for period, codes in truth["indicators"].items():
        for code, exp in codes.items():
            expected = (exp["numerador"], exp["denominador"], exp["valor"])
            got = found.get((period, code))
            if got is None or tuple(got) != expected:
                diffs.append((period, code, expected, got))
    return diffs


def persons_by_key(con: Warehouse, truth_dir: Path) -> dict[str, str]:
    """persona_key -> the simulator's person id, through the truth's person links."""
    links = json.loads((truth_dir / "person_links.json").read_text())
    key_to_person = {}
    for fuente, fuente_id, key in con.rows(
            "select fuente, fuente_id, persona_key from intermediate.int_person_crosswalk"):
        person = links.get(fuente, {}).get(fuente_id)
        if person:
            key_to_person[key] = person
    return key_to_person


def alert_differences(con: Warehouse, truth_dir: Path) -> dict:
    """Alerts found vs planted, matched through the person links of the truth."""
    truth = json.loads((truth_dir / "truth.json").read_text())
    key_to_person = persons_by_key(con, truth_dir)
    found = {
        (code, key_to_person.get(key, key), str(ref), exp)
        for code, key, ref, exp in con.rows(
            "select codigo_alerta, persona_key, fecha_referencia, expediente "
            "from marts.alertas_interoperabilidad")
    }
    expected = {(a["codigo_alerta"], a["person_id"], a["fecha_referencia"], a["expediente"])
                for a in truth["alerts"]}
    return {
        "expected": dict(Counter(a[0] for a in expected)),
        "found": dict(Counter(a[0] for a in found)),
        "missing": sorted(expected - found),
        "unexpected": sorted(found - expected),
    }
