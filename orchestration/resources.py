"""Resources shared by every area: the warehouse, the landing zone and the outbox."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import dagster as dg
import duckdb

# Every step that writes the DuckDB file runs in this pool (limit 1 in dagster.yaml).
WAREHOUSE_POOL = "warehouse"


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse file (HUB_WAREHOUSE). One writer at a time."""

    path: str

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(self.path, read_only=read_only)
        try:
            yield con
        finally:
            con.close()


class LandingZoneResource(dg.ConfigurableResource):
    """Where the institutions deliver (HUB_LANDING_DIR)."""

    root: str

    @property
    def path(self) -> Path:
        return Path(self.root)


class OutboxResource(dg.ConfigurableResource):
    """Where the extract for the Poder Judicial is published (HUB_OUTBOX_DIR)."""

    root: str

    @property
    def path(self) -> Path:
        return Path(self.root)
