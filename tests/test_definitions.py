"""The Dagster definitions load as `dagster dev` loads them, with the project's dagster.yaml."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_dagster_definitions_validate(tmp_path, hub_definitions):
    env = {**os.environ, "DAGSTER_HOME": str(ROOT), "HUB_DATA_DIR": str(tmp_path),
           "HUB_DAGSTER_STORAGE": str(tmp_path / "dagster"),
           "HUB_DAGSTER_COMPUTE_LOGS": str(tmp_path / "dagster" / "logs")}
    dagster = Path(sys.executable).parent / "dagster"
    result = subprocess.run([str(dagster), "definitions", "validate", "-m", "orchestration.definitions"],
                            env=env, capture_output=True, text=True, timeout=300, cwd=ROOT, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Validation successful" in result.stderr + result.stdout
