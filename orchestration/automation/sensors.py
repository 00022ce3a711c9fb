"""What starts runs without a person: the landing-zone sensor and the daily schedule.

Landing. `landing_zone_sensor` scans the landing zone (the `landing` resource) every
minute. A delivery folder counts once its manifest exists (senders write it last).
For every complete delivery it has not seen with this manifest, it adds the cut-off
as a partition of `<source>_deliveries` and requests a run of that source's land job
for that one partition. The cursor maps each delivery folder to the sha256 of its
manifest.json (first 16 hex digits), and the run key is `<source>:<cut-off>:<sha>`:
a second tick requests nothing, and a re-delivered folder (same cut-off, new
manifest) is requested again; the connector then supersedes the earlier delivery.
A folder without a manifest is left alone until its manifest appears.

Downstream. Everything downstream of raw follows by declarative automation: the dbt,
quality and publish assets carry `AutomationCondition.eager()` (set with those
assets, not here), so Dagster's `default_automation_condition_sensor` requests them
once a landing run has materialised a raw partition. That is the simplest robust
choice: it waits until no raw partition is missing or in progress (so it never builds
on a half-landed zone), coalesces several deliveries into one downstream run, and
also follows raw partitions materialised by hand in the UI or by a backfill. A second
RunRequest from this sensor would not be: both runs would be queued in the same tick,
and the warehouse pool serialises their steps but does not order them, so dbt could
run before the landing it was meant to follow.

Daily. `daily_full_run` (02:30 America/Lima, after the senders' night deliveries)
runs everything downstream of raw once a day, whatever the automation did: the
freshness checks and the alerts' days-open depend on the date, not only on new data.

The land jobs are one per source because each source has its own partitions; one job
cannot span three dynamic partitions definitions.
"""

from __future__ import annotations

import hashlib
import json

import dagster as dg

import connectors
from contracts import feeds
from orchestration.ingest.assets import partitions_for, raw_asset_keys
from orchestration.resources import LandingZoneResource

SHA_DIGITS = 16  # of the manifest's sha256 kept in the cursor and run keys
SOURCE_TAG, MANIFEST_TAG = "hub/source", "hub/manifest_sha256"

DOWNSTREAM_SELECTION = dg.AssetSelection.all() - dg.AssetSelection.groups("raw")

land_jobs: dict[str, dg.UnresolvedAssetJobDefinition] = {
    source: dg.define_asset_job(
        name=f"land_{source}_job",
        selection=raw_asset_keys(source),
        description=f"Land one delivery (partition = cut-off) of {feeds.SOURCES[source][1]}.",
    )
    for source in feeds.SOURCES
}

downstream_job = dg.define_asset_job(
    name="downstream_of_raw",
    selection=DOWNSTREAM_SELECTION,
    description="Everything downstream of raw: dbt (staging, interop, marts), quality, publish.",
)


def delivery_key(source: str, fecha_corte: str) -> str:
    """A delivery folder's entry in the cursor."""
    return f"{source}/{fecha_corte}"


def manifest_sha256(delivery: connectors.Delivery) -> str:
    """The leading digits of the sha256 of the folder's manifest.json, as bytes on disk."""
    with open(delivery.path / feeds.MANIFEST_NAME, "rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()[:SHA_DIGITS]


def run_key(source: str, fecha_corte: str, sha: str) -> str:
    return f"{source}:{fecha_corte}:{sha}"


@dg.sensor(
    name="landing_zone_sensor",
    jobs=list(land_jobs.values()),
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Adds a partition and requests a land run for every complete delivery "
                "(manifest present), and again when a folder's manifest changes.",
)
def landing_zone_sensor(context: dg.SensorEvaluationContext,
                        landing: LandingZoneResource) -> dg.SensorResult:
    seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    current: dict[str, str] = {}
    requests: list[dg.RunRequest] = []
    new_partitions: dict[str, list[str]] = {}
    waiting = []
    deliveries = sorted(connectors.find_deliveries(landing.path),
                        key=lambda d: (d.fecha_corte, list(feeds.SOURCES).index(d.source)))
    known = {source: set(context.instance.get_dynamic_partitions(partitions_for(source).name))
             for source in feeds.SOURCES}
    for delivery in deliveries:
        source, cutoff = delivery.source, delivery.fecha_corte
        if not delivery.complete:
            waiting.append(delivery_key(source, cutoff))
            continue
        try:
            sha = manifest_sha256(delivery)
        except OSError as e:  # removed or unreadable between listing and reading: next tick
            context.log.warning(f"{delivery.path / feeds.MANIFEST_NAME}: unreadable ({e}); "
                                "trying again on the next tick")
            continue
        key = delivery_key(source, cutoff)
        current[key] = sha
        if seen.get(key) == sha:
            continue
        if cutoff not in known[source]:
            new_partitions.setdefault(source, []).append(cutoff)
            known[source].add(cutoff)
        requests.append(dg.RunRequest(
            run_key=run_key(source, cutoff, sha),
            job_name=land_jobs[source].name,
            partition_key=cutoff,
            tags={SOURCE_TAG: source, MANIFEST_TAG: sha},
        ))
        context.log.info(f"{key}: {'re-delivered' if key in seen else 'new'} delivery "
                         f"(manifest sha256 {sha}…): requesting a land run")
    if waiting:
        context.log.info(f"waiting for a manifest in {len(waiting)} folder(s): "
                         + ", ".join(waiting))
    # Folders removed from the landing zone drop out of the cursor, so it stays as
    # small as the zone; one that comes back is requested again (landing is idempotent).
    cursor = json.dumps(current, sort_keys=True, separators=(",", ":"))
    partition_requests = [partitions_for(source).build_add_request(keys)
                          for source, keys in new_partitions.items()]
    if not requests:
        return dg.SensorResult(skip_reason=f"no new or re-delivered complete delivery in "
                                           f"{landing.path}", cursor=cursor)
    return dg.SensorResult(run_requests=requests, dynamic_partitions_requests=partition_requests,
                           cursor=cursor)


daily_full_run = dg.ScheduleDefinition(
    name="daily_full_run",
    job=downstream_job,
    cron_schedule="30 2 * * *",
    execution_timezone="America/Lima",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every day at 02:30 (Lima): everything downstream of raw, on what has landed.",
)
