"""What the same-run comparisons of bench/ share: files as of another revision, and the
process's CPU seconds."""

from __future__ import annotations

import resource
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def files_at(rev: str, into: Path, *paths: str | Path) -> None:
    """`paths` of the repository as of git revision `rev`, extracted under `into`."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, *map(str, paths)],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)


def cpu_seconds() -> float:
    """User + system CPU seconds of this process so far, DuckDB's threads included."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
