"""`hub`: the headless way to drive the hub (simulate, run, open the UI)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from hub.settings import Settings


def cmd_simulate(args: argparse.Namespace, settings: Settings) -> None:
    from simulator import simulate

    out = Path(args.out) if args.out else settings.data_dir
    print(f"simulating 2024 at scale {args.scale} (seed {args.seed}) into {out} ...", flush=True)
    started = time.perf_counter()
    summary = simulate(args.scale, args.seed, out)
    elapsed = time.perf_counter() - started
    size = sum(p.stat().st_size for p in (out / "landing").rglob("*") if p.is_file())
    print(f"landing zone: {out / 'landing'}  ({size / 1e6:.0f} MB, {elapsed:.1f} s)")
    print(f"ground truth: {out / 'truth' / 'truth.json'}")
    print(json.dumps(summary, indent=2))


def cmd_run(args: argparse.Namespace, settings: Settings) -> None:
    import dagster as dg

    from orchestration.transform.project import prepare_manifest

    prepare_manifest()
    from orchestration.definitions import defs
    from orchestration.pipeline import run_all

    print(f"landing zone: {settings.landing_dir}\nwarehouse:    {settings.warehouse_display}",
          flush=True)
    started = time.perf_counter()
    with dg.DagsterInstance.get() as instance:
        report = run_all(defs, instance, settings.landing_dir, say=lambda m: print(m, flush=True),
                         full_refresh=args.full_refresh)
    print_summary(settings, report, time.perf_counter() - started)
    if not all(report["outcomes"].values()):
        sys.exit(1)


def print_summary(settings: Settings, report: dict, elapsed: float) -> None:
    from hub.warehouse import connect

    print("\n== summary ==")
    for step, seconds in report["timings"].items():
        status = "ok" if report["outcomes"][step] else "FAILED"
        print(f"  {step:<28} {seconds:7.1f} s  {status}")
    print(f"  {'total':<28} {elapsed:7.1f} s")
    with connect(settings.warehouse_location, read_only=True) as con:
        for source, status, n, landed, quarantined in con.rows(
            "select source, status, count(*), sum(landed_records), sum(quarantined_records) "
            "from raw.deliveries group by source, status order by source, status"):
            print(f"  {source:<18} {status:<11} {n:4d} deliveries  "
                  f"{landed or 0:>10,} landed  {quarantined or 0:>6,} quarantined")
    publication = report.get("publication")
    if publication:
        print(f"marts:     {publication['estado']}; analysts read cut-off "
              f"{publication['fecha_corte'] or '(none yet)'}"
              + (f"; not published: {publication['motivo']}" if publication["motivo"] else ""))
    print(f"warehouse: {settings.warehouse_display}  (schemas raw, staging, intermediate, interop, "
          "marts; data engineers only)")
    print(f"analysts:  {settings.analyst_db}  (schema marts: the last validated build)")
    print(f"outbox:    {settings.outbox_dir}  (extract for the Poder Judicial, one folder per cut-off)")
    print(f"reports:   {settings.data_dir / 'reports'}  (analyst/ charts, validation/ checks, per run)")
    print("UI:        uv run hub ui   (Dagster, http://127.0.0.1:3000)")


def cmd_demo(args: argparse.Namespace, settings: Settings) -> None:
    cmd_simulate(args, settings)
    cmd_run(args, settings)


def cmd_bench(args: argparse.Namespace, settings: Settings) -> None:
    import runpy

    sys.argv = ["bench/pipeline.py", *args.bench_args]
    runpy.run_path(str(Path(__file__).resolve().parents[1] / "bench" / "pipeline.py"),
                   run_name="__main__")


def cmd_ui(args: argparse.Namespace, settings: Settings) -> None:
    os.execvp("dagster", ["dagster", "dev", "-m", "orchestration.definitions",
                          "-h", args.host, "-p", str(args.port)])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="hub", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("simulate", help="write a simulated 2024 landing zone and its truth")
    p.add_argument("--scale", type=float, default=1.0, help="1 = national scale (default)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--out", help="folder for landing/ and truth/ (default: $HUB_DATA_DIR)")
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("run", help="materialise every asset for every complete delivery")
    p.add_argument("--full-refresh", action="store_true",
                   help="rebuild dbt's incremental models from raw (after changing their SQL)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("demo", help="simulate the demo year, then run the hub on it")
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--out", help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_demo, full_refresh=False)  # cmd_run's option: a new year needs none

    p = sub.add_parser("bench", help="benchmark the whole hub (options: bench/pipeline.py)",
                       add_help=False)
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("ui", help="open the Dagster UI on the same data")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=3000)
    p.set_defaults(func=cmd_ui)

    args, extra = parser.parse_known_args(argv)
    if args.command == "bench":
        args.bench_args = extra  # bench/pipeline.py parses its own options
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    settings = Settings.from_env()
    settings.export()
    args.func(args, settings)


if __name__ == "__main__":
    sys.exit(main())
