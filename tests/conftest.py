"""Shared fixtures: a simulated year at a small scale and the whole pipeline run on it.

The pipeline runs once per session, through Dagster (`dagster.materialize`, the same
path as `hub run`), into a real DuckDB file; tests then read what it produced.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hub.settings import Settings
from simulator import simulate

SMALL_SCALE, SEED = 0.02, 11
# A key only the tests use, so a leak of it anywhere can be searched for.
TEST_PSEUDONYM_KEY = "test-pseudonym-key-5f1c0a9e"


@pytest.fixture(scope="session")
def simulated(tmp_path_factory) -> Path:
    """A simulated year at a small scale: `landing/` and `truth/` under the returned folder."""
    out = tmp_path_factory.mktemp("sim")
    simulate(SMALL_SCALE, SEED, out)
    return out


@pytest.fixture(scope="session")
def truth(simulated) -> dict:
    return json.loads((simulated / "truth" / "truth.json").read_text())


@pytest.fixture(scope="session")
def hub_settings(simulated):
    """The hub's environment pointed at the simulated data folder (warehouse and outbox inside)."""
    env = pytest.MonkeyPatch()
    for name, value in {
        "HUB_DATA_DIR": simulated,
        "HUB_LANDING_DIR": simulated / "landing",
        "HUB_WAREHOUSE": simulated / "warehouse.duckdb",
        "HUB_OUTBOX_DIR": simulated / "outbox",
        "HUB_PSEUDONYM_KEY": TEST_PSEUDONYM_KEY,
    }.items():
        env.setenv(name, str(value))
    settings = Settings.from_env()
    settings.export()
    yield settings
    env.undo()


@pytest.fixture(scope="session")
def hub_definitions():
    """The Dagster definitions, with the dbt manifest prepared first (as `hub run` does)."""
    from orchestration.transform.project import prepare_manifest

    prepare_manifest()
    from orchestration import definitions

    return definitions


@pytest.fixture(scope="session")
def dagster_instance(tmp_path_factory):
    """A Dagster instance on disk, so tests can read the runs' event logs afterwards."""
    import dagster as dg

    with dg.DagsterInstance.local_temp(str(tmp_path_factory.mktemp("dagster_home"))) as instance:
        yield instance


@pytest.fixture(scope="session")
def pipeline_report(hub_settings, hub_definitions, dagster_instance) -> dict:
    """Run every asset for every complete delivery, once per session."""
    from orchestration.pipeline import run_all

    return run_all(hub_definitions.defs, dagster_instance, hub_settings.landing_dir,
                   resources=hub_definitions.build_resources(hub_settings), say=lambda _: None)


@pytest.fixture(scope="session")
def built_warehouse(pipeline_report, hub_settings) -> Path:
    """The DuckDB file after the full pipeline ran on the simulated year."""
    assert all(pipeline_report["outcomes"].values()), pipeline_report
    return hub_settings.warehouse
