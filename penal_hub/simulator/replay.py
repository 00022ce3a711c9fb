"""Replaying a landing zone as it fills up: one delivery folder at a time, data files
first and the manifest last (as senders write them), the hub run after each.

Used by tests/test_replay.py (a few folders, in CI) and by scripts/replay.py (the demo
year, every delivery, for a person to watch and time). The end state of a replay must equal
one run over the whole landing zone: `snapshot` is what is compared.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from penal_hub.contracts import feeds

# Columns that say when or in which run a row was written, not what it says.
VOLATILE_COLUMNS = {"_loaded_at", "publicado_en", "actualizado_en", "run_id_publicacion"}


@dataclass(frozen=True, order=True)
class Folder:
    """One delivery folder of a landing zone: `<source folder>/<fecha_corte>`."""

    fecha_corte: str
    source: str

    def path(self, landing: Path) -> Path:
        return landing / feeds.SOURCES[self.source][0] / self.fecha_corte


def folders(landing: Path, complete_only: bool = True) -> list[Folder]:
    """Every delivery folder of `landing` (with a manifest, unless `complete_only` is off)."""
    found = []
    for source, (relative, _) in feeds.SOURCES.items():
        base = landing / relative
        for folder in sorted(base.iterdir()) if base.is_dir() else []:
            if not complete_only or (folder / feeds.MANIFEST_NAME).exists():
                found.append(Folder(folder.name, source))
    return found


def deliver(source_landing: Path, target_landing: Path, folder: Folder) -> None:
    """Copy one delivery folder as a sender writes it: every data file, then the manifest."""
    source, target = folder.path(source_landing), folder.path(target_landing)
    target.mkdir(parents=True, exist_ok=True)
    files = sorted(source.iterdir(), key=lambda p: p.name == feeds.MANIFEST_NAME)
    for path in files:  # the manifest last
        shutil.copyfile(path, target / path.name)


@dataclass
class Step:
    folders: list[Folder]
    seconds: float
    report: dict


def replay(source_landing: Path, target_landing: Path, steps: Iterable[Sequence[Folder]],
           run: Callable[[], dict]) -> list[Step]:
    """Deliver each step's folders into `target_landing`, then `run` the hub; return the steps."""
    done = []
    for step in steps:
        for folder in step:
            deliver(source_landing, target_landing, folder)
        started = time.perf_counter()
        report = run()
        done.append(Step(list(step), time.perf_counter() - started, report))
    return done


def _table_rows(con: duckdb.DuckDBPyConnection, catalog: str, schema: str,
                table: str) -> list[tuple]:
    columns = [c for (c,) in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_catalog = ? AND "
        "table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        [catalog, schema, table]).fetchall() if c not in VOLATILE_COLUMNS]
    select = ", ".join(f'"{c}"' for c in columns)
    return [tuple(map(str, row)) for row in con.execute(
        f'SELECT {select} FROM {catalog}."{schema}"."{table}" ORDER BY ALL').fetchall()]


def database_snapshot(path: Path, schemas: Sequence[str]) -> dict[str, list[tuple]]:
    """Every table of `schemas` in the DuckDB file, rows sorted, volatile columns left out."""
    with duckdb.connect() as con:
        con.execute(f"ATTACH '{path}' AS db (READ_ONLY)")
        tables = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE "
            "table_catalog = 'db' AND table_schema IN (SELECT unnest(?)) ORDER BY ALL",
            [list(schemas)]).fetchall()
        return {f"{schema}.{table}": _table_rows(con, "db", schema, table)
                for schema, table in tables}


def snapshot(data: Path) -> dict[str, object]:
    """What users get from a data folder: the warehouse's interop and marts, the analysts'
    database, and the latest cut-off's published extract rows (Parquet, which carries the
    same rows as the XML). Extracts of earlier cut-offs are left out: a replay publishes
    them on the way, one run over all does not."""
    published = sorted((data / "outbox").glob("[0-9]*"))[-1:]
    extracts = {
        f"outbox/{folder.name}": [tuple(map(str, r.values())) for r in
                                  pq.read_table(folder / "estado_ejecucion.parquet").to_pylist()]
        for folder in published}
    return {
        "warehouse": database_snapshot(data / "warehouse.duckdb", ["interop", "marts"]),
        "analyst": database_snapshot(data / "analyst.duckdb", ["marts"]),
        **extracts,
    }


def differences(a: dict, b: dict) -> list[str]:
    """The parts of two snapshots that differ, with a row that differs for each table."""
    found = []
    for key in sorted(a.keys() | b.keys()):
        left, right = a.get(key), b.get(key)
        if isinstance(left, dict) and isinstance(right, dict):
            found += [f"{key}/{d}" for d in differences(left, right)]
        elif left != right:
            only_left = sorted(set(left or []) - set(right or []))[:1]
            only_right = sorted(set(right or []) - set(left or []))[:1]
            found.append(f"{key}: {len(left or [])} vs {len(right or [])} rows; "
                         f"e.g. {only_left} vs {only_right}")
    return found


def hub_run_process(checkout: Path, data: Path, landing: Path, key: str) -> tuple[int, float, float]:
    """`hub run` of `checkout` as a new process on the data folder `data`: its exit code,
    wall seconds and CPU seconds (user + system over the process tree: dbt, the parsing
    workers). CPU seconds hardly move with the machine's load; wall seconds do.

    Every other path derives from the data folder: the hub's variables of this process's
    environment are dropped, or two data folders would share one Dagster instance."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("HUB_", "VIRTUAL_ENV")) and name != "DAGSTER_HOME"}
    env.update(HUB_DATA_DIR=str(data), HUB_LANDING_DIR=str(landing), HUB_PSEUDONYM_KEY=key)
    cpu_before, started = _children_cpu_seconds(), time.perf_counter()
    with open(data / "hub-run.log", "a") as log:
        code = subprocess.run([str(checkout / ".venv" / "bin" / "hub"), "run"], cwd=checkout,
                              env=env, stdout=log, stderr=subprocess.STDOUT,
                              check=False).returncode
    return code, time.perf_counter() - started, _children_cpu_seconds() - cpu_before


def _children_cpu_seconds() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime

