"""Benchmark the whole hub on a simulated year, beside the floors of its inputs.

    uv run hub bench --scale 1 [--scale 10] [--json bench/results.json]

Per scale: simulate the year; run every asset headless with `hub run`, in a new
process as a user starts it (its Dagster instance on disk, a fresh warehouse); report wall time
per step (each connector, dbt build, quality checks, publication, report), peak
memory, rows/s; then the cost of one new delivery after the year is loaded (`hub run` again), and
what any run pays before reading data (loading Dagster's definitions, importing
Great Expectations, dbt's start-up).
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
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
SLOWEST_MODELS = 10  # the dbt models listed in the results, longest first
sys.path.insert(0, str(BENCH_DIR.parent))


@functools.cache
def sibling(name: str):
    """bench/<name>.py, loaded by path: `hub bench` runs this file with runpy, which puts
    no bench/ folder on sys.path."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH_DIR / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def step_durations(instance, run_id: str) -> tuple[dict[str, float], dict[str, float]]:
    """Wall seconds of every step of a run, and of every dbt model it built (dagster-dbt's
    "Execution Duration"), from Dagster's event log."""
    from dagster import DagsterEventType

    starts, ends, models = {}, {}, {}
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type == DagsterEventType.STEP_START:
            starts[event.step_key] = entry.timestamp
        elif event.event_type in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE):
            ends[event.step_key] = entry.timestamp
        elif event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
            materialization = event.event_specific_data.materialization
            duration = materialization.metadata.get("Execution Duration")
            if duration is not None:
                models[materialization.asset_key.to_user_string()] = duration.value
    return {key: ends[key] - starts[key] for key in starts if key in ends}, models


def hub_run(settings, say) -> tuple[float, bool, dict[str, float], dict[str, float]]:
    """`hub run` as a user starts it: a new process, the Dagster instance kept on disk under
    the data folder. Returns its wall seconds, whether it succeeded, and its steps' and dbt
    models' seconds."""
    from penal_hub.orchestration.pipeline import hub_instance

    with hub_instance(settings) as instance:
        before = {run.run_id for run in instance.get_runs()}
    started = time.perf_counter()
    # A failed run is reported in the results (year_ok, new_delivery_ok), not raised.
    done = subprocess.run([str(Path(sys.executable).parent / "hub"), "run"], check=False,
                          capture_output=True, text=True, env=settings.child_env())
    seconds = time.perf_counter() - started
    # Its summary (steps and deliveries); dbt's log, which it also prints, is left out.
    _, _, summary = done.stdout.partition("== summary ==")
    say(f"hub run in {seconds:.0f} s:" + "".join(
        f"\n{line}" for line in summary.splitlines() if line.startswith("  ")))
    if done.returncode:
        say(done.stdout[-3000:] + done.stderr[-3000:])
    steps: dict[str, float] = {}
    models: dict[str, float] = {}
    with hub_instance(settings) as instance:
        for run in instance.get_runs():
            if run.run_id not in before:
                run_steps, run_models = step_durations(instance, run.run_id)
                steps.update(run_steps)
                models.update(run_models)
    return seconds, done.returncode == 0, steps, models


def fixed_costs(settings) -> dict[str, float]:
    """What every `hub run` pays before any data is read, measured here and now: a new
    process loading the Dagster definitions, Great Expectations' import (the quality
    gates), and dbt starting with nothing to build (with the hub's profile)."""
    from penal_hub.orchestration.transform.project import (
        DBT_EXECUTABLE,
        DBT_PROJECT_DIR,
        write_profile,
    )

    # As dagster-dbt does for each build: a target folder of its own, with the partial
    # parse state of the project's (so dbt does not parse the project again).
    target = Path(tempfile.mkdtemp(prefix="hub-bench-dbt-"))
    shutil.copy(DBT_PROJECT_DIR / "target" / "partial_parse.msgpack", target)
    commands = {
        "load the Dagster definitions": [sys.executable, "-c", "import penal_hub.orchestration.definitions"],
        "import Great Expectations": [sys.executable, "-c", "import great_expectations"],
        "dbt start-up, nothing to build": [str(DBT_EXECUTABLE), "build", "--quiet", "--select",
                                           "resource_type:seed", "--project-dir",
                                           str(DBT_PROJECT_DIR), "--profiles-dir",
                                           str(write_profile(settings)), "--target-path",
                                           str(target)],
    }
    costs = {}
    for what, command in commands.items():
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, cwd=BENCH_DIR.parent,
                       env=settings.child_env())
        costs[what] = time.perf_counter() - started
    shutil.rmtree(target)
    return costs


def bench_scale(scale: float, work: Path, say) -> dict:
    from penal_hub.connectors import find_deliveries
    from penal_hub.core.settings import Settings
    from penal_hub.simulator import simulate
    from penal_hub.simulator.redeliveries import repeat_last_court_delivery

    data = work / f"scale-{scale:g}"
    if data.exists():  # a reused --work folder: start again from nothing, warehouse included
        shutil.rmtree(data)
    started = time.perf_counter()
    simulate(scale, 42, data)
    simulate_s = time.perf_counter() - started
    landing = data / "landing"
    size_mb = sum(p.stat().st_size for p in landing.rglob("*") if p.is_file()) / 1e6
    say(f"scale {scale:g}: simulated {size_mb:.0f} MB in {simulate_s:.0f} s")

    settings = Settings.from_env({
        **os.environ, "HUB_DATA_DIR": str(data), "HUB_LANDING_DIR": str(landing),
        "HUB_WAREHOUSE": str(data / "warehouse.duckdb"), "HUB_OUTBOX_DIR": str(data / "outbox")})

    # `hub run`, dbt and the court parsing workers run below this process: they all count.
    with sibling("peak_memory").TreeMemory(os.getpid()) as memory:
        year_s, year_ok, steps, models = hub_run(settings, say)
        repeat_last_court_delivery(landing, "2025-01-12")
        new_s, new_ok, steps_new, models_new = hub_run(settings, say)

    deliveries = [d for d in find_deliveries(landing) if d.complete]
    bench = sibling("connectors")
    floors = {source: bench.bench_source(source, [d for d in deliveries if d.source == source], 1)
              for source in ("pj_resoluciones", "inpe_registro", "inpe_medio_libre")}
    return {
        "scale": scale,
        "landing_mb": size_mb,
        "simulate_s": simulate_s,
        "year_s": year_s,
        "year_ok": year_ok,
        "year_steps_s": steps,
        "new_delivery_s": new_s,
        "new_delivery_ok": new_ok,
        "new_delivery_steps_s": steps_new,
        "year_models_s": models,
        "new_delivery_models_s": models_new,
        "fixed_costs_s": fixed_costs(settings),
        "floors": floors,
        "peak_memory_mb": memory.peak_sum / 2**20,
    }


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem_gb:.0f} GiB, Python {platform.python_version()}"


def code_version() -> str:
    """The commit the bench ran on, with `+changes` when the tree differed from it."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=BENCH_DIR.parent, capture_output=True,
                              text=True, check=False).stdout.strip()
    commit = git("rev-parse", "--short", "HEAD")
    if not commit:
        return "unknown (not a git checkout)"
    return commit + (" +changes" if git("status", "--porcelain", "--untracked-files=no") else "")


def markdown(results: list[dict]) -> str:
    lines = [f"# Benchmark results\n\nMachine: {machine()}.\nCode: {results[0]['code']}.\n"
             f"Command: `uv run hub bench "
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
        models = r["year_models_s"]
        lines += [(f"\nThe dbt models that took longest (of {len(models)}, "
                   f"{sum(models.values()):.0f} s summed over dbt's threads in the year's build):\n"),
                  "| dbt model | whole year (s) | new delivery (s) |", "| --- | ---: | ---: |"]
        lines += [f"| {model} | {seconds:.1f} | {r['new_delivery_models_s'].get(model, 0):.1f} |"
                  for model, seconds in sorted(models.items(), key=lambda kv: -kv[1])[:SLOWEST_MODELS]]
        lines += ["\nWhat every `hub run` pays before reading any data (measured after the runs):\n",
                  "| fixed cost | s |", "| --- | ---: |"]
        lines += [f"| {what} | {seconds:.1f} |" for what, seconds in r["fixed_costs_s"].items()]
        lines += ["\nConnectors beside their floors and the naive peer, same files, same run:\n",
                  sibling("connectors").markdown(r["floors"], os.getloadavg()[:2])]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, action="append")
    parser.add_argument("--json", type=Path, default=BENCH_DIR / "results.json")
    parser.add_argument("--markdown", type=Path, default=BENCH_DIR / "RESULTS.md")
    parser.add_argument("--work", type=Path, help="where to simulate (default: a temp folder)")
    args = parser.parse_args(argv)
    def say(message: str) -> None:
        print(message, flush=True)

    work = args.work or Path(tempfile.mkdtemp(prefix="hub-bench-"))
    code = code_version()  # before this run rewrites the committed results
    results = [{"code": code, **bench_scale(scale, work, say)} for scale in (args.scale or [1.0])]
    args.json.write_text(json.dumps(results, indent=2, default=str))
    args.markdown.write_text(markdown(results))
    print(markdown(results))


if __name__ == "__main__":
    main()
