"""The analysts' database: the marts of the last validated build, and nothing else.

Analysts never open the warehouse, which also holds names and document numbers (`raw`,
`interop`) and marts being rebuilt. After a run whose gates allow publication
(orchestration/publish/gate.py), every table of the warehouse's schema `marts` is copied
into a new DuckDB file that is then renamed over `$HUB_ANALYST_DB` (default
`$HUB_DATA_DIR/analyst.duckdb`): an open session keeps reading the file it opened, a new
one opens the new file, nobody ever reads half a publication.

`marts.publicacion` (one row) tells analysts which cut-off they are reading, when it was
published, and, when the latest build was not published, what it waits for or why the
gates blocked it. On a blocked or waiting run only that table changes: the marts stay
byte for byte those of the last validated build.
"""

# No `from __future__ import annotations`: Dagster checks the type of the asset's
# `context` annotation when the asset is defined.
import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb

from hub.permissions import fsync_dir, private_dir, restrict
from orchestration.conditions import FOLLOW_UPSTREAM
from orchestration.quality.gate import Decision, decide, gated_deps
from orchestration.resources import WAREHOUSE_POOL, AnalystDatabaseResource, WarehouseResource
from orchestration.transform.assets import hub_dbt_models

MARTS = sorted((key for key in hub_dbt_models.keys if key.path[0] == "marts"),
               key=lambda k: k.to_user_string())
PUBLICATION_TABLE = "marts.publicacion"

PUBLISHED, BLOCKED, WAITING = "publicado", "bloqueado", "esperando"

# marts.publicacion: name -> (type, what it says), also its column comments.
PUBLICATION_COLUMNS = {
    "estado": ("VARCHAR NOT NULL", ("publicado: the latest build is the one published; "
                                    "bloqueado: a later build failed a blocking gate; "
                                    "esperando: a source has not delivered once yet.")),
    "fecha_corte": ("DATE", ("The registry cut-off of the marts in this database (null: none "
                             "published yet).")),
    "publicado_en": ("TIMESTAMPTZ", "When those marts were published."),
    "run_id_publicacion": ("VARCHAR", "The Dagster run that published them."),
    "fecha_corte_pendiente": ("DATE", "The cut-off of a later build that was not published."),
    "motivo": ("VARCHAR", ("Why that build was not published: the blocking checks that "
                           "failed, or the sources waited for.")),
    "actualizado_en": ("TIMESTAMPTZ NOT NULL", "When this row was written."),
}
PUBLICATION_COMMENT = ("Which build of the marts this database holds, and why a later one is "
                       "not published. One row.")


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _copy_marts(con: duckdb.DuckDBPyConnection, warehouse: Path) -> None:
    """Every table of the warehouse's schema marts, with its table and column comments and
    its columns' NOT NULL (the models' contracts): what analysts' tools read as the schema."""
    con.execute(f"ATTACH {_sql_text(str(warehouse))} AS warehouse (READ_ONLY)")
    tables = con.execute("SELECT table_name, comment FROM duckdb_tables() WHERE database_name = "
                         "'warehouse' AND schema_name = 'marts' ORDER BY 1").fetchall()
    for table, comment in tables:
        con.execute(f'CREATE OR REPLACE TABLE marts."{table}" AS '
                    f'SELECT * FROM warehouse.marts."{table}"')
        if comment:
            con.execute(f'COMMENT ON TABLE marts."{table}" IS {_sql_text(comment)}')
    for table, column, comment, nullable in con.execute(
            "SELECT table_name, column_name, comment, is_nullable FROM duckdb_columns() "
            "WHERE database_name = 'warehouse' AND schema_name = 'marts'").fetchall():
        if comment:
            con.execute(f'COMMENT ON COLUMN marts."{table}"."{column}" IS {_sql_text(comment)}')
        if not nullable:
            con.execute(f'ALTER TABLE marts."{table}" ALTER COLUMN "{column}" SET NOT NULL')
    con.execute("DETACH warehouse")


def _write_publication_row(con: duckdb.DuckDBPyConnection, state: dict) -> None:
    columns = ", ".join(f"{name} {kind}" for name, (kind, _) in PUBLICATION_COLUMNS.items())
    con.execute(f"CREATE OR REPLACE TABLE {PUBLICATION_TABLE} ({columns})")
    con.execute(f"COMMENT ON TABLE {PUBLICATION_TABLE} IS {_sql_text(PUBLICATION_COMMENT)}")
    for name, (_, comment) in PUBLICATION_COLUMNS.items():
        con.execute(f"COMMENT ON COLUMN {PUBLICATION_TABLE}.{name} IS {_sql_text(comment)}")
    con.execute(f"INSERT INTO {PUBLICATION_TABLE} BY NAME SELECT * FROM (SELECT "
                + ", ".join(f"? AS {column}" for column in state) + ")", list(state.values()))


def publication_state(path: Path) -> dict | None:
    """`marts.publicacion` of the analysts' database as a dict; None if there is none yet."""
    if not path.exists():
        return None
    with duckdb.connect(str(path), read_only=True) as con:
        cursor = con.execute(f"SELECT * FROM {PUBLICATION_TABLE}")
        names = [d[0] for d in cursor.description]
        row = cursor.fetchone()
    return dict(zip(names, row, strict=True)) if row else None


def write_analyst_database(target: Path, decision: Decision, run_id: str,
                           warehouse: Path | None) -> dict:
    """Write the analysts' database for `decision` and rename it over `target`.

    With `warehouse` (the gate allowed publication) its marts are copied; without, the
    previous file's marts are kept and only the publication row changes.
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

    private_dir(target.parent)
    partial = target.with_name(f".{target.name}.{run_id}.partial")
    for leftover in target.parent.glob(f".{target.name}.*.partial*"):  # a killed attempt's
        leftover.unlink()
    if warehouse is None and target.exists():
        shutil.copyfile(target, partial)
    with duckdb.connect(str(partial)) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS marts")
        if warehouse is not None:
            _copy_marts(con, warehouse)
        _write_publication_row(con, state)
        con.execute("CHECKPOINT")
    with open(partial, "rb") as stream:
        os.fsync(stream.fileno())
    restrict(partial)
    os.replace(partial, target)
    fsync_dir(target.parent)
    return state


@dg.asset(
    key=["publication", "analyst_database"],
    deps=gated_deps(MARTS),
    pool=WAREHOUSE_POOL,
    output_required=False,  # nothing is materialised while the hub waits for a source
    group_name="publication",
    automation_condition=FOLLOW_UPSTREAM,
    kinds={"duckdb"},
    owners=["team:analytics"],
    description="The analysts' database ($HUB_ANALYST_DB): the marts of the last build whose "
                "blocking checks passed, and marts.publicacion saying which cut-off that is "
                "and why a later build is not published.",
)
def analyst_database(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                     analyst_db: AnalystDatabaseResource) -> Iterator[dg.MaterializeResult]:
    if warehouse.is_postgres:
        context.log.info("On PostgreSQL analysts read schema marts with the hub_analyst role.")
        return
    with warehouse.connect(read_only=True) as con:
        decision = decide(con)
    copy_from = Path(warehouse.location) if decision.publishable else None
    state = write_analyst_database(analyst_db.path, decision, context.run.run_id, copy_from)
    if decision.waiting:
        context.log.info(f"Marts not published: {decision.reason}")
        return
    if decision.problems:
        raise dg.Failure(
            description=f"Marts not published: {decision.reason}\nAnalysts keep the marts of "
                        f"cut-off {state['fecha_corte']} published at {state['publicado_en']}.",
            metadata={"fecha_corte_pendiente": str(decision.cutoff)})
    context.log.info(f"published the marts of cut-off {decision.cutoff} to {analyst_db.path}")
    yield dg.MaterializeResult(metadata={
        "fecha_corte": str(decision.cutoff),
        "path": dg.MetadataValue.path(str(analyst_db.path)),
        "tables": len(MARTS) + 1,
    })
