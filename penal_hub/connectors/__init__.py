"""Connectors: land the three feeds' deliveries into the warehouse's `raw` schema, as sent.

Plain Python (no Dagster), one module per source on top of `penal_hub.connectors.delivery`:

    con = duckdb.connect("hub.duckdb")   # or a penal_hub.core.warehouse connection, PostgreSQL included
    results = land_all(con, os.environ["HUB_LANDING_DIR"])
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from penal_hub.connectors import inpe_medio_libre, inpe_registro, pj_resoluciones
from penal_hub.connectors.ahead import IN_PLACE, Prefetcher, ReadingAhead
from penal_hub.connectors.delivery import (
    Connector,
    Delivery,
    DeliveryRefused,
    LandingResult,
    current_delivery_id,
    files_to_land,
    find_deliveries,
    land,
)
from penal_hub.connectors.delivery import log_incomplete as delivery_log_incomplete
from penal_hub.connectors.lander import lander
from penal_hub.connectors.warehouse import as_warehouse, ensure_schema
from penal_hub.connectors.workers import ProcessReaders
from penal_hub.contracts import feeds
from penal_hub.core.warehouse import Warehouse

CONNECTORS: dict[str, Connector] = {
    "pj_resoluciones": Connector(pj_resoluciones.parse_here, pj_resoluciones.land_file),
    "inpe_registro": Connector(inpe_registro.Records.read, inpe_registro.land_file),
    "inpe_medio_libre": Connector(inpe_medio_libre.read_lines, inpe_medio_libre.land_file),
}

__all__ = [
    "Delivery",
    "DeliveryRefused",
    "LandingPlan",
    "LandingResult",
    "ensure_schema",
    "find_deliveries",
    "land_all",
    "land_delivery",
    "land_each",
    "log_incomplete",
    "plan_landing",
    "prefetching",
]

# Below this many court files to land, worker processes would cost more than they save
# (registry and medio libre files are read ahead on a thread whenever there are two).
READ_AHEAD_MIN_FILES = 3


Target = duckdb.DuckDBPyConnection | Warehouse


def land_delivery(con: Target, delivery: Delivery,
                  prefetcher: Prefetcher = IN_PLACE) -> LandingResult:
    """Land one complete delivery in one transaction (no-op if already landed), its files
    taken from `prefetcher` when it read them ahead.

    Raises DeliveryRefused, after logging it in raw.deliveries, if the delivery is refused.
    """
    connector = CONNECTORS[delivery.source]
    return lander(con).land(delivery, lambda local: land(local, delivery, connector, prefetcher))


def log_incomplete(con: Target, delivery: Delivery) -> LandingResult:
    """Record that a folder has no manifest yet; its files are not read."""
    return lander(con).land(delivery, lambda local: delivery_log_incomplete(local, delivery))


def land_each(con: Target, deliveries: Sequence[Delivery],
              prefetcher: Prefetcher | None = None) -> Iterator[LandingResult]:
    """Land these deliveries in order, one result each: a folder without its manifest is
    logged incomplete, a refusal is logged and returned (not raised). Meanwhile the next
    files to land are prepared ahead by `prefetcher` (by default `prefetching`'s)."""
    with ExitStack() as stack:
        if prefetcher is None:
            prefetcher = stack.enter_context(prefetching(con, deliveries))
        stack.enter_context(lander(con).many())
        for delivery in deliveries:
            if not delivery.complete:
                yield log_incomplete(con, delivery)
                continue
            try:
                yield land_delivery(con, delivery, prefetcher)
            except DeliveryRefused as refusal:
                yield refusal.result


def land_all(con: Target, landing_root: Path | str) -> list[LandingResult]:
    """Land every delivery under `landing_root`, per source in date order (`land_each`).

    Refusals do not raise (their result says why); anything else (a bug, a full disk) does.
    """
    return list(land_each(con, find_deliveries(landing_root)))


@dataclass(frozen=True)
class LandingPlan:
    """What the landing zone holds that raw.deliveries does not show yet (`plan_landing`),
    each list per source in date order."""

    new: list[Delivery]  # complete and not landed as it is now: a first delivery, a
    #                      re-delivery, a delivery sent again after its correction
    refused: list[Delivery]  # complete and refused as it is now (the folder did not change)
    incomplete: list[Delivery]  # still being written, not logged incomplete yet

    def sources(self) -> set[str]:
        return {d.source for d in (*self.new, *self.refused, *self.incomplete)}


def plan_landing(con: Target | None, deliveries: Sequence[Delivery]) -> LandingPlan:
    """The one place that decides what landing has to do, for `hub run` and the landing
    sensor alike: each delivery folder as it is now, against its status in raw.deliveries
    (`con` None: a warehouse not created yet). Only reads, so a read-only connection will do."""
    logged = _logged_statuses(con) if con is not None else {}
    plan = LandingPlan([], [], [])
    for delivery in deliveries:
        status = logged.get(current_delivery_id(delivery))
        if not delivery.complete:
            if status != "incomplete":
                plan.incomplete.append(delivery)
        elif status == "refused":
            plan.refused.append(delivery)
        elif status != "landed":
            plan.new.append(delivery)
    return plan


def _logged_statuses(con: Target) -> dict[str, str]:
    """delivery id -> status in raw.deliveries (empty before the first landing)."""
    warehouse = as_warehouse(con)
    if not warehouse.rows("SELECT 1 FROM information_schema.tables "
                          "WHERE table_schema = 'raw' AND table_name = 'deliveries'"):
        return {}
    return dict(warehouse.rows("SELECT delivery_id, status FROM raw.deliveries"))


@contextmanager
def prefetching(con: Target, deliveries: Sequence[Delivery]) -> Iterator[Prefetcher]:
    """A prefetcher of the files of these deliveries, in this order, skipping the deliveries
    already landed (their files are not read again): court files parsed by worker
    processes, registry and medio libre files read and split on a thread."""
    complete = [d for d in deliveries if d.complete]
    if not complete:
        yield IN_PLACE
        return
    landed = {delivery_id for delivery_id, status in _logged_statuses(con).items()
              if status == "landed"}
    files = {source: [f for d in complete if d.source == source for f in files_to_land(d, landed)]
             for source in CONNECTORS}
    with ExitStack() as stack:  # closed in reverse: each reading ahead before its readers
        aheads = []
        if len(files["pj_resoluciones"]) >= READ_AHEAD_MIN_FILES:
            parse = stack.enter_context(closing(ProcessReaders(pj_resoluciones.parse_here)))
            aheads.append(ReadingAhead(files["pj_resoluciones"], parse, threads=2, lookahead=4))
        # A registry delivery's next extract (its biggest file, internos.csv) is read while
        # the current delivery commits.
        aheads += [ReadingAhead(files[source], CONNECTORS[source].read, lookahead=lookahead)
                   for source, lookahead in (("inpe_registro", len(feeds.REGISTRY_FILES)),
                                             ("inpe_medio_libre", 2))
                   if len(files[source]) > 1]
        for ahead in aheads:
            stack.callback(ahead.close)
        yield Prefetcher(*aheads)
