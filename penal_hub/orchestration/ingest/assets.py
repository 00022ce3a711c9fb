"""Thin assets over connectors/: one per source, one dynamic partition per delivery.

A partition key is a delivery's cut-off date (`YYYY-MM-DD`). Each source's
asset produces its raw tables (the registry delivers four files, so four
tables) in one transaction per delivery. Landing several deliveries in one run
(a backfill, or `hub run`) is a single run that lands them in date order.

Every landing also writes the ledger, raw.deliveries, and the records it rejected,
raw.quarantine: assets of their own (`LEDGER_KEY`, read by staging and judged by the
batch checks, and `QUARANTINE_KEY`), which no single source owns, so each land asset
records a materialisation of both when it adds a delivery landed or refused.
"""

import time

import dagster as dg

from penal_hub import connectors
from penal_hub.connectors.delivery import ALREADY_LANDED
from penal_hub.contracts import feeds
from penal_hub.contracts.feeds import SOURCE_TABLES
from penal_hub.orchestration.resources import (
    IN_WAREHOUSE,
    WAREHOUSE_POOL,
    LandingZoneResource,
    WarehouseResource,
)

RECONCILED_CHECK = "landed_plus_quarantined_equals_manifest"
OWNER = "team:data-engineering"
LEDGER_KEY = dg.AssetKey(["raw", "deliveries"])
QUARANTINE_KEY = dg.AssetKey(["raw", "quarantine"])

landing_ledger = dg.AssetSpec(
    LEDGER_KEY, group_name="raw", kinds={"python", IN_WAREHOUSE}, owners=[OWNER],
    description="raw.deliveries: one row per delivery seen (landed, refused, superseded, "
                "incomplete), with its reason. Written by every land asset; materialised by "
                "the landing that changed it.")
landing_quarantine = dg.AssetSpec(
    QUARANTINE_KEY, group_name="raw", kinds={"python", IN_WAREHOUSE}, owners=[OWNER],
    description="raw.quarantine: every record a landing rejected, with its delivery, file, "
                "line and reason. Written by every land asset with the ledger, in the same "
                "transaction; materialised with it.")


def partitions_for(source: str) -> dg.DynamicPartitionsDefinition:
    return dg.DynamicPartitionsDefinition(name=f"{source}_deliveries")


def raw_asset_keys(source: str) -> list[dg.AssetKey]:
    return [dg.AssetKey(["raw", table]) for table in SOURCE_TABLES[source]]


def build_raw_asset(source: str) -> dg.AssetsDefinition:
    folder, fuente = feeds.SOURCES[source]
    keys = raw_asset_keys(source)
    description = (f"Deliveries of {fuente} ({folder}/<fecha_corte>/) landed as text with lineage; "
                   "rejected records in raw.quarantine; every delivery in raw.deliveries.")

    @dg.multi_asset(
        name=f"land_{source}",
        # Skippable: a run that lands nothing new (its deliveries were landed already, or
        # it only logs folders still being written) records no materialisation.
        specs=[dg.AssetSpec(key, group_name="raw", kinds={"python", IN_WAREHOUSE}, owners=[OWNER],
                            description=description, skippable=True) for key in keys],
        partitions_def=partitions_for(source),
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=WAREHOUSE_POOL,
        check_specs=[dg.AssetCheckSpec(RECONCILED_CHECK, asset=keys[0], blocking=True,
                                       description="landed + quarantined = the manifest's count, "
                                                   "for every delivery of the run")],
    )
    def land(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
             landing: LandingZoneResource):
        started = time.perf_counter()
        results = []
        with warehouse.connect() as con:
            connectors.ensure_schema(con)
            deliveries = [connectors.Delivery(source, cutoff, landing.path / folder / cutoff,
                                              landing.path)
                          for cutoff in sorted(context.partition_keys)]
            for result in connectors.land_each(con, deliveries):
                # A refusal is logged in raw.deliveries; the check fails below.
                context.log.info(f"{source} {result.fecha_corte}: {result.status} "
                                 f"({result.landed} landed, {result.quarantined} quarantined)"
                                 + (f": {result.reason}" if result.reason else ""))
                results.append(result)
            # Folders still being written are not partitions yet: log that they were seen.
            for pending in connectors.find_deliveries(landing.path):
                if pending.source == source and not pending.complete:
                    connectors.log_incomplete(con, pending)
        landed = [r for r in results if r.status == "landed" and r.reason != ALREADY_LANDED]
        refused = [r for r in results if r.status == "refused"]
        unreconciled = [r for r in landed if r.landed + r.quarantined != r.manifest_records]
        if landed:
            metadata = {
                "deliveries": len(landed),
                "rows_landed": sum(r.landed for r in landed),
                "rows_quarantined": sum(r.quarantined for r in landed),
                "duration_s": round(time.perf_counter() - started, 2),
            }
            for key in keys:
                yield dg.MaterializeResult(asset_key=key, metadata=metadata)
        else:
            context.log.info(f"{source}: nothing new landed; no materialisation recorded")
        if landed or refused:
            yield dg.AssetMaterialization(asset_key=LEDGER_KEY, metadata={
                "source": source, "landed": [r.delivery_id for r in landed],
                "refused": [r.delivery_id for r in refused]})
            yield dg.AssetMaterialization(asset_key=QUARANTINE_KEY, metadata={
                "source": source, "rows_quarantined": sum(r.quarantined for r in landed)})
        yield dg.AssetCheckResult(
            check_name=RECONCILED_CHECK,
            asset_key=keys[0],
            passed=not refused and not unreconciled,
            metadata={
                "refused": dg.MetadataValue.md(
                    "\n".join(f"- {r.fecha_corte}: {r.reason}" for r in refused) or "none"),
                "refused_deliveries": [r.delivery_id for r in refused],
                "unreconciled_deliveries": [r.delivery_id for r in unreconciled],
            },
        )

    return land


raw_assets = [build_raw_asset(source) for source in feeds.SOURCES]
