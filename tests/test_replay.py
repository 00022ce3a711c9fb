"""Deliveries arriving one at a time end where one run over all of them ends.

A small landing zone (the first weeks of the simulated year) is replayed into an empty
landing zone in two interleavings of the sources, one folder per run (data files first,
manifest last), each followed by `run_all` on the project's own Dagster instance
configuration (dagster.yaml, with its warehouse pool). The second replay also receives
a medio libre folder corrected (its last record withdrawn) and then sent back as it
first was. Both must end with the same warehouse (interop, marts), analysts' database
and extract as one run over the whole zone: table contents, not counts.

At scale: `uv run python scripts/replay.py --scale 0.1` replays the whole demo year.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest
from hub_env import hub_environment

from hub.settings import PROJECT_ROOT
from simulator import simulate
from simulator.redeliveries import correct_delivery
from simulator.replay import Folder, deliver, differences, folders, replay, snapshot

SCALE, SEED = 0.01, 5
LAST_CUTOFF = "2024-01-31"  # one registry and medio libre cut-off, the court's last weeks before it
COURT_WEEKS = 3  # enough subjects for the plausibility gate, the last recent enough
# The blocking checks that judge how much of the sources has arrived.
ARRIVAL_RULES = ("sources_fresh", "unmatched_court_subjects_plausible")


def run_hub(data: Path, landing: Path, definitions) -> dict:
    """One `hub run` in this process, on an instance of the project's dagster.yaml."""
    from orchestration.pipeline import run_all

    with hub_environment(data, landing) as settings, \
            dg.DagsterInstance.from_config(str(PROJECT_ROOT)) as instance:
        return run_all(definitions.defs, instance, landing,
                       resources=definitions.build_resources(settings), say=lambda _: None)


@pytest.fixture(scope="module")
def zone(tmp_path_factory) -> tuple[Path, list[Folder]]:
    """The landing zone to replay, and its folders."""
    out = tmp_path_factory.mktemp("replay-source")
    simulate(SCALE, SEED, out)
    landing = out / "landing"
    court = [f for f in folders(landing) if f.source == "pj_resoluciones"
             and f.fecha_corte <= LAST_CUTOFF][-COURT_WEEKS:]
    chosen = [f for f in folders(landing) if f.fecha_corte <= LAST_CUTOFF
              and f.source != "pj_resoluciones"] + court
    for folder in folders(landing, complete_only=False):
        if folder not in chosen:
            shutil.rmtree(folder.path(landing))
    return landing, sorted(chosen)


@pytest.fixture(scope="module")
def all_at_once(zone, hub_definitions, tmp_path_factory) -> dict:
    landing, _ = zone
    data = tmp_path_factory.mktemp("all-at-once")
    report = run_hub(data, landing, hub_definitions)
    assert all(report["outcomes"].values()) and report["publication"]["estado"] == "publicado", \
        report
    return snapshot(data)


def test_date_order_then_registry_last(zone, all_at_once, hub_definitions, tmp_path):
    """Court weeks first, then medio libre, the registry last: the hub waits (builds and
    publishes nothing, fails nothing) until the last source's first delivery."""
    landing, chosen = zone
    order = [f for f in chosen if f.source == "pj_resoluciones"] + \
            [f for f in chosen if f.source == "inpe_medio_libre"] + \
            [f for f in chosen if f.source == "inpe_registro"]
    target = tmp_path / "landing"
    steps = replay(landing, target, [[f] for f in order],
                   lambda: run_hub(tmp_path / "data", target, hub_definitions))
    for step in steps[:-1]:
        assert "inpe_registro" in step.report["waiting"], step
        assert all(step.report["outcomes"].values()) and "downstream" not in step.report["outcomes"]
        assert step.report["publication"] is None
    last = steps[-1].report
    assert last["waiting"] == [] and all(last["outcomes"].values()), last
    assert differences(all_at_once, snapshot(tmp_path / "data")) == []


def test_registry_first_court_last_with_a_redelivery(zone, all_at_once, hub_definitions,
                                                     tmp_path):
    """The registry first, then medio libre, then each court week (every run from the
    third builds and publishes on what came before); then medio libre's folder corrected (B) and sent
    back as it first was (A again): the end state is A's."""
    landing, chosen = zone
    order = [f for f in chosen if f.source == "inpe_registro"] + \
            [f for f in chosen if f.source == "inpe_medio_libre"] + \
            [f for f in chosen if f.source == "pj_resoluciones"]
    target, data = tmp_path / "landing", tmp_path / "data"

    def run() -> dict:
        return run_hub(data, target, hub_definitions)

    steps = replay(landing, target, [[f] for f in order], run)
    # A build on part of the court's weeks may be held back by the batch rules that judge
    # how much has arrived (the court feed lagging the registry's cut-off, too few court
    # subjects matched): then it is blocked, said why, and nothing fails besides.
    for step in steps[2:-1]:
        report, publication = step.report, step.report["publication"]
        assert all(ok for name, ok in report["outcomes"].items() if name != "downstream")
        if report["blocked"]:
            assert publication["estado"] == "bloqueado" and not report["outcomes"]["downstream"]
            assert all(line.startswith(ARRIVAL_RULES) for line in report["blocked"]), report
            assert all(name in publication["motivo"] for name in ARRIVAL_RULES
                       if any(line.startswith(name) for line in report["blocked"]))
        else:
            assert report["outcomes"]["downstream"] and publication["estado"] == "publicado"
    last = steps[-1].report
    assert all(last["outcomes"].values()) and last["publication"]["estado"] == "publicado", last
    assert differences(all_at_once, snapshot(data)) == []

    (medio_libre,) = [f for f in chosen if f.source == "inpe_medio_libre"]
    folder = medio_libre.path(target)
    jsonl = next(p.name for p in folder.iterdir() if p.suffix == ".jsonl")
    correct_delivery(folder, jsonl)
    corrected = run()
    assert all(corrected["outcomes"].values()), corrected
    assert differences(all_at_once, snapshot(data)) != []  # B is not A
    shutil.rmtree(folder)
    deliver(landing, target, medio_libre)
    again = run()
    assert all(again["outcomes"].values()), again
    assert differences(all_at_once, snapshot(data)) == []
