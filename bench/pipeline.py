"""Benchmark the whole hub on a simulated year, beside the floors of its inputs.

    uv run hub bench --scale 1 [--scale 10] [--json bench/results.json]

Per scale: simulate the year; run every asset headless by the same path as
`hub run` (an ephemeral Dagster instance, a fresh warehouse); report wall time
per step (each connector, dbt build, quality checks, publication, report), peak
memory, rows/s; then the cost of one new delivery after the year is loaded.
Beside it, measured in the same run on the same files (bench/connectors.py):
the raw floors (bare lxml iterparse, DuckDB's own read_csv/read_json) and the
naive peer (pandas.read_xml / read_csv / json_normalize with to_sql into DuckDB). Writes a markdown table to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent))


@functools.cache
def sibling(name: str):
    """bench/<name>.py, loaded by path (bench/connectors.py would shadow the `connectors`
    package on sys.path)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH_DIR / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def step_durations(instance, run_id: str) -> dict[str, float]:
    """Wall seconds of every step of a run, from Dagster's event log."""
    from dagster import DagsterEventType

    starts, ends = {}, {}
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type == DagsterEventType.STEP_START:
            starts[event.step_key] = entry.timestamp
        elif event.event_type in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE):
            ends[event.step_key] = entry.timestamp
    return {key: ends[key] - starts[key] for key in starts if key in ends}


def run_pipeline(settings, say) -> tuple[dict, dict]:
    import dagster as dg

    from orchestration.transform.project import prepare_manifest

    prepare_manifest()  # as `hub run` does: the definitions read dbt's manifest on import
    from orchestration.definitions import build_resources, defs
    from orchestration.pipeline import run_all

    with dg.DagsterInstance.ephemeral() as instance:
        report = run_all(defs, instance, settings.landing_dir, resources=build_resources(settings),
                         say=say)
        steps: dict[str, float] = {}
        for run in instance.get_runs():
            steps.update(step_durations(instance, run.run_id))
    return report, steps


def bench_scale(scale: float, work: Path, say) -> dict:
    from connectors import find_deliveries
    from hub.settings import Settings
    from simulator import simulate
    from simulator.redeliveries import repeat_last_court_delivery

    data = work / f"scale-{scale:g}"
    if data.exists():  # a reused --work folder: start again from nothing, warehouse included
        shutil.rmtree(data)
    started = time.perf_counter()
    simulate(scale, 42, data)
    simulate_s = time.perf_counter() - started
    landing = data / "landing"
    size_mb = sum(p.stat().st_size for p in landing.rglob("*") if p.is_file()) / 1e6
    say(f"scale {scale:g}: simulated {size_mb:.0f} MB in {simulate_s:.0f} s")

    for name, value in {"HUB_DATA_DIR": data, "HUB_LANDING_DIR": landing,
                        "HUB_WAREHOUSE": data / "warehouse.duckdb",
                        "HUB_OUTBOX_DIR": data / "outbox"}.items():
        os.environ[name] = str(value)
    settings = Settings.from_env()

    # dbt and the court parsing workers run beside this process: their memory counts too.
    with sibling("peak_memory").TreeMemory(os.getpid()) as memory:
        started = time.perf_counter()
        report, steps = run_pipeline(settings, say)
        year_s = time.perf_counter() - started

        repeat_last_court_delivery(landing, "2025-01-12")
        started = time.perf_counter()
        report_new, steps_new = run_pipeline(settings, say)
        new_s = time.perf_counter() - started

    deliveries = [d for d in find_deliveries(landing) if d.complete]
    bench = sibling("connectors")
    floors = {source: bench.bench_source(source, [d for d in deliveries if d.source == source], 1)
              for source in ("pj_resoluciones", "inpe_registro", "inpe_medio_libre")}
    return {
        "scale": scale,
        "landing_mb": size_mb,
        "simulate_s": simulate_s,
        "year_s": year_s,
        "year_ok": all(report["outcomes"].values()),
        "year_steps_s": steps,
        "new_delivery_s": new_s,
        "new_delivery_ok": all(report_new["outcomes"].values()),
        "new_delivery_steps_s": steps_new,
        "floors": floors,
        "peak_memory_mb": memory.peak_sum / 2**20,
    }


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem_gb:.0f} GiB, Python {platform.python_version()}"


def markdown(results: list[dict]) -> str:
    lines = [f"# Benchmark results\n\nMachine: {machine()}.\nCommand: `uv run hub bench "
             + " ".join(f"--scale {r['scale']:g}" for r in results) + "` (re-run to refresh).\n"]
    for r in results:
        floors_s = sum(m["seconds"] for runs in r["floors"].values() for m in runs
                       if m["what"] not in sibling("connectors").NOT_FLOORS)
        lines += [f"\n## Scale {r['scale']:g} ({r['landing_mb']:.0f} MB of deliveries)\n",
                  f"- simulate: {r['simulate_s']:.0f} s",
                  (f"- whole year end to end (as `hub run`): **{r['year_s']:.0f} s** "
                   f"({'ok' if r['year_ok'] else 'FAILED'}), {r['year_s'] / floors_s:.1f}x the sum "
                   f"of the raw floors of its inputs ({floors_s:.1f} s); "
                   f"peak memory {r['peak_memory_mb']:.0f} MB summed over the process tree"),
                  f"- one new delivery after the year: **{r['new_delivery_s']:.0f} s**\n",
                  "| step | whole year (s) | new delivery (s) |", "| --- | ---: | ---: |"]
        for step, seconds in sorted(r["year_steps_s"].items(), key=lambda kv: -kv[1]):
            lines.append(f"| {step} | {seconds:.1f} | {r['new_delivery_steps_s'].get(step, 0):.1f} |")
        lines += ["\nConnectors beside their floors and the naive peer, same files, same run:\n",
                  sibling("connectors").markdown(r["floors"], os.getloadavg()[:2])]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, action="append")
    parser.add_argument("--json", type=Path, default=BENCH_DIR / "results.json")
    parser.add_argument("--work", type=Path, help="where to simulate (default: a temp folder)")
    args = parser.parse_args(argv)
    def say(message: str) -> None:
        print(message, flush=True)

    work = args.work or Path(tempfile.mkdtemp(prefix="hub-bench-"))
    results = [bench_scale(scale, work, say) for scale in (args.scale or [1.0])]
    args.json.write_text(json.dumps(results, indent=2, default=str))
    (BENCH_DIR / "RESULTS.md").write_text(markdown(results))
    print(markdown(results))


if __name__ == "__main__":
    main()
