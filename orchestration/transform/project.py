"""The dbt project, and the preparation of its manifest.

`dagster dev` prepares the manifest itself (`prepare_if_dev`); headless entry
points (`hub run`, the tests, CI) call `prepare_manifest()` before importing the
definitions, which read the manifest at import time.
"""

from pathlib import Path

from dagster_dbt import DbtProject

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
dbt_project.prepare_if_dev()


def prepare_manifest() -> Path:
    """Parse the dbt project into target/manifest.json (what dagster-dbt loads)."""
    dbt_project.preparer.prepare(dbt_project)
    return dbt_project.manifest_path
