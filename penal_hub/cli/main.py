"""`hub`: the headless way to drive the hub (simulate, run, open the UI, verify an extract).

Exit codes of `hub run` (README, "When `hub run` refuses, and its exit codes"): 0 done (also when some source is still
awaited: a line says which), 1 unexpected error, 2 bad arguments, 3 the operator must fix
something first (one line says what), 4 a blocking quality gate failed and nothing new was
published, 5 a delivery was refused (the rest was processed).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import sys
import time
from enum import IntEnum
from importlib.metadata import version
from pathlib import Path

from penal_hub.cli import preflight
from penal_hub.core import permissions
from penal_hub.core.settings import PACKAGE_DIR, Settings


class Exit(IntEnum):
    OK = 0
    UNEXPECTED = 1
    USAGE = 2  # argparse's own code for bad arguments
    OPERATOR = 3
    GATE_FAILED = 4
    DELIVERY_REFUSED = 5
    EXTRACT_NOT_VERIFIED = 6  # hub verify-extract: the folder is not whole, or not valid


# Dagster's console log level per verbosity (-q, default, -v).
DAGSTER_LOG_LEVELS = {-1: "ERROR", 0: "INFO", 1: "DEBUG"}
MAX_SCALE = 100.0  # ten times the benchmarks' largest: beyond it, a typo


def cmd_simulate(args: argparse.Namespace, settings: Settings) -> Exit:
    from penal_hub.simulator import simulate

    out = Path(args.out) if args.out else settings.data_dir
    say = progress(args)
    say(f"simulating 2024 at scale {args.scale} (seed {args.seed}) into {out} ...")
    started = time.perf_counter()
    summary = simulate(args.scale, args.seed, out)
    elapsed = time.perf_counter() - started
    size = sum(p.stat().st_size for p in (out / "landing").rglob("*") if p.is_file())
    say(f"landing zone: {out / 'landing'}  ({size / 1e6:.0f} MB, {elapsed:.1f} s)")
    say(f"ground truth: {out / 'truth' / 'truth.json'}")
    say(json.dumps(summary, indent=2))
    return Exit.OK


def cmd_run(args: argparse.Namespace, settings: Settings) -> Exit:
    say = progress(args)
    preflight.check_run(settings, rekey=args.rekey, say=say)

    from penal_hub.orchestration.transform.project import prepare_manifest

    prepare_manifest(settings)
    from penal_hub.orchestration.definitions import build_resources, defs
    from penal_hub.orchestration.pipeline import hub_instance, run_all

    say(f"landing zone: {settings.landing_dir}\nwarehouse:    {settings.warehouse_display}")
    started = time.perf_counter()
    # dagster-dbt echoes every dbt event to stdout whatever the log level: --quiet drops
    # stdout while the pipeline runs (Dagster's errors go to stderr).
    with (hub_instance(settings) as instance, open(os.devnull, "w") as devnull,
          contextlib.redirect_stdout(devnull if args.verbosity < 0 else sys.stdout)):
        report = run_all(defs, instance, settings.landing_dir, resources=build_resources(settings),
                         say=say, full_refresh=args.full_refresh,
                         log_level=DAGSTER_LOG_LEVELS[args.verbosity])
    code = exit_code(report)
    if args.verbosity >= 0:
        print_summary(settings, report, time.perf_counter() - started)
    print_outcome(report, code)
    return code


def exit_code(report: dict) -> Exit:
    """The code of a finished run, from what run_all reports: `outcomes` (step -> passed),
    `blocked` (blocking gates that failed: nothing new published), `refused` (deliveries
    refused) and `waiting` (sources not delivered yet: not an error)."""
    if report.get("blocked"):
        return Exit.GATE_FAILED
    if not all(report["outcomes"].values()):
        return Exit.UNEXPECTED
    if report.get("refused"):
        return Exit.DELIVERY_REFUSED
    return Exit.OK


def print_outcome(report: dict, code: Exit) -> None:
    """The run's outcome in one line per problem, last, where a cron mail or a log shows it."""
    for source in report.get("waiting", []):
        print(f"waiting: {source}")
    for gate in report.get("blocked", []):
        print(f"blocked: {gate}")
    for delivery in report.get("refused", []):
        print(f"refused: {delivery}")
    failed = [step for step, ok in report["outcomes"].items() if not ok]
    print(f"hub run: exit {code.value} ({code.name.lower().replace('_', ' ')})"
          + (f"; failed steps: {', '.join(failed)} (details above and in `hub ui`)"
             if failed else ""))


def print_summary(settings: Settings, report: dict, elapsed: float) -> None:
    from penal_hub.core.warehouse import MARTS_BUILD, connect

    print("\n== summary ==")
    for step, seconds in report["timings"].items():
        status = "ok" if report["outcomes"][step] else "FAILED"
        print(f"  {step:<28} {seconds:7.1f} s  {status}")
    print(f"  {'total':<28} {elapsed:7.1f} s")
    with connect(settings.warehouse_location, read_only=True) as con:
        # Cast: PostgreSQL's sum of integers is numeric, which its driver gives as text.
        for source, status, n, landed, quarantined in con.rows(
            "select source, status, count(*), cast(sum(landed_records) as bigint), "
            "cast(sum(quarantined_records) as bigint) "
            "from raw.deliveries group by source, status order by source, status"):
            print(f"  {source:<18} {status:<11} {n:4d} deliveries  "
                  f"{landed or 0:>10,} landed  {quarantined or 0:>6,} quarantined")
    publication = report.get("publication")
    if publication:
        print(f"marts:     {publication['estado']}; analysts read cut-off "
              f"{publication['fecha_corte'] or '(none yet)'}"
              + (f"; not published: {publication['motivo']}" if publication["motivo"] else ""))
    build = MARTS_BUILD["postgres" if settings.postgres_url else "duckdb"]
    print(f"warehouse: {settings.warehouse_display}  (schemas raw, staging, intermediate, "
          f"interop, extracto, {build}; data engineers only)")
    analysts = (f"{settings.warehouse_display}, role hub_analyst" if settings.postgres_url
                else str(settings.analyst_db))
    print(f"analysts:  {analysts}  (schema marts: the last validated build)")
    print(f"outbox:    {settings.outbox_dir}  (extract for the Poder Judicial, one folder per cut-off)")
    print(f"reports:   {settings.data_dir / 'reports'}  (analyst/ charts; validation/index.html: the checks of every run)")
    print("UI:        uv run hub ui   (Dagster, http://127.0.0.1:3000)")


def cmd_demo(args: argparse.Namespace, settings: Settings) -> Exit:
    cmd_simulate(args, settings)
    return cmd_run(args, settings)


def cmd_bench(args: argparse.Namespace, settings: Settings) -> Exit:
    import runpy

    # The benchmarks are part of the source checkout, not of the installed package.
    script = Path(__file__).resolve().parents[2] / "bench" / "pipeline.py"
    if not script.is_file():
        print(f"hub bench: {script} not found; the benchmarks run from a source checkout",
              file=sys.stderr)
        return Exit.OPERATOR
    sys.argv = ["bench/pipeline.py", *args.bench_args]
    runpy.run_path(str(script), run_name="__main__")
    return Exit.OK


# `dagster dev` warns that `dg dev` supersedes it; `dg` wants its own project layout (a
# `defs/` folder it loads by itself) and another package, where the hub builds its
# definitions explicitly, by area (orchestration/definitions.py). `dagster dev` serves
# the same code location; the warning says nothing the operator can act on.
SUPERSEDED_WARNING = "ignore:Function `dev_command` is superseded:FutureWarning"


def cmd_ui(args: argparse.Namespace, settings: Settings) -> Exit:
    preflight.check_key(settings, progress(args))  # the runs it launches key persons too
    preflight.prepare_data_dir(settings)
    warnings = [w for w in (os.environ.get("PYTHONWARNINGS"), SUPERSEDED_WARNING) if w]
    home = ui_home(settings)
    # `dagster dev` and the processes it starts read the settings from this environment
    # (definitions.py), every path made whole: it runs in its home, not where `hub ui`
    # started. (In the checkout, Dagster would warn that the dagster.yaml there is not
    # DAGSTER_HOME's.)
    env = {**settings.child_env(), "DAGSTER_HOME": str(home),
           "PYTHONWARNINGS": ",".join(warnings)}
    os.chdir(home)
    dagster = Path(sys.executable).parent / "dagster"
    os.execve(dagster, [str(dagster), "dev", "-w", str(PACKAGE_DIR / "workspace.yaml"),
                        "-h", args.host, "-p", str(args.port)], env)


def ui_home(settings: Settings) -> Path:
    """The UI's DAGSTER_HOME: the webserver keeps files there (`.nux/`, `.telemetry/`), so
    not the project root but a folder of the data folder holding a copy of the project's
    dagster.yaml (made again on every start); a DAGSTER_HOME set by the operator stays."""
    if settings.dagster_home != PACKAGE_DIR:
        return settings.dagster_home
    home = permissions.private_dir(settings.dagster_storage / "home")
    config = home / "dagster.yaml"
    config.write_text((PACKAGE_DIR / "dagster.yaml").read_text())
    permissions.restrict(config)
    return home


def cmd_verify_extract(args: argparse.Namespace, settings: Settings) -> Exit:
    from penal_hub.core.verify_extract import describe, verify

    folder = Path(args.folder)
    problems = verify(folder)
    for problem in problems:
        print(f"hub verify-extract: {problem}", file=sys.stderr)
    if problems:
        return Exit.EXTRACT_NOT_VERIFIED
    print(describe(folder))
    return Exit.OK


def progress(args: argparse.Namespace):
    """Where progress lines go: stdout, flushed (they interleave with Dagster's and dbt's),
    or nowhere with --quiet."""
    if args.verbosity < 0:
        return lambda _: None
    return lambda message: print(message, flush=True)


def scale(text: str) -> float:
    """argparse type: a finite scale above zero (1 = national)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value <= MAX_SCALE:  # also false for nan
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a scale: give a number above 0 and at most {MAX_SCALE:g} "
            "(1 = national, 0.01 for tests)")
    return value


def port(text: str) -> int:
    value = int(text) if text.isdigit() else 0
    if not 0 < value < 65536:
        raise argparse.ArgumentTypeError(f"{text!r} is not a TCP port (1-65535)")
    return value


def parser() -> argparse.ArgumentParser:
    verbosity = argparse.ArgumentParser(add_help=False)
    group = verbosity.add_mutually_exclusive_group()
    group.add_argument("-q", "--quiet", dest="verbosity", action="store_const", const=-1,
                       help="only the outcome and errors")
    group.add_argument("-v", "--verbose", dest="verbosity", action="store_const", const=1,
                       help="also Dagster's DEBUG events")
    verbosity.set_defaults(verbosity=0)

    top = argparse.ArgumentParser(prog="hub", description=__doc__,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    top.add_argument("--version", action="version",
                     version=f"%(prog)s {version('penal-interop-hub')}")
    sub = top.add_subparsers(dest="command", required=True)

    p = sub.add_parser("simulate", parents=[verbosity],
                       help="write a simulated 2024 landing zone and its truth")
    p.add_argument("--scale", type=scale, default=1.0, help="1 = national scale (default)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--out", help="folder for landing/ and truth/ (default: $HUB_DATA_DIR)")
    p.set_defaults(func=cmd_simulate)

    run_options = argparse.ArgumentParser(add_help=False)
    run_options.add_argument(
        "--full-refresh", action="store_true",
        help="rebuild dbt's incremental models from raw (after changing their SQL)")
    run_options.add_argument(
        "--rekey", action="store_true",
        help="accept a new HUB_PSEUDONYM_KEY (key rotation): the run re-keys every person")
    p = sub.add_parser("run", parents=[verbosity, run_options],
                       help="materialise every asset for every complete delivery")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("demo", parents=[verbosity],
                       help="simulate the demo year, then run the hub on it")
    p.add_argument("--scale", type=scale, default=1.0)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--out", help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_demo, full_refresh=False, rekey=False)  # a new year needs neither

    p = sub.add_parser("bench", help="benchmark the whole hub (options: bench/pipeline.py)",
                       add_help=False)
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("ui", parents=[verbosity], help="open the Dagster UI on the same data")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=port, default=3000)
    p.set_defaults(func=cmd_ui)

    p = sub.add_parser("verify-extract",
                       help="check a published extract folder from its manifest alone "
                            "(exit 0 whole and valid, 6 not)")
    p.add_argument("folder", help="a published folder, e.g. $HUB_OUTBOX_DIR/2024-12-31")
    p.set_defaults(func=cmd_verify_extract)
    return top


def main(argv: list[str] | None = None) -> int:
    top = parser()
    args, extra = top.parse_known_args(argv)
    if args.command == "bench":
        args.bench_args = extra  # bench/pipeline.py parses its own options
    elif extra:
        top.error(f"unrecognized arguments: {' '.join(extra)}")
    if not sys.stdout.isatty():  # no colour codes in files and pipes (dbt's output)
        os.environ.setdefault("DBT_USE_COLORS", "false")
        os.environ.setdefault("NO_COLOR", "1")
    try:
        os.umask(permissions.umask())
        return args.func(args, Settings.from_env())
    except (preflight.OperatorError, permissions.UnknownGroup) as problem:
        print(f"hub: {problem}", file=sys.stderr)
        return Exit.OPERATOR


if __name__ == "__main__":
    sys.exit(main())
