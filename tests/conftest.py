"""Shared fixtures: a simulated landing zone at a small scale, generated once per session."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulator import simulate

SMALL_SCALE, SEED = 0.02, 11


@pytest.fixture(scope="session")
def simulated(tmp_path_factory) -> Path:
    """A simulated year at a small scale: `landing/` and `truth/` under the returned folder."""
    out = tmp_path_factory.mktemp("sim")
    simulate(SMALL_SCALE, SEED, out)
    return out


@pytest.fixture(scope="session")
def truth(simulated) -> dict:
    return json.loads((simulated / "truth" / "truth.json").read_text())
