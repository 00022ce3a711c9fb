"""End to end on the simulated year: what lands, what the hub computes, against the truth."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace

import pyarrow.parquet as pq
import pytest
from hub_env import run_dbt
from linkage import link_quality
from truth_check import alert_differences, indicator_differences

from penal_hub.contracts import feeds


def test_postgres_publishes_the_same_extract_as_duckdb(hub_settings, built_warehouse,
                                                       postgres_pipeline):
    """Same deliveries, same key: byte-identical XML and equal Parquet from either warehouse."""
    duck, pg = hub_settings.outbox_dir, postgres_pipeline.outbox_dir
    cutoffs = sorted(duck.glob("[0-9]*"))  # the published folders (links to revisions)
    assert cutoffs and [p.name for p in sorted(pg.glob("[0-9]*"))] == [p.name for p in cutoffs]
    for cutoff in cutoffs:
        xml = "estado_ejecucion.xml"
        assert (pg / cutoff.name / xml).read_bytes() == (cutoff / xml).read_bytes()
        parquet = "estado_ejecucion.parquet"
        assert pq.read_table(pg / cutoff.name / parquet).equals(pq.read_table(cutoff / parquet))


def test_every_complete_delivery_landed_and_reconciles(con, simulated, truth):
    rows = con.rows(
        "select source, fecha_corte, status, manifest_records, landed_records, quarantined_records "
        "from raw.deliveries where status = 'landed'")
    landed = {(s, f) for s, f, *_ in rows}
    expected = {(s, f) for s, dates in truth["deliveries"].items() for f in dates}
    assert landed == expected
    for source, fecha, _, manifest, n_landed, n_quarantined in rows:
        assert n_landed + n_quarantined == manifest, (source, fecha)
    assert sum(r[4] + r[5] for r in rows) == sum(truth["records"].values())
    incomplete = con.rows(
        "select source || '/' || fecha_corte from raw.deliveries where status = 'incomplete'")
    assert [row[0] for row in incomplete] == ["pj_resoluciones/2025-01-05"]


def test_quarantine_is_exactly_the_planted_bad_lines(con, truth):
    found = sorted(con.rows(
        "select source, fecha_corte, file, record_ordinal from raw.quarantine"))
    expected = sorted((q["source"], q["fecha_corte"], q["file"], q["line"]) for q in truth["quarantine"])
    assert found == expected


def test_indicators_equal_the_truth_on_every_cutoff(con, truth):
    assert indicator_differences(con, truth) == []


def test_alerts_equal_the_planted_discrepancies(con, simulated):
    result = alert_differences(con, simulated / "truth")
    assert result["missing"] == [] and result["unexpected"] == []
    assert set(result["found"]) == {
        "LIBERTAD_NO_EJECUTADA", "PRISION_PREVENTIVA_VENCIDA", "PENA_CUMPLIDA_SIN_EGRESO",
        "SITUACION_JURIDICA_DISCREPANTE", "INTERNO_SIN_MANDATO", "MANDATO_SIN_INGRESO"}


def test_person_links_against_the_truth(con, simulated):
    quality = link_quality(con, simulated / "truth")
    assert quality["precision"] >= 0.995 and quality["recall"] >= 0.995, quality
    assert quality["keys_with_two_documents"] == 0


def test_two_documents_are_never_one_person(con):
    merged = con.rows("""
        select c.persona_key
        from intermediate.int_person_crosswalk as c
        join intermediate.int_person_records as r using (fuente, fuente_id)
        where r.documento_id is not null
        group by c.persona_key
        having count(distinct r.documento_id) > 1""")
    assert merged == []


def test_corrections_and_redeliveries_count_once(con, truth):
    distinct = con.rows("select count(*) from interop.resolucion_judicial")[0][0]
    assert distinct == truth["court_resolutions"]["distinct"]
    corrected = con.rows("select count(*) from interop.resolucion_judicial where version = 2")[0][0]
    assert corrected == truth["court_resolutions"]["corrected"]


@pytest.mark.parametrize("engine", ["duckdb", "postgres"])
def test_dbt_unit_tests_pass(engine, request, tmp_path):
    """Every dbt unit test passes on both engines (`hub run` leaves them to this suite)."""
    # dbt reads the columns of the models its unit tests stand in for: a built warehouse.
    # On DuckDB a copy of it, since dbt opens it for writing while others read it.
    built = request.getfixturevalue("built_warehouse")
    settings = request.getfixturevalue("hub_settings" if engine == "duckdb" else "postgres_pipeline")
    warehouse = tmp_path / "warehouse" / "warehouse.duckdb"
    warehouse.parent.mkdir()
    shutil.copyfile(built, warehouse)
    run_dbt(replace(settings, warehouse=warehouse), "test", "--select", "test_type:unit",
            target_path=tmp_path)
    results = json.loads((tmp_path / "run_results.json").read_text())["results"]
    passed = sorted(r["unique_id"] for r in results if r["status"] == "pass")
    expected = json.loads((tmp_path / "manifest.json").read_text())["unit_tests"]
    assert passed == sorted(expected) and len(passed) >= 15


def test_every_check_passed(pipeline_report):
    assert all(pipeline_report["outcomes"].values()), pipeline_report


def test_dbt_reports_checks_not_observations_and_leaves_no_target(pipeline_report,
                                                                   dagster_instance):
    """Every dbt test the build ran came back as its asset's check (dagster-dbt records a
    test it cannot place as an observation, with a warning), and the build's own target
    folder is gone."""
    import dagster as dg

    from penal_hub.orchestration.transform.project import DBT_PROJECT_DIR

    runs = dagster_instance.get_runs()
    observations = [event for run in runs for event in dagster_instance.all_logs(
        run.run_id, of_type=dg.DagsterEventType.ASSET_OBSERVATION)]
    assert [e.dagster_event.asset_key for e in observations] == []
    checks = [event for run in runs for event in dagster_instance.all_logs(
        run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)]
    assert len(checks) > 250
    left = [path.name for run in runs
            for path in (DBT_PROJECT_DIR / "target").glob(f"hub_dbt_models-{run.run_id[:7]}-*")]
    assert left == []


def test_asset_graph_keys(hub_definitions):
    """A snapshot of the asset keys per group, so an accidental rename is caught."""
    graph = hub_definitions.defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    assert {f"raw/{t}" for t in ("pj_resoluciones", "inpe_internos", "inpe_movimientos",
                                 "inpe_actividades", "inpe_establecimientos",
                                 "inpe_medio_libre")} <= keys
    assert {"interop/persona", "interop/resolucion_judicial", "interop/episodio_custodia",
            "interop/situacion_juridica_historial", "interop/medida_medio_libre",
            "interop/establecimiento", "interop/expediente", "interop/delito",
            "marts/indicadores_politica", "marts/alertas_interoperabilidad"} <= keys
    # Lineage reaches back to the landing assets.
    persona_upstream = graph.get(
        __import__("dagster").AssetKey(["staging", "stg_pj__resoluciones"])).parent_keys
    assert __import__("dagster").AssetKey(["raw", "pj_resoluciones"]) in persona_upstream
    assert feeds.SOURCES
