"""Thin assets over connectors/: one per source, one dynamic partition per delivery.

A partition key is a delivery's cut-off date (`YYYY-MM-DD`). Landing several
deliveries in one run (a backfill, or `hub run`) is a single run that lands
them in date order.
"""

from __future__ import annotations

import time

import dagster as dg

import connectors
from contracts import feeds
from orchestration.resources import WAREHOUSE_POOL, LandingZoneResource, WarehouseResource

RECONCILED_CHECK = "landed_plus_quarantined_equals_manifest"
OWNER = "team:data-engineering"


def partitions_for(source: str) -> dg.DynamicPartitionsDefinition:
    return dg.DynamicPartitionsDefinition(name=f"{source}_deliveries")


def raw_asset_key(source: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", source])


def build_raw_asset(source: str) -> dg.AssetsDefinition:
    folder, fuente = feeds.SOURCES[source]
    key = raw_asset_key(source)

    @dg.asset(
        key=key,
        partitions_def=partitions_for(source),
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=WAREHOUSE_POOL,
        group_name="raw",
        kinds={"python", "duckdb"},
        owners=[OWNER],
        description=(
            f"Deliveries of {fuente} ({folder}/<fecha_corte>/) landed as text into the `raw` "
            "schema with lineage; rejected records in raw.quarantine; every delivery in "
            "raw.deliveries."
        ),
        check_specs=[dg.AssetCheckSpec(RECONCILED_CHECK, asset=key, blocking=True,
                                       description="landed + quarantined = the manifest's count")],
    )
    def raw_source(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                   landing: LandingZoneResource):
        started = time.perf_counter()
        results = []
        with warehouse.connect() as con:
            for cutoff in sorted(context.partition_keys):
                delivery = connectors.Delivery(source, cutoff, landing.path / folder / cutoff,
                                               landing.path)
                result = connectors.land_or_log(con, delivery)
                context.log.info(f"{source} {cutoff}: {result.status} "
                                 f"({result.landed} landed, {result.quarantined} quarantined)"
                                 + (f": {result.reason}" if result.reason else ""))
                results.append(result)
        refused = [r for r in results if r.status == "refused"]
        unreconciled = [r for r in results if r.status == "landed"
                        and r.landed + r.quarantined != r.manifest_records]
        yield dg.MaterializeResult(
            asset_key=key,
            metadata={
                "deliveries": len(results),
                "rows_landed": sum(r.landed for r in results),
                "rows_quarantined": sum(r.quarantined for r in results),
                "refused": dg.MetadataValue.md(
                    "\n".join(f"- {r.fecha_corte}: {r.reason}" for r in refused) or "none"),
                "duration_s": round(time.perf_counter() - started, 2),
            },
        )
        yield dg.AssetCheckResult(
            check_name=RECONCILED_CHECK,
            asset_key=key,
            passed=not refused and not unreconciled,
            metadata={
                "refused_deliveries": [r.delivery_id for r in refused],
                "unreconciled_deliveries": [r.delivery_id for r in unreconciled],
            },
        )

    return raw_source


raw_assets = [build_raw_asset(source) for source in feeds.SOURCES]
