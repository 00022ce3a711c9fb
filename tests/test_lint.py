"""The code passes ruff (the locked version, with the settings in pyproject.toml)."""

import re
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]


def test_ruff_finds_nothing():
    ruff = Path(sys.executable).parent / "ruff"
    result = subprocess.run([str(ruff), "check", "--output-format", "concise", "."], cwd=PROJECT,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_no_tracked_file_refers_outside_the_repository():
    """A clone is complete: the specifications the hub implements live in docs/."""
    tracked = subprocess.run(["git", "ls-files"], cwd=PROJECT, capture_output=True, text=True,
                             check=True).stdout.split()
    # The workplace's folder beside the repository, as a path or a pathlib join (spelt so
    # to keep this file from naming it).
    beside = re.compile("shared" + r"""(/|["']\s*/)""")
    outside = [name for name in tracked if (PROJECT / name).is_file()
               and beside.search((PROJECT / name).read_text(errors="replace"))]
    assert outside == []
