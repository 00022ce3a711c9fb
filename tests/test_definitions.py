"""The Dagster definitions load as `dagster dev` loads them, with the project's dagster.yaml."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import dagster as dg
from hub_env import imports_pandas, settings_for

ROOT = Path(__file__).resolve().parents[1]


def test_dagster_definitions_validate(tmp_path, hub_definitions):
    env = {**os.environ, "DAGSTER_HOME": str(ROOT), "HUB_DATA_DIR": str(tmp_path),
           "HUB_DAGSTER_STORAGE": str(tmp_path / "dagster"),
           "HUB_DAGSTER_COMPUTE_LOGS": str(tmp_path / "dagster" / "logs")}
    dagster = Path(sys.executable).parent / "dagster"
    result = subprocess.run([str(dagster), "definitions", "validate", "-m", "penal_hub.orchestration.definitions"],
                            env=env, capture_output=True, text=True, timeout=300, cwd=ROOT, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Validation successful" in result.stderr + result.stdout


def test_the_manifest_is_parsed_again_only_when_its_inputs_change(tmp_path):
    """`hub run` skips `dbt parse` (6-10 s) when the project, the profile's target and
    database and dbt are those the manifest was parsed from, and parses when any of them
    changed; a run on another data folder does not."""
    from penal_hub.orchestration.transform import project

    settings = settings_for(tmp_path / "data", tmp_path / "data" / "landing")
    copy = tmp_path / "dbt_project"
    shutil.copytree(project.DBT_PROJECT_DIR, copy, ignore=shutil.ignore_patterns("target", "logs"))
    before = project.project_fingerprint(copy, settings)
    assert project.project_fingerprint(copy, settings) == before
    (copy / "target").mkdir()
    (copy / "target" / "manifest.json").write_text("{}")  # output does not count
    assert project.project_fingerprint(copy, settings) == before
    another = tmp_path / "another"  # another data folder
    assert project.project_fingerprint(
        copy, replace(settings, data_dir=another, warehouse=another / "warehouse.duckdb")) == before
    # The database's name in the manifest
    assert project.project_fingerprint(
        copy, replace(settings, warehouse=another / "hub.duckdb")) != before
    assert project.project_fingerprint(
        copy, replace(settings, postgres_url="postgresql://hub@db.example/hub")) != before
    model = next((copy / "models" / "marts").glob("*.sql"))
    model.write_text(model.read_text() + "\n-- changed\n")
    assert project.project_fingerprint(copy, settings) != before

    manifest = project.prepare_manifest(settings)
    parsed_at = manifest.stat().st_mtime_ns
    assert project.prepare_manifest(settings) == manifest
    assert manifest.stat().st_mtime_ns == parsed_at
    stamp = manifest.with_name(project.PARSED_FROM)
    stamp.write_text("parsed from something else")
    project.prepare_manifest(settings)
    assert manifest.stat().st_mtime_ns != parsed_at
    assert stamp.read_text() == project.project_fingerprint(project.DBT_PROJECT_DIR, settings)


def test_loading_the_definitions_changes_no_environment_variable(tmp_path):
    """Dagster loads the definitions in every process it starts: the settings are read from
    the environment, and nothing is written back (no HUB_*, DAGSTER_HOME, PATH, PGOPTIONS)."""
    probe = ("import json, os; before = dict(os.environ); "
             "import penal_hub.orchestration.definitions; "
             "print(json.dumps({k: [before.get(k), os.environ.get(k)] "
             "for k in before.keys() | os.environ.keys() if before.get(k) != os.environ.get(k)}))")
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("HUB_", "DAGSTER_", "PG"))}
    env.update(HUB_DATA_DIR=str(tmp_path), HUB_POSTGRES_URL="postgresql://hub:secret@db.example/hub",
               HUB_PSEUDONYM_KEY="a-key-that-is-only-read-0123456789")
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True,
                          timeout=300, cwd=ROOT, check=True)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {}


def test_loading_the_definitions_does_not_import_pandas(hub_definitions):
    """Every run process and the UI's code server load the definitions: pandas (0.8 s) is
    imported only by the steps that need it (the quality gates, on a thread ahead)."""
    assert not imports_pandas("import penal_hub.orchestration.definitions")


def test_the_catalog_has_no_default_group_and_no_orphan(hub_definitions):
    """Every asset is defined here (none is a stub Dagster made up for an unknown dependency,
    which the UI shows as Missing) and belongs to a named group."""
    graph = hub_definitions.defs.resolve_asset_graph()
    defined = {key for assets_def in graph.assets_defs for key in assets_def.keys}
    keys = graph.get_all_asset_keys()
    assert keys - defined == set()
    assert [k.to_user_string() for k in keys if graph.get(k).group_name == "default"] == []
    # The ledger is one asset, not a dbt source of its own.
    assert dg.AssetKey(["raw", "deliveries"]) in defined
    assert not any(k.path[0] == "raw_hub" for k in keys)


def test_every_dbt_test_is_a_described_check(hub_definitions):
    """A dbt test without a check would be recorded as an observation on every build."""
    from penal_hub.orchestration.transform.project import dbt_project

    graph = hub_definitions.defs.resolve_asset_graph()
    checks = {key.name: key for key in graph.asset_check_keys}
    manifest = json.loads(dbt_project.manifest_path.read_text())
    tests = [n for n in manifest["nodes"].values() if n["resource_type"] == "test"]
    assert len(tests) > 200
    assert [t["name"] for t in tests if t["name"] not in checks] == []
    assert [str(k) for k in graph.asset_check_keys
            if not (graph.get_check_spec(k).description or "").strip()] == []
    # A singular test over several models is on the one it names; a generic one says what.
    persona = dg.AssetKey(["interop", "persona"])
    assert checks["assert_persona_reported_by_a_source"].asset_key == persona
    assert graph.get_check_spec(checks["not_null_resolucion_judicial_persona_key"]).description \
        == "`persona_key` of resolucion_judicial is never null"


def test_no_dbt_test_repeats_a_contract_constraint():
    """A column the enforced contract declares not_null or primary_key cannot be built with
    a null or a duplicate (the database refuses the insert, and the model fails): a
    not_null or unique test on it would scan the table on every build to find nothing."""
    from penal_hub.orchestration.transform.project import dbt_project

    manifest = json.loads(dbt_project.manifest_path.read_text())
    implied = {"not_null": {"not_null", "primary_key"}, "unique": {"unique", "primary_key"}}
    repeated = []
    for test in manifest["nodes"].values():
        kind = (test.get("test_metadata") or {}).get("name")
        if test["resource_type"] != "test" or kind not in implied:
            continue
        model = manifest["nodes"][test["attached_node"]]
        column = model["columns"].get(test["column_name"], {})
        types = {c["type"] for c in column.get("constraints") or []}
        if model["config"]["contract"]["enforced"] and types & implied[kind]:
            repeated.append(test["name"])
    assert repeated == []
    # The control: constraints are declared, just not tested twice.
    assert sum(bool(c.get("constraints")) for n in manifest["nodes"].values()
               if n["resource_type"] == "model" for c in n["columns"].values()) > 60


def test_the_batch_checks_judge_the_landing_ledger(hub_definitions):
    from penal_hub.orchestration.automation.sensors import DOWNSTREAM_SELECTION
    from penal_hub.orchestration.quality.checks import DELIVERIES_RECONCILED, SOURCES_FRESH

    graph = hub_definitions.defs.resolve_asset_graph()
    on = {key.name: key.asset_key for key in graph.asset_check_keys}
    ledger = dg.AssetKey(["raw", "deliveries"])
    assert on[DELIVERIES_RECONCILED] == on[SOURCES_FRESH] == ledger
    # The raw tables are landing's; the checks on the ledger run downstream of it.
    downstream = DOWNSTREAM_SELECTION.resolve_checks(graph)
    assert {DELIVERIES_RECONCILED, SOURCES_FRESH} <= {key.name for key in downstream}
    assert not any(key.path[0] == "raw" for key in DOWNSTREAM_SELECTION.resolve(graph))
    # They read dbt's audit views, which the downstream run builds first.
    audit = {dg.AssetKey(["audit", "conciliacion_entregas"]), dg.AssetKey(["audit", "frescura_fuentes"])}
    assert audit <= DOWNSTREAM_SELECTION.resolve(graph)
    reads = {dep.asset_key for name in (DELIVERIES_RECONCILED, SOURCES_FRESH)
             for dep in graph.get_check_spec(dg.AssetCheckKey(ledger, name)).additional_deps}
    assert reads == audit


def test_the_reconciliation_counts_every_raw_table_of_the_feed_contract():
    """The dbt view the ledger is reconciled with reads every table a source lands in."""
    from penal_hub.contracts import feeds
    from penal_hub.orchestration.transform.project import dbt_project

    manifest = json.loads(dbt_project.manifest_path.read_text())
    [view] = [n for n in manifest["nodes"].values() if n["name"] == "conciliacion_entregas"]
    read = {manifest["sources"][s]["name"] for s in view["depends_on"]["nodes"]
            if s.startswith("source.")}
    landed = {table for tables in feeds.SOURCE_TABLES.values() for table in tables}
    assert read == landed | {"deliveries", "quarantine"}


def test_hub_ui_names_its_location_and_keeps_its_files_in_the_data_folder(tmp_path):
    """`hub ui` serves workspace.yaml's one location, named; the webserver's own files
    (`.nux/`...) go to a DAGSTER_HOME in the data folder, with the project's dagster.yaml."""
    from dagster._core.workspace.load_target import WorkspaceFileTarget

    from penal_hub.cli.main import ui_home
    from penal_hub.core.settings import PACKAGE_DIR

    workspace = PACKAGE_DIR / "workspace.yaml"
    origins = WorkspaceFileTarget(paths=[str(workspace)]).create_origins()
    assert [o.location_name for o in origins] == ["penal_interop_hub"]
    settings = settings_for(tmp_path / "data", tmp_path / "data" / "landing")
    home = ui_home(settings)
    assert home.is_relative_to(tmp_path / "data")
    # The project's dagster.yaml, the one at the checkout's root too.
    assert (home / "dagster.yaml").read_text() == (ROOT / "dagster.yaml").read_text()
    mine = tmp_path / "my_dagster_home"
    assert ui_home(replace(settings, dagster_home=mine)) == mine


def test_hub_ui_silences_the_dg_dev_warning_and_no_other():
    """dagster's own `dev` command warns that `dg dev` supersedes it (cli/main.py says why
    the hub keeps `dagster dev`); the filter `hub ui` sets drops that warning only."""
    from penal_hub.cli.main import SUPERSEDED_WARNING

    # The command's callback warns, then refuses an option it does not know.
    call = ("from dagster._cli.dev import dev_command\n"
            "try:\n    dev_command.callback(*[None] * 12, no_such_option=1)\n"
            "except Exception:\n    pass\n"
            "import warnings; warnings.warn('another', FutureWarning)\n")

    def stderr(filters: str) -> str:
        env = {**os.environ, "PYTHONWARNINGS": filters}
        return subprocess.run([sys.executable, "-c", call], env=env, capture_output=True,
                              text=True, timeout=120, check=True).stderr
    assert "'dg dev'" in stderr("default")
    silenced = stderr(SUPERSEDED_WARNING)
    assert "'dg dev'" not in silenced and "another" in silenced
