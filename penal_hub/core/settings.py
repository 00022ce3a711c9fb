"""Where the hub reads and writes: one local data folder by default.

Every path comes from an environment variable so that dbt's profile, Dagster's
resources and the CLI always agree. Unset variables default under
`HUB_DATA_DIR` (default `./data`).

The warehouse is the DuckDB file HUB_WAREHOUSE unless HUB_POSTGRES_URL names a
PostgreSQL database (`postgresql://user:password@host:port/dbname`): then the
connectors, dbt (target `postgres`), the checks and publication all use it.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
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
    postgres_url: str | None = None

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
    def dagster_storage(self) -> Path:
        return self.data_dir / "dagster"

    @classmethod
    def from_env(cls) -> Settings:
        data = Path(os.environ.get("HUB_DATA_DIR", "data")).absolute()
        return cls(
            data_dir=data,
            landing_dir=Path(os.environ.get("HUB_LANDING_DIR", data / "landing")).absolute(),
            warehouse=Path(os.environ.get("HUB_WAREHOUSE", data / "warehouse.duckdb")).absolute(),
            outbox_dir=Path(os.environ.get("HUB_OUTBOX_DIR", data / "outbox")).absolute(),
            analyst_db=Path(os.environ.get("HUB_ANALYST_DB", data / "analyst.duckdb")).absolute(),
            # The package holds dagster.yaml, which stores under HUB_DAGSTER_STORAGE.
            dagster_home=Path(os.environ.get("DAGSTER_HOME", PACKAGE_DIR)).absolute(),
            postgres_url=os.environ.get("HUB_POSTGRES_URL") or None,
        )

    def export(self) -> None:
        """Fill in the environment so dbt, Dagster and subprocesses see the same paths."""
        os.environ.setdefault("HUB_DATA_DIR", str(self.data_dir))
        os.environ.setdefault("HUB_LANDING_DIR", str(self.landing_dir))
        os.environ.setdefault("HUB_WAREHOUSE", str(self.warehouse))
        os.environ.setdefault("HUB_OUTBOX_DIR", str(self.outbox_dir))
        os.environ.setdefault("DAGSTER_HOME", str(self.dagster_home))
        os.environ.setdefault("HUB_DAGSTER_STORAGE", str(self.dagster_storage))
        os.environ.setdefault("HUB_DAGSTER_COMPUTE_LOGS", str(self.dagster_storage / "logs"))
        if self.simulated and not os.environ.get("HUB_PSEUDONYM_KEY"):
            os.environ["HUB_PSEUDONYM_KEY"] = DEMO_PSEUDONYM_KEY
        self._export_dbt_target()
        # dbt runs as a subprocess: make sure it is this environment's dbt.
        bin_dir = str(Path(sys.executable).parent)
        if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
            os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")

    def _export_dbt_target(self) -> None:
        """dbt's profile reads the target and its connection from these (profiles.yml)."""
        if not self.postgres_url:
            os.environ["HUB_DBT_TARGET"] = "duckdb"
            return
        url = urlsplit(self.postgres_url)
        os.environ.update({
            "HUB_DBT_TARGET": "postgres",
            "HUB_PG_HOST": url.hostname or "localhost",
            "HUB_PG_PORT": str(url.port or 5432),
            "HUB_PG_USER": unquote(url.username or ""),
            "HUB_PG_PASSWORD": unquote(url.password or ""),
            "HUB_PG_DBNAME": unquote(url.path.lstrip("/")),
        })
        # pgcrypto's hmac() reads the key from the session (dbt's macro `pseudonym`): libpq
        # passes PGOPTIONS at connection start, so the key is in no SQL text and no log.
        # Without a key, PostgreSQL's current_setting() refuses, as the DuckDB plugin does.
        if key := os.environ.get("HUB_PSEUDONYM_KEY"):
            key = key.replace("\\", "\\\\").replace(" ", "\\ ")
            os.environ["PGOPTIONS"] = f"-c hub.pseudonym_key={key}"
