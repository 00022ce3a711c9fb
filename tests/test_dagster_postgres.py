"""The shared deployment's Dagster instance (deploy/postgres/dagster.yaml) on a real server."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import dagster as dg
import pytest

DEPLOY_YAML = Path(__file__).resolve().parents[1] / "deploy" / "postgres" / "dagster.yaml"


@dg.asset
def pulse() -> int:
    return 1


def test_runs_and_events_are_stored_in_postgres(postgres_url, tmp_path, monkeypatch):
    url = urlsplit(postgres_url)
    subprocess.run(["psql", postgres_url, "-v", "ON_ERROR_STOP=1", "-c",
                    "CREATE DATABASE dagster_instance"], check=True, capture_output=True)
    for name, value in {"DAGSTER_PG_HOST": url.hostname, "DAGSTER_PG_PORT": url.port,
                        "DAGSTER_PG_USER": url.username, "DAGSTER_PG_PASSWORD": "",
                        "DAGSTER_PG_DB": "dagster_instance",
                        "HUB_DAGSTER_STORAGE": tmp_path / "storage",
                        "HUB_DAGSTER_COMPUTE_LOGS": tmp_path / "logs"}.items():
        monkeypatch.setenv(name, str(value))
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(DEPLOY_YAML, home / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        result = dg.materialize([pulse], instance=instance)
        assert result.success
    stored = subprocess.run(
        ["psql", postgres_url.rsplit("/", 1)[0] + "/dagster_instance", "-tA", "-c",
         f"SELECT status FROM runs WHERE run_id = '{result.run_id}'"],
        check=True, capture_output=True, text=True).stdout.strip()
    assert stored == "SUCCESS"
    with dg.DagsterInstance.from_config(str(home)) as reopened:
        event = reopened.get_latest_materialization_event(dg.AssetKey("pulse"))
        assert event is not None and event.run_id == result.run_id


@pytest.fixture(autouse=True)
def _no_telemetry(monkeypatch):
    monkeypatch.setenv("DAGSTER_DISABLE_TELEMETRY", "1")
