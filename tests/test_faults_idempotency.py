"""Idempotency and crash safety of the whole pipeline (landing, dbt, checks, publication).

(a) Running the pipeline twice on the same deliveries changes nothing: every table of
    raw (without load-time columns), interop and marts has the same content, and the
    outbox the same files (the manifest differs only in what identifies the run).
(b) The pipeline, run as a subprocess, is killed with SIGKILL during landing, during dbt
    and during publication; right after each kill the outbox holds no partial extract.
    A final uninterrupted run then leaves the warehouse and the outbox equal to those of
    the uninterrupted run in (a). Every run uses the project's Dagster instance (its
    dagster.yaml, the warehouse pool of one slot), as `hub run` does: a killed run keeps
    its slot until the next run finds it dead.

Runs: 2 in-process (a), then 3 killed + 1 complete subprocess runs (b), all on one copy
of the session's simulated landing zone, at the same paths. (b) starts from an empty
warehouse but keeps the outbox of (a), so the publication kill hits a replacement.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from hub_env import settings_for

from penal_hub import connectors
from penal_hub.contracts import feeds
from penal_hub.core.settings import Settings
from penal_hub.simulator.redeliveries import repeat_last_court_delivery

PROJECT = Path(__file__).resolve().parents[1]
LOAD_TIME_COLUMNS = {"_loaded_at", "seen_at", "quarantined_at"}
SCHEMAS = ("raw", "interop", "marts")
# What identifies a run in the extract's manifest (everything else must be equal).
RUN_FIELDS = {"run_id", "generated_at", "checked_at"}
RUN_TIMEOUT = 900

RUNNER = """
import json, sys
from penal_hub.core.settings import Settings
settings = Settings.from_env()
from penal_hub.orchestration.transform.project import prepare_manifest
prepare_manifest(settings)
from penal_hub.orchestration import definitions
from penal_hub.orchestration.pipeline import hub_instance, run_all
with hub_instance(settings) as instance:  # as `hub run`: the project's dagster.yaml, pools
    report = run_all(definitions.defs, instance, settings.landing_dir,
                     resources=definitions.build_resources(settings),
                     say=lambda m: print("SAY", m, flush=True))
print("OUTCOMES", json.dumps(report["outcomes"]), flush=True)
sys.exit(0 if all(report["outcomes"].values()) else 1)
"""


# --- snapshots -----------------------------------------------------------------------------


def warehouse_snapshot(path: Path) -> dict[str, tuple]:
    """Per table: row count and an order-independent content hash (load times excluded)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema "
            f"IN {SCHEMAS} ORDER BY 1, 2").fetchall()
        snapshot = {}
        for schema, table in tables:
            columns = [c for (c,) in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND "
                "table_name = ? ORDER BY ordinal_position", [schema, table]).fetchall()
                if c not in LOAD_TIME_COLUMNS]
            cols = ", ".join(f'"{c}"' for c in columns)
            count, digest = con.execute(
                f'SELECT count(*), coalesce(sum(hash({cols})::hugeint), 0) '
                f'FROM "{schema}"."{table}"').fetchone()
            snapshot[f"{schema}.{table}"] = (tuple(columns), count, int(digest))
        return snapshot
    finally:
        con.close()


def _without_run(value):
    if isinstance(value, dict):
        return {k: _without_run(v) for k, v in value.items() if k not in RUN_FIELDS}
    if isinstance(value, list):
        return [_without_run(v) for v in value]
    return value


def published_folders(outbox: Path) -> list[Path]:
    """What readers open: `<outbox>/<cutoff>/`, each the link to its current revision."""
    return sorted(p for p in outbox.iterdir() if p.name[:1].isdigit()) if outbox.exists() else []


# What says which publication a file is, not what it publishes: a republication of the
# same data is a new revision, and the same rows may come from other deliveries' bytes.
PUBLICATION_FIELDS = {"revision", "source_deliveries"}


def outbox_snapshot(outbox: Path) -> dict[str, object]:
    """Every published file: its sha256; for the Parquet file its rows; for a manifest its
    content minus the run, the publication and the Parquet file's bytes."""
    snapshot = {}
    for folder in published_folders(outbox):
        for path in sorted(folder.iterdir()):
            rel = f"{folder.name}/{path.name}"
            if path.name == "manifest.json":
                doc = _without_run(json.loads(path.read_text()))
                snapshot[rel] = {
                    **{k: v for k, v in doc.items() if k not in PUBLICATION_FIELDS},
                    "files": [f for f in doc["files"] if not f["name"].endswith(".parquet")]}
            elif path.suffix == ".parquet":
                snapshot[rel] = pq.read_table(path).replace_schema_metadata(None).to_pylist()
            else:
                snapshot[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return snapshot


def assert_no_partial_extract(outbox: Path) -> list[str]:
    """Every visible extract folder is whole: a manifest whose sha256s match its files.

    Returns the hidden (staging / aside) folders found, which readers do not see."""
    if not outbox.exists():
        return []
    hidden = [p.name for p in outbox.iterdir() if p.name.startswith(".")]
    for folder in published_folders(outbox):
        assert folder.is_dir(), f"unexpected file in the outbox: {folder}"
        manifest = folder / "manifest.json"
        assert manifest.is_file(), f"partial extract: {folder} has no manifest.json"
        doc = json.loads(manifest.read_text())
        listed = {f["name"] for f in doc["files"]}
        present = {p.name for p in folder.iterdir()} - {"manifest.json"}
        assert listed == present, (folder, listed, present)
        for entry in doc["files"]:
            data = (folder / entry["name"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == entry["sha256"], (folder, entry["name"])
            assert len(data) == entry["bytes"], (folder, entry["name"])
    return hidden


def diff(a: dict, b: dict) -> list[str]:
    return sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))


# --- the runs ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def zone(simulated, tmp_path_factory) -> Settings:
    """A copy of the simulated landing zone and the hub's settings pointed at it, with the
    tests' key (a copied landing zone is no simulator's) and the project's Dagster home."""
    data = tmp_path_factory.mktemp("faults") / "data"
    shutil.copytree(simulated / "landing", data / "landing")
    return settings_for(data, data / "landing", dagster_home=PROJECT)


def run_in_process(hub_definitions, settings: Settings) -> dict:
    """`hub run` in this process, on the instance it uses: the project's dagster.yaml (its
    pools), storing in the settings' data folder."""
    from penal_hub.orchestration.pipeline import hub_instance, run_all

    with hub_instance(settings) as instance:
        report = run_all(hub_definitions.defs, instance, settings.landing_dir,
                         resources=hub_definitions.build_resources(settings), say=lambda _: None)
    assert all(report["outcomes"].values()), report
    return report


@pytest.fixture(scope="module")
def two_runs(zone, hub_definitions):
    """The pipeline run twice on the same deliveries; each run's warehouse, outbox and
    report."""
    snapshots = []
    for _ in range(2):
        report = run_in_process(hub_definitions, zone)
        assert_no_partial_extract(zone.outbox_dir)
        snapshots.append((warehouse_snapshot(zone.warehouse), outbox_snapshot(zone.outbox_dir),
                          sorted(p.name for p in zone.outbox_dir.iterdir()), report))
    return snapshots


def test_a_second_run_on_the_same_deliveries_changes_no_table(two_runs):
    (first, *_), (second, *_) = two_runs
    assert {t.split(".")[0] for t in first} == set(SCHEMAS), sorted(first)
    assert any(count > 0 for _, count, _ in first.values())
    assert first["raw.quarantine"][1] > 0  # the simulated year has records to quarantine
    assert diff(first, second) == []


def test_a_second_run_starts_no_landing_run(two_runs):
    (*_, first), (*_, second) = two_runs
    landing_runs = [[step for step in report["timings"] if step.startswith("land ")]
                    for report in (first, second)]
    assert landing_runs == [[f"land {source}" for source in feeds.SOURCES], []], landing_runs
    assert "downstream" in second["timings"]


def test_after_hub_run_the_landing_sensor_finds_nothing_to_land(zone, two_runs, hub_definitions):
    """One planner: what `hub run` landed, the UI's sensor does not land again."""
    import dagster as dg

    from penal_hub.orchestration.automation.sensors import landing_zone_sensor
    from penal_hub.orchestration.pipeline import hub_instance

    with hub_instance(zone) as instance:
        context = dg.build_sensor_context(instance=instance,
                                          resources=hub_definitions.build_resources(zone))
        result = landing_zone_sensor(context)
    assert isinstance(result, dg.SkipReason), result


def test_only_what_is_new_gets_a_landing_run(zone, two_runs, tmp_path):
    """After the year: a re-delivered court cut-off is landed alone; a registry folder
    still being written makes a no-op run (which logs it) over the latest delivery."""
    import dagster as dg

    from penal_hub.orchestration.pipeline import partitions_to_land, register_deliveries
    from penal_hub.orchestration.resources import WarehouseResource

    landing = tmp_path / "landing"
    shutil.copytree(zone.landing_dir, landing)
    shutil.copy(zone.warehouse, tmp_path / "warehouse.duckdb")
    repeat_last_court_delivery(landing, "2025-01-12")
    (landing / feeds.SOURCES["inpe_registro"][0] / "2025-01-31").mkdir()
    deliveries = connectors.find_deliveries(landing)
    with dg.DagsterInstance.ephemeral() as instance:
        keys = register_deliveries(instance, deliveries)
    todo = partitions_to_land(WarehouseResource(location=str(tmp_path / "warehouse.duckdb")),
                              deliveries, keys)
    assert todo == {"pj_resoluciones": ["2025-01-12"],
                    "inpe_registro": [keys["inpe_registro"][-1]],
                    "inpe_medio_libre": []}


def test_a_second_run_publishes_the_same_extract(two_runs):
    (_, first, folders1, _), (_, second, folders2, _) = two_runs
    assert any(k.endswith("manifest.json") for k in first), first
    assert any(k.endswith(".xml") for k in first) and any(k.endswith(".parquet") for k in first)
    assert folders1 == folders2
    assert not [f for f in folders2 if f.startswith(".")], folders2  # no leftovers
    assert diff(first, second) == []


# --- faults --------------------------------------------------------------------------------

PHASES = {
    # phase: (regex on the runner's output that starts the countdown, delay range in s)
    "landing": (re.compile(r"SAY inpe_registro: landing"), (0.0, 1.5)),
    "dbt": (re.compile(r"STEP_START.*hub_dbt_models|hub_dbt_models.*STEP_START"), (10.0, 40.0)),
    "publication": (re.compile(r"STEP_START.*estado_ejecucion_extract|"
                               r"estado_ejecucion_extract.*STEP_START"), (0.1, 1.2)),
}


HEALED = re.compile(r"SAY run \S+ \(\S+\) was left by a process that died")


def start_runner(log: Path, settings: Settings) -> subprocess.Popen:
    env = {**settings.child_env(), "PYTHONUNBUFFERED": "1"}
    with open(log, "wb") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen([sys.executable, "-c", RUNNER], cwd=PROJECT, env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL the runner and its children (dbt): a crash, nothing gets to clean up."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=60)


def run_and_kill(log: Path, settings: Settings, phase: str, rng: random.Random) -> str:
    """Start a run, SIGKILL it in `phase`; return what happened ('killed' or 'finished')."""
    pattern, (low, high) = PHASES[phase]
    proc = start_runner(log, settings)
    deadline = time.monotonic() + RUN_TIMEOUT
    try:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                return "finished"
            if pattern.search(log.read_text(errors="replace")):
                time.sleep(rng.uniform(low, high))
                if proc.poll() is not None:
                    return "finished"
                kill_group(proc)
                return "killed"
            time.sleep(0.1)
        raise AssertionError(f"no {phase} phase within {RUN_TIMEOUT}s:\n{log.read_text()[-3000:]}")
    finally:
        if proc.poll() is None:
            kill_group(proc)


def test_killed_runs_then_a_complete_run_equal_an_uninterrupted_run(zone, two_runs,
                                                                    tmp_path):
    reference_wh, reference_outbox, *_ = two_runs[0]
    data = zone.data_dir
    # Start from the landing zone and the published outbox (a reader's view), at the same
    # paths as the reference run: everything lands again, and publication replaces an extract.
    for leftover in ("warehouse.duckdb", "warehouse.duckdb.wal", "dagster", "reports"):
        target = data / leftover
        shutil.rmtree(target, ignore_errors=True) if target.is_dir() else target.unlink(
            missing_ok=True)
    rng = random.Random(20241231)
    outcomes, hidden = [], []
    for phase in PHASES:
        log = tmp_path / f"killed-{phase}.log"
        outcome = run_and_kill(log, zone, phase, rng)
        outcomes.append((phase, outcome))
        # Right after the crash: whatever is visible in the outbox is a whole extract.
        hidden += assert_no_partial_extract(zone.outbox_dir)
        # ... and it is the extract a reader had before (or its identical successor).
        assert diff(reference_outbox, outbox_snapshot(zone.outbox_dir)) == [], phase
        if outcome == "finished":
            assert "OUTCOMES" in log.read_text(errors="replace"), log.read_text()[-3000:]
    print(f"\nkills: {outcomes}; hidden outbox folders after kills: {hidden}")
    assert sum(o == "killed" for _, o in outcomes) >= 2, outcomes

    log = tmp_path / "final.log"
    proc = start_runner(log, zone)
    try:
        code = proc.wait(timeout=RUN_TIMEOUT)
    finally:
        if proc.poll() is None:
            kill_group(proc)
    text = log.read_text(errors="replace")
    assert code == 0, text[-5000:]
    assert '"downstream": true' in text, text[-3000:]
    # Each killed run stayed STARTED, holding the warehouse pool's only slot, until the next
    # run found its process gone, marked it failed and freed the slot.
    healed = sum(len(HEALED.findall(p.read_text(errors="replace")))
                 for p in tmp_path.glob("*.log"))
    assert healed >= 1, outcomes
    from penal_hub.orchestration.pipeline import hub_instance

    with hub_instance(zone) as instance:
        import dagster as dg

        assert not instance.get_runs(dg.RunsFilter(statuses=[
            dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
            dg.DagsterRunStatus.STARTED]))
        assert not instance.event_log_storage.get_concurrency_run_ids()
    print(f"dead runs healed: {healed}")

    hidden_after = assert_no_partial_extract(zone.outbox_dir)
    after_wh = warehouse_snapshot(zone.warehouse)
    after_outbox = outbox_snapshot(zone.outbox_dir)
    assert diff(reference_wh, after_wh) == [], "tables differ from an uninterrupted run"
    assert diff(reference_outbox, after_outbox) == [], "outbox differs from an uninterrupted run"
    # Staging folders of killed runs are invisible to readers but should not pile up.
    if hidden_after:
        print(f"NOTE: hidden leftovers in the outbox after recovery: {hidden_after}")
