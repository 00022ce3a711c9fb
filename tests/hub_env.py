"""The hub's settings in tests, and dbt's CLI with them (plain functions: a test module
cannot import them from conftest.py, which pytest loads once per folder)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from penal_hub.core.settings import PACKAGE_DIR, Settings

# A key only the tests use, so a leak of it anywhere can be searched for.
TEST_PSEUDONYM_KEY = "test-pseudonym-key-5f1c0a9e-3b7d94c2e6a8"


def settings_for(data: Path, landing: Path, **changes: object) -> Settings:
    """The hub's settings for a data folder (warehouse, outbox and Dagster's storage inside),
    with the tests' key; `changes` replaces fields (`postgres_url=...`). The environment is
    left as it is: resources are built from these (definitions.build_resources)."""
    settings = Settings(
        data_dir=data, landing_dir=landing, warehouse=data / "warehouse.duckdb",
        outbox_dir=data / "outbox", analyst_db=data / "analyst.duckdb",
        dagster_home=PACKAGE_DIR, dagster_storage=data / "dagster",
        dagster_logs=data / "dagster" / "logs", key=TEST_PSEUDONYM_KEY)
    return replace(settings, **changes)


def run_dbt(settings: Settings, *args: str, target_path: Path) -> subprocess.CompletedProcess:
    """dbt's CLI on the hub's dbt project with the settings' profile and secrets, in a
    subprocess as dagster-dbt runs it (an in-process dbt would keep the DuckDB file open);
    raises with its output if it fails."""
    from penal_hub.orchestration.transform.project import (
        DBT_EXECUTABLE,
        DBT_PROJECT_DIR,
        write_profile,
    )

    proc = subprocess.run(
        [str(DBT_EXECUTABLE), *args, "--project-dir", str(DBT_PROJECT_DIR),
         "--profiles-dir", str(write_profile(settings)),
         "--target-path", str(target_path), "--log-path", str(target_path / "logs")],
        env={**os.environ, **settings.dbt_secrets()},
        capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-3000:]
    return proc


def imports_pandas(code: str) -> bool:
    """Whether running `code` in a new interpreter, at the project root, imports pandas."""
    probe = f"{code}; import sys; print('pandas' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True, cwd=Path(__file__).resolve().parents[1])
    return done.stdout.strip() == "True"
