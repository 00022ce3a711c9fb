"""Connectors: land the three feeds' deliveries into the warehouse's `raw` schema, as sent.

Plain Python (no Dagster), one module per source on top of `connectors.delivery`:

    con = duckdb.connect("hub.duckdb")   # or a hub.warehouse connection, PostgreSQL included
    results = land_all(con, os.environ["HUB_LANDING_DIR"])
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import duckdb

from connectors import inpe_medio_libre, inpe_registro, pj_resoluciones
from connectors.delivery import (
    Delivery,
    DeliveryRefused,
    LandFile,
    LandingResult,
    files_to_land,
    find_deliveries,
    land,
)
from connectors.delivery import log_incomplete as delivery_log_incomplete
from connectors.postgres import land_in_postgres
from connectors.warehouse import ensure_schema
from hub.warehouse import DuckDBWarehouse, PostgresWarehouse, Warehouse

CONNECTORS: dict[str, LandFile] = {
    "pj_resoluciones": pj_resoluciones.land_file,
    "inpe_registro": inpe_registro.land_file,
    "inpe_medio_libre": inpe_medio_libre.land_file,
}

__all__ = ["Delivery", "DeliveryRefused", "LandingResult", "ensure_schema", "find_deliveries",
           "land_all", "land_delivery", "log_incomplete", "reading_ahead"]

# Below this many court files to land, worker processes would cost more than they save.
READ_AHEAD_MIN_FILES = 3


Target = duckdb.DuckDBPyConnection | Warehouse


def land_delivery(con: Target, delivery: Delivery) -> LandingResult:
    """Land one complete delivery in one transaction (no-op if already landed).

    Raises DeliveryRefused, after logging it in raw.deliveries, if the delivery is refused.
    """
    return _on(con, lambda local: land(local, delivery, CONNECTORS[delivery.source]), delivery)


def log_incomplete(con: Target, delivery: Delivery) -> LandingResult:
    """Record that a folder has no manifest yet; its files are not read."""
    return _on(con, lambda local: delivery_log_incomplete(local, delivery), delivery)


def _on(con: Target, step, delivery: Delivery) -> LandingResult:
    if isinstance(con, PostgresWarehouse):
        return land_in_postgres(con, delivery, step)
    return step(con.con if isinstance(con, DuckDBWarehouse) else con)


@contextmanager
def reading_ahead(con: Target, deliveries: Sequence[Delivery]) -> Iterator[None]:
    """While in the block, the court files of these deliveries are parsed by worker
    processes ahead of their landing, in this order; deliveries already landed are skipped.
    Land them with `land_delivery` in the same order. Other sources read as they land."""
    court = [d for d in deliveries if d.source == "pj_resoluciones" and d.complete]
    files = []
    if court:
        ensure_schema(con)
        sql = "SELECT delivery_id FROM raw.deliveries WHERE status = 'landed'"
        landed = {row[0] for row in (con.rows(sql) if isinstance(con, Warehouse)
                                     else con.execute(sql).fetchall())}
        files = [f for d in court for f in files_to_land(d, landed)]
    if len(files) < READ_AHEAD_MIN_FILES:
        yield
        return
    with pj_resoluciones.parsing_ahead(files):
        yield


def land_all(con: Target, landing_root: Path | str) -> list[LandingResult]:
    """Land every complete delivery, per source in date order; log incomplete and refused ones.

    Refusals do not raise (their result says why); anything else (a bug, a full disk) does.
    """
    results = []
    deliveries = find_deliveries(landing_root)
    with reading_ahead(con, deliveries):
        for delivery in deliveries:
            if not delivery.complete:
                results.append(log_incomplete(con, delivery))
                continue
            try:
                results.append(land_delivery(con, delivery))
            except DeliveryRefused as refusal:
                results.append(refusal.result)
    return results
