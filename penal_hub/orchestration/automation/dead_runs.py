"""Runs left behind by a process that died, closed so that they block nothing.

A run whose process is killed (SIGKILL, a power cut) stays STARTED in the run storage
and keeps its slot in the `warehouse` pool: every later run would wait for that slot
forever. Dagster's run monitoring frees the slots of runs that have *ended*, but it
cannot tell that a run's process died under the default run launcher, and `hub run`
has no daemon at all. `heal_dead_runs` does it: a run in progress whose process (the
pid in its tags or first engine event) no longer runs on this host is marked failed, and every
slot still held by a finished run is freed. `hub run` calls it before it starts, and
the `dead_runs_sensor` every minute while the daemon runs.

Only runs tagged with this host's name (`HOST_TAG`, on every job of the hub) are judged:
on a shared instance (PostgreSQL), another machine's pids mean nothing here.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from pathlib import Path

import dagster as dg
from dagster._core.events import DagsterEventType
from dagster._core.storage.dagster_run import FINISHED_STATUSES

HOST_TAG, PID_TAG = "hub/host", "hub/pid"
IN_PROGRESS = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED,
               dg.DagsterRunStatus.CANCELING]


def host_tags() -> dict[str, str]:
    """The tag that lets `heal_dead_runs` judge a run: where its process runs."""
    return {HOST_TAG: socket.gethostname()}


def in_process_tags() -> dict[str, str]:
    """For a run executed in this process (`hub run`): this host and this process, known
    from the run's creation on (its first engine event comes a moment later)."""
    return {**host_tags(), PID_TAG: str(os.getpid())}


def heal_dead_runs(instance: dg.DagsterInstance) -> list[dg.DagsterRun]:
    """Mark failed the runs of this host whose process is gone, free every pool slot held
    by a finished run; return the runs marked failed."""
    healed = []
    here = socket.gethostname()
    for record in instance.get_run_records(dg.RunsFilter(
            statuses=[*IN_PROGRESS, dg.DagsterRunStatus.NOT_STARTED], tags={HOST_TAG: here})):
        run = record.dagster_run
        if run.status == dg.DagsterRunStatus.NOT_STARTED and PID_TAG not in run.tags:
            continue  # waiting for the daemon to launch it, not dead
        pid, seen_at = run_process(instance, record)
        if pid is None or process_alive(pid, since=seen_at):
            continue
        instance.report_run_failed(run, message=f"The process of this run (pid {pid}) is gone "
                                                "(killed); the hub marked it failed.")
        healed.append(run)
    storage = instance.event_log_storage
    if storage.supports_global_concurrency_limits:
        holding = storage.get_concurrency_run_ids()
        if holding:
            for run in instance.get_runs(dg.RunsFilter(run_ids=list(holding),
                                                       statuses=list(FINISHED_STATUSES))):
                storage.free_concurrency_slots_for_run(run.run_id)
    return healed


POOL_POLL_SECONDS = 2.0


def wait_for_the_pool(instance: dg.DagsterInstance, pool: str,
                      say: Callable[[str], None]) -> None:
    """Return once a slot of `pool` is free, sleeping meanwhile (and freeing what dead runs
    hold). A run started while another holds the slot would wait inside its step, where
    Dagster 1.13 polls without sleeping (a CPU at 100%, SIGTERM unheard until the slot
    frees): `hub run` waits here instead, where Ctrl-C and SIGTERM stop it."""
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return
    told = False
    while True:
        heal_dead_runs(instance)
        info = storage.get_concurrency_info(pool)
        if not info.slot_count or info.active_slot_count < info.slot_count:
            return
        if not told:
            say(f"waiting for the {pool} pool, held by run(s) "
                f"{', '.join(sorted(info.active_run_ids))}")
            told = True
        time.sleep(POOL_POLL_SECONDS)


def run_process(instance: dg.DagsterInstance,
                record: dg.RunRecord) -> tuple[int | None, float]:
    """The pid of the process executing the run, and a moment when that process existed:
    its tag and the run's creation (`in_process_tags`), or the first engine event that
    names a pid and that event's time (the run worker the launcher started)."""
    run = record.dagster_run
    if PID_TAG in run.tags:
        return int(run.tags[PID_TAG]), record.create_timestamp.timestamp()
    for event_record in instance.get_records_for_run(
            run.run_id, of_type=DagsterEventType.ENGINE_EVENT, limit=20).records:
        entry = event_record.event_log_entry
        event = entry.dagster_event
        pid = event.engine_event_data.metadata.get("pid") if event else None
        if pid is not None:
            return int(pid.value), entry.timestamp
    return None, 0.0


def process_alive(pid: int, since: float) -> bool:
    """Whether `pid` runs and is the process that existed at `since` (epoch seconds), not a
    later one that reused its number. A zombie (killed, not yet reaped) is dead."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        pass
    stat = Path(f"/proc/{pid}/stat")
    if not stat.exists():  # not Linux: the pid exists, that is all we know
        return True
    try:
        fields = stat.read_text().rsplit(")", 1)[1].split()
    except OSError:  # exited meanwhile
        return False
    state, start_ticks = fields[0], int(fields[19])
    if state in ("Z", "X"):
        return False
    return _boot_time() + start_ticks / os.sysconf("SC_CLK_TCK") <= since + 1


def _boot_time() -> float:
    """When this machine booted, to the hundredth of a second (/proc/stat's btime is whole
    seconds)."""
    return time.time() - float(Path("/proc/uptime").read_text().split()[0])


@dg.sensor(
    name="dead_runs_sensor",
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Marks failed the runs whose process died (killed) and frees the pool slots "
                "of finished runs, so that no dead run blocks the warehouse pool.",
)
def dead_runs_sensor(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    healed = heal_dead_runs(context.instance)
    for run in healed:
        context.log.warning(f"run {run.run_id} ({run.job_name}): process gone, marked failed")
    return dg.SkipReason(f"{len(healed)} dead run(s) marked failed" if healed
                         else "no dead run")
