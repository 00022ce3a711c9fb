"""Connectors: land the three feeds' deliveries into the DuckDB `raw` schema, as sent.

Plain Python (no Dagster), one module per source on top of `connectors.delivery`:

    con = duckdb.connect("hub.duckdb")
    results = land_all(con, os.environ["HUB_LANDING_DIR"])
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from connectors import inpe_medio_libre, inpe_registro, pj_resoluciones
from connectors.delivery import (
    Delivery,
    DeliveryRefused,
    LandFile,
    LandingResult,
    find_deliveries,
    land,
    log_incomplete,
)
from connectors.warehouse import ensure_schema

CONNECTORS: dict[str, LandFile] = {
    "pj_resoluciones": pj_resoluciones.land_file,
    "inpe_registro": inpe_registro.land_file,
    "inpe_medio_libre": inpe_medio_libre.land_file,
}

__all__ = ["Delivery", "DeliveryRefused", "LandingResult", "ensure_schema", "find_deliveries",
           "land_all", "land_delivery", "log_incomplete"]


def land_delivery(con: duckdb.DuckDBPyConnection, delivery: Delivery) -> LandingResult:
    """Land one complete delivery in one transaction (no-op if already landed).

    Raises DeliveryRefused, after logging it in raw.deliveries, if the delivery is refused.
    """
    return land(con, delivery, CONNECTORS[delivery.source])


def land_all(con: duckdb.DuckDBPyConnection, landing_root: Path | str) -> list[LandingResult]:
    """Land every complete delivery, per source in date order; log incomplete and refused ones.

    Refusals do not raise (their result says why); anything else (a bug, a full disk) does.
    """
    results = []
    for delivery in find_deliveries(landing_root):
        if not delivery.complete:
            results.append(log_incomplete(con, delivery))
            continue
        try:
            results.append(land_delivery(con, delivery))
        except DeliveryRefused as refusal:
            results.append(refusal.result)
    return results
