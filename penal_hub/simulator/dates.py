"""Dates of the simulated year: cut-offs of each source, and calendar arithmetic."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

YEAR = 2024
YEAR_START = date(YEAR, 1, 1)
# Every source's last delivery: where the calibration and the planted alerts hold.
LAST_CUTOFF = date(YEAR, 12, 31)


def add_months(d: date, months: int) -> date:
    """Calendar months, clamping to the month's last day (as DuckDB and PostgreSQL do)."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def month_ends(year: int = YEAR) -> list[date]:
    return [date(year, m, calendar.monthrange(year, m)[1]) for m in range(1, 13)]


def weekly_cutoffs(year: int = YEAR) -> list[date]:
    """Every Sunday of the year, and the year's last day so the last cut-offs agree."""
    first = date(year, 1, 1)
    d = first + timedelta(days=(6 - first.weekday()) % 7)
    out = []
    while d.year == year:
        out.append(d)
        d += timedelta(days=7)
    if out[-1] != date(year, 12, 31):
        out.append(date(year, 12, 31))
    return out


REGISTRY_CUTOFFS = month_ends()
MEDIO_LIBRE_CUTOFFS = month_ends()
COURT_CUTOFFS = weekly_cutoffs()


def delivery_for(d: date, cutoffs: list[date]) -> date | None:
    """The first cut-off on or after `d`: the delivery that carries an event of day `d`."""
    for c in cutoffs:
        if d <= c:
            return c
    return None
