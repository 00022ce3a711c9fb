"""CPU seconds of heavy marts' SQL, this checkout's against a base revision's, on a built warehouse.

    uv run --frozen python bench/marts_sql.py /path/to/warehouse.duckdb [--base main] \
        [--models alertas_historial ejecucion_ordenes] [--repeat 5]

Compiles the models with dbt twice (the base revision's dbt project, taken with
`git archive`, and this checkout's), then, in one DuckDB process on the warehouse opened
read-only (2 threads, as dbt's profile), builds each compiled query as a temporary table,
base and new in turn, `--repeat` times. Reports the median CPU seconds (user + system of
the process, DuckDB's threads included) and wall seconds of each, and asserts that both
give the same rows (EXCEPT ALL both ways). The warehouse's file must be named
warehouse.duckdb: the compiled SQL names the catalog `warehouse`. Other jobs on the
machine inflate wall time; CPU time is what to compare, within one run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
from revisions import cpu_seconds, files_at

ROOT = Path(__file__).resolve().parents[1]
PROJECT = Path("penal_hub") / "dbt_project"
DEFAULT_MODELS = ["alertas_historial", "alertas_interoperabilidad", "ejecucion_ordenes"]


def compile_models(project: Path, models: list[str], scratch: Path) -> dict[str, str]:
    """Each model's compiled SQL. dbt connects to an empty scratch warehouse: compiling
    these table models queries no data."""
    target = scratch / "target"
    env = {**os.environ, "HUB_WAREHOUSE": str(scratch / "warehouse.duckdb"),
           "HUB_DBT_TARGET": "duckdb", "HUB_PSEUDONYM_KEY": "bench"}
    dbt = str(Path(sys.executable).parent / "dbt")
    subprocess.run([dbt, "compile", "-q", "--select", *models, "--project-dir", str(project),
                    "--profiles-dir", str(project), "--target-path", str(target),
                    "--log-path", str(scratch / "logs")],
                   env=env, check=True, stdout=subprocess.DEVNULL)
    compiled = target / "compiled" / "penal_hub" / "models"
    return {m: next(compiled.rglob(f"{m}.sql")).read_text() for m in models}


def base_project(rev: str, into: Path) -> Path:
    """The dbt project as of git revision `rev`, extracted under `into`."""
    files_at(rev, into, PROJECT)
    return into / PROJECT


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warehouse", type=Path)
    parser.add_argument("--base", default="main", help="git revision to compare against")
    parser.add_argument("--models", nargs="+", default=DEFAULT_MODELS)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if args.warehouse.name != "warehouse.duckdb":
        parser.error("the compiled SQL reads the catalog `warehouse`: name the file warehouse.duckdb")

    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        (scratch / "base").mkdir()
        (scratch / "new").mkdir()
        variants = {
            "base": compile_models(base_project(args.base, scratch / "base"), args.models, scratch / "base"),
            "new": compile_models(ROOT / PROJECT, args.models, scratch / "new"),
        }

    con = duckdb.connect(str(args.warehouse), read_only=True)
    con.execute("set threads = 2")
    con.execute("set memory_limit = '4GB'")
    for model in args.models:
        cpu: dict[str, list[float]] = {"base": [], "new": []}
        wall: dict[str, list[float]] = {"base": [], "new": []}
        for _ in range(args.repeat):
            for name, sqls in variants.items():
                cpu0, wall0 = cpu_seconds(), time.perf_counter()
                con.execute(f"create or replace temp table {name}_{model} as {sqls[model]}")
                cpu[name].append(cpu_seconds() - cpu0)
                wall[name].append(time.perf_counter() - wall0)
        rows = con.execute(f"select count(*) from base_{model}").fetchone()[0]
        differ = con.execute(f"""
            select count(*) from (
                (select * from base_{model} except all select * from new_{model})
                union all
                (select * from new_{model} except all select * from base_{model}))""").fetchone()[0]
        print(f"{model}: {rows} rows, {'identical' if differ == 0 else f'{differ} ROWS DIFFER'}")
        for name in variants:
            print(f"  {name:4}  cpu {statistics.median(cpu[name]):6.2f} s   wall "
                  f"{statistics.median(wall[name]):6.2f} s   (median of {args.repeat}; cpu "
                  + " ".join(f"{c:.2f}" for c in cpu[name]) + ")")
        if differ:
            sys.exit(1)


if __name__ == "__main__":
    main()
