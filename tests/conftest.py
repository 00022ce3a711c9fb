"""Shared fixtures: a simulated year at a small scale and the whole pipeline run on it.

The pipeline runs once per session, through Dagster (`dagster.materialize`, the same
path as `hub run`), into a real DuckDB file; tests then read what it produced.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hub_env import settings_for
from postgres_server import postgres_server

from penal_hub.core.settings import Settings
from penal_hub.simulator import simulate

SMALL_SCALE, SEED = 0.02, 11


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
def hub_settings(simulated) -> Settings:
    """The hub's settings pointed at the simulated data folder (DuckDB warehouse)."""
    return settings_for(simulated, simulated / "landing")


@pytest.fixture(scope="session")
def hub_definitions(tmp_path_factory):
    """The Dagster definitions, with the dbt manifest prepared first (as `hub run` does; any
    data folder's DuckDB warehouse gives the same manifest as the tests' own)."""
    from penal_hub.orchestration.transform.project import prepare_manifest

    data = tmp_path_factory.mktemp("manifest")
    prepare_manifest(settings_for(data, data / "landing"))
    from penal_hub.orchestration import definitions

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
    from penal_hub.orchestration.pipeline import run_all

    return run_all(hub_definitions.defs, dagster_instance, hub_settings.landing_dir,
                   resources=hub_definitions.build_resources(hub_settings), say=lambda _: None)


@pytest.fixture(scope="session")
def built_warehouse(pipeline_report, hub_settings) -> Path:
    """The DuckDB file after the full pipeline ran on the simulated year."""
    assert all(pipeline_report["outcomes"].values()), pipeline_report
    return hub_settings.warehouse


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def con(request):
    """The warehouse after the whole pipeline, for tests that hold on both engines: the
    DuckDB file, then PostgreSQL. (A module may define a `con` of its own.)"""
    from penal_hub.core.warehouse import connect

    location = (str(request.getfixturevalue("built_warehouse")) if request.param == "duckdb"
                else request.getfixturevalue("postgres_pipeline").warehouse_location)
    with connect(location, read_only=True) as warehouse:
        yield warehouse


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A real PostgreSQL server (Debian's packages), started for the session."""
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
def postgres_pipeline(simulated, postgres_url, hub_definitions, built_warehouse,
                      tmp_path_factory) -> Settings:
    """The same pipeline on the same simulated year, with PostgreSQL as the warehouse.

    Runs after the DuckDB one (built_warehouse), on a data folder of its own.
    """
    import dagster as dg

    from penal_hub.orchestration.pipeline import run_all

    data = tmp_path_factory.mktemp("hub-on-postgres")
    home = tmp_path_factory.mktemp("dagster_home_postgres")
    settings = settings_for(data, simulated / "landing", postgres_url=postgres_url)
    with dg.DagsterInstance.local_temp(str(home)) as instance:
        report = run_all(hub_definitions.defs, instance, settings.landing_dir,
                         resources=hub_definitions.build_resources(settings), say=lambda _: None)
    assert all(report["outcomes"].values()), report
    return settings
