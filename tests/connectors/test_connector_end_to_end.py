"""All connectors on a simulated landing zone: everything lands and reconciles with the truth."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from penal_hub.connectors import land_all
from penal_hub.contracts import feeds
from penal_hub.contracts.feeds import SOURCE_TABLES
from penal_hub.simulator import simulate


@pytest.fixture(scope="session")
def simulated_zone(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("connectors-sim")
    simulate(0.02, 3, out)
    return out / "landing", json.loads((out / "truth" / "truth.json").read_text())


@pytest.fixture(scope="session")
def landed(simulated_zone, tmp_path_factory):
    landing, _ = simulated_zone
    con = duckdb.connect(str(tmp_path_factory.mktemp("connectors-wh") / "hub.duckdb"))
    results = land_all(con, landing)
    yield con, results
    con.close()


def test_every_complete_delivery_lands(simulated_zone, landed):
    _, truth = simulated_zone
    _, results = landed
    for source in feeds.SOURCES:
        complete = [r for r in results if r.source == source and r.status != "incomplete"]
        expected = [(d, "landed") for d in truth["deliveries"][source]]
        assert [(r.fecha_corte, r.status) for r in complete] == expected


def test_the_incomplete_delivery_is_logged_incomplete(simulated_zone, landed):
    landing, truth = simulated_zone
    con, _ = landed
    logged = con.execute("SELECT path FROM raw.deliveries WHERE status = 'incomplete'").fetchall()
    relative = [Path(p).relative_to(landing).as_posix() for (p,) in logged]
    assert relative == truth["incomplete_deliveries"]


def test_counts_reconcile_with_manifests_and_tables(simulated_zone, landed):
    _, truth = simulated_zone
    con, results = landed
    landed_results = [r for r in results if r.status == "landed"]
    assert all(r.landed + r.quarantined == r.manifest_records for r in landed_results)
    for source, tables in SOURCE_TABLES.items():
        mine = [r for r in results if r.source == source and r.status == "landed"]
        assert sum(r.manifest_records for r in mine) == truth["records"][source]
        rows = sum(con.execute(f"SELECT count(*) FROM raw.{t}").fetchall()[0][0] for t in tables)
        assert rows == sum(r.landed for r in mine)


def test_quarantine_is_exactly_the_truths(simulated_zone, landed):
    _, truth = simulated_zone
    con, _ = landed
    found = con.execute("SELECT source, fecha_corte, file, record_ordinal, reason "
                        "FROM raw.quarantine ORDER BY ALL").fetchall()
    expected = sorted((q["source"], q["fecha_corte"], q["file"], q["line"], q["reason"])
                      for q in truth["quarantine"])
    assert found == expected


def test_landing_again_changes_nothing(simulated_zone, landed):
    landing, _ = simulated_zone
    con, results = landed
    before = con.execute("SELECT count(*) FROM raw.pj_resoluciones").fetchall()
    again = land_all(con, landing)
    assert [r.delivery_id for r in again] == [r.delivery_id for r in results]
    assert all(r.reason == "already landed: nothing done" for r in again if r.status == "landed")
    assert con.execute("SELECT count(*) FROM raw.pj_resoluciones").fetchall() == before
