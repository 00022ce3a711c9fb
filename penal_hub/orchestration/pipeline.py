"""Run every asset headless, as `hub run` does: the same jobs the UI and the daemon run.

What is new is decided by `penal_hub.connectors.plan_landing`, as for the landing sensor. Landing
runs `land_<source>_job` once per source over its deliveries not landed yet (one run
over a partition range; a source with nothing new gets no run); `downstream_of_raw` then
runs once for the latest state. Before anything, runs left behind by a killed process
are closed and their pool slots freed, and while a live run (the UI's) holds the
warehouse pool, `hub run` waits for it (`penal_hub.orchestration.automation.dead_runs`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

import dagster as dg
import yaml
from dagster._core.instance.ref import InstanceRef
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from penal_hub import connectors
from penal_hub.contracts import feeds
from penal_hub.core.settings import Settings
from penal_hub.orchestration.automation.dead_runs import (
    heal_dead_runs,
    in_process_tags,
    wait_for_the_pool,
)
from penal_hub.orchestration.automation.sensors import downstream_job, land_jobs
from penal_hub.orchestration.ingest.assets import partitions_for
from penal_hub.orchestration.publish.marts import BLOCKED, publication_state
from penal_hub.orchestration.quality.checks import import_gx_ahead
from penal_hub.orchestration.quality.gate import decide, sources_waiting
from penal_hub.orchestration.resources import WAREHOUSE_POOL, WarehouseResource


def hub_instance(settings: Settings) -> dg.DagsterInstance:
    """The Dagster instance of the settings' DAGSTER_HOME (its dagster.yaml), with the
    settings' folders wherever that file names one by environment variable
    (HUB_DAGSTER_STORAGE, ...): the folders `hub ui` gives its processes, and no environment
    changed. Other variables it names (a PostgreSQL storage's) are read as Dagster does."""
    values = settings.dagster_env()

    def resolved(node):
        if isinstance(node, dict):
            if node.keys() == {"env"} and node["env"] in values:
                return values[node["env"]]
            return {key: resolved(value) for key, value in node.items()}
        return [resolved(value) for value in node] if isinstance(node, list) else node

    home = settings.dagster_home
    config = yaml.safe_load((home / "dagster.yaml").read_text()) or {}
    # Each section given replaces the file's: the whole file, resolved.
    return dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home), overrides=resolved(config)))


def register_deliveries(instance: dg.DagsterInstance,
                        deliveries: list[connectors.Delivery]) -> dict[str, list[str]]:
    """Add a dynamic partition for every complete delivery; return the keys per source."""
    keys: dict[str, list[str]] = {}
    for source in feeds.SOURCES:
        found = sorted(d.fecha_corte for d in deliveries if d.source == source and d.complete)
        name = partitions_for(source).name
        known = set(instance.get_dynamic_partitions(name))
        instance.add_dynamic_partitions(name, [k for k in found if k not in known])
        keys[source] = found
    return keys


def partitions_to_land(warehouse: WarehouseResource, deliveries: list[connectors.Delivery],
                       keys: dict[str, list[str]]) -> dict[str, list[str]]:
    """Per source, the partitions its landing run needs (`penal_hub.connectors.plan_landing`): the
    deliveries not landed yet (refused ones are tried again), or, when the only news is a
    folder still being written, the latest delivery (a run that logs the folder
    incomplete and records no materialisation). A source with nothing new gets no run."""
    with warehouse.connect() as con:
        plan = connectors.plan_landing(con, deliveries)
    todo = {}
    for source, source_keys in keys.items():
        complete = sorted(d.fecha_corte for d in (*plan.new, *plan.refused) if d.source == source)
        todo[source] = complete or (source_keys[-1:] if source in plan.sources() else [])
    return todo


def bound_to(defs: dg.Definitions, resources: dict) -> dg.Definitions:
    """The same definitions with other resources (a test's folders, say)."""
    return dg.Definitions(assets=defs.assets, asset_checks=defs.asset_checks, jobs=defs.jobs,
                          sensors=defs.sensors, schedules=defs.schedules, resources=resources)


def run_all(defs: dg.Definitions, instance: dg.DagsterInstance, landing_dir,
            resources: dict | None = None, say: Callable[[str], None] = print,
            full_refresh: bool = False, log_level: str = "DEBUG") -> dict:
    """Land what is new, then, once every source has delivered, materialise everything
    downstream. Returns the steps' `timings` and `outcomes` (step -> succeeded), the
    deliveries `refused` in this run, the sources still `waiting` for a first delivery,
    the analysts' `publication` state (marts.publicacion, None before the first), and the
    blocking checks that `blocked` publication in this run (one line each).

    `resources` replaces the definitions' own (tests point them at their own folders);
    `full_refresh` rebuilds dbt's incremental models from raw instead of adding to them;
    `log_level` is what Dagster's console logger prints (every event is stored whatever it is).
    """
    loggers = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    for healed in heal_dead_runs(instance):
        say(f"run {healed.run_id} ({healed.job_name}) was left by a process that died: "
            "marked failed, its pool slots freed")
    if resources is not None and resources != defs.resources:
        defs = bound_to(defs, resources)
    resources = defs.resources
    analysts = resources["analyst_db"].location(resources["warehouse"])
    timings, outcomes = {}, {}
    run_started = datetime.now(UTC)
    deliveries = connectors.find_deliveries(landing_dir)
    keys = register_deliveries(instance, deliveries)
    todo = partitions_to_land(defs.resources["warehouse"], deliveries, keys)
    for source, partition_keys in todo.items():
        if not partition_keys:
            say(f"{source}: nothing new to land" if keys[source] else
                f"{source}: no complete delivery")
            continue
        say(f"{source}: landing {len(partition_keys)} deliveries "
            f"({partition_keys[0]} .. {partition_keys[-1]})")
        wait_for_the_pool(instance, WAREHOUSE_POOL, say)
        started = time.perf_counter()
        # One run over the range from the first to the last new delivery: a delivery in
        # between that already landed is a no-op.
        result = defs.resolve_job_def(land_jobs[source].name).execute_in_process(
            instance=instance,
            tags={ASSET_PARTITION_RANGE_START_TAG: partition_keys[0],
                  ASSET_PARTITION_RANGE_END_TAG: partition_keys[-1], **in_process_tags()},
            run_config=loggers,
            raise_on_error=False,
        )
        timings[f"land {source}"] = time.perf_counter() - started
        outcomes[f"land {source}"] = result.success

    with resources["warehouse"].connect(read_only=True) as con:
        refused = refused_since(con, run_started)
        waiting = sources_waiting(con)  # raw exists: partitions_to_land ensured it
    for line in refused:
        say(f"refused: {line}")
    report = {"timings": timings, "outcomes": outcomes, "refused": refused, "waiting": waiting}
    if waiting:
        # Nothing whole to build or judge yet: waiting is not failing (no gate runs).
        say("waiting for a first delivery of " + ", ".join(waiting)
            + ": nothing is built or published until every source has delivered once")
        return {**report, "publication": publication_state(analysts), "blocked": []}

    say("transform, check and publish: everything downstream of raw")
    import_gx_ahead()  # on a thread while dbt builds: imports hold the GIL, dbt does not
    wait_for_the_pool(instance, WAREHOUSE_POOL, say)
    started = time.perf_counter()
    result = defs.resolve_job_def(downstream_job.name).execute_in_process(
        instance=instance,
        run_config={"ops": {"hub_dbt_models": {"config": {"full_refresh": full_refresh}}},
                    **loggers},
        tags=in_process_tags(),
        raise_on_error=False,
    )
    timings["downstream"] = time.perf_counter() - started
    outcomes["downstream"] = result.success
    publication = publication_state(analysts)
    blocked = []
    if publication and publication["estado"] == BLOCKED and \
            publication["actualizado_en"] >= run_started:
        with resources["warehouse"].connect(read_only=True) as con:
            blocked = decide(con).problems
    return {**report, "publication": publication, "blocked": blocked}


def refused_since(con, started: datetime) -> list[str]:
    """The deliveries refused since `started`: one line each, naming the folder and why."""
    return [f"{source} {fecha_corte}: {reason}" for source, fecha_corte, reason in con.rows(
        "SELECT source, fecha_corte, reason FROM raw.deliveries WHERE status = 'refused' "
        "AND seen_at >= $1 ORDER BY source, fecha_corte", [started])]
