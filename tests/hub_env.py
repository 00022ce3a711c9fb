"""The hub's environment in tests, and dbt's CLI within it (plain functions: a test module
cannot import them from conftest.py, which pytest loads once per folder)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from penal_hub.core.settings import Settings

# A key only the tests use, so a leak of it anywhere can be searched for.
TEST_PSEUDONYM_KEY = "test-pseudonym-key-5f1c0a9e-3b7d94c2e6a8"


@contextmanager
def hub_environment(data: Path, landing: Path, **extra: object) -> Iterator[Settings]:
    """The hub's environment for a data folder (warehouse and outbox inside), then restored."""
    saved = dict(os.environ)
    os.environ.update({name: str(value) for name, value in {
        "HUB_DATA_DIR": data,
        "HUB_LANDING_DIR": landing,
        "HUB_WAREHOUSE": data / "warehouse.duckdb",
        "HUB_OUTBOX_DIR": data / "outbox",
        "HUB_PSEUDONYM_KEY": TEST_PSEUDONYM_KEY,
        **extra,
    }.items()})
    settings = Settings.from_env()
    settings.export()
    try:
        yield settings
    finally:
        os.environ.clear()
        os.environ.update(saved)


def run_dbt(*args: str, target_path: Path) -> subprocess.CompletedProcess:
    """dbt's CLI on the hub's dbt project, in a subprocess as dagster-dbt runs it (an
    in-process dbt would keep the DuckDB file open); raises with its output if it fails."""
    project = Path(__file__).resolve().parents[1] / "penal_hub" / "dbt_project"
    dbt = str(Path(sys.executable).parent / "dbt")
    proc = subprocess.run(
        [dbt, *args, "--project-dir", str(project), "--profiles-dir", str(project),
         "--target-path", str(target_path), "--log-path", str(target_path / "logs")],
        capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-3000:]
    return proc


def imports_pandas(code: str) -> bool:
    """Whether running `code` in a new interpreter, at the project root, imports pandas."""
    probe = f"{code}; import sys; print('pandas' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True, cwd=Path(__file__).resolve().parents[1])
    return done.stdout.strip() == "True"
