"""The dbt project, and the preparation of its manifest.

`dagster dev` prepares the manifest itself (`prepare_if_dev`); headless entry
points (`hub run`, the tests, CI) call `prepare_manifest()` before importing the
definitions, which read the manifest at import time. It parses only when the project,
its profile's environment or dbt changed since the last parse.
"""

import hashlib
import os
import re
from importlib.metadata import version
from pathlib import Path

from dagster_dbt import DbtProject

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
dbt_project.prepare_if_dev()


# Beside the manifest: the fingerprint of what it was parsed from.
PARSED_FROM = "manifest.parsed-from"
ENV_VAR_READ = re.compile(r"env_var\(\s*['\"](\w+)['\"]")


def prepare_manifest() -> Path:
    """Parse the dbt project into target/manifest.json (what dagster-dbt loads), unless it
    was parsed from the same project files, profile settings and dbt: even with nothing to
    re-parse, `dbt parse` costs `hub run` 6-10 s."""
    manifest = dbt_project.manifest_path
    stamp = manifest.with_name(PARSED_FROM)
    fingerprint = project_fingerprint(DBT_PROJECT_DIR)
    if manifest.exists() and stamp.exists() and stamp.read_text() == fingerprint:
        return manifest
    dbt_project.preparer.prepare(dbt_project)
    stamp.write_text(fingerprint)
    return manifest


def project_fingerprint(project_dir: Path) -> str:
    """sha256 over the project's files (not its output), the environment they read
    (`env_var()`, and DBT_*) and the versions of dbt and its adapters.

    Of the DuckDB file's path only its name counts: the manifest records it as the
    database's name, and a run on another data folder (each test, `hub ui` beside a
    replay) must not re-parse, nor wait on another process's parse."""
    digest = hashlib.sha256()
    sources = [p for p in project_dir.iterdir() if p.name not in ("target", "logs", "dbt_packages")]
    files = [f for p in sources for f in ([p] if p.is_file() else p.rglob("*")) if f.is_file()]
    read_names: set[str] = set()
    for path in sorted(files):
        content = path.read_bytes()
        digest.update(f"{path.relative_to(project_dir)}\0".encode() + content + b"\0")
        read_names.update(ENV_VAR_READ.findall(content.decode(errors="replace")))
    for name in sorted(read_names | {n for n in os.environ if n.startswith("DBT_")}):
        value = os.environ.get(name, "")
        if name == "HUB_WAREHOUSE":
            value = Path(value).stem
        digest.update(f"{name}={value}\0".encode())
    for package in ("dbt-core", "dbt-duckdb", "dbt-postgres", "dagster-dbt"):
        digest.update(f"{package}=={version(package)}\0".encode())
    return digest.hexdigest()
