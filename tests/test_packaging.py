"""The README's main command, `hub demo`, as a user runs it, from the package: the wheel
carries everything it needs (the dbt project, the contracts, dagster.yaml), so the hub
works installed in a fresh environment away from the source checkout, with a fresh data
folder: the demo year in, marts and the extract out."""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import duckdb

PROJECT = Path(__file__).resolve().parents[1]


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)
    assert done.returncode == 0, f"{command}: {done.stdout[-3000:]}{done.stderr[-3000:]}"
    return done


def test_wheel_installs_and_runs_the_demo_outside_the_checkout(tmp_path):
    uv = shutil.which("uv")
    assert uv, "uv builds the wheel and the fresh environment (scripts/test installs it)"
    run([uv, "build", "--wheel", "--out-dir", str(tmp_path / "dist")], cwd=PROJECT, timeout=300)
    [wheel] = (tmp_path / "dist").glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "penal_hub/dbt_project/dbt_project.yml" in names
    assert "penal_hub/dagster.yaml" in names
    assert "penal_hub/contracts/extract/estado_ejecucion.xsd" in names
    # The feeds' contract files, which penal_hub.contracts.feeds reads on import.
    assert {f"penal_hub/contracts/feeds/{name}" for name in (
        "pj_resoluciones.xsd", "inpe_registro.json", "inpe_medio_libre.schema.json",
        "manifest.schema.json")} <= set(names)
    assert "penal_hub/contracts/expectations/reconciliation.json" in names  # a suite's file
    assert not [n for n in names if "/target/" in n or n.endswith(".pyc")], "build output"
    top = {n.split("/")[0] for n in names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"penal_hub"}, "one namespace"

    # The locked versions of the dependencies, then the wheel, into a new environment.
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(run([uv, "export", "--frozen", "--no-dev", "--no-emit-project",
                                 "--no-hashes", "-q"], cwd=PROJECT, timeout=300).stdout)
    venv = tmp_path / "venv"
    run([uv, "venv", "-q", str(venv), "--python", sys.executable], timeout=300)
    run([uv, "pip", "install", "-q", "--python", str(venv / "bin" / "python"),
         "-r", str(requirements), str(wheel)], timeout=900)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    data = elsewhere / "data"
    # No key (the demo key stands in, for the simulated landing zone), no paths but the
    # data folder, as on a fresh machine.
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("HUB_", "DAGSTER_", "PYTHON", "VIRTUAL_ENV"))}
    env.update(HUB_DATA_DIR=str(data), PATH="/usr/bin:/bin")
    where = run([str(venv / "bin" / "python"), "-c", "import penal_hub; print(penal_hub.__file__)"],
                cwd=elsewhere, env=env, timeout=60).stdout.strip()
    assert Path(where).is_relative_to(venv), f"penal_hub imported from {where}, not the wheel"

    done = run([str(venv / "bin" / "hub"), "demo", "--scale", "0.01"], cwd=elsewhere, env=env,
               timeout=900)
    assert "pseudonym key: the demo key, for the simulated landing zone" in done.stdout
    assert "== summary ==" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "hub run: exit 0 (ok)"
    output = done.stdout + done.stderr
    assert "\x1b[" not in output, "colour codes in output that is not a terminal"
    assert " - DEBUG - " not in output, "Dagster's DEBUG events without -v"

    private = [data / "warehouse.duckdb", data / "outbox", data / "reports", data / "dagster"]
    private += [p for folder in private[1:] for p in folder.rglob("*")]
    assert all(p.exists() for p in private[:4]), private[:4]
    shared = [f"{p} {p.stat().st_mode & 0o777:o}" for p in private if p.stat().st_mode & 0o077]
    assert not shared, f"readable by others than the owner: {shared[:10]}"
    manifests = sorted((data / "outbox").glob("*/manifest.json"))
    assert manifests and json.loads(manifests[-1].read_text())["files"], "no extract published"
    with duckdb.connect(str(data / "analyst.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM marts.indicadores_politica").fetchone()[0] > 0
