"""Deliveries arriving one at a time end where one run over all of them ends.

A simulated year is replayed into an empty landing zone, in two interleavings of the
sources, each step followed by `run_all` on the project's own Dagster instance
configuration (dagster.yaml, with its warehouse pool); every folder is copied as senders
write it, data files first and the manifest last. The year up to November arrives in
a few grouped steps (one source at a time: the hub waits for the others), then the
year's last deliveries arrive one per run. The second replay also receives medio
libre's last folder corrected (its last record withdrawn) and then sent back as it
first was. Both must end with the same warehouse (interop, marts), analysts' database
and extract as one run over the whole year: table contents, not counts.

The quality gates judge a year: a zone of a few weeks fails the plausibility of matched
court subjects by design, hence the grouped start. At scale:
`uv run python scripts/replay.py --scale 0.1` replays every delivery of the demo year.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hub_env import settings_for

from penal_hub.simulator import simulate
from penal_hub.simulator.redeliveries import correct_delivery
from penal_hub.simulator.replay import Folder, deliver, differences, folders, replay, snapshot

SCALE, SEED = 0.01, 5
LAST_DELIVERIES_FROM = "2024-12-29"  # these arrive one per run; the year before, grouped
COURT, REGISTRY, MEDIO_LIBRE = "pj_resoluciones", "inpe_registro", "inpe_medio_libre"


def run_hub(data: Path, landing: Path, definitions) -> dict:
    """One `hub run` in this process, on an instance of the project's dagster.yaml."""
    from penal_hub.orchestration.pipeline import hub_instance, run_all

    settings = settings_for(data, landing)
    with hub_instance(settings) as instance:
        return run_all(definitions.defs, instance, landing,
                       resources=definitions.build_resources(settings), say=lambda _: None)


@pytest.fixture(scope="module")
def zone(tmp_path_factory) -> tuple[Path, list[Folder]]:
    """The simulated year's landing zone (complete deliveries only), and its folders."""
    out = tmp_path_factory.mktemp("replay-source")
    simulate(SCALE, SEED, out)
    landing = out / "landing"
    complete = folders(landing)
    for folder in folders(landing, complete_only=False):
        if folder not in complete:
            shutil.rmtree(folder.path(landing))
    return landing, complete


def split(chosen: list[Folder]) -> tuple[dict[str, list[Folder]], list[Folder]]:
    """The year before the last deliveries, per source; and the last deliveries."""
    earlier = {source: [f for f in chosen if f.source == source
                        and f.fecha_corte < LAST_DELIVERIES_FROM]
               for source in (COURT, REGISTRY, MEDIO_LIBRE)}
    last = [f for f in chosen if f.fecha_corte >= LAST_DELIVERIES_FROM]
    return earlier, last


@pytest.fixture(scope="module")
def all_at_once(zone, hub_definitions, tmp_path_factory) -> dict:
    landing, _ = zone
    data = tmp_path_factory.mktemp("all-at-once")
    report = run_hub(data, landing, hub_definitions)
    assert all(report["outcomes"].values()) and report["publication"]["estado"] == "publicado", \
        report
    return snapshot(data)


def assert_published(report: dict) -> None:
    assert all(report["outcomes"].values()), report
    assert report["publication"]["estado"] == "publicado", report


def test_court_first_then_the_last_deliveries_in_date_order(zone, all_at_once, hub_definitions,
                                                             tmp_path):
    """The court's year, then medio libre's: the hub waits (builds, publishes and fails
    nothing) until the registry's arrives; then the last deliveries one by one."""
    landing, chosen = zone
    earlier, last = split(chosen)
    assert len(last) >= 3 and {f.source for f in last} == {COURT, REGISTRY, MEDIO_LIBRE}
    target, data = tmp_path / "landing", tmp_path / "data"
    steps = replay(landing, target,
                   [earlier[COURT], earlier[MEDIO_LIBRE], earlier[REGISTRY], *([f] for f in last)],
                   lambda: run_hub(data, target, hub_definitions))
    for step, waiting in zip(steps[:2], ([REGISTRY, MEDIO_LIBRE], [REGISTRY]), strict=True):
        assert step.report["waiting"] == waiting, step
        assert all(step.report["outcomes"].values()) and "downstream" not in step.report["outcomes"]
        assert step.report["publication"] is None and not step.report["blocked"]
    for step in steps[2:]:
        assert_published(step.report)
    assert differences(all_at_once, snapshot(data)) == []


def test_registry_first_court_last_with_a_redelivery(zone, all_at_once, hub_definitions,
                                                     tmp_path):
    """The registry's and medio libre's year together (waiting for the court), then the
    court's; the last deliveries one by one, registry first, court last; then medio
    libre's last folder corrected (B) and sent back as it first was (A again): the end
    state is A's."""
    landing, chosen = zone
    earlier, last = split(chosen)
    order = sorted(last, key=lambda f: (f.source != REGISTRY, f.source == COURT, f.fecha_corte))
    target, data = tmp_path / "landing", tmp_path / "data"

    def run() -> dict:
        return run_hub(data, target, hub_definitions)

    steps = replay(landing, target, [earlier[REGISTRY] + earlier[MEDIO_LIBRE], earlier[COURT],
                                     *([f] for f in order)], run)
    assert steps[0].report["waiting"] == [COURT]
    for step in steps[1:]:
        assert_published(step.report)
    assert differences(all_at_once, snapshot(data)) == []

    [medio_libre] = [f for f in last if f.source == MEDIO_LIBRE]
    folder = medio_libre.path(target)
    jsonl = next(p.name for p in folder.iterdir() if p.suffix == ".jsonl")
    correct_delivery(folder, jsonl)
    assert_published(run())
    assert differences(all_at_once, snapshot(data)) != []  # B is not A
    shutil.rmtree(folder)
    deliver(landing, target, medio_libre)
    assert all(run()["outcomes"].values())
    assert differences(all_at_once, snapshot(data)) == []
