"""Compare this checkout with an earlier commit on the same simulated year, in one session.

    uv run python bench/compare.py --baseline c30b0f5 [--baseline 921f907 ...] [--scale 1]
        [--rounds 1] [--work /tmp/compare]

A figure measured on another day, on a machine doing other things, says little; a ratio
to a baseline measured beside it says more. This checks the baseline commit out into a
git worktree (its own locked environment, `uv sync --frozen`), simulates the year once,
then for each round runs both versions, one after the other, on copies of the same
landing zone: `hub run` over the whole year, then `hub run` after one new court delivery
(as `hub bench` does). Each `hub run` is a new process with a fresh data folder. It
reports wall seconds and CPU seconds (user + system over the process tree: dbt, the
parsing workers), and this checkout's figures as ratios of each baseline's. Wall time
moves with the machine's load; CPU time hardly does, so on a shared machine compare that.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from penal_hub.simulator import simulate
from penal_hub.simulator.redeliveries import repeat_last_court_delivery
from penal_hub.simulator.replay import hub_run_process

NEW_COURT_CUTOFF = "2025-01-12"  # as bench/pipeline.py
KEY = secrets.token_hex(32)


def checkout(revision: str, folder: Path) -> Path:
    """The baseline's source tree and environment, in a worktree of this repository."""
    if not folder.exists():
        subprocess.run(["git", "-C", str(PROJECT), "worktree", "add", "--detach", str(folder),
                        revision], check=True, capture_output=True)
    # Compiled as the install commands compile this checkout's environment (.ci/run),
    # whatever the baseline's own: the comparison is of the code, not of the bytecode cache.
    subprocess.run(["uv", "sync", "--frozen", "--quiet", "--compile-bytecode"], cwd=folder,
                   check=True)
    return folder


def hub_run(tree: Path, data: Path) -> tuple[float, float, int]:
    """`hub run` of the checkout `tree` on `data`: wall seconds, CPU seconds, exit code."""
    code, wall, cpu = hub_run_process(tree, data, data / "landing", KEY)
    return wall, cpu, code


def measure(tree: Path, landing: Path, data: Path) -> dict[str, tuple[float, float, int]]:
    """The year, then one new delivery, on a fresh copy of the landing zone."""
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    shutil.copytree(landing, data / "landing")
    year = hub_run(tree, data)
    repeat_last_court_delivery(data / "landing", NEW_COURT_CUTOFF)
    return {"year": year, "new delivery": hub_run(tree, data)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", required=True, action="append",
                        help="a commit of this repository (again for more than one)")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--work", type=Path, default=Path("data/compare-work"))
    args = parser.parse_args()
    work = args.work.absolute()
    work.mkdir(parents=True, exist_ok=True)
    trees = {f"baseline {revision}": checkout(revision, work / f"baseline-{revision}")
             for revision in args.baseline}
    trees["this checkout"] = PROJECT
    source = work / "source"
    if not (source / "landing").exists():
        simulate(args.scale, args.seed, source)

    results: dict[str, list[dict]] = {name: [] for name in trees}
    for round_number in range(1, args.rounds + 1):
        for name, tree in trees.items():
            figures = measure(tree, source / "landing", work / "runs" / name.replace(" ", "-"))
            results[name].append(figures)
            print(f"round {round_number}, {name}: " + "; ".join(
                f"{what} {wall:.0f} s ({cpu:.0f} s CPU, exit {code})"
                for what, (wall, cpu, code) in figures.items()), flush=True)

    print(f"\nscale {args.scale:g}, {args.rounds} round(s); best of the rounds; load average "
          f"{os.getloadavg()[0]:.1f} at the end")
    print("| run | version | wall s | CPU s |\n| --- | --- | ---: | ---: |")
    best = {name: {what: min((r[what] for r in runs), key=lambda f: f[1])
                   for what in runs[0]} for name, runs in results.items()}
    for what in ("year", "new delivery"):
        for name in trees:
            wall, cpu, code = best[name][what]
            print(f"| {what} | {name} | {wall:.0f} | {cpu:.0f} |" + ("" if code == 0 else " FAILED"))
        current = best["this checkout"][what]
        for revision in args.baseline:
            baseline = best[f"baseline {revision}"][what]
            print(f"| {what} | ratio to {revision} | {current[0] / baseline[0]:.2f} | "
                  f"{current[1] / baseline[1]:.2f} |")
    return 0 if all(f[2] == 0 for b in best.values() for f in b.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
