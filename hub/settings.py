"""Where the hub reads and writes: one local data folder by default.

Every path comes from an environment variable so that dbt's profile, Dagster's
resources and the CLI always agree. Unset variables default under
`HUB_DATA_DIR` (default `./data`).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
# Demo key only: a real deployment must set HUB_PSEUDONYM_KEY to a secret.
DEMO_PSEUDONYM_KEY = "demo-key-NOT-FOR-PRODUCTION"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    landing_dir: Path
    warehouse: Path
    outbox_dir: Path
    dagster_home: Path

    @property
    def dagster_storage(self) -> Path:
        return self.data_dir / "dagster"

    @classmethod
    def from_env(cls) -> "Settings":
        data = Path(os.environ.get("HUB_DATA_DIR", "data")).absolute()
        return cls(
            data_dir=data,
            landing_dir=Path(os.environ.get("HUB_LANDING_DIR", data / "landing")).absolute(),
            warehouse=Path(os.environ.get("HUB_WAREHOUSE", data / "warehouse.duckdb")).absolute(),
            outbox_dir=Path(os.environ.get("HUB_OUTBOX_DIR", data / "outbox")).absolute(),
            # The project root holds dagster.yaml, which stores under HUB_DAGSTER_STORAGE.
            dagster_home=Path(os.environ.get("DAGSTER_HOME", PROJECT_ROOT)).absolute(),
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
        os.environ.setdefault("HUB_PSEUDONYM_KEY", DEMO_PSEUDONYM_KEY)
        # dbt runs as a subprocess: make sure it is this environment's dbt.
        bin_dir = str(Path(sys.executable).parent)
        if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
            os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
