"""Where the hub reads and writes: one local data folder by default.

Settings are read from the environment once, where a process starts (the CLI, and the
definitions module Dagster loads); every resource, dbt's profile and the environment of
the processes `hub` starts are built from them, and nothing is written back to this
process's environment. Unset variables default under `HUB_DATA_DIR` (default `./data`).

The warehouse is the DuckDB file HUB_WAREHOUSE unless HUB_POSTGRES_URL names a
PostgreSQL database (`postgresql://user:password@host:port/dbname`): then the
connectors, dbt (target `postgres`), the checks and publication all use it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from penal_hub.core.pseudonyms import DEMO_PSEUDONYM_KEY, is_simulated

# The installed package, whose dagster.yaml and workspace.yaml `hub` uses.
PACKAGE_DIR = Path(__file__).resolve().parents[1]


def display(location: str) -> str:
    """A warehouse location for people to read: a DuckDB path, or a PostgreSQL server and
    database, never a user or a password."""
    if not location.startswith(("postgresql://", "postgres://")):
        return location
    url = urlsplit(location)
    return f"PostgreSQL {url.hostname}:{url.port or 5432}{url.path}"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    landing_dir: Path
    warehouse: Path
    outbox_dir: Path
    analyst_db: Path
    dagster_home: Path
    dagster_storage: Path
    dagster_logs: Path
    postgres_url: str | None = field(default=None, repr=False)  # its password too
    # HUB_PSEUDONYM_KEY as set; out of repr, so that no log shows it (see pseudonym_key).
    key: str | None = field(default=None, repr=False)

    @property
    def warehouse_location(self) -> str:
        """What penal_hub.core.warehouse.connect opens: the PostgreSQL URL if set, else the DuckDB file."""
        return self.postgres_url or str(self.warehouse)

    @property
    def warehouse_display(self) -> str:
        """The warehouse for people to read: never a password."""
        return display(self.warehouse_location)

    @property
    def simulated(self) -> bool:
        """A landing zone the simulator wrote: the demo key may stand in for a real one."""
        return is_simulated(self.landing_dir)

    @property
    def pseudonym_key(self) -> str | None:
        """The key persons are keyed with: HUB_PSEUDONYM_KEY, or on a landing zone the
        simulator wrote the demo key (checked when read: `hub demo` writes it after start)."""
        return DEMO_PSEUDONYM_KEY if not self.key and self.simulated else self.key

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"

    @property
    def dbt_target(self) -> str:
        """The output of dbt's profile (dbt_project/profiles.yml) the warehouse needs."""
        return "postgres" if self.postgres_url else "duckdb"

    def dagster_env(self) -> dict[str, str]:
        """What the instance's dagster.yaml reads: where Dagster stores runs and logs."""
        return {"DAGSTER_HOME": str(self.dagster_home),
                "HUB_DAGSTER_STORAGE": str(self.dagster_storage),
                "HUB_DAGSTER_COMPUTE_LOGS": str(self.dagster_logs)}

    def child_env(self) -> dict[str, str]:
        """The environment of a process `hub` starts (`dagster dev`, and the runs it starts):
        this process's, with every setting made whole (absolute paths, the key in use)."""
        env = {**os.environ, **self.dagster_env(),
               "HUB_DATA_DIR": str(self.data_dir), "HUB_LANDING_DIR": str(self.landing_dir),
               "HUB_WAREHOUSE": str(self.warehouse), "HUB_OUTBOX_DIR": str(self.outbox_dir),
               "HUB_ANALYST_DB": str(self.analyst_db)}
        if self.pseudonym_key:
            env["HUB_PSEUDONYM_KEY"] = self.pseudonym_key
        return env

    def dbt_secrets(self) -> dict[str, str]:
        """The secrets dbt's subprocess reads from its environment, never from a file or its
        command line: the pseudonym key (the DuckDB plugin; on PostgreSQL, pgcrypto's hmac()
        reads it from the session, which libpq's PGOPTIONS sets at connection start, so it
        is in no SQL text and no log) and PostgreSQL's password (dbt's profile)."""
        key = self.pseudonym_key
        secrets = {"HUB_PSEUDONYM_KEY": key} if key else {}
        if self.postgres_url:
            secrets["HUB_PG_PASSWORD"] = unquote(urlsplit(self.postgres_url).password or "")
            # Without a key, PostgreSQL's current_setting() refuses, as the DuckDB plugin does.
            if key:
                escaped = key.replace("\\", "\\\\").replace(" ", "\\ ")
                secrets["PGOPTIONS"] = f"-c hub.pseudonym_key={escaped}"
        return secrets

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        """Settings from the variables of `environ` (by default this process's environment),
        with the defaults for those not set."""
        data = Path(environ.get("HUB_DATA_DIR", "data")).absolute()
        storage = Path(environ.get("HUB_DAGSTER_STORAGE", data / "dagster")).absolute()
        return cls(
            data_dir=data,
            landing_dir=Path(environ.get("HUB_LANDING_DIR", data / "landing")).absolute(),
            warehouse=Path(environ.get("HUB_WAREHOUSE", data / "warehouse.duckdb")).absolute(),
            outbox_dir=Path(environ.get("HUB_OUTBOX_DIR", data / "outbox")).absolute(),
            analyst_db=Path(environ.get("HUB_ANALYST_DB", data / "analyst.duckdb")).absolute(),
            # The package holds dagster.yaml, which stores under HUB_DAGSTER_STORAGE.
            dagster_home=Path(environ.get("DAGSTER_HOME", PACKAGE_DIR)).absolute(),
            dagster_storage=storage,
            dagster_logs=Path(environ.get("HUB_DAGSTER_COMPUTE_LOGS", storage / "logs")).absolute(),
            postgres_url=environ.get("HUB_POSTGRES_URL") or None,
            key=environ.get("HUB_PSEUDONYM_KEY"),
        )
