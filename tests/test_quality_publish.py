"""Quality gates and the extract for the Poder Judicial, on a copy of a built warehouse.

Checks and publication run through `dagster.materialize` with the real resources; the
dbt models they read are stand-in AssetSpecs (already built in the copied warehouse: a
DuckDB file, or for the tests that take `gate_warehouse` as "postgres", a copy of the
PostgreSQL database the session built). Set HUB_TEST_WAREHOUSE to a built DuckDB file to
skip building one.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import pyarrow.parquet as pq
import pytest
from adbc_driver_manager import ProgrammingError
from hub_env import TEST_PSEUDONYM_KEY
from lxml import etree
from postgres_server import clone_database, drop_database, login_url
from validators import VALIDATORS, hub_verify_extract

from penal_hub.contracts.expectations.suites import Suite, at_most, expect, not_null, when
from penal_hub.core.warehouse import MARTS_BUILD, connect, is_postgres
from penal_hub.orchestration.publish import extract_xml, marts
from penal_hub.orchestration.publish.extract import (
    MANIFEST_FILE,
    PARQUET_FILE,
    estado_ejecucion_extract,
)
from penal_hub.orchestration.publish.extract_xml import NAMESPACE, XML_FILE, XSD_PATH
from penal_hub.orchestration.publish.marts import MARTS, analyst_database, publication_state
from penal_hub.orchestration.publish.outbox import REVISIONS_DIR, revisions
from penal_hub.orchestration.quality.assets import quality_gates
from penal_hub.orchestration.quality.checks import (
    BLOCKING_CHECKS,
    DELIVERIES_RECONCILED,
    ESTABLECIMIENTO_VALID,
    MEDIDA_MEDIO_LIBRE_VALID,
    Verdict,
    latest_cutoff,
)
from penal_hub.orchestration.quality.gate import Decision, gate
from penal_hub.orchestration.quality.report import summaries, validation_dir
from penal_hub.orchestration.resources import (
    AnalystDatabaseResource,
    OutboxResource,
    PseudonymKey,
    ReportsResource,
    WarehouseResource,
)

PUBLICATIONS = [estado_ejecucion_extract, analyst_database]
UPSTREAM = [dg.AssetSpec(key) for key in sorted(
    {k for asset in PUBLICATIONS for k in asset.dependency_keys}, key=str)]


@pytest.fixture
def gate_warehouse(tmp_path, request) -> Iterator[Path | str]:
    """A private copy of a built warehouse: HUB_TEST_WAREHOUSE if set, else `built_warehouse`;
    with the parameter "postgres", a copy of the session's PostgreSQL database (its URL)."""
    if getattr(request, "param", "duckdb") == "postgres":
        url = request.getfixturevalue("postgres_pipeline").warehouse_location
        copy = clone_database(url, "hub_gate")
        yield copy
        drop_database(copy)
        return
    source = os.environ.get("HUB_TEST_WAREHOUSE") or request.getfixturevalue("built_warehouse")
    copy = tmp_path / "warehouse.duckdb"
    shutil.copyfile(source, copy)
    yield copy


@pytest.fixture
def analysts(resources, gate_warehouse) -> Path | str:
    """Where analysts read: the analysts' file, or the PostgreSQL database as a login of
    the role hub_analyst (deploy/postgres/setup.sql)."""
    if is_postgres(str(gate_warehouse)):
        return login_url(str(gate_warehouse), "lectora", member_of="hub_analyst")
    return resources["analyst_db"].path


@pytest.fixture
def resources(gate_warehouse, tmp_path) -> dict:
    return {"warehouse": WarehouseResource(location=str(gate_warehouse)),
            "outbox": OutboxResource(root=str(tmp_path / "outbox")),
            "analyst_db": AnalystDatabaseResource(root=str(tmp_path / "analyst.duckdb")),
            "reports": ReportsResource(root=str(tmp_path / "data" / "reports")),
            "pseudonym_key": PseudonymKey(TEST_PSEUDONYM_KEY)}


def run_checks(resources: dict, *names: str) -> dg.ExecuteInProcessResult:
    """Run the quality checks (all, or the named ones); a failing check does not raise."""
    selection = (dg.AssetSelection.checks(*[k for k in quality_gates.check_keys if k.name in names])
                 if names else dg.AssetSelection.all_asset_checks())
    return dg.materialize([*UPSTREAM, quality_gates], resources=resources, selection=selection,
                          raise_on_error=False)


def run_publish(resources: dict) -> dg.ExecuteInProcessResult:
    """Publish the extract and the analysts' marts, as the run after the checks does."""
    return dg.materialize([*UPSTREAM, *PUBLICATIONS], resources=resources,
                          selection=[asset.key for asset in PUBLICATIONS], raise_on_error=False)


def analysts_see(location: Path | str) -> dict[str, list[str]]:
    """Every mart as analysts read it (`analysts`): its rows, each as Python spells its
    values (type and scale included), in a fixed order."""
    with connect(str(location), read_only=True) as con:
        return {key.path[-1]: sorted(map(repr, con.rows(f'SELECT * FROM marts."{key.path[-1]}"')))
                for key in MARTS}


def evaluations(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def failure_message(result: dg.ExecuteInProcessResult) -> str:
    return "\n".join(e.step_failure_data.error.message for e in result.get_step_failure_events())


def sql(warehouse: Path | str, statement: str, *params) -> list[tuple]:
    with connect(str(warehouse)) as con:
        return con.rows(statement, params)


def outbox_hashes(outbox: Path) -> dict[str, str]:
    """sha256 of every file under the outbox, hidden temporary folders included."""
    return {str(p.relative_to(outbox)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(outbox.rglob("*")) if p.is_file()}


def published(resources: dict) -> Path:
    """Run the checks and publish; return the extract's folder."""
    checks = run_checks(resources)
    assert all(e.passed for e in evaluations(checks).values() if e.check_name in BLOCKING_CHECKS), \
        {n: e.metadata.get("failures") for n, e in evaluations(checks).items() if not e.passed}
    result = run_publish(resources)
    assert result.success, failure_message(result)
    return Path(result.asset_materializations_for_node(
        estado_ejecucion_extract.op.name)[0].metadata["folder"].value)


@pytest.mark.parametrize("gate_warehouse", ["duckdb", "postgres"], indirect=True)
def test_a_failing_blocking_check_publishes_nothing_until_fixed(resources, gate_warehouse,
                                                                analysts):
    """On DuckDB analysts read their own file; on PostgreSQL, as the role hub_analyst, the
    warehouse's schema marts, while dbt builds the marts into another schema."""
    outbox = Path(resources["outbox"].root)
    engine = "postgres" if is_postgres(str(gate_warehouse)) else "duckdb"
    first = published(resources)
    first_run = json.loads((first / MANIFEST_FILE).read_text())["run_id"]
    before = outbox_hashes(outbox)
    marts_before = analysts_see(analysts)
    assert marts_before["indicadores_politica"] and publication_state(analysts)["estado"] == \
        "publicado"
    # The next build changes a mart: analysts must not see it while the gates block it.
    sql(gate_warehouse, f"DELETE FROM {MARTS_BUILD[engine]}.alertas_interoperabilidad")

    # One more record in a manifest than the hub landed or quarantined.
    (delivery_id,) = sql(gate_warehouse, "SELECT min(delivery_id) FROM raw.deliveries "
                                         "WHERE status = 'landed'")[0]
    sql(gate_warehouse, "UPDATE raw.deliveries SET manifest_records = manifest_records + 1 "
                        "WHERE delivery_id = $1", delivery_id)
    checks = run_checks(resources)
    reconciled = evaluations(checks)[DELIVERIES_RECONCILED]
    assert not reconciled.passed and reconciled.severity == dg.AssetCheckSeverity.ERROR
    assert delivery_id in reconciled.metadata["failures"].value

    # Publication alone (a later run, as the UI or automation would start it) refuses.
    refused = run_publish(resources)
    assert not refused.success
    assert DELIVERIES_RECONCILED in failure_message(refused)
    assert not refused.asset_materializations_for_node(estado_ejecucion_extract.op.name)
    assert not refused.asset_materializations_for_node(analyst_database.op.name)
    assert outbox_hashes(outbox) == before
    assert analysts_see(analysts) == marts_before  # the last validated marts, unchanged
    state = publication_state(analysts)
    assert state["estado"] == "bloqueado" and DELIVERIES_RECONCILED in state["motivo"]
    assert state["fecha_corte"] == date.fromisoformat(first.name)
    assert state["run_id_publicacion"] == first_run

    sql(gate_warehouse, "UPDATE raw.deliveries SET manifest_records = manifest_records - 1 "
                        "WHERE delivery_id = $1", delivery_id)
    again = published(resources)
    assert again == first
    assert json.loads((again / MANIFEST_FILE).read_text())["run_id"] != first_run
    assert publication_state(analysts)["estado"] == "publicado"
    assert analysts_see(analysts)["alertas_interoperabilidad"] == []  # the new build, now
    # Revision 2 beside revision 1; readers open the stable path, which is revision 2.
    assert sorted(p.name for p in outbox.iterdir()) == [first.name, REVISIONS_DIR]
    assert revisions(outbox, date.fromisoformat(first.name)) == [1, 2]
    assert json.loads((again / MANIFEST_FILE).read_text())["revision"] == 2
    assert again.resolve().name == "2"
    # The validation index lists the three runs of the gates, newest first, with verdicts.
    runs = summaries(validation_dir(resources["reports"].path))
    assert [s.veredicto != "bloqueado" for s in runs] == [True, False, True]
    assert runs[1].run_id in (validation_dir(resources["reports"].path) / "index.html").read_text()
    if engine == "postgres":
        assert_published_on_postgres(analysts)
        return
    # Each revision checks out from its own folder: the receiver's check (sha256s, records,
    # the XML and its gzip valid against the XSD beside them), then libxml2 and the JDK.
    for revision in (1, 2):
        folder = outbox / REVISIONS_DIR / first.name / str(revision)
        checked = hub_verify_extract(folder)
        assert checked.returncode == 0 and f"revision {revision}:" in checked.stdout, \
            checked.stderr
        for name, validate in VALIDATORS.items():
            outcome = validate(folder / XSD_PATH.name, folder / XML_FILE)
            assert outcome.returncode == 0, (revision, name, outcome.stderr)
    analyst_db = resources["analyst_db"].path
    assert not list(analyst_db.parent.glob(".*partial*"))  # no temporary file left


def assert_published_on_postgres(analysts: str) -> None:
    """The build is the hub's alone, and the publication left no temporary table: what
    analysts read in marts is every mart, with its comment, and marts.publicacion."""
    with connect(analysts) as analyst:
        with pytest.raises(ProgrammingError, match="permission denied"):
            analyst.rows(f"SELECT count(*) FROM {MARTS_BUILD['postgres']}.indicadores_politica")
        published_tables = dict(analyst.rows(
            "SELECT c.relname, obj_description(c.oid, 'pg_class') FROM pg_class AS c "
            "JOIN pg_namespace AS n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'marts' AND c.relkind = 'r'"))
    assert published_tables.keys() == {key.path[-1] for key in MARTS} | {"publicacion"}
    assert all(published_tables.values()), published_tables  # their comments came along


@pytest.mark.parametrize("gate_warehouse", ["postgres"], indirect=True)
def test_the_postgres_swap_waits_for_analysts_reading_the_old_marts(gate_warehouse, analysts,
                                                                    monkeypatch):
    """While an analyst's transaction still reads the old marts, the swap waits for it in
    short tries, so other analysts' statements keep running meanwhile, on the old marts;
    once that transaction ends, the new marts are in."""
    monkeypatch.setattr(marts, "SWAP_LOCK_TIMEOUT", "200ms")
    monkeypatch.setattr(marts, "SWAP_PAUSE_S", 0.05)
    count = "SELECT count(*) FROM marts.alertas_interoperabilidad"
    sql(gate_warehouse, "DELETE FROM marts_build.alertas_interoperabilidad")  # the next build
    with connect(str(gate_warehouse), read_only=True) as con:
        publishable = Decision(latest_cutoff(con), {}, [], [])
    with connect(analysts) as reading, connect(analysts) as other, \
            ThreadPoolExecutor(1) as pool:
        reading.execute("BEGIN")
        (old,) = reading.rows(count)[0]
        swap = pool.submit(marts.write_analyst_database, gate_warehouse, publishable, "run-swap",
                           gate_warehouse)
        time.sleep(1)
        assert not swap.done()
        assert other.rows(count) == [(old,)] and old > 0
        reading.execute("COMMIT")
        assert swap.result(timeout=60)["estado"] == "publicado"
        assert other.rows(count) == [(0,)]
    assert publication_state(analysts)["run_id_publicacion"] == "run-swap"


@pytest.mark.parametrize("left_behind", [".tmp-2", "2"])
def test_a_republication_killed_before_its_switch_leaves_the_last_one_readable(
        resources, left_behind):
    """What a kill leaves between two steps: revision 2 half-written (`.tmp-2`) or whole but
    not yet switched to (`2`). Readers still get revision 1 whole; the next publication
    removes the leftover and publishes revision 2."""
    outbox = Path(resources["outbox"].root)
    first = published(resources)
    cutoff = date.fromisoformat(first.name)
    leftover = outbox / REVISIONS_DIR / first.name / left_behind
    leftover.mkdir()
    (leftover / XML_FILE).write_bytes((first / XML_FILE).read_bytes()[:100])
    assert first.resolve().name == "1"
    assert_no_partial_extract(first)
    again = published(resources)
    assert again.resolve().name == "2" and revisions(outbox, cutoff) == [1, 2]
    assert not leftover.with_name(".tmp-2").exists()
    assert_no_partial_extract(again)


def assert_no_partial_extract(folder: Path) -> None:
    """The folder holds exactly the files its manifest lists, with their sha256."""
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    assert {f["name"] for f in manifest["files"]} | {MANIFEST_FILE} == \
        {p.name for p in folder.iterdir()}
    for entry in manifest["files"]:
        assert entry["sha256"] == hashlib.sha256((folder / entry["name"]).read_bytes()).hexdigest()


def test_the_published_extract_validates_and_its_files_agree(resources):
    """A receiver needs nothing but the folder: the manifest names the schema version and
    the XSD shipped beside the files, the XML points to it, the sha256s and record counts
    agree, and the Parquet file says what it is in its own metadata."""
    folder = published(resources)
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    assert manifest["schema_version"] == extract_xml.SCHEMA_VERSION
    assert manifest["xsd"] == XSD_PATH.name and (folder / XSD_PATH.name).is_file()
    # Valid against the XSD in the folder, in the validators receivers use.
    for name, validate in VALIDATORS.items():
        outcome = validate(folder / manifest["xsd"], folder / XML_FILE)
        assert outcome.returncode == 0, (name, outcome.stderr)

    root = etree.parse(str(folder / XML_FILE)).getroot()
    assert root.get(f"{{{extract_xml.XSI_NAMESPACE}}}schemaLocation") == \
        f"{NAMESPACE} {XSD_PATH.name}"
    subjects = root.findall(f"{{{NAMESPACE}}}Expediente/{{{NAMESPACE}}}Sujeto")
    rows = pq.read_table(folder / PARQUET_FILE)
    assert len(subjects) == rows.num_rows > 0
    for entry in manifest["files"]:
        assert entry["sha256"] == hashlib.sha256((folder / entry["name"]).read_bytes()).hexdigest()
        assert entry["records"] == (None if entry["name"] == XSD_PATH.name else rows.num_rows)
    assert manifest["fecha_corte"] == folder.name and manifest["revision"] == 1
    assert manifest["source_deliveries"] and all(":" in d for d in manifest["source_deliveries"])
    assert {c["check_name"] for c in manifest["checks"] if c["passed"]} >= set(BLOCKING_CHECKS)
    assert rows.column("numero_documento").null_count < rows.num_rows  # it carries documents
    metadata = {k.decode(): v.decode() for k, v in rows.schema.metadata.items()}
    assert metadata["schema_version"] == manifest["schema_version"]
    assert metadata["fecha_corte"] == folder.name and metadata["revision"] == "1"
    assert json.loads(metadata["source_deliveries"]) == manifest["source_deliveries"]


def test_every_delivered_record_is_canonical_or_quarantined(gate_warehouse):
    """Per landed delivery: manifest = rows in raw + rows in raw.quarantine, and every raw
    resolution, registry row and medio libre version reached the canonical schema."""
    counted = sql(gate_warehouse, """
        WITH present AS (
            SELECT _delivery_id AS delivery_id, count(*) AS n FROM raw.pj_resoluciones GROUP BY 1
            UNION ALL SELECT _delivery_id, count(*) FROM raw.inpe_internos GROUP BY 1
            UNION ALL SELECT _delivery_id, count(*) FROM raw.inpe_movimientos GROUP BY 1
            UNION ALL SELECT _delivery_id, count(*) FROM raw.inpe_actividades GROUP BY 1
            UNION ALL SELECT _delivery_id, count(*) FROM raw.inpe_establecimientos GROUP BY 1
            UNION ALL SELECT _delivery_id, count(*) FROM raw.inpe_medio_libre GROUP BY 1
            UNION ALL SELECT delivery_id, count(*) FROM raw.quarantine GROUP BY 1
        )
        SELECT d.delivery_id, d.manifest_records, d.landed_records + d.quarantined_records,
               coalesce(sum(p.n), 0)
        FROM raw.deliveries AS d LEFT JOIN present AS p USING (delivery_id)
        WHERE d.status = 'landed' GROUP BY ALL ORDER BY 1""")
    assert counted, "no landed delivery"
    unreconciled = [row for row in counted if not row[1] == row[2] == row[3]]
    assert not unreconciled, \
        f"(delivery, manifest, landed + quarantined, rows present): {unreconciled}"

    not_canonical = sql(gate_warehouse, """
        SELECT r._delivery_id, count(*) FROM raw.pj_resoluciones AS r
        WHERE NOT EXISTS (SELECT 1 FROM interop.resolucion_judicial AS j
                          WHERE j.resolucion_id = r.id)
        GROUP BY 1
        UNION ALL
        SELECT r._delivery_id, count(*) FROM raw.inpe_internos AS r
        JOIN raw.deliveries AS d ON d.delivery_id = r._delivery_id
        WHERE NOT EXISTS (SELECT 1 FROM interop.situacion_juridica_historial AS h
                          WHERE h.id_interno = r.id_interno
                            AND h.fecha_corte = CAST(d.fecha_corte AS DATE))
        GROUP BY 1
        UNION ALL
        SELECT r._delivery_id, count(*) FROM raw.inpe_medio_libre AS r
        WHERE NOT EXISTS (SELECT 1 FROM interop.medida_medio_libre_version AS v
                          WHERE v.id_caso = r.id_caso AND v.version = CAST(r.version AS INTEGER))
        GROUP BY 1""")
    assert not not_canonical, f"raw records missing from the canonical schema: {not_canonical}"


def test_row_rule_failures_are_quarantined_and_do_not_block(resources, gate_warehouse):
    sql(gate_warehouse, "UPDATE interop.medida_medio_libre SET jornadas_cumplidas = "
                        "jornadas_impuestas + 5 WHERE id_caso = (SELECT min(id_caso) FROM "
                        "interop.medida_medio_libre WHERE jornadas_impuestas IS NOT NULL)")
    result = run_checks(resources)
    medio_libre = evaluations(result)[MEDIDA_MEDIO_LIBRE_VALID]
    assert not medio_libre.passed and medio_libre.severity == dg.AssetCheckSeverity.WARN
    assert medio_libre.metadata["failing_rows"].value == 1
    report = Path(medio_libre.metadata["report"].value.removeprefix("file://"))
    assert MEDIDA_MEDIO_LIBRE_VALID in report.read_text()

    quarantined = sql(gate_warehouse, "SELECT reason, row_data FROM audit.quarantine_rows "
                                      "WHERE run_id = ? AND check_name = ?",
                      result.run_id, MEDIDA_MEDIO_LIBRE_VALID)
    assert len(quarantined) == 1
    reason, row = quarantined[0]
    assert "jornadas_cumplidas" in reason
    assert json.loads(row)["jornadas_cumplidas"] == json.loads(row)["jornadas_impuestas"] + 5
    assert json.loads(row)["persona_key"]  # the whole row, not only the columns checked
    assert run_publish(resources).success  # a warning, not a gate


def test_a_check_that_gx_cannot_evaluate_is_an_error_not_bad_data(resources, gate_warehouse):
    sql(gate_warehouse, "ALTER TABLE interop.establecimiento DROP COLUMN capacidad_albergue")
    result = run_checks(resources, ESTABLECIMIENTO_VALID, DELIVERIES_RECONCILED)
    assert not result.success
    assert "capacidad_albergue" in failure_message(result)
    assert ESTABLECIMIENTO_VALID not in evaluations(result)  # no pass, no "bad data"
    assert evaluations(result)[DELIVERIES_RECONCILED].passed
    ((passed, details),) = sql(gate_warehouse, "SELECT passed, details FROM audit.check_verdicts "
                                               "WHERE run_id = ? AND check_name = ?",
                               result.run_id, ESTABLECIMIENTO_VALID)
    assert not passed and json.loads(details)["status"] == "error"


def test_a_suite_reads_only_the_columns_its_expectations_read():
    conditional = Suite(("interop", "x"), "row", "", "SELECT * FROM interop.x", (
        not_null("a"), at_most("b", "c"),
        expect("column_values_to_be_between", column="d", min_value=1, **when("e", "X"))))
    assert conditional.columns == ("a", "c", "b", "d", "e")
    assert conditional.columns_query == ('SELECT "a", "c", "b", "d", "e" FROM '
                                         "(SELECT * FROM interop.x) AS batch")
    # An expectation on the table's shape reads every column: the whole batch.
    shape = Suite(("interop", "x"), "batch", "", "SELECT * FROM interop.x", (
        not_null("a"), expect("table_columns_to_match_set", column_set=["a"])))
    assert shape.columns is None and shape.columns_query == shape.query


def test_the_gate_wants_a_passing_verdict_newer_than_the_data():
    cutoff, now = date(2024, 12, 31), datetime(2026, 1, 1, tzinfo=UTC)

    def verdict(name: str, passed: bool = True, at: datetime = now) -> Verdict:
        return Verdict(name, passed, "run-1", at, {"status": "passed" if passed else "failed"})

    every = {name: verdict(name) for name in BLOCKING_CHECKS}
    assert gate(every, cutoff, now - timedelta(hours=1)) == []
    assert gate({}, cutoff, None) == [f"{n}: no verdict for cut-off 2024-12-31; run the quality "
                                      "checks" for n in BLOCKING_CHECKS]
    failed = {**every, DELIVERIES_RECONCILED: verdict(DELIVERIES_RECONCILED, passed=False)}
    assert [p.split(":")[0] for p in gate(failed, cutoff, None)] == [DELIVERIES_RECONCILED]
    stale = gate(every, cutoff, now + timedelta(minutes=1))
    assert len(stale) == len(BLOCKING_CHECKS) and "run the checks again" in stale[0]
