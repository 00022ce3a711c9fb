"""No name and no document number in schema `marts` (docs/outputs.md, section 1).

Analysts see persons only as pseudonymous keys. These tests look at what the marts
hold, whatever the models meant to hold: every column of every table and view,
against every document number and name the hub knows (interop.persona).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb
import pytest

from penal_hub.core.warehouse import connect

# Column names that announce personal data (nombre_ep would too: call it establecimiento).
PERSONAL_COLUMN = re.compile(r"nombre|apellido|documento|dni|pasaporte", re.IGNORECASE)


@pytest.fixture(scope="module", params=["warehouse", "analysts' database"])
def con(request, built_warehouse: Path, hub_settings):
    """An in-memory session with the warehouse attached read-only as `wh` (the scan needs
    temp tables), and `marts`: the warehouse's schema, or the analysts' own database."""
    with duckdb.connect() as connection:
        connection.execute(f"attach '{built_warehouse}' as wh (read_only)")
        if request.param == "warehouse":
            connection.execute("create view marts_catalog as select 'wh' as name")
        else:
            connection.execute(f"attach '{hub_settings.analyst_db}' as analyst (read_only)")
            connection.execute("create view marts_catalog as select 'analyst' as name")
        yield connection


def marts_catalog(con: duckdb.DuckDBPyConnection) -> str:
    return con.execute("select name from marts_catalog").fetchone()[0]


def marts_columns(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    return con.execute(
        "select table_name, column_name from information_schema.columns "
        "where table_catalog = ? and table_schema = 'marts' "
        "order by table_name, ordinal_position", [marts_catalog(con)]
    ).fetchall()


def test_the_analysts_database_holds_the_marts_and_nothing_else(built_warehouse, hub_settings):
    with duckdb.connect(str(hub_settings.analyst_db), read_only=True) as analyst:
        schemas = {s for (s,) in analyst.execute(
            "select distinct table_schema from information_schema.tables").fetchall()}
        tables = {t for (t,) in analyst.execute(
            "select table_name from information_schema.tables").fetchall()}
    with duckdb.connect(str(built_warehouse), read_only=True) as warehouse:
        marts = {t for (t,) in warehouse.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()}
    assert schemas == {"marts"}
    assert tables == marts | {"publicacion"} and len(marts) >= 9


def test_marts_are_there_to_scan(con: duckdb.DuckDBPyConnection) -> None:
    tables = {t for t, _ in marts_columns(con)}
    assert {
        "indicadores_politica",
        "alertas_interoperabilidad",
        "poblacion_por_establecimiento",
    } <= tables


def test_no_column_is_named_like_a_name_or_document(con: duckdb.DuckDBPyConnection) -> None:
    named = [f"{t}.{c}" for t, c in marts_columns(con) if PERSONAL_COLUMN.search(c)]
    assert not named, f"columns named like personal data in marts: {named}"


def test_no_name_or_document_number_in_any_value(con: duckdb.DuckDBPyConnection) -> None:
    every_value = " union all ".join(
        f"select '{t}' as tabla, '{c}' as columna, cast(\"{c}\" as varchar) as valor "
        f'from {marts_catalog(con)}.marts."{t}" where "{c}" is not null'
        for t, c in marts_columns(con)
    )
    con.execute(f"create temp table marts_values as select distinct * from ({every_value})")
    con.execute("""
        create temp table known_names as
        select distinct upper(strip_accents(trim(name))) as name
        from wh.interop.persona,
             unnest([apellido_paterno, apellido_materno, nombres]) as t(name)
        where nullif(trim(name), '') is not null""")
    con.execute("""
        create temp table known_documents as
        select distinct numero_documento as document
        from wh.interop.persona where nullif(trim(numero_documento), '') is not null""")
    [(names, documents)] = con.execute(
        "select (select count(*) from known_names), (select count(*) from known_documents)"
    ).fetchall()
    assert names and documents, "interop.persona is empty: the scan would prove nothing"

    # Report where, never what: the test output must not leak the personal data itself.
    leaks = con.execute("""
        select v.tabla, v.columna, 'name' as kind, count(*) as n
        from marts_values as v
        inner join known_names as k on upper(strip_accents(trim(v.valor))) = k.name
        group by all
        union all
        select v.tabla, v.columna, 'document', count(distinct v.valor)
        from marts_values as v
        inner join known_documents as d on contains(v.valor, d.document)
        -- A pseudonymous key is 64 hex digits: by chance one can hold a run of 8 digits.
        where v.valor not in (select persona_key from wh.interop.persona)
        group by all
        order by 1, 2""").fetchall()
    assert not leaks, f"personal data in marts (table, column, kind, values): {leaks}"


def tables_holding(con, text: str) -> list[str]:
    """Every table or view (outside raw) with a row whose text holds `text`, on either engine."""
    tables = con.rows("select table_schema, table_name from information_schema.tables where "
                      "table_schema not in ('raw', 'pg_catalog', 'information_schema')")
    assert len(tables) > 30  # the scan reached the hub's schemas
    return [f"{schema}.{table}" for schema, table in tables
            if con.rows(f'select count(*) from "{schema}"."{table}" as t '
                        "where cast(t as text) like $1", [f"%{text}%"]) != [(0,)]]


def test_pseudonym_key_never_leaves_the_process(built_warehouse, dagster_instance, hub_settings):
    """The HMAC key is in no event log, no metadata, no dbt log or compiled SQL, no table."""
    key = hub_settings.pseudonym_key  # the tests' own key (hub_env.hub_settings)
    assert key.startswith("test-pseudonym-key")
    runs = dagster_instance.get_runs()
    assert runs
    for run in runs:
        for entry in dagster_instance.all_logs(run.run_id):
            assert key not in repr(entry), run.run_id
    dbt_dir = Path(__file__).resolve().parents[1] / "penal_hub" / "dbt_project"
    for folder in (dbt_dir / "target", dbt_dir / "logs", hub_settings.data_dir):
        for path in folder.rglob("*"):
            if path.is_file() and path.suffix != ".duckdb":
                assert key.encode() not in path.read_bytes(), path
    with connect(str(built_warehouse), read_only=True) as con:
        assert tables_holding(con, key) == []


def test_pseudonym_key_is_in_no_postgres_table_or_function(postgres_pipeline) -> None:
    """On PostgreSQL the key is a session setting: no table, view or function body holds it."""
    key = postgres_pipeline.pseudonym_key
    assert key.startswith("test-pseudonym-key")
    with connect(postgres_pipeline.warehouse_location, read_only=True) as con:
        assert tables_holding(con, key) == []
        assert con.rows("select count(*) from pg_proc where prosrc like $1", [f"%{key}%"]) == [(0,)]
        assert con.rows("select count(*) from pg_proc where proname = 'hub_pseudonym'") == [(1,)]


ANALYST_DENIED = [
    "select count(*) from interop.persona",
    "select count(*) from extracto.extracto_estado_ejecucion",  # names persons
    "select count(*) from raw.pj_resoluciones",
    "select count(*) from staging.stg_pj__resoluciones",
    "select count(*) from audit.check_verdicts",
    "select count(*) from marts_build.indicadores_politica",  # the build, before the gates
    "delete from marts.indicadores_politica",
    "update marts.alertas_interoperabilidad set detalle = ''",
    "create table marts.scratch (x integer)",
    "drop table marts.indicadores_politica",
]


def test_analysts_only_read_the_marts_on_postgres(postgres_pipeline) -> None:
    """An analyst's login (role hub_analyst, deploy/postgres/setup.sql) reads every mart
    published, and is refused on every other schema (the marts' build too) and on any
    write."""
    from adbc_driver_manager import ProgrammingError

    url = postgres_pipeline.warehouse_location
    with connect(url) as admin:
        admin.execute("CREATE ROLE analista LOGIN IN ROLE hub_analyst")
        marts = {t: admin.rows(f"select count(*) from marts.{t}")[0][0] for (t,) in admin.rows(
            "select table_name from information_schema.tables where table_schema = 'marts'")}
    assert len(marts) >= 8 and marts["indicadores_politica"] > 0
    with connect(url.replace("postgres@", "analista@", 1)) as analyst:
        assert {t: analyst.rows(f"select count(*) from marts.{t}")[0][0] for t in marts} == marts
        for statement in ANALYST_DENIED:
            with pytest.raises(ProgrammingError, match="permission denied|must be owner"):
                analyst.execute(statement)
    with connect(url) as admin:
        assert admin.rows("select count(*) from marts.indicadores_politica")[0][0] == marts[
            "indicadores_politica"]


# The extract's columns that single out a person; its names are the marts scan's business.
EXTRACT_PERSON_IDENTIFIERS = ["id_persona", "numero_documento", "id_interno", "ml_id_caso"]


def test_the_extract_and_the_marts_share_no_person_identifier(con, hub_settings) -> None:
    """A leaked extract (it names persons) joins no mart: no value of a person identifier
    of one is a value of any column of the other, alerts' and waiting orders' fields
    included."""
    from penal_hub.core.pseudonyms import extract_person_ids

    [parquet] = sorted(hub_settings.outbox_dir.glob("*/estado_ejecucion.parquet"))[-1:]
    con.execute(f"create temp view extract as select * from read_parquet('{parquet}')")
    nested = ("alertas", "ordenes_en_espera")
    extract_columns = [("extract", c) for (c,) in con.execute(
        "select column_name from (describe extract) where not list_contains($1, column_name)",
        [list(nested)]).fetchall()]
    for column in nested:
        con.execute(f"create temp view extract_{column} as select unnest({column}, "
                    "recursive := true) from extract")
        extract_columns += [(f"extract_{column}", c) for (c,) in con.execute(
            f"select column_name from (describe extract_{column})").fetchall()]
    marts = [(f'{marts_catalog(con)}.marts."{t}"', c) for t, c in marts_columns(con)]
    persons_of_marts = [(t, c) for t, c in marts if c == "persona_key"]
    persons_of_extract = [("extract", c) for c in EXTRACT_PERSON_IDENTIFIERS]
    assert persons_of_marts and {c for _, c in extract_columns} >= set(EXTRACT_PERSON_IDENTIFIERS)

    def shared(a: tuple[str, str], b: tuple[str, str]) -> int:
        return con.execute(
            f'select count(*) from (select cast("{a[1]}" as varchar) as v from {a[0]} '
            f'intersect select cast("{b[1]}" as varchar) from {b[0]}) where v is not null'
        ).fetchone()[0]

    joins = [(a, b, n) for a in persons_of_extract for b in marts if (n := shared(a, b))]
    joins += [(a, b, n) for a in persons_of_marts for b in extract_columns if (n := shared(a, b))]
    assert not joins, f"columns that join the extract to the marts (values in common): {joins}"

    # Each person's identifier is keyed apart from, and stable with, the marts' key.
    key = hub_settings.pseudonym_key.encode()
    keyed = set(extract_person_ids((k for (k,) in con.execute(
        "select persona_key from wh.interop.persona").fetchall()), key).values())
    ids = {i for (i,) in con.execute("select distinct id_persona from extract").fetchall()}
    assert ids and ids <= keyed


def test_dbt_profile_of_the_hub_holds_no_secret(postgres_pipeline) -> None:
    """The profile the hub writes for dbt names the server, not the password or the key
    (dbt's process gets them in its environment), and only its owner may read it."""
    from urllib.parse import urlsplit

    import yaml

    profile = postgres_pipeline.data_dir / "dbt" / "profiles.yml"
    text = profile.read_text()
    written = yaml.safe_load(text)["penal_hub"]
    assert written["target"] == "postgres"
    postgres = written["outputs"]["postgres"]
    assert postgres["host"] == urlsplit(postgres_pipeline.postgres_url).hostname
    assert postgres["password"] == "{{ env_var('HUB_PG_PASSWORD', '') }}"  # looked up
    assert postgres_pipeline.pseudonym_key not in text
    assert profile.stat().st_mode & 0o077 == 0


def test_dbt_without_the_key_refuses_to_key_persons(built_warehouse, tmp_path) -> None:
    """The README's stand-alone dbt commands, run without HUB_PSEUDONYM_KEY, fail where
    persons are keyed instead of re-keying them under some default."""
    import shutil
    import subprocess
    import sys

    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(built_warehouse, copy)
    with connect(str(copy), read_only=True) as con:
        before = con.rows("select fuente, fuente_id, persona_key from "
                          "intermediate.int_person_crosswalk order by 1, 2")
    project = Path(__file__).resolve().parents[1] / "penal_hub" / "dbt_project"
    env = {name: value for name, value in os.environ.items() if name != "HUB_PSEUDONYM_KEY"}
    env.update(HUB_WAREHOUSE=str(copy), HUB_DBT_TARGET="duckdb")
    done = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "run", "--select", "int_person_crosswalk",
         "--project-dir", str(project), "--profiles-dir", str(project),
         "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
        env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode != 0, done.stdout[-3000:]
    assert "HUB_PSEUDONYM_KEY is not set" in done.stdout, done.stdout[-3000:]
    with connect(str(copy), read_only=True) as con:
        assert con.rows("select fuente, fuente_id, persona_key from "
                        "intermediate.int_person_crosswalk order by 1, 2") == before
