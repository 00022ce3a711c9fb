"""The `hub` console script as users run it: `hub bench`, and `hub run` on PostgreSQL.
(`hub demo`, the README's main command, is run from the installed wheel:
tests/test_packaging.py.)"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from hub_env import TEST_PSEUDONYM_KEY
from postgres_server import clone_database

from penal_hub.core.pseudonyms import pseudonym
from penal_hub.core.warehouse import connect

PROJECT = Path(__file__).resolve().parents[1]
NEW_KEY = "rotated-pseudonym-key-0b94e1c7d35a2f68"


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
    # Every dbt model's own time, from the run's events: the marts and interop are built.
    assert {"marts/alertas_historial", "interop/persona"} <= set(bench["year_models_s"]), bench
    assert "| marts/" in table.read_text() or "| interop/" in table.read_text()


SUMMARY_LINE = re.compile(r"^  (\w+)\s+(\w+)\s+(\d+) deliveries\s+([\d,]+) landed\s+([\d,]+) "
                          r"quarantined$", re.MULTILINE)


def test_hub_run_on_postgres_refuses_another_key_then_rekeys_on_request(
        postgres_pipeline, simulated, tmp_path):
    """`hub run` through its console script on PostgreSQL (a copy of the tests' database,
    built with the tests' key): with a new key it refuses in one line; with `--rekey` it
    runs, prints its summary and exits 0, and no table keeps a person key of the old key."""
    old = urlsplit(postgres_pipeline.warehouse_location)
    url = clone_database(postgres_pipeline.warehouse_location, "hub_rekey")
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("HUB_", "DAGSTER_", "PG"))}
    env.update(HUB_DATA_DIR=str(tmp_path / "data"), HUB_LANDING_DIR=str(simulated / "landing"),
               HUB_POSTGRES_URL=url, HUB_PSEUDONYM_KEY=NEW_KEY)
    hub = [str(Path(sys.executable).parent / "hub"), "run"]

    refused = subprocess.run(hub, cwd=PROJECT, env=env, capture_output=True, text=True,
                             timeout=120, check=False)
    assert refused.returncode == 3, refused.stdout[-2000:] + refused.stderr[-2000:]
    assert refused.stderr.strip().splitlines() == [(
        f"hub: warehouse PostgreSQL 127.0.0.1:{old.port}/hub_rekey was keyed with another "
        "HUB_PSEUDONYM_KEY: set the key it was built with, or rotate keys on purpose with "
        "`hub run --rekey`")]

    done = subprocess.run([*hub, "--rekey"], cwd=PROJECT, env=env, capture_output=True,
                          text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "hub run: exit 0 (ok)"
    # The rekeyed build passed its gates: analysts (role hub_analyst) read it in marts.
    assert "\nmarts:     publicado; analysts read cut-off " in done.stdout
    assert (f"\nanalysts:  PostgreSQL 127.0.0.1:{old.port}/hub_rekey, role hub_analyst  "
            "(schema marts: the last validated build)") in done.stdout
    with connect(url) as con:
        deliveries = con.rows(
            "select source, status, count(*), cast(sum(landed_records) as bigint), "
            "cast(sum(quarantined_records) as bigint) from raw.deliveries "
            "group by source, status order by source, status")
        key_columns = con.rows("select table_schema, table_name from information_schema.columns "
                               "where column_name = 'persona_key' and table_schema != 'raw'")
        persons = con.rows("select persona_key, tipo_documento, numero_documento "
                           "from interop.persona where numero_documento is not null")
        new_keys = {k for s, t in key_columns
                    for (k,) in con.rows(f'select distinct persona_key from {s}."{t}"')}
    assert [(s, st, int(n), int(landed.replace(",", "")), int(q.replace(",", "")))
            for s, st, n, landed, q in SUMMARY_LINE.findall(done.stdout)] == [
        (s, st, n, landed or 0, q or 0) for s, st, n, landed, q in deliveries]
    assert len(key_columns) >= 8 and persons
    assert all(pseudonym(f"DOC:{t}:{n}", NEW_KEY.encode()) == k for k, t, n in persons)
    with connect(postgres_pipeline.warehouse_location) as con:
        old_keys = {k for (k,) in con.rows("select persona_key from interop.persona")}
    assert old_keys and not old_keys & new_keys, "a person key of the old key survived --rekey"
