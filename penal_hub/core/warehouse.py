"""One SQL interface over the hub's two warehouses: the embedded DuckDB file and PostgreSQL.

The Python steps (landing, quality checks, publication, report) ask the warehouse in SQL
that both engines accept, with `$1`-style parameters, and get rows or Arrow back. A
location is a DuckDB file path or a `postgresql://` URL (HUB_POSTGRES_URL). PostgreSQL
is reached through ADBC, Arrow's own driver: query results arrive as Arrow and appends
are bulk COPYs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from penal_hub.core.permissions import restrict

if TYPE_CHECKING:  # `to_pandas` imports it when needed: the court parsing workers never do
    import pandas as pd

POSTGRES_SCHEMES = ("postgresql://", "postgres://")
# The schema dbt builds the marts into, per engine. A DuckDB warehouse is a file analysts
# never open: its `marts` is the build, copied into analyst.duckdb once the gates pass. On
# PostgreSQL analysts read schema `marts` of the warehouse's own database, so dbt builds
# into `marts_build` (dbt_project/macros/generate_schema_name.sql), which analysts cannot
# read, and the hub swaps a build whose gates passed into `marts`
# (orchestration/publish/marts.py).
MARTS_BUILD = {"duckdb": "marts", "postgres": "marts_build"}
# DuckDB's memory per process (HUB_DUCKDB_MEMORY_LIMIT; dbt's profile reads the same variable).
DUCKDB_MEMORY_LIMIT = "4GB"


def is_postgres(location: str) -> bool:
    return location.startswith(POSTGRES_SCHEMES)


class Warehouse:
    """A connection to the warehouse; `engine` is "duckdb" or "postgres"."""

    engine: str
    marts_build: str  # the schema dbt builds the marts into (MARTS_BUILD)
    Error: type[Exception]  # what a failed statement raises

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        raise NotImplementedError

    def arrow(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        raise NotImplementedError

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        raise NotImplementedError

    def append(self, table: str, data: pa.Table) -> None:
        """Append `data` to `schema.table`, matching columns by name."""
        raise NotImplementedError

    def begin(self) -> None:
        raise NotImplementedError

    def commit(self) -> None:
        raise NotImplementedError

    def rollback(self) -> None:
        raise NotImplementedError

    def df(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        """Through Arrow on both engines: the same dtypes whichever engine answers."""
        return self.arrow(sql, params).to_pandas(date_as_object=False)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.begin()
        try:
            yield
            self.commit()
        except BaseException:
            self.rollback()
            raise


class DuckDBWarehouse(Warehouse):
    engine = "duckdb"
    marts_build = MARTS_BUILD[engine]
    Error = duckdb.Error

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con

    def rows(self, sql, params=()):
        return self.con.execute(sql, list(params)).fetchall()

    def arrow(self, sql, params=()):
        return self.con.sql(sql, params=list(params) or None).to_arrow_table()

    def execute(self, sql, params=()):
        self.con.execute(sql, list(params))

    def append(self, table, data):
        self.con.register("_appended", data)
        try:
            names = ", ".join(data.column_names)
            self.con.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM _appended")
        finally:
            self.con.unregister("_appended")

    def begin(self):
        self.con.begin()

    def commit(self):
        self.con.commit()

    def rollback(self):
        self.con.rollback()


class PostgresWarehouse(Warehouse):
    engine = "postgres"
    marts_build = MARTS_BUILD[engine]

    def __init__(self, url: str):
        import adbc_driver_manager
        import adbc_driver_postgresql.dbapi as adbc

        self.Error = adbc_driver_manager.Error
        # Autocommit: a statement outside `transaction()` stands alone, as on DuckDB.
        self.con = adbc.connect(url, autocommit=True)

    def close(self) -> None:
        self.con.close()

    def rows(self, sql, params=()):
        with self.con.cursor() as cur:
            cur.execute(sql, list(params) or None)
            return [tuple(r) for r in cur.fetchall()]

    def arrow(self, sql, params=()):
        with self.con.cursor() as cur:
            cur.execute(sql, list(params) or None)
            return cur.fetch_arrow_table()

    def execute(self, sql, params=()):
        with self.con.cursor() as cur:
            cur.execute(sql, list(params) or None)

    def append(self, table, data):
        schema, _, name = table.rpartition(".")
        with self.con.cursor() as cur:
            cur.adbc_ingest(name, data, mode="append", db_schema_name=schema or None)

    def begin(self):
        self.execute("BEGIN")

    def commit(self):
        self.execute("COMMIT")

    def rollback(self):
        self.execute("ROLLBACK")


@contextmanager
def connect(location: str, read_only: bool = False) -> Iterator[Warehouse]:
    """Open the warehouse at `location` (a DuckDB path or a PostgreSQL URL), then close it.

    `read_only` matters to DuckDB's single writer; on PostgreSQL, readers never block it.
    """
    if is_postgres(location):
        warehouse = PostgresWarehouse(location)
        try:
            yield warehouse
        finally:
            warehouse.close()
        return
    Path(location).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(location, read_only=read_only)
    if not read_only:  # it holds names and document numbers: owner-only (core/permissions.py)
        restrict(Path(location))
    # DuckDB's own default is 80% of RAM: at ten times the national scale that let one
    # process reach 10.9 GB. Beyond the limit it spills to disk.
    con.execute(f"SET memory_limit = '{os.environ.get('HUB_DUCKDB_MEMORY_LIMIT', DUCKDB_MEMORY_LIMIT)}'")
    try:
        yield DuckDBWarehouse(con)
    finally:
        con.close()
