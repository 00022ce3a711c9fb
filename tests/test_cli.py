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


def test_hub_bench_runs_a_year_and_one_new_delivery(tmp_path):
    """`hub bench` end to end at a tiny scale: both `hub run`s succeed, the new delivery
    lands alone, and the floors and fixed costs are measured beside them."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("HUB_", "DAGSTER_"))}
    env["HUB_PSEUDONYM_KEY"] = TEST_PSEUDONYM_KEY
    hub = Path(sys.executable).parent / "hub"
    results, table = tmp_path / "results.json", tmp_path / "RESULTS.md"
    done = subprocess.run([str(hub), "bench", "--scale", "0.01", "--work", str(tmp_path / "work"),
                           "--json", str(results), "--markdown", str(table)],
                          cwd=PROJECT, env=env, capture_output=True, text=True, timeout=900,
                          check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    [bench] = json.loads(results.read_text())
    assert bench["year_ok"] and bench["new_delivery_ok"], bench
    year, new = bench["year_steps_s"], bench["new_delivery_steps_s"]
    assert {"land_pj_resoluciones", "land_inpe_registro", "land_inpe_medio_libre",
            "hub_dbt_models", "estado_ejecucion_extract"} <= set(year), year
    # Only the court re-delivered: the other sources get no landing run.
    assert "land_pj_resoluciones" in new and "hub_dbt_models" in new, new
    assert not {"land_inpe_registro", "land_inpe_medio_libre"} & set(new), new
    assert set(bench["floors"]) == {"pj_resoluciones", "inpe_registro", "inpe_medio_libre"}
    assert len(bench["fixed_costs_s"]) == 3 and all(s > 0 for s in bench["fixed_costs_s"].values())
    assert bench["code"] and f"Code: {bench['code']}." in table.read_text()
    assert "| hub_dbt_models |" in table.read_text()
