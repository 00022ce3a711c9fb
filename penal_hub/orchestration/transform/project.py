"""The dbt project, the dbt it runs with, and the preparation of its manifest.

dbt is configured explicitly, from the hub's Settings: `DbtResource` writes a profile per
data folder (the project's profiles.yml with the settings' values in place of its
environment lookups, but the password's) and runs the dbt of this environment by its
path, with the secrets in the environment of dbt's process only.

The definitions read the manifest at import time: headless entry points (`hub run`, the
tests, CI) call `prepare_manifest()` before importing them, and under `dagster dev` this
module does, with the settings of the environment `hub ui` gives it (what dagster-dbt's
`prepare_if_dev` does, with the hub's profile and dbt). It parses only when the project,
the profile's target and database or dbt changed since the last parse.
"""

import hashlib
import os
import sys
from collections.abc import Mapping, Sequence
from functools import cached_property
from importlib.metadata import version
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml
from dagster._utils import run_with_concurrent_update_guard
from dagster._utils.env import environ, using_dagster_dev
from dagster_dbt import DbtCliInvocation, DbtCliResource, DbtProject

from penal_hub.core.permissions import private_dir, write_private
from penal_hub.core.settings import Settings

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
# This environment's dbt, by its path: the hub changes no PATH to find it.
DBT_EXECUTABLE = Path(sys.executable).parent / "dbt"
PROFILE = "penal_hub"
PROFILE_FOLDER = "dbt"  # in the data folder

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def write_profile(settings: Settings) -> Path:
    """dbt's profile for the settings' warehouse, in `<data folder>/dbt/`: the output of the
    project's profiles.yml for the settings' target, with the DuckDB file, or PostgreSQL's
    server, user and database, filled in. The password stays an environment lookup
    (DbtResource hands it to dbt's process): the file holds no secret, and has the hub's
    mode all the same. Returns the folder (dbt's --profiles-dir)."""
    outputs = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text())[PROFILE]["outputs"]
    output = outputs[settings.dbt_target]
    if settings.postgres_url:
        output.update(postgres_parts(settings.postgres_url))
    else:
        output["path"] = str(settings.warehouse)
    profile = {PROFILE: {"target": settings.dbt_target, "outputs": {settings.dbt_target: output}}}
    folder = private_dir(settings.data_dir / PROFILE_FOLDER)
    # A whole file or none: a `hub ui` run and `hub run` may write it at the same time.
    partial = folder / f".profiles.yml.{os.getpid()}"
    write_private(partial, yaml.safe_dump(profile, sort_keys=False).encode())
    os.replace(partial, folder / "profiles.yml")
    return folder


def postgres_parts(postgres_url: str) -> dict[str, str | int]:
    """The profile's connection to PostgreSQL from HUB_POSTGRES_URL, but its password."""
    url = urlsplit(postgres_url)
    return {"host": url.hostname or "localhost", "port": url.port or 5432,
            "user": unquote(url.username or ""), "dbname": unquote(url.path.lstrip("/"))}


class DbtResource:
    """dbt's CLI for one set of settings, run as DbtCliResource runs it (a subprocess, which
    releases DuckDB's lock when it ends). A plain object, not configuration: Dagster shows
    no field of it, and the secrets it holds reach dbt's process only."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @cached_property
    def cli_resource(self) -> DbtCliResource:
        # One per resource: each DbtCliResource asks dbt its version (a second) once.
        return DbtCliResource(project_dir=dbt_project,
                              profiles_dir=str(self.settings.data_dir / PROFILE_FOLDER),
                              dbt_executable=str(DBT_EXECUTABLE))

    def cli(self, args: Sequence[str], env: Mapping[str, str] | None = None,
            **kwargs) -> DbtCliInvocation:
        """`DbtCliResource.cli`, with the secrets (and `env`) in the environment of dbt's
        process. DbtCliResource takes that environment from this process's when it starts
        dbt, and has no parameter for it: dagster-dbt's maintainers advise setting it for
        the call (dagster-io/dagster#29656). It is restored as soon as dbt has started.
        The profile is written at every call: other settings on the same data folder (a
        test's copy of the warehouse) may have written theirs since."""
        write_profile(self.settings)
        with environ({**self.settings.dbt_secrets(), **(env or {})}):
            return self.cli_resource.cli(args, **kwargs)


# Beside the manifest: the fingerprint of what it was parsed from.
PARSED_FROM = "manifest.parsed-from"


def prepare_manifest(settings: Settings) -> Path:
    """Parse the dbt project into target/manifest.json (what dagster-dbt loads), with the
    settings' profile, unless it was parsed from the same project files, target and dbt:
    even with nothing to re-parse, `dbt parse` costs `hub run` 6-10 s."""
    manifest = dbt_project.manifest_path
    stamp = manifest.with_name(PARSED_FROM)
    fingerprint = project_fingerprint(DBT_PROJECT_DIR, settings)
    if manifest.exists() and stamp.exists() and stamp.read_text() == fingerprint:
        return manifest
    dbt = DbtResource(settings)
    run_with_concurrent_update_guard(
        manifest, lambda: dbt.cli(["parse", "--quiet"], target_path=dbt_project.target_path).wait())
    stamp.write_text(fingerprint)
    return manifest


def project_fingerprint(project_dir: Path, settings: Settings) -> str:
    """sha256 over the project's files (not its output), the profile's target and database,
    dbt's own environment (DBT_*) and the versions of dbt and its adapters.

    Of the DuckDB file's path only its name counts: the manifest records it as the
    database's name, and a run on another data folder (each test, `hub ui` beside a
    replay) must not re-parse, nor wait on another process's parse."""
    digest = hashlib.sha256()
    sources = [p for p in project_dir.iterdir() if p.name not in ("target", "logs", "dbt_packages")]
    files = [f for p in sources for f in ([p] if p.is_file() else p.rglob("*")) if f.is_file()]
    for path in sorted(files):
        digest.update(f"{path.relative_to(project_dir)}\0".encode() + path.read_bytes() + b"\0")
    database = (postgres_parts(settings.postgres_url)["dbname"] if settings.postgres_url
                else settings.warehouse.stem)
    digest.update(f"target={settings.dbt_target}\0database={database}\0".encode())
    for name in sorted(n for n in os.environ if n.startswith("DBT_")):
        digest.update(f"{name}={os.environ[name]}\0".encode())
    for package in ("dbt-core", "dbt-duckdb", "dbt-postgres", "dagster-dbt"):
        digest.update(f"{package}=={version(package)}\0".encode())
    return digest.hexdigest()


if using_dagster_dev():  # `hub ui`'s processes: every load of the definitions starts here
    prepare_manifest(Settings.from_env())
