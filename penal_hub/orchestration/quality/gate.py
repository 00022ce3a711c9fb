"""The publication gate: one decision, from the stored verdicts, for every publication.

A blocking check protects only the run it is in, so publication gates on the STORED
verdicts: the latest verdict of every blocking check for the latest registry cut-off
must have passed, and be newer than the newest landed delivery. Before every source has
delivered once there is nothing whole to judge: the hub waits, which is not a failure.
Both publications (the analysts' marts and the Poder Judicial's extract) ask `decide`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

import dagster as dg

from penal_hub.contracts import feeds
from penal_hub.core.warehouse import Warehouse
from penal_hub.orchestration.quality.checks import (
    BLOCKING_CHECKS,
    CHECKS,
    Verdict,
    latest_cutoff,
    latest_verdicts,
)


@dataclass(frozen=True)
class Decision:
    """What may be published: `cutoff` if `waiting` and `problems` are both empty."""

    cutoff: date | None
    verdicts: dict[str, Verdict]
    waiting: list[str]  # sources that have not delivered once yet
    problems: list[str]  # one line per blocking check that does not allow publication

    @property
    def publishable(self) -> bool:
        return not self.waiting and not self.problems and self.cutoff is not None

    @property
    def reason(self) -> str | None:
        """Why nothing is published, for people; None when it may be."""
        if self.waiting:
            return "waiting for a first delivery of " + ", ".join(self.waiting)
        if self.problems:
            return (f"{len(self.problems)} blocking check(s) for cut-off {self.cutoff} did not "
                    "pass:\n- " + "\n- ".join(self.problems))
        return None


def gated_deps(reads: Iterable[dg.AssetKey]) -> list[dg.AssetKey]:
    """A publication's upstream assets: what it reads, and every asset a quality check
    judges (so that it follows the checks in the lineage and in automation)."""
    return sorted({*reads, *(dg.AssetKey(list(s.asset)) for s in CHECKS.values())},
                  key=lambda k: k.to_user_string())


def sources_waiting(con: Warehouse) -> list[str]:
    """The sources with no landed delivery yet, in the feeds' order."""
    landed = {source for (source,) in con.rows(
        "SELECT DISTINCT source FROM raw.deliveries WHERE status = 'landed'")}
    return [source for source in feeds.SOURCES if source not in landed]


def newest_landing(con: Warehouse) -> datetime | None:
    """When the newest landed delivery arrived: a verdict older than that did not see it."""
    return con.rows("SELECT max(seen_at) FROM raw.deliveries WHERE status = 'landed'")[0][0]


def gate(verdicts: dict[str, Verdict], cutoff: date, newest: datetime | None) -> list[str]:
    """Why nothing may be published (empty: publish). One line per blocking check."""
    problems = []
    for name in BLOCKING_CHECKS:
        verdict = verdicts.get(name)
        if verdict is None:
            problems.append(f"{name}: no verdict for cut-off {cutoff}; run the quality checks")
        elif not verdict.passed:
            problems.append(f"{name}: failed in run {verdict.run_id} at "
                            f"{verdict.checked_at:%Y-%m-%d %H:%M:%S}: {verdict.summary}")
        elif newest is not None and verdict.checked_at < newest:
            problems.append(f"{name}: its verdict ({verdict.checked_at:%Y-%m-%d %H:%M:%S}) "
                            f"predates the delivery landed at {newest:%Y-%m-%d %H:%M:%S}; "
                            "run the checks again")
    return problems


def decide(con: Warehouse) -> Decision:
    waiting = sources_waiting(con)
    if waiting:
        return Decision(None, {}, waiting, [])
    cutoff = latest_cutoff(con)
    if cutoff is None:
        no_cutoff = "interop.corte_actual: no registry cut-off yet"
        return Decision(None, {}, [], [no_cutoff])
    verdicts = latest_verdicts(con, cutoff)
    return Decision(cutoff, verdicts, [], gate(verdicts, cutoff, newest_landing(con)))
