"""The lander: where a delivery's landing runs, whatever the warehouse behind it.

The connectors land with DuckDB (read_csv, read_json, Arrow) on every warehouse; what
differs is where the rows go, and each engine's lander says so behind one interface
(`lander(con)`): on DuckDB a delivery lands straight in the warehouse's connection; on
PostgreSQL it first lands in an in-memory DuckDB that holds its folder's history (the
folder's rows of raw.deliveries), so every check and decision is the same code as on
DuckDB: refusal, "already landed", supersession. What changed is then written to
PostgreSQL in one transaction: the rows of a superseded delivery deleted, the folder's
log rows replaced, the new rows and quarantined records bulk-copied.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import duckdb
import pyarrow as pa

from penal_hub.connectors.delivery import Delivery, DeliveryRefused, LandingResult
from penal_hub.connectors.warehouse import SCHEMA, as_warehouse, ensure_schema
from penal_hub.contracts.feeds import SOURCE_TABLES
from penal_hub.core.warehouse import DuckDBWarehouse, PostgresWarehouse, Warehouse

# A delivery's landing, on the DuckDB connection it lands in, inside or outside its
# transaction (`delivery.land`, `delivery.log_incomplete`).
Step = Callable[[duckdb.DuckDBPyConnection], LandingResult]

# While landing many deliveries, DuckDB checkpoints (compresses what was committed into
# the database file) once at the end, on all cores, rather than after every delivery
# whose write-ahead log passes the default 16 MB: a fifth less time for the registry.
# Committed deliveries are safe in the log meanwhile.
LANDING_CHECKPOINT_THRESHOLD = "1GB"
FOLDER_LOG = f"SELECT * FROM {SCHEMA}.deliveries WHERE source = $1 AND fecha_corte = $2"


class Lander:
    """Lands deliveries in one warehouse."""

    def __init__(self, warehouse: Warehouse):
        self.warehouse = warehouse

    def land(self, delivery: Delivery, step: Step) -> LandingResult:
        """Run `step` for `delivery` so that what it writes ends up in the warehouse."""
        raise NotImplementedError

    @contextmanager
    def many(self) -> Iterator[None]:
        """Around landing many deliveries in a row."""
        yield


class DuckDBLander(Lander):
    warehouse: DuckDBWarehouse

    def land(self, delivery: Delivery, step: Step) -> LandingResult:
        return step(self.warehouse.con)

    @contextmanager
    def many(self) -> Iterator[None]:
        [(threshold,)] = self.warehouse.rows("SELECT current_setting('checkpoint_threshold')")
        self.warehouse.execute(f"SET checkpoint_threshold = '{LANDING_CHECKPOINT_THRESHOLD}'")
        try:
            yield
        finally:
            self.warehouse.execute(f"SET checkpoint_threshold = '{threshold}'")
        self.warehouse.execute("CHECKPOINT")  # after a failure, DuckDB checkpoints later by itself


class PostgresLander(Lander):
    warehouse: PostgresWarehouse

    def land(self, delivery: Delivery, step: Step) -> LandingResult:
        """Run `step` on an in-memory DuckDB seeded with the folder's log; apply its changes."""
        pg, folder = self.warehouse, [delivery.source, delivery.fecha_corte]
        ensure_schema(pg)
        with duckdb.connect() as local:
            ensure_schema(local)
            before = pg.arrow(FOLDER_LOG, folder)
            local.register("history", before)
            local.execute(f"INSERT INTO {SCHEMA}.deliveries SELECT * FROM history")
            local.unregister("history")
            try:
                result = step(local)
            except DeliveryRefused:
                self._apply(local, delivery, before)
                raise
            self._apply(local, delivery, before)
            return result

    def _apply(self, local: duckdb.DuckDBPyConnection, delivery: Delivery,
               before: pa.Table) -> None:
        pg, folder = self.warehouse, [delivery.source, delivery.fecha_corte]
        was_landed = {d for d, s in zip(before["delivery_id"].to_pylist(),
                                        before["status"].to_pylist(), strict=True)
                      if s == "landed"}
        after = local.sql(FOLDER_LOG, params=folder).to_arrow_table()
        retired = [d for d, s in zip(after["delivery_id"].to_pylist(),
                                     after["status"].to_pylist(), strict=True)
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


LANDERS: dict[str, type[Lander]] = {"duckdb": DuckDBLander, "postgres": PostgresLander}


def lander(con: duckdb.DuckDBPyConnection | Warehouse) -> Lander:
    """The lander for this warehouse (a bare DuckDB connection is a DuckDB warehouse)."""
    warehouse = as_warehouse(con)
    return LANDERS[warehouse.engine](warehouse)
