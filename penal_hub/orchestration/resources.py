"""Resources shared by every area: the warehouse, the landing zone, the outbox, the
analysts' database, the reports' folder and the pseudonym key (definitions.py builds them
from the hub's Settings)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from penal_hub.core import warehouse
from penal_hub.core.pseudonyms import FIX
from penal_hub.core.warehouse import Warehouse

# Every step that writes the warehouse runs in this pool (limit 1 in dagster.yaml): DuckDB
# has one writer at a time.
WAREHOUSE_POOL = "warehouse"
# The kind tag of the assets that live in the warehouse, until definitions.py names the
# engine its settings use (duckdb or postgres), which the decorators cannot know.
IN_WAREHOUSE = "warehouse"


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


class ReportsResource(dg.ConfigurableResource):
    """Where the HTML reports go ($HUB_DATA_DIR/reports): `validation/` and `analyst/`."""

    root: str

    @property
    def path(self) -> Path:
        return Path(self.root)


@dataclass(frozen=True)
class PseudonymKey:
    """The pseudonym key (HUB_PSEUDONYM_KEY, core/pseudonyms.py). A plain object, not a
    configurable resource: Dagster shows a resource's configuration, and shows nothing of it."""

    key: str | None = field(repr=False)

    def encoded(self) -> bytes:
        if not self.key:
            raise RuntimeError(f"HUB_PSEUDONYM_KEY is not set: {FIX}")
        return self.key.encode("utf-8")
