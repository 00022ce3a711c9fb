"""The landing-zone sensor and the daily schedule, on a small copy of the simulated zone.

The sensor is evaluated tick by tick with `build_sensor_context`; between ticks the test
does what the sensor daemon does with a result: add the requested partitions to the
instance and pass the new cursor to the next tick.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from contracts import feeds
from orchestration.automation import jobs, schedules, sensors
from orchestration.automation.sensors import (
    MANIFEST_TAG,
    daily_full_run,
    downstream_job,
    land_jobs,
    landing_zone_sensor,
)
from orchestration.ingest.assets import RECONCILED_CHECK, partitions_for, raw_asset_keys, raw_assets
from orchestration.resources import LandingZoneResource, WarehouseResource

ML, REG = "inpe_medio_libre", "inpe_registro"
COMPLETE = [(ML, "2024-01-31"), (ML, "2024-02-29"), (REG, "2024-01-31")]
WITHOUT_MANIFEST = (ML, "2024-03-31")


def folder(root: Path, source: str, cutoff: str) -> Path:
    return root / feeds.SOURCES[source][0] / cutoff


@pytest.fixture
def landing(simulated, tmp_path) -> Path:
    """Three complete deliveries and one folder still being written (no manifest)."""
    root = tmp_path / "landing"
    for source, cutoff in COMPLETE:
        shutil.copytree(folder(simulated / "landing", source, cutoff), folder(root, source, cutoff))
    source, cutoff = WITHOUT_MANIFEST
    shutil.copytree(folder(simulated / "landing", source, cutoff), folder(root, source, cutoff),
                    ignore=shutil.ignore_patterns(feeds.MANIFEST_NAME))
    return root


@pytest.fixture
def instance():
    with dg.DagsterInstance.ephemeral() as instance:
        yield instance


def tick(instance: dg.DagsterInstance, landing: Path, cursor: str | None) -> dg.SensorResult:
    """One evaluation, then what the daemon does: add the partitions the result asks for."""
    context = dg.build_sensor_context(instance=instance, cursor=cursor,
                                      resources={"landing": LandingZoneResource(root=str(landing))})
    result = landing_zone_sensor(context)
    assert isinstance(result, dg.SensorResult)
    for request in result.dynamic_partitions_requests or []:
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    return result


def requested(result: dg.SensorResult) -> list[tuple[str, str | None]]:
    return [(r.job_name, r.partition_key) for r in result.run_requests or []]


def added(result: dg.SensorResult) -> dict[str, list[str]]:
    return {r.partitions_def_name: sorted(r.partition_keys)
            for r in result.dynamic_partitions_requests or []}


def rewrite_manifest(path: Path) -> None:
    """A re-delivery: the sender writes the folder again, with a new manifest."""
    manifest = path / feeds.MANIFEST_NAME
    doc = json.loads(manifest.read_text())
    doc["generado_en"] = "2024-02-02T03:00:00-05:00"
    manifest.write_text(json.dumps(doc, indent=2))


def test_first_tick_requests_complete_deliveries_only_and_adds_their_partitions(landing, instance):
    result = tick(instance, landing, cursor=None)

    assert sorted(requested(result)) == sorted(
        (land_jobs[source].name, cutoff) for source, cutoff in COMPLETE)
    source, cutoff = WITHOUT_MANIFEST
    assert (land_jobs[source].name, cutoff) not in requested(result)  # no manifest yet
    assert added(result) == {
        partitions_for(ML).name: ["2024-01-31", "2024-02-29"],
        partitions_for(REG).name: ["2024-01-31"],
    }
    # Run keys and tags carry the manifest's sha256: a re-delivery is a different run.
    for request in result.run_requests:
        sha = request.tags[MANIFEST_TAG]
        assert len(sha) == 16 and request.run_key.endswith(f":{request.partition_key}:{sha}")
    assert len({r.run_key for r in result.run_requests}) == len(COMPLETE)
    # Older cut-offs first.
    assert [r.partition_key for r in result.run_requests] == sorted(
        r.partition_key for r in result.run_requests)


def test_second_tick_requests_nothing(landing, instance):
    first = tick(instance, landing, cursor=None)
    second = tick(instance, landing, cursor=first.cursor)

    assert not second.run_requests and not second.dynamic_partitions_requests
    assert second.skip_reason is not None
    assert second.cursor == first.cursor


def test_redelivered_folder_is_requested_again(landing, instance):
    first = tick(instance, landing, cursor=None)
    rewrite_manifest(folder(landing, ML, "2024-01-31"))
    second = tick(instance, landing, cursor=first.cursor)

    assert requested(second) == [(land_jobs[ML].name, "2024-01-31")]
    assert not second.dynamic_partitions_requests  # the partition already exists
    before = next(r.run_key for r in first.run_requests
                  if (r.job_name, r.partition_key) == (land_jobs[ML].name, "2024-01-31"))
    assert second.run_requests[0].run_key != before

    third = tick(instance, landing, cursor=second.cursor)
    assert not third.run_requests


def test_folder_is_requested_once_its_manifest_arrives(landing, instance, simulated):
    first = tick(instance, landing, cursor=None)
    source, cutoff = WITHOUT_MANIFEST
    shutil.copy(folder(simulated / "landing", source, cutoff) / feeds.MANIFEST_NAME,
                folder(landing, source, cutoff) / feeds.MANIFEST_NAME)
    second = tick(instance, landing, cursor=first.cursor)

    assert requested(second) == [(land_jobs[source].name, cutoff)]
    assert added(second) == {partitions_for(source).name: [cutoff]}


def test_requested_run_lands_its_delivery(landing, instance, tmp_path):
    """The sensor's request, run as the daemon would: it lands and its check passes."""
    result = tick(instance, landing, cursor=None)
    request = next(r for r in result.run_requests if r.job_name == land_jobs[ML].name)
    defs = dg.Definitions(
        assets=raw_assets, jobs=jobs, sensors=sensors,
        resources={"landing": LandingZoneResource(root=str(landing)),
                   "warehouse": WarehouseResource(location=str(tmp_path / "warehouse.duckdb"))},
    )
    run = defs.resolve_job_def(request.job_name).execute_in_process(
        partition_key=request.partition_key, instance=instance, tags=request.tags)

    assert run.success
    checks = run.get_asset_check_evaluations()
    assert [(c.check_name, c.passed) for c in checks] == [(RECONCILED_CHECK, True)]
    materialized = {e.asset_key for e in run.get_asset_materialization_events()}
    assert materialized == set(raw_asset_keys(ML))


def test_jobs_and_schedule_load_with_the_hub_definitions(hub_definitions):
    defs = hub_definitions.defs
    if not any(s.name == landing_zone_sensor.name for s in defs.sensors or []):
        # Not registered in definitions.py yet: add them as definitions.py will.
        defs = dg.Definitions.merge(defs, dg.Definitions(jobs=jobs, sensors=sensors,
                                                         schedules=schedules))
    dg.Definitions.validate_loadable(defs)
    repo = defs.get_repository_def()
    graph = repo.asset_graph
    raw_keys = {key for source in feeds.SOURCES for key in raw_asset_keys(source)}

    for source, job in land_jobs.items():
        assert repo.get_job(job.name).asset_layer.executable_asset_keys == set(
            raw_asset_keys(source))
    downstream = repo.get_job(downstream_job.name).asset_layer.executable_asset_keys
    assert downstream == {k for k in graph.materializable_asset_keys if k not in raw_keys}
    assert any(k.path[0] == "marts" for k in downstream)


def test_daily_schedule_runs_everything_downstream_of_raw():
    assert daily_full_run.cron_schedule == "30 2 * * *"
    assert daily_full_run.execution_timezone == "America/Lima"
    when = datetime(2024, 6, 1, 2, 30, tzinfo=ZoneInfo("America/Lima"))
    context = dg.build_schedule_context(scheduled_execution_time=when)
    data = daily_full_run.evaluate_tick(context)

    assert len(data.run_requests) == 1
    assert data.run_requests[0].job_name in (None, downstream_job.name)
    assert daily_full_run.job_name == downstream_job.name
