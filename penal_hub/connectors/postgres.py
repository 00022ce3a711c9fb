"""Land deliveries in a PostgreSQL warehouse: read and check in DuckDB, commit in PostgreSQL.

The connectors read files with DuckDB (read_csv, read_json, Arrow) whatever the warehouse.
For PostgreSQL a delivery first lands in an in-memory DuckDB that holds its folder's
history (the folder's rows of raw.deliveries), so every check and decision is the same
code as on DuckDB: refusal, "already landed", supersession. What changed is then written
to PostgreSQL in one transaction: the rows of a superseded delivery deleted, the folder's
log rows replaced, the new rows and quarantined records bulk-copied.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from penal_hub.connectors.delivery import Delivery, DeliveryRefused, LandingResult
from penal_hub.connectors.warehouse import SCHEMA, ensure_schema
from penal_hub.contracts.feeds import SOURCE_TABLES
from penal_hub.core.warehouse import PostgresWarehouse

FOLDER_LOG = f"SELECT * FROM {SCHEMA}.deliveries WHERE source = $1 AND fecha_corte = $2"


def land_in_postgres(pg: PostgresWarehouse, delivery: Delivery,
                     land_locally: Callable[[duckdb.DuckDBPyConnection], LandingResult]
                     ) -> LandingResult:
    """Run `land_locally` on an in-memory DuckDB seeded with the folder's log; apply to `pg`."""
    folder = [delivery.source, delivery.fecha_corte]
    ensure_schema(pg)
    with duckdb.connect() as local:
        ensure_schema(local)
        before = pg.arrow(FOLDER_LOG, folder)
        local.register("history", before)
        local.execute(f"INSERT INTO {SCHEMA}.deliveries SELECT * FROM history")
        local.unregister("history")
        try:
            result = land_locally(local)
        except DeliveryRefused:
            _apply(pg, local, delivery, before)
            raise
        _apply(pg, local, delivery, before)
        return result


def _apply(pg: PostgresWarehouse, local: duckdb.DuckDBPyConnection, delivery: Delivery,
           before) -> None:
    folder = [delivery.source, delivery.fecha_corte]
    was_landed = {d for d, s in zip(before["delivery_id"].to_pylist(),
                                    before["status"].to_pylist(), strict=True) if s == "landed"}
    after = local.sql(FOLDER_LOG, params=folder).to_arrow_table()
    retired = [d for d, s in zip(after["delivery_id"].to_pylist(), after["status"].to_pylist(), strict=True)
               if d in was_landed and s != "landed"]
    new_rows = {table: local.sql(f"SELECT * FROM {SCHEMA}.{table}").to_arrow_table()
                for table in (*SOURCE_TABLES[delivery.source], "quarantine")}
    with pg.transaction():
        for delivery_id in retired:
            for table in SOURCE_TABLES[delivery.source]:
                pg.execute(f"DELETE FROM {SCHEMA}.{table} WHERE _delivery_id = $1",
                           [delivery_id])
        pg.execute(f"DELETE FROM {SCHEMA}.deliveries WHERE source = $1 AND fecha_corte = $2",
                   folder)
        for table, rows in {**new_rows, "deliveries": after}.items():
            if rows.num_rows:
                pg.append(f"{SCHEMA}.{table}", rows)
