"""The Dagster definitions load as `dagster dev` loads them, with the project's dagster.yaml."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from hub_env import imports_pandas

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


def test_the_manifest_is_parsed_again_only_when_its_inputs_change(tmp_path, monkeypatch):
    """`hub run` skips `dbt parse` (6-10 s) when the project, the environment it reads and
    dbt are those the manifest was parsed from, and parses when any of them changed; a
    run on another data folder does not."""
    from orchestration.transform import project

    copy = tmp_path / "dbt_project"
    shutil.copytree(project.DBT_PROJECT_DIR, copy, ignore=shutil.ignore_patterns("target", "logs"))
    before = project.project_fingerprint(copy)
    assert project.project_fingerprint(copy) == before
    (copy / "target").mkdir()
    (copy / "target" / "manifest.json").write_text("{}")  # output does not count
    assert project.project_fingerprint(copy) == before
    monkeypatch.setenv("HUB_DATA_DIR", str(tmp_path / "another"))  # another data folder
    monkeypatch.setenv("HUB_WAREHOUSE", str(tmp_path / "another" / "warehouse.duckdb"))
    assert project.project_fingerprint(copy) == before
    monkeypatch.setenv("HUB_WAREHOUSE", str(tmp_path / "another" / "hub.duckdb"))
    assert project.project_fingerprint(copy) != before  # the database's name in the manifest
    monkeypatch.undo()
    monkeypatch.setenv("HUB_DBT_TARGET", "postgres")
    assert project.project_fingerprint(copy) != before
    monkeypatch.undo()
    model = next((copy / "models" / "marts").glob("*.sql"))
    model.write_text(model.read_text() + "\n-- changed\n")
    assert project.project_fingerprint(copy) != before

    manifest = project.prepare_manifest()
    parsed_at = manifest.stat().st_mtime_ns
    assert project.prepare_manifest() == manifest and manifest.stat().st_mtime_ns == parsed_at
    stamp = manifest.with_name(project.PARSED_FROM)
    stamp.write_text("parsed from something else")
    project.prepare_manifest()
    assert manifest.stat().st_mtime_ns != parsed_at
    assert stamp.read_text() == project.project_fingerprint(project.DBT_PROJECT_DIR)


def test_loading_the_definitions_does_not_import_pandas(hub_definitions):
    """Every run process and the UI's code server load the definitions: pandas (0.8 s) is
    imported only by the steps that need it (the quality gates, on a thread ahead)."""
    assert not imports_pandas("import orchestration.definitions")
