"""Landing into PostgreSQL: the same rows, log and quarantine as DuckDB, one transaction."""

from __future__ import annotations

import itertools
import subprocess

import duckdb
import pytest
from feedfiles import case, csv_file, registry
from test_connector_registro import interno

from penal_hub.connectors import DeliveryRefused, land_all, land_delivery
from penal_hub.contracts.feeds import SOURCE_TABLES
from penal_hub.core.warehouse import connect

_databases = itertools.count()


@pytest.fixture
def pg(postgres_url):
    """A new, empty database on the session's server."""
    name = f"landing_{next(_databases)}"
    subprocess.run(["psql", postgres_url, "-v", "ON_ERROR_STOP=1", "-c",
                    f"CREATE DATABASE {name}"], check=True, capture_output=True)
    with connect(postgres_url.rsplit("/", 1)[0] + f"/{name}") as warehouse:
        yield warehouse


def table(warehouse, sql: str) -> list[tuple]:
    return sorted(warehouse.rows(sql), key=repr)


def test_a_delivery_lands_in_postgres_as_in_duckdb(pg, con, make_delivery):
    files = registry(internos=csv_file("internos.csv", interno("INT1", "0412345"),
                                       interno("INT2", "412345"), "INT3|broken row"))
    delivery = make_delivery("inpe_registro", files)
    on_pg, on_duckdb = land_delivery(pg, delivery), land_delivery(con, delivery)
    assert on_pg == on_duckdb
    assert (on_pg.landed, on_pg.quarantined) == (5, 1)
    for name in (*SOURCE_TABLES["inpe_registro"], "quarantine", "deliveries"):
        # Every column but the load times, which differ by construction.
        columns = [c for (c,) in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'raw' "
            "AND table_name = ? AND column_name NOT IN ('_loaded_at', 'quarantined_at', "
            "'seen_at') ORDER BY ordinal_position", [name]).fetchall()]
        select = f"SELECT {', '.join(columns)} FROM raw.{name}"
        assert table(pg, select) == sorted(con.execute(select).fetchall(), key=repr), name


def test_a_corrected_redelivery_supersedes_the_earlier_one_in_postgres(pg, landing,
                                                                       make_delivery):
    make_delivery("inpe_medio_libre", {"casos-0001.jsonl": case() + "\n" + case("ML-2") + "\n"})
    [first] = land_all(pg, landing)
    make_delivery("inpe_medio_libre", {"casos-0001.jsonl": case("ML-9", version=2) + "\n"})
    [second] = land_all(pg, landing)
    assert (first.status, second.status) == ("landed", "landed")
    assert pg.rows("SELECT id_caso, version, _delivery_id FROM raw.inpe_medio_libre") == [
        ("ML-9", "2", second.delivery_id)]
    assert dict(pg.rows("SELECT delivery_id, status FROM raw.deliveries")) == {
        first.delivery_id: "superseded", second.delivery_id: "landed"}
    [again] = land_all(pg, landing)
    assert again.reason == "already landed: nothing done"
    assert pg.rows("SELECT count(*) FROM raw.inpe_medio_libre") == [(1,)]


def test_a_refused_delivery_leaves_only_its_log_row_in_postgres(pg, make_delivery):
    delivery = make_delivery("inpe_medio_libre", {"casos-0001.jsonl": case() + "\n"},
                             records={"casos-0001.jsonl": 3})
    with pytest.raises(DeliveryRefused, match="record count mismatch") as refused:
        land_delivery(pg, delivery)
    assert pg.rows("SELECT count(*) FROM raw.inpe_medio_libre") == [(0,)]
    assert pg.rows("SELECT status, reason FROM raw.deliveries") == [
        ("refused", str(refused.value))]


def test_a_failed_commit_leaves_postgres_unchanged(pg, make_delivery, monkeypatch):
    """The copy to PostgreSQL is one transaction: a failure in its middle leaves nothing."""
    land_delivery(pg, make_delivery("inpe_medio_libre", {"casos-0001.jsonl": case() + "\n"},
                                    fecha="2024-11-30"))
    before = {t: table(pg, f"SELECT * FROM raw.{t}")
              for t in ("inpe_medio_libre", "deliveries")}
    append = type(pg).append

    def failing_append(self, name, data):
        if name == "raw.deliveries":
            raise duckdb.IOException("disk full (simulated)")
        append(self, name, data)

    monkeypatch.setattr(type(pg), "append", failing_append)
    with pytest.raises(duckdb.IOException):
        land_delivery(pg, make_delivery("inpe_medio_libre",
                                        {"casos-0001.jsonl": case("ML-5") + "\n"}))
    monkeypatch.undo()
    assert {t: table(pg, f"SELECT * FROM raw.{t}") for t in before} == before
