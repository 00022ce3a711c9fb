"""The daemon's path, driven with Dagster's sensor and automation test APIs on the
project's instance (dagster.yaml, its pools): the landing sensor, declarative
automation, the dead-runs sensor and the daily schedule.

A tick is evaluated with `build_sensor_context`; the test then does what the daemon does
with the result: add the requested partitions and execute each requested run with its
job, tags and partition on the same instance.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest
from dagster._core.events import EngineEventData
from hub_env import settings_for

from penal_hub.contracts import feeds
from penal_hub.orchestration.automation import jobs, schedules, sensors
from penal_hub.orchestration.automation.dead_runs import (
    PID_TAG,
    dead_runs_sensor,
    host_tags,
    wait_for_the_pool,
)
from penal_hub.orchestration.automation.sensors import (
    DELIVERY_TAG,
    MAX_FAILED_RUNS,
    automation_sensor,
    daily_full_run,
    downstream_job,
    land_jobs,
    landing_zone_sensor,
)
from penal_hub.orchestration.ingest.assets import (
    LEDGER_KEY,
    QUARANTINE_KEY,
    RECONCILED_CHECK,
    partitions_for,
    raw_asset_keys,
    raw_assets,
)
from penal_hub.orchestration.resources import WAREHOUSE_POOL, LandingZoneResource, WarehouseResource
from penal_hub.simulator.redeliveries import correct_delivery

PROJECT = Path(__file__).resolve().parents[1]
ML, REG, PJ = "inpe_medio_libre", "inpe_registro", "pj_resoluciones"
COMPLETE = [(ML, "2024-01-31"), (ML, "2024-02-29"), (REG, "2024-01-31")]
WITHOUT_MANIFEST = (ML, "2024-03-31")


def folder(root: Path, source: str, cutoff: str) -> Path:
    return root / feeds.SOURCES[source][0] / cutoff


def copy_deliveries(simulated: Path, root: Path, deliveries) -> None:
    for source, cutoff in deliveries:
        shutil.copytree(folder(simulated / "landing", source, cutoff), folder(root, source, cutoff))


@pytest.fixture
def landing(simulated, tmp_path) -> Path:
    """Three complete deliveries and one folder still being written (no manifest)."""
    root = tmp_path / "landing"
    copy_deliveries(simulated, root, COMPLETE)
    source, cutoff = WITHOUT_MANIFEST
    shutil.copytree(folder(simulated / "landing", source, cutoff), folder(root, source, cutoff),
                    ignore=shutil.ignore_patterns(feeds.MANIFEST_NAME))
    return root


def project_instance(data: Path) -> dg.DagsterInstance:
    """The project's instance (its dagster.yaml: pools, run monitoring), storing in the data
    folder `data`."""
    from penal_hub.orchestration.pipeline import hub_instance

    return hub_instance(settings_for(data, data / "landing", dagster_home=PROJECT))


@pytest.fixture
def instance(tmp_path):
    with project_instance(tmp_path) as instance:
        yield instance


@pytest.fixture
def resources(landing, tmp_path) -> dict:
    return {"landing": LandingZoneResource(root=str(landing)),
            "warehouse": WarehouseResource(location=str(tmp_path / "warehouse.duckdb"))}


def tick(instance: dg.DagsterInstance, resources: dict) -> dg.SensorResult | dg.SkipReason:
    """One evaluation, then what the daemon does: add the partitions the result asks for."""
    context = dg.build_sensor_context(instance=instance, resources=resources)
    result = landing_zone_sensor(context)
    for request in getattr(result, "dynamic_partitions_requests", None) or []:
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    return result


def requested(result) -> list[tuple[str, str | None]]:
    return [(r.job_name, r.partition_key) for r in getattr(result, "run_requests", None) or []]


def execute(defs: dg.Definitions, instance: dg.DagsterInstance, result) -> list:
    """Run the sensor's requests as the daemon would: their job, partition and tags."""
    return [defs.resolve_job_def(r.job_name).execute_in_process(
        partition_key=r.partition_key, instance=instance, tags=r.tags, raise_on_error=False)
        for r in getattr(result, "run_requests", None) or []]


def landing_defs(resources: dict) -> dg.Definitions:
    return dg.Definitions(assets=raw_assets, jobs=jobs, sensors=sensors, resources=resources)


def test_first_tick_requests_complete_deliveries_only_and_adds_their_partitions(
        instance, resources):
    result = tick(instance, resources)

    assert sorted(requested(result)) == sorted(
        (land_jobs[source].name, cutoff) for source, cutoff in COMPLETE)
    assert {r.partitions_def_name: sorted(r.partition_keys)
            for r in result.dynamic_partitions_requests} == {
        partitions_for(ML).name: ["2024-01-31", "2024-02-29"],
        partitions_for(REG).name: ["2024-01-31"],
    }
    # Each run names the delivery as it is now: a re-delivery is another delivery.
    ids = {r.tags[DELIVERY_TAG] for r in result.run_requests}
    assert len(ids) == len(COMPLETE)
    assert all(i.startswith(f"{r.tags['hub/source']}:{r.partition_key}:")
               for i, r in zip([r.tags[DELIVERY_TAG] for r in result.run_requests],
                               result.run_requests, strict=True))
    # Older cut-offs first.
    assert [r.partition_key for r in result.run_requests] == sorted(
        r.partition_key for r in result.run_requests)


def test_a_delivery_is_requested_until_it_is_landed_and_once_while_its_run_waits(
        instance, resources):
    first = tick(instance, resources)
    # The runs wait for the pool: the next tick requests nothing again.
    for request in first.run_requests:
        instance.add_run(dg.DagsterRun(job_name=request.job_name, tags=request.tags,
                                       status=dg.DagsterRunStatus.NOT_STARTED))
    assert not requested(tick(instance, resources))


def test_a_crashed_land_run_is_requested_again_a_few_times(instance, resources):
    first = tick(instance, resources)
    request = first.run_requests[0]
    for attempt in range(1, MAX_FAILED_RUNS + 1):
        instance.add_run(dg.DagsterRun(job_name=request.job_name, tags=request.tags,
                                       status=dg.DagsterRunStatus.FAILURE))
        again = [r for r in getattr(tick(instance, resources), "run_requests", None) or []
                 if r.tags[DELIVERY_TAG] == request.tags[DELIVERY_TAG]]
        assert len(again) == (attempt < MAX_FAILED_RUNS), attempt
        if again:  # one run key per attempt (the daemon never runs a run key twice)
            assert again[0].run_key != request.run_key


def test_landed_deliveries_are_not_requested_and_a_noop_run_records_nothing(
        instance, resources, landing):
    """After the requested runs land (as after `hub run`: one planner), nothing is
    requested; a land run over a delivery already landed materialises nothing."""
    defs = landing_defs(resources)
    first = tick(instance, resources)
    runs = execute(defs, instance, first)
    assert all(run.success for run in runs)
    landed = {e.asset_key for run in runs for e in run.get_asset_materialization_events()}
    # Each landing also records the ledger (raw/deliveries), which the batch checks judge,
    # and raw/quarantine beside it.
    assert landed == {*raw_asset_keys(ML), *raw_asset_keys(REG), LEDGER_KEY, QUARANTINE_KEY}

    second = tick(instance, resources)
    assert isinstance(second, dg.SkipReason), requested(second)

    again = defs.resolve_job_def(land_jobs[ML].name).execute_in_process(
        partition_key="2024-01-31", instance=instance)
    assert again.success
    assert again.dagster_run.job_name == land_jobs[ML].name  # a named job, not an ephemeral one
    assert not again.get_asset_materialization_events()
    assert [(c.check_name, c.passed) for c in again.get_asset_check_evaluations()] == [
        (RECONCILED_CHECK, True)]


def test_a_correction_and_the_original_sent_back_are_each_landed(instance, resources, landing):
    """A, B (a correction), A again: each arrival is requested and landed; A ends landed."""
    defs = landing_defs(resources)
    execute(defs, instance, tick(instance, resources))
    path = folder(landing, ML, "2024-01-31")
    original = {p.name: p.read_bytes() for p in path.iterdir()}
    data_file = next(name for name in original if name.endswith(".jsonl"))

    arrivals = []
    for send in ("correction", "original"):
        if send == "correction":
            correct_delivery(path, data_file)
        else:
            for name, data in original.items():
                (path / name).write_bytes(data)
        result = tick(instance, resources)
        assert requested(result) == [(land_jobs[ML].name, "2024-01-31")], send
        [run] = execute(defs, instance, result)
        assert run.success and run.get_asset_materialization_events(), send
        arrivals.append(result.run_requests[0].tags[DELIVERY_TAG])

    correction, sent_back = arrivals
    with resources["warehouse"].connect(read_only=True) as con:
        statuses = dict(con.rows("SELECT delivery_id, status FROM raw.deliveries "
                                 "WHERE fecha_corte = '2024-01-31' AND source = ?", [ML]))
    assert statuses == {sent_back: "landed", correction: "superseded"}
    assert isinstance(tick(instance, resources), dg.SkipReason)


# A month of each source: enough for every gate to pass and an extract to publish.
A_MONTH = [(ML, "2024-01-31"), (REG, "2024-01-31"),
           *((PJ, cutoff) for cutoff in ("2024-01-07", "2024-01-14", "2024-01-21", "2024-01-28"))]


def automation_tick(defs: dg.Definitions, instance: dg.DagsterInstance, cursor=None):
    """Evaluate the assets' and checks' automation conditions (what `hub_automation_sensor`
    evaluates) and execute what they request, as one run of the named downstream job."""
    evaluation = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor)
    requested = [r.key for r in evaluation.results if r.true_subset.size]
    keys = [key for key in requested if isinstance(key, dg.AssetKey)]
    checks = {key for key in requested if isinstance(key, dg.AssetCheckKey)}
    job = defs.resolve_job_def(downstream_job.name)
    run = job.get_subset(asset_selection=set(keys), asset_check_selection=checks).execute_in_process(
        instance=instance, raise_on_error=False) if keys else None
    return evaluation, keys, run


def automation_ticks(defs: dg.Definitions, instance: dg.DagsterInstance, cursor):
    """Ticks until the automation requests nothing; returns what each run built."""
    runs = []
    for _ in range(5):
        evaluation, keys, run = automation_tick(defs, instance, cursor)
        cursor = evaluation.cursor
        if not keys:
            return runs
        assert run.success and run.dagster_run.job_name == downstream_job.name, keys
        runs.append(keys)
    raise AssertionError(f"the automation still requests runs after 5 ticks: {keys}")


def test_the_daemon_path_takes_new_deliveries_to_the_outbox_with_no_click(
        simulated, tmp_path, hub_definitions):
    """The sources deliver one after the other, as under a real `hub ui`: the court feed,
    the registry, then medio libre. After each, the landing sensor's runs land it and the
    automation builds what follows the sources delivered so far (dbt's step succeeds: a
    test that reads a model not built yet waits); after the last, one run builds dbt, the
    gates, the marts and the extract; then nothing is left to do."""
    from penal_hub.orchestration.pipeline import bound_to, hub_instance

    data = tmp_path / "data"
    (data / "landing").mkdir(parents=True)
    settings = settings_for(data, data / "landing", dagster_home=PROJECT)
    with hub_instance(settings) as instance:
        resources = hub_definitions.build_resources(settings)
        defs = bound_to(hub_definitions.defs, resources)
        # The automation sensor ticks before anything lands, then after each landing. Before
        # anything lands it builds only the model that reads no other asset (a dimension of
        # fixed values): no parent's update would ever build it.
        evaluation, keys, run = automation_tick(defs, instance)
        assert keys == [dg.AssetKey(["marts", "dim_indicador"])] and run.success
        cursor = evaluation.cursor
        for source in (PJ, REG, ML):
            arriving = [d for d in A_MONTH if d[0] == source]
            copy_deliveries(simulated, data / "landing", arriving)
            landing_runs = execute(defs, instance, tick(instance, resources))
            assert len(landing_runs) == len(arriving) and all(r.success for r in landing_runs)
            if source == ML:
                break
            evaluation, keys, run = automation_tick(defs, instance, cursor)
            cursor = evaluation.cursor
            # The gates may say a feed is missing; dbt builds what it can.
            dbt_steps = [e.event_type_value for e in run.all_events
                         if e.step_key == "hub_dbt_models"
                         and e.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE")]
            assert dbt_steps == ["STEP_SUCCESS"], source

        # One run: a check is requested with its asset, so a blocking check holds what
        # follows within that run rather than until a later tick.
        [built] = automation_ticks(defs, instance, cursor)
        assert dg.AssetKey(["estado_ejecucion_extract"]) in built
        assert any(key.path[0] == "marts" for key in built)
        extracts = sorted(p.name for p in settings.outbox_dir.glob("[0-9]*"))
        assert extracts == ["2024-01-31"]
        assert (settings.outbox_dir / "2024-01-31" / "manifest.json").is_file()
        with resources["warehouse"].connect(read_only=True) as con:
            assert con.rows("SELECT count(*) FROM marts.indicadores_politica")[0][0] > 0

        # Built once (the next tick requested nothing), and nothing new is to be landed.
        assert isinstance(tick(instance, resources), dg.SkipReason)


def test_the_hub_definitions_run_automation_by_default(hub_definitions):
    defs = hub_definitions.defs
    dg.Definitions.validate_loadable(defs)
    repo = defs.get_repository_def()
    names = {s.name for s in repo.sensor_defs}
    # An explicit automation sensor, running by default: Dagster's default one (stopped
    # by default) is not created.
    assert {"landing_zone_sensor", "hub_automation_sensor", "dead_runs_sensor"} <= names
    assert "default_automation_condition_sensor" not in names
    assert isinstance(automation_sensor, dg.AutomationConditionSensorDefinition)
    for name in ("landing_zone_sensor", "hub_automation_sensor", "dead_runs_sensor"):
        assert repo.get_sensor_def(name).default_status == dg.DefaultSensorStatus.RUNNING
    graph = repo.asset_graph
    automated = {k for k in graph.materializable_asset_keys
                 if graph.get(k).automation_condition is not None}
    raw_keys = {key for source in feeds.SOURCES for key in raw_asset_keys(source)}
    assert automated == {k for k in graph.materializable_asset_keys if k not in raw_keys}
    for source, job in land_jobs.items():
        assert repo.get_job(job.name).asset_layer.executable_asset_keys == set(
            raw_asset_keys(source))
    downstream = repo.get_job(downstream_job.name).asset_layer.executable_asset_keys
    assert downstream == automated
    assert any(k.path[0] == "marts" for k in downstream)


def test_the_dead_runs_sensor_frees_the_pool_of_a_killed_run(instance):
    """A run whose process is gone (killed) holds the warehouse pool's one slot: another
    run's step would wait forever. The sensor marks it failed and frees the slot; a run
    whose process lives is left alone."""
    killed = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    runs = {}
    for name, pid in (("killed", killed.pid), ("alive", os.getpid())):
        run = dg.DagsterRun(job_name=downstream_job.name, status=dg.DagsterRunStatus.STARTED,
                            tags={**host_tags(), PID_TAG: str(pid)})
        instance.add_run(run)
        runs[name] = run.run_id
    # A run the daemon launched: queued a while, then its worker started and logged its pid.
    launched = dg.DagsterRun(job_name=downstream_job.name, status=dg.DagsterRunStatus.STARTED,
                             tags=host_tags())
    instance.add_run(launched)
    time.sleep(2)
    worker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    instance.report_engine_event(f"Started process for run (pid: {worker.pid}).", launched,
                                 EngineEventData.in_process(worker.pid))
    storage = instance.event_log_storage
    storage.initialize_concurrency_limit_to_default(WAREHOUSE_POOL)  # as a run's first step does
    assert storage.get_concurrency_info(WAREHOUSE_POOL).slot_count == 1  # dagster.yaml
    claimed = storage.claim_concurrency_slot(WAREHOUSE_POOL, runs["killed"], "hub_dbt_models")
    assert claimed.is_claimed
    waiting = storage.claim_concurrency_slot(WAREHOUSE_POOL, runs["alive"], "hub_dbt_models")
    assert not waiting.is_claimed  # blocked by limit for pool warehouse
    killed.kill()
    killed.wait()

    result = dead_runs_sensor(dg.build_sensor_context(instance=instance))

    assert "1 dead run" in result.skip_message
    assert instance.get_run_by_id(runs["killed"]).status == dg.DagsterRunStatus.FAILURE
    assert instance.get_run_by_id(runs["alive"]).status == dg.DagsterRunStatus.STARTED
    assert instance.get_run_by_id(launched.run_id).status == dg.DagsterRunStatus.STARTED
    worker.kill()
    worker.wait()
    assert storage.claim_concurrency_slot(WAREHOUSE_POOL, runs["alive"],
                                          "hub_dbt_models").is_claimed


def test_hub_run_sleeps_while_a_live_run_holds_the_pool(instance):
    """Inside a run, Dagster 1.13 waits for a pool slot without sleeping (a CPU at 100%,
    SIGTERM unheard); `hub run` waits before its runs instead, asleep, until the slot
    is free."""
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    run = dg.DagsterRun(job_name=downstream_job.name, status=dg.DagsterRunStatus.STARTED,
                        tags={**host_tags(), PID_TAG: str(holder.pid)})
    instance.add_run(run)
    storage = instance.event_log_storage
    storage.initialize_concurrency_limit_to_default(WAREHOUSE_POOL)
    assert storage.claim_concurrency_slot(WAREHOUSE_POOL, run.run_id, "hub_dbt_models").is_claimed
    said: list[str] = []
    waiting = threading.Thread(target=wait_for_the_pool, args=(instance, WAREHOUSE_POOL,
                                                               said.append))
    cpu = time.process_time()
    waiting.start()
    waiting.join(timeout=3)
    assert waiting.is_alive()
    assert time.process_time() - cpu < 1  # asleep, not spinning
    assert said == [f"waiting for the warehouse pool, held by run(s) {run.run_id}"]
    storage.free_concurrency_slots_for_run(run.run_id)  # the holder's run ends
    waiting.join(timeout=10)
    assert not waiting.is_alive()
    holder.kill()
    holder.wait()


def test_daily_schedule_runs_everything_downstream_of_raw():
    assert daily_full_run.cron_schedule == "30 2 * * *"
    assert daily_full_run.execution_timezone == "America/Lima"
    when = datetime(2024, 6, 1, 2, 30, tzinfo=ZoneInfo("America/Lima"))
    context = dg.build_schedule_context(scheduled_execution_time=when)
    data = daily_full_run.evaluate_tick(context)

    assert len(data.run_requests) == 1
    assert data.run_requests[0].job_name in (None, downstream_job.name)
    assert daily_full_run.job_name == downstream_job.name
    assert schedules == [daily_full_run]
