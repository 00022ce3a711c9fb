"""What analysts read: the marts of the last validated build, and nothing else.

Analysts never read the warehouse's other schemas, which hold names and document numbers
(`raw`, `interop`), nor a build of the marts that the quality gates have not passed. After
a run whose gates allow publication (orchestration/quality/gate.py), the latest build is
published where analysts query schema `marts`, and only there:

- With the embedded DuckDB warehouse, in a file of its own: every table of the
  warehouse's `marts` (the build) is copied into a new DuckDB file that is then renamed
  over `$HUB_ANALYST_DB` (default `$HUB_DATA_DIR/analyst.duckdb`): an open session keeps
  reading the file it opened, a new one opens the new file.
- On PostgreSQL, in the warehouse's own database, where dbt builds the marts into
  `marts_build` (penal_hub.core.warehouse.MARTS_BUILD), which the analysts' role cannot read. One
  transaction copies every table of the build into `marts` under a temporary name, drops
  the tables they replace and gives the copies their names: a statement reads the old
  marts or the new, never a mix and never none (one that starts during the swap waits for
  it, then reads the new tables). The copies get the analysts' SELECT from the default
  privileges of schema `marts` (deploy/postgres/setup.sql), as every table the hub's user
  creates there.

Either way nobody ever reads half a publication. `marts.publicacion` (one row) tells
analysts which cut-off they are reading, when it was published, and, when the latest build
was not published, what it waits for or why the gates blocked it. On a blocked or waiting
run only that table changes: the marts stay byte for byte those of the last validated build.
"""

# No `from __future__ import annotations`: Dagster checks the type of the asset's
# `context` annotation when the asset is defined.
import os
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow as pa

from penal_hub.core.permissions import fsync_dir, private_dir, restrict
from penal_hub.core.settings import display
from penal_hub.core.warehouse import DuckDBWarehouse, Warehouse, connect, is_postgres
from penal_hub.orchestration.conditions import FOLLOW_UPSTREAM
from penal_hub.orchestration.quality.gate import Decision, decide, gated_deps
from penal_hub.orchestration.resources import (
    IN_WAREHOUSE,
    WAREHOUSE_POOL,
    AnalystDatabaseResource,
    WarehouseResource,
)
from penal_hub.orchestration.transform.assets import hub_dbt_models

MARTS = sorted((key for key in hub_dbt_models.keys if key.path[0] == "marts"),
               key=lambda k: k.to_user_string())
PUBLICATION_TABLE = "marts.publicacion"

PUBLISHED, BLOCKED, WAITING = "publicado", "bloqueado", "esperando"

# marts.publicacion: name -> (type, Arrow type, what it says), also its column comments.
PUBLICATION_COLUMNS = {
    "estado": ("VARCHAR NOT NULL", pa.string(), (
        "publicado: the latest build is the one published; bloqueado: a later build failed a "
        "blocking gate; esperando: a source has not delivered once yet.")),
    "fecha_corte": ("DATE", pa.date32(), (
        "The registry cut-off of the marts in this database (null: none published yet).")),
    "publicado_en": ("TIMESTAMPTZ", pa.timestamp("us", tz="UTC"),
                     "When those marts were published."),
    "run_id_publicacion": ("VARCHAR", pa.string(), "The Dagster run that published them."),
    "fecha_corte_pendiente": ("DATE", pa.date32(),
                              "The cut-off of a later build that was not published."),
    "motivo": ("VARCHAR", pa.string(), ("Why that build was not published: the blocking "
                                        "checks that failed, or the sources waited for.")),
    "actualizado_en": ("TIMESTAMPTZ NOT NULL", pa.timestamp("us", tz="UTC"),
                       "When this row was written."),
}
PUBLICATION_COMMENT = ("Which build of the marts this database holds, and why a later one is "
                       "not published. One row.")
PUBLICATION_EXISTS_SQL = ("SELECT count(*) FROM information_schema.tables "
                          "WHERE table_schema = 'marts' AND table_name = 'publicacion'")

# The build's tables, and the comments of those tables and their columns, as (table, column
# or NULL for the table itself, comment); $1 is the build's schema. On DuckDB the warehouse
# is attached to the analysts' new file as `warehouse`.
BUILD_TABLES_SQL = {
    "duckdb": """
SELECT table_name, NULL, comment, NULL FROM duckdb_tables()
WHERE database_name = 'warehouse' AND schema_name = $1
UNION ALL
SELECT table_name, column_name, comment, NOT is_nullable FROM duckdb_columns()
WHERE database_name = 'warehouse' AND schema_name = $1
  AND (comment IS NOT NULL OR NOT is_nullable)""",
    "postgres": """
SELECT c.relname, NULL, obj_description(c.oid, 'pg_class'), NULL
FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')
UNION ALL
SELECT c.relname, a.attname, col_description(c.oid, a.attnum), a.attnotnull
FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
JOIN pg_attribute AS a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')
  AND (col_description(c.oid, a.attnum) IS NOT NULL OR a.attnotnull)""",
}

# On PostgreSQL the new tables are created in `marts` under this prefix, then renamed over
# the old ones: nobody else sees them before the transaction commits. The swap takes the
# old tables from the analysts' statements reading them; while it waits, statements that
# start queue behind it. So each try waits SWAP_LOCK_TIMEOUT at most, then lets them run,
# and tries again, SWAP_TRIES times.
NEXT_PREFIX = "next__"
SWAP_LOCK_TIMEOUT, SWAP_TRIES, SWAP_PAUSE_S = "5s", 60, 1.0
RETRY_SQLSTATES = {"55P03", "40P01"}  # lock_not_available, deadlock_detected


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _copy_marts(con: Warehouse, build: str, prefix: str = "") -> list[str]:
    """Copy every table of the build (`build`: a schema, qualified by its database on
    DuckDB) into schema marts as `prefix` + its name, with its table and column comments and
    its columns' NOT NULL (the models' contracts: what analysts' tools read as the schema).
    Returns the build's table names."""
    described = con.rows(BUILD_TABLES_SQL[con.engine], [build.rpartition(".")[2]])
    tables = sorted(table for table, column, _, _ in described if column is None)
    for table in tables:
        con.execute(f'CREATE TABLE marts."{prefix}{table}" AS SELECT * FROM {build}."{table}"')
    for table, column, comment, not_null in described:
        target = f'marts."{prefix}{table}"' + ("" if column is None else f'."{column}"')
        if comment:
            con.execute(f"COMMENT ON {'TABLE' if column is None else 'COLUMN'} {target} IS "
                        f"{_sql_text(comment)}")
        if not_null:
            con.execute(f'ALTER TABLE marts."{prefix}{table}" ALTER COLUMN "{column}" SET NOT NULL')
    return tables


def _write_publication_row(con: Warehouse, state: dict) -> None:
    columns = ", ".join(f"{name} {kind}" for name, (kind, _, _) in PUBLICATION_COLUMNS.items())
    con.execute(f"DROP TABLE IF EXISTS {PUBLICATION_TABLE}")
    con.execute(f"CREATE TABLE {PUBLICATION_TABLE} ({columns})")
    con.execute(f"COMMENT ON TABLE {PUBLICATION_TABLE} IS {_sql_text(PUBLICATION_COMMENT)}")
    for name, (_, _, comment) in PUBLICATION_COLUMNS.items():
        con.execute(f"COMMENT ON COLUMN {PUBLICATION_TABLE}.{name} IS {_sql_text(comment)}")
    schema = pa.schema([(name, kind) for name, (_, kind, _) in PUBLICATION_COLUMNS.items()])
    con.append(PUBLICATION_TABLE, pa.Table.from_pylist([state], schema=schema))


def publication_state(location: str | Path) -> dict | None:
    """`marts.publicacion` where analysts read (`location`: the DuckDB file, or the PostgreSQL
    database) as a dict; None if there is none yet."""
    location = str(location)
    if not is_postgres(location) and not Path(location).exists():
        return None
    with connect(location, read_only=True) as con:
        if not con.rows(PUBLICATION_EXISTS_SQL)[0][0]:
            return None
        rows = con.arrow(f"SELECT * FROM {PUBLICATION_TABLE}").to_pylist()
    return rows[0] if rows else None


def write_analyst_database(target: str | Path, decision: Decision, run_id: str,
                           warehouse: str | Path | None) -> dict:
    """Publish for `decision` where analysts read: `target` is the DuckDB file (written new,
    then renamed over) or the PostgreSQL database (swapped in one transaction).

    With `warehouse` (the gate allowed publication) its build of the marts is published; on
    PostgreSQL that is `target` itself, whose schema marts_build is the build. Without, the
    marts analysts read stay as they are and only the publication row changes.
    """
    now = datetime.now(UTC)
    previous = publication_state(target) or {}
    if decision.publishable:
        state = {"estado": PUBLISHED, "fecha_corte": decision.cutoff, "publicado_en": now,
                 "run_id_publicacion": run_id, "fecha_corte_pendiente": None, "motivo": None}
    else:
        state = {"estado": WAITING if decision.waiting else BLOCKED,
                 "fecha_corte": previous.get("fecha_corte"),
                 "publicado_en": previous.get("publicado_en"),
                 "run_id_publicacion": previous.get("run_id_publicacion"),
                 "fecha_corte_pendiente": decision.cutoff, "motivo": decision.reason}
    state["actualizado_en"] = now
    if is_postgres(str(target)):
        _swap_in_postgres(str(target), state, publish=warehouse is not None)
    else:
        _rename_over(Path(target), state, run_id, None if warehouse is None else Path(warehouse))
    return state


def _rename_over(target: Path, state: dict, run_id: str, warehouse: Path | None) -> None:
    """DuckDB: a new analysts' file (the previous one's marts, or `warehouse`'s), renamed
    over `target`."""
    private_dir(target.parent)
    partial = target.with_name(f".{target.name}.{run_id}.partial")
    for leftover in target.parent.glob(f".{target.name}.*.partial*"):  # a killed attempt's
        leftover.unlink()
    if warehouse is None and target.exists():
        shutil.copyfile(target, partial)
    with duckdb.connect(str(partial)) as file:
        con = DuckDBWarehouse(file)
        con.execute("CREATE SCHEMA IF NOT EXISTS marts")
        if warehouse is not None:
            con.execute(f"ATTACH {_sql_text(str(warehouse))} AS warehouse (READ_ONLY)")
            _copy_marts(con, "warehouse.marts")
            con.execute("DETACH warehouse")
        _write_publication_row(con, state)
        con.execute("CHECKPOINT")
    with open(partial, "rb") as stream:
        os.fsync(stream.fileno())
    restrict(partial)
    os.replace(partial, target)
    fsync_dir(target.parent)


def _swap_in_postgres(url: str, state: dict, publish: bool) -> None:
    """PostgreSQL: in one transaction, the build's tables copied into marts and swapped in
    (`publish`), and the publication row replaced."""
    with connect(url) as con, con.transaction():
        old = [t for (t,) in con.rows("SELECT tablename FROM pg_tables "
                                      "WHERE schemaname = 'marts' ORDER BY 1")]
        new = _copy_marts(con, con.marts_build, prefix=NEXT_PREFIX) if publish else []
        for table in new:  # the planner's statistics, before the first analyst's query
            con.execute(f'ANALYZE marts."{NEXT_PREFIX}{table}"')
        _swap(con, drop=old if publish else [t for t in old if t == "publicacion"], rename=new)
        _write_publication_row(con, state)


def _swap(con: Warehouse, drop: list[str], rename: list[str]) -> None:
    """Drop the tables `drop` of marts and give the copies `rename` their names, within the
    caller's transaction; retried while analysts' statements hold the old tables."""
    statements = [f'ALTER TABLE marts."{NEXT_PREFIX}{t}" RENAME TO "{t}"' for t in rename]
    if drop:
        statements.insert(0, "DROP TABLE " + ", ".join(f'marts."{t}"' for t in drop))
    for attempt in range(1, SWAP_TRIES + 1):
        con.execute("SAVEPOINT swap")
        con.execute(f"SET LOCAL lock_timeout = '{SWAP_LOCK_TIMEOUT}'")
        try:
            for statement in statements:
                con.execute(statement)
        except con.Error as e:
            if getattr(e, "sqlstate", None) not in RETRY_SQLSTATES:
                raise
            con.execute("ROLLBACK TO SAVEPOINT swap")
            if attempt == SWAP_TRIES:
                raise RuntimeError(
                    f"marts not swapped: analysts' sessions kept reading them through "
                    f"{SWAP_TRIES} tries of {SWAP_LOCK_TIMEOUT}; the next run publishes") from e
            time.sleep(SWAP_PAUSE_S)
        else:
            con.execute("RELEASE SAVEPOINT swap")
            return


@dg.asset(
    key=["publication", "analyst_database"],
    deps=gated_deps(MARTS),
    pool=WAREHOUSE_POOL,
    output_required=False,  # nothing is materialised while the hub waits for a source
    group_name="publication",
    automation_condition=FOLLOW_UPSTREAM,
    kinds={IN_WAREHOUSE},
    owners=["team:analytics"],
    description="What analysts read, schema marts ($HUB_ANALYST_DB; on PostgreSQL the "
                "warehouse's schema marts, role hub_analyst): the marts of the last build "
                "whose blocking checks passed, and marts.publicacion saying which cut-off that "
                "is and why a later build is not published.",
)
def analyst_database(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                     analyst_db: AnalystDatabaseResource) -> Iterator[dg.MaterializeResult]:
    with warehouse.connect(read_only=True) as con:
        decision = decide(con)
    analysts = analyst_db.location(warehouse)
    build = warehouse.location if decision.publishable else None
    state = write_analyst_database(analysts, decision, context.run.run_id, build)
    if decision.waiting:
        context.log.info(f"Marts not published: {decision.reason}")
        return
    if decision.problems:
        raise dg.Failure(
            description=f"Marts not published: {decision.reason}\nAnalysts keep the marts of "
                        f"cut-off {state['fecha_corte']} published at {state['publicado_en']}.",
            metadata={"fecha_corte_pendiente": str(decision.cutoff)})
    context.log.info(f"published the marts of cut-off {decision.cutoff} to {display(analysts)}")
    where = ({"database": display(analysts), "schema": "marts"} if warehouse.is_postgres
             else {"path": dg.MetadataValue.path(analysts)})
    yield dg.MaterializeResult(metadata={
        "fecha_corte": str(decision.cutoff), **where, "tables": len(MARTS) + 1})
