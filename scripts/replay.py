"""Replay a simulated year as it would arrive: one delivery folder at a time, `hub run` after each.

    uv run python scripts/replay.py --scale 0.1 [--seed 42] [--work /tmp/replay]

Simulates the year into <work>/source, runs `hub run` once over the whole landing zone
(<work>/all-at-once), then copies the folders one by one into an empty landing zone
(<work>/replay/landing), in date order (at the same date: court, registry, medio libre),
data files first and the manifest last, and runs `hub run` after each, as the landing
sensor would. Each `hub run` is a new process on the project's dagster.yaml. Prints one
line per delivery (wall and CPU seconds, exit code, what analysts can read), then the total, and
compares the end state with the all-at-once run: the warehouse's interop and marts, the
analysts' database and every published extract, table contents.
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from penal_hub.simulator import simulate
from penal_hub.simulator.replay import deliver, differences, folders, hub_run_process, snapshot

# One key for both: the same person must get the same pseudonym in both end states.
REPLAY_KEY = secrets.token_hex(32)


def hub_run(data: Path, landing: Path) -> tuple[int, float, float]:
    """`hub run` of this checkout on `data`: exit code, wall and CPU seconds."""
    return hub_run_process(PROJECT, data, landing, REPLAY_KEY)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--work", type=Path, default=Path("data/replay-work"))
    args = parser.parse_args()
    # The definitions, which the publication module imports, load dbt's manifest: a fresh
    # clone has none yet (as `hub run` does, parse it first).
    from penal_hub.core.settings import Settings
    from penal_hub.orchestration.transform.project import prepare_manifest
    prepare_manifest(Settings.from_env())
    from penal_hub.orchestration.publish.marts import publication_state

    work = args.work.absolute()
    shutil.rmtree(work, ignore_errors=True)
    source, reference, replayed = work / "source", work / "all-at-once", work / "replay"
    for folder in (reference, replayed):
        folder.mkdir(parents=True)

    simulate(args.scale, args.seed, source)
    order = sorted(folders(source / "landing"))
    code, seconds, cpu = hub_run(reference, source / "landing")
    print(f"all at once: {len(order)} deliveries in one hub run: {seconds:.1f} s "
          f"({cpu:.1f} s CPU), exit {code}", flush=True)

    landing = replayed / "landing"
    total = total_cpu = 0.0
    for number, folder in enumerate(order, 1):
        deliver(source / "landing", landing, folder)
        code, seconds, cpu = hub_run(replayed, landing)
        total, total_cpu = total + seconds, total_cpu + cpu
        state = publication_state(replayed / "analyst.duckdb") or {}
        marts = f"{state.get('estado', 'nothing yet')} {state.get('fecha_corte') or ''}".rstrip()
        print(f"[{number:3d}/{len(order)}] {folder.source:<16} {folder.fecha_corte}  "
              f"{seconds:6.1f} s ({cpu:5.1f} s CPU)  exit {code}  marts: {marts}", flush=True)

    found = differences(snapshot(reference), snapshot(replayed))
    print(f"replay: {len(order)} hub runs, {total:.0f} s in all ({total_cpu:.0f} s CPU), "
          f"{total / len(order):.1f} s per delivery ({total_cpu / len(order):.1f} s CPU); end state {'EQUALS' if not found else 'DIFFERS FROM'} one run over all")
    for line in found:
        print(f"  {line}")
    return 0 if not found else 1


if __name__ == "__main__":
    sys.exit(main())
