"""The README's main command, `hub demo`, as a user runs it: the console script, a fresh
data folder, the demo year in, marts and the extract out."""

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
from hub_env import TEST_PSEUDONYM_KEY

PROJECT = Path(__file__).resolve().parents[1]


def test_hub_demo_simulates_runs_and_publishes(tmp_path):
    data = tmp_path / "data"
    env = {**os.environ, "HUB_DATA_DIR": str(data), "HUB_PSEUDONYM_KEY": TEST_PSEUDONYM_KEY}
    for name in ("HUB_LANDING_DIR", "HUB_WAREHOUSE", "HUB_OUTBOX_DIR", "DAGSTER_HOME"):
        env.pop(name, None)  # everything under the data folder, as on a fresh machine
    hub = Path(sys.executable).parent / "hub"
    result = subprocess.run([str(hub), "demo", "--scale", "0.01"], cwd=PROJECT, env=env,
                            capture_output=True, text=True, timeout=900, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "== summary ==" in result.stdout
    manifests = sorted((data / "outbox").glob("*/manifest.json"))
    assert manifests, "no extract published"
    assert json.loads(manifests[-1].read_text())["files"]
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM marts.indicadores_politica").fetchall()[0][0] > 0
