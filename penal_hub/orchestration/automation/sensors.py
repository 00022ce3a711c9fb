"""What starts runs without a person: the landing-zone sensor, declarative automation for
everything downstream, and the daily schedule.

Landing. `landing_zone_sensor` scans the landing zone (the `landing` resource) every
minute. A delivery folder counts once its manifest exists (senders write it last). What
is new is decided by `penal_hub.connectors.plan_landing`, the planner `hub run` uses too: a
complete delivery whose present content (its manifest's fingerprint) raw.deliveries does
not show landed or refused. For each, the sensor adds the cut-off as a partition of
`<source>_deliveries` and requests a run of that source's land job for that one
partition, tagged with the delivery id. So after `hub run`, nothing is requested; a
re-delivered folder (same cut-off, new manifest) is requested again, and so is a
delivery sent again after its correction (A, B, A); the connector then supersedes the
earlier delivery. A delivery whose land run is queued or running is not requested
again; one whose runs failed (a crash: `dead_runs_sensor` marks them failed) is
requested again, up to `MAX_FAILED_RUNS` times. The sensor reads raw.deliveries
read-only: while a run holds DuckDB's single writer lock, the tick is skipped.

Downstream. Everything downstream of raw follows by declarative automation: the dbt,
quality and publish assets carry `AutomationCondition.eager()` (set with those
assets, not here), and `hub_automation_sensor` (running by default: Dagster's own
default sensor is off until someone turns it on) requests them once a landing run has
materialised a raw partition. That is the simplest robust choice: it waits until no
raw partition is missing or in progress (so it never builds on a half-landed zone),
coalesces several deliveries into one downstream run, and also follows raw partitions
materialised by hand in the UI or by a backfill. A second RunRequest from the landing
sensor would not be: both runs would be queued in the same tick, and the warehouse pool
serialises their steps but does not order them, so dbt could run before the landing it
was meant to follow.

Daily. `daily_full_run` (02:30 America/Lima, after the senders' night deliveries)
runs everything downstream of raw once a day, whatever the automation did: the
freshness checks and the alerts' days-open depend on the date, not only on new data.

The land jobs are one per source because each source has its own partitions; one job
cannot span three dynamic partitions definitions. Every run of these jobs and of the
automation carries the host's name (`dead_runs.HOST_TAG`), so a dead one can be told.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb

from penal_hub import connectors
from penal_hub.contracts import feeds
from penal_hub.core.warehouse import is_postgres
from penal_hub.orchestration.automation.dead_runs import host_tags
from penal_hub.orchestration.ingest.assets import LEDGER_KEY, partitions_for, raw_asset_keys
from penal_hub.orchestration.resources import LandingZoneResource, WarehouseResource

SOURCE_TAG, DELIVERY_TAG = "hub/source", "hub/delivery_id"
MAX_FAILED_RUNS = 3  # per delivery (as it is now): then it waits for a person, or `hub run`

# The batch checks judge the ledger, an asset of the raw group that no step materialises
# (every landing records it): `all()` leaves such an asset's checks out, so they are named.
LEDGER_CHECKS = dg.AssetSelection.checks_for_assets(LEDGER_KEY)
DOWNSTREAM_SELECTION = dg.AssetSelection.all() - dg.AssetSelection.groups("raw") | LEDGER_CHECKS

land_jobs: dict[str, dg.UnresolvedAssetJobDefinition] = {
    source: dg.define_asset_job(
        name=f"land_{source}_job",
        selection=raw_asset_keys(source),
        description=f"Land one delivery (partition = cut-off) of {feeds.SOURCES[source][1]}.",
        run_tags=host_tags(),
    )
    for source in feeds.SOURCES
}

downstream_job = dg.define_asset_job(
    name="downstream_of_raw",
    selection=DOWNSTREAM_SELECTION,
    description="Everything downstream of raw: dbt (staging, interop, marts), quality, publish.",
    run_tags=host_tags(),
)

automation_sensor = dg.AutomationConditionSensorDefinition(
    name="hub_automation_sensor",
    target=dg.AssetSelection.all() | LEDGER_CHECKS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    run_tags=host_tags(),
    description="Declarative automation of every asset: dbt, the gates, the marts and the "
                "extract follow each landing (their AutomationCondition), with no click.",
)


@dg.sensor(
    name="landing_zone_sensor",
    jobs=list(land_jobs.values()),
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Adds a partition and requests a land run for every complete delivery that "
                "raw.deliveries does not show landed or refused (penal_hub.connectors.plan_landing).",
)
def landing_zone_sensor(context: dg.SensorEvaluationContext, landing: LandingZoneResource,
                        warehouse: WarehouseResource) -> dg.SensorResult | dg.SkipReason:
    deliveries = connectors.find_deliveries(landing.path)
    try:
        plan = plan_read_only(warehouse, deliveries)
    except duckdb.IOException as busy:  # a run holds the single writer's lock
        return dg.SkipReason(f"the warehouse is being written ({busy}); next tick")
    requests: list[dg.RunRequest] = []
    new_partitions: dict[str, list[str]] = {}
    known = {source: set(context.instance.get_dynamic_partitions(partitions_for(source).name))
             for source in feeds.SOURCES}
    for delivery in sorted(plan.new, key=lambda d: (d.fecha_corte,
                                                    list(feeds.SOURCES).index(d.source))):
        source, cutoff = delivery.source, delivery.fecha_corte
        delivery_id = connectors.current_delivery_id(delivery)
        runs = context.instance.get_runs(dg.RunsFilter(tags={DELIVERY_TAG: delivery_id}))
        if any(not run.is_finished for run in runs):
            continue
        failed = sum(run.status == dg.DagsterRunStatus.FAILURE for run in runs)
        if failed >= MAX_FAILED_RUNS:
            context.log.warning(f"{delivery_id}: {failed} land runs failed; not requested again")
            continue
        if cutoff not in known[source]:
            new_partitions.setdefault(source, []).append(cutoff)
            known[source].add(cutoff)
        requests.append(dg.RunRequest(
            run_key=f"{delivery_id}:{len(runs) + 1}",  # one per attempt: A, B, A lands A again
            job_name=land_jobs[source].name,
            partition_key=cutoff,
            tags={SOURCE_TAG: source, DELIVERY_TAG: delivery_id},
        ))
        context.log.info(f"{delivery_id}: not landed yet; requesting a land run")
    if plan.incomplete:
        context.log.info(f"waiting for a manifest in {len(plan.incomplete)} folder(s): "
                         + ", ".join(str(d.path) for d in plan.incomplete))
    if not requests:
        return dg.SkipReason(f"nothing new to land in {landing.path}")
    return dg.SensorResult(
        run_requests=requests,
        dynamic_partitions_requests=[partitions_for(source).build_add_request(keys)
                                     for source, keys in new_partitions.items()])


def plan_read_only(warehouse: WarehouseResource,
                   deliveries: list[connectors.Delivery]) -> connectors.LandingPlan:
    """`penal_hub.connectors.plan_landing` without writing: a DuckDB file not created yet has
    landed nothing."""
    if not is_postgres(warehouse.location) and not Path(warehouse.location).exists():
        return connectors.plan_landing(None, deliveries)
    with warehouse.connect(read_only=True) as con:
        return connectors.plan_landing(con, deliveries)


daily_full_run = dg.ScheduleDefinition(
    name="daily_full_run",
    job=downstream_job,
    cron_schedule="30 2 * * *",
    execution_timezone="America/Lima",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every day at 02:30 (Lima): everything downstream of raw, on what has landed.",
)
