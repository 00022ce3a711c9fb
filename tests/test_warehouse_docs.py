"""The warehouse documents itself where people and tools look: every table and column of
`interop` and `marts` carries its description as a comment, and so do the analysts'
database's tables (copied with the marts); dbt docs end in the exposures of what the hub
publishes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest

from penal_hub.orchestration.publish.extract import READS
from penal_hub.orchestration.transform.project import dbt_project


@pytest.mark.parametrize("schema", ["interop", "marts"])
def test_every_table_and_column_has_a_comment(built_warehouse, schema):
    with duckdb.connect(str(built_warehouse), read_only=True) as con:
        tables = con.execute("select table_name, comment from duckdb_tables() "
                             "where schema_name = ?", [schema]).fetchall()
        columns = con.execute("select table_name, column_name, comment from duckdb_columns() "
                              "where schema_name = ?", [schema]).fetchall()
    assert len(tables) >= 8
    assert [t for t, comment in tables if not (comment or "").strip()] == []
    assert [f"{t}.{c}" for t, c, comment in columns if not (comment or "").strip()] == []


def test_the_analysts_database_keeps_the_comments(hub_settings, built_warehouse):
    with duckdb.connect(str(hub_settings.analyst_db), read_only=True) as con:
        tables = con.execute("select table_name, comment from duckdb_tables() "
                             "where not internal").fetchall()
        uncommented = con.execute("select table_name || '.' || column_name from duckdb_columns() "
                                  "where not internal and coalesce(trim(comment), '') = ''"
                                  ).fetchall()
    assert len(tables) >= 10 and all((comment or "").strip() for _, comment in tables), tables
    assert uncommented == []


def test_the_marts_say_which_columns_are_never_null(hub_settings, built_warehouse,
                                                    hub_definitions):
    """A column the contract says is never null (a not_null constraint on the model) is NOT
    NULL in the warehouse and in the analysts' database, where their tools read the schema;
    the other columns stay nullable."""
    manifest = json.loads(dbt_project.manifest_path.read_text())  # as hub_definitions made it
    contracted = {(node["name"], column["name"])
                  for node in manifest["nodes"].values()
                  if node["resource_type"] == "model" and node["fqn"][1] == "marts"
                  for column in node["columns"].values()
                  if any(c["type"] == "not_null" for c in column.get("constraints", []))}
    assert len(contracted) >= 40
    for database in (built_warehouse, hub_settings.analyst_db):
        with duckdb.connect(str(database), read_only=True) as con:
            not_null = set(con.execute("select table_name, column_name from duckdb_columns() "
                                       "where schema_name = 'marts' and not is_nullable "
                                       "and table_name != 'publicacion'").fetchall())
        assert not_null == contracted, database


def test_the_exposures_name_what_the_extract_and_the_report_read(hub_definitions):
    """dbt docs' lineage ends in the extract and the analysts' report, each exposure listing
    exactly the models its code reads, so a change to either shows in the docs."""
    manifest = json.loads(dbt_project.manifest_path.read_text())  # as hub_definitions made it
    reads = {e["name"]: {node.rsplit(".", 1)[-1] for node in e["depends_on"]["nodes"]}
             for e in manifest["exposures"].values()}
    report_source = (Path(__file__).resolve().parents[1] / "penal_hub" / "orchestration" / "publish" / "report_html.py").read_text()
    assert reads == {
        "estado_ejecucion_extract": {key.path[-1] for key in READS},
        "analyst_report": set(re.findall(r"\bmarts\.(\w+)", report_source)),
    }
