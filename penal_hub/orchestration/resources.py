"""Resources shared by every area: the warehouse, the landing zone and the outbox."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

from penal_hub.core import warehouse
from penal_hub.core.settings import Settings
from penal_hub.core.warehouse import Warehouse

# Every step that writes the warehouse runs in this pool (limit 1 in dagster.yaml): DuckDB
# has one writer at a time.
WAREHOUSE_POOL = "warehouse"


def warehouse_kind() -> str:
    """The warehouse's engine, as a Dagster kind tag on the assets that live in it."""
    return "postgres" if Settings.from_env().postgres_url else "duckdb"


class WarehouseResource(dg.ConfigurableResource):
    """The warehouse: a DuckDB file (HUB_WAREHOUSE, one writer at a time) or a PostgreSQL URL
    (HUB_POSTGRES_URL)."""

    location: str

    @property
    def is_postgres(self) -> bool:
        return warehouse.is_postgres(self.location)

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[Warehouse]:
        with warehouse.connect(self.location, read_only=read_only) as con:
            yield con


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


class AnalystDatabaseResource(dg.ConfigurableResource):
    """The analysts' DuckDB file (HUB_ANALYST_DB): the published marts and nothing else."""

    root: str

    @property
    def path(self) -> Path:
        return Path(self.root)

    def location(self, warehouse: WarehouseResource) -> str:
        """Where analysts read the published marts (schema `marts`): this DuckDB file, or on
        PostgreSQL the warehouse's own database, which the role hub_analyst may read only
        there (deploy/postgres/setup.sql)."""
        return warehouse.location if warehouse.is_postgres else self.root
