"""The analysts' HTML report: one well-formed page, every chart drawn from data, offline."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from penal_hub.orchestration.publish.report_html import (
    MAX_AXIS_STEPS,
    Bar,
    axis_ticks,
    bar_chart,
    pct_half_up,
    render_report,
)


@dataclass(frozen=True)
class Report:
    points: dict[str, int]
    html: str
    root: ET.Element


@pytest.fixture(scope="module")
def report(built_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Report:
    out = tmp_path_factory.mktemp("report") / "report.html"
    points = render_report(str(built_warehouse), out)
    html = out.read_text(encoding="utf-8")
    # Parsing as XML is the well-formedness check: every tag closed, every entity escaped.
    return Report(points, html, ET.fromstring(html))


def test_page_is_well_formed_html(report: Report) -> None:
    assert report.html.startswith("<!DOCTYPE html>")
    assert report.root.tag == "html" and report.root.get("lang") == "es"
    assert len(report.root.findall("body")) == 1
    ids = [e.get("id") for e in report.root.iter() if e.get("id")]
    assert len(ids) == len(set(ids)), "duplicate ids"


def test_every_chart_is_drawn_from_data(report: Report) -> None:
    sections = {s.get("data-chart"): s for s in report.root.iter("section") if s.get("data-chart")}
    assert sections.keys() == report.points.keys()
    for name, section in sections.items():
        marks = [
            e for e in section.iter() if e.tag in ("rect", "circle") and e.get("class") == "mark"
        ]
        assert marks, f"chart {name} drew nothing"
        assert len(marks) == report.points[name] == int(section.get("data-points")), name


def test_line_charts_draw_a_line_through_every_point(report: Report) -> None:
    for name in ("poblacion", "sin_sentencia"):
        section = next(s for s in report.root.iter("section") if s.get("data-chart") == name)
        path = next(e for e in section.iter("path") if e.get("class") == "line")
        assert len(re.findall(r"[ML]", path.get("d"))) == report.points[name]


def test_page_needs_no_network(report: Report) -> None:
    assert not re.search(r"https?:|//[a-z0-9.-]+\.[a-z]{2,}", report.html, re.IGNORECASE)
    for tag in ("script", "link", "img", "iframe", "object"):
        assert not list(report.root.iter(tag)), f"<{tag}> in an offline page"
    assert "@import" not in report.html and "url(" not in report.html


def test_indicator_table_has_the_latest_period(report: Report, built_warehouse: Path) -> None:
    with duckdb.connect(str(built_warehouse), read_only=True) as con:
        [(expected,)] = con.execute(
            "select count(*) from marts.indicadores_politica "
            "where periodo = (select max(periodo) from marts.indicadores_politica)"
        ).fetchall()
    section = next(s for s in report.root.iter("section") if s.get("id") == "indicadores")
    assert expected > 0
    assert len(section.findall("./table/tbody/tr")) == expected


@pytest.mark.parametrize(
    ("num", "den", "expected"),
    [
        (1, 3, Decimal("33.33")),
        (2, 3, Decimal("66.67")),
        (1, 8, Decimal("12.5")),
        (1, 200, Decimal("0.5")),
        (1, 0, None),
    ],
)
def test_pct_half_up_matches_the_dbt_macro(num: int, den: int, expected: Decimal | None) -> None:
    assert pct_half_up(num, den) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, 1), (7, 8), (12, 12), (23, 25), (4973, 5000), (44.35, 50), (100, 100), (517, 600),
     (0.37, 0.4)],
)
def test_axis_ends_on_the_first_round_number_above_the_data(value: float, expected: float) -> None:
    ticks = axis_ticks(value)
    assert ticks[0] == 0 and ticks[-1] == pytest.approx(expected)
    assert 2 <= len(ticks) <= MAX_AXIS_STEPS + 1
    steps = {round(b - a, 9) for a, b in itertools.pairwise(ticks)}
    assert len(steps) == 1  # evenly spaced


def test_occupancy_reference_label_clears_the_bars_and_the_axis_fits_the_data() -> None:
    """The defects the issue saw: "capacidad" printed over the NACIONAL bar, and an axis to
    1,000 % for a maximum of 517 %."""
    svg = ET.fromstring(bar_chart([Bar("NACIONAL", 120.5, "total"), Bar("EP LURIGANCHO", 517.3)],
                                  " %", decimals=2, reference=("capacidad", 100)))
    label = next(t for t in svg.iter("text") if t.get("class") == "ref-label")
    first_bar = next(r for r in svg.iter("rect") if r.get("class") == "mark")
    assert label.text == "capacidad"
    assert float(label.get("y")) < float(first_bar.get("y"))  # baseline above the bar's top
    ticks = [t.text for t in svg.iter("text") if t.get("class") == "muted"]
    assert ticks[-1] == "600 %"


def test_indicators_show_their_names_and_units(report: Report, built_warehouse: Path) -> None:
    """Names and units from marts.dim_indicador, not bare codes, in the table and titles."""
    with duckdb.connect(str(built_warehouse), read_only=True) as con:
        named = {code: (name, unit) for code, name, unit in con.execute(
            "select codigo_indicador, indicador, unidad from marts.dim_indicador").fetchall()}
    section = next(s for s in report.root.iter("section") if s.get("id") == "indicadores")
    for row in section.findall("./table/tbody/tr"):
        code = row.find("./td/span").text
        cells = ["".join(td.itertext()).strip() for td in row.findall("td")]
        assert cells[0] == f"{named[code][0]} {code}" and cells[1] == named[code][1]
        assert cells[3].endswith(" %") == (named[code][1] == "%"), cells
    titles = {s.get("data-chart"): s.findtext("h2") for s in report.root.iter("section")}
    assert titles["sin_sentencia"] == f"{named['OP01_PCT_SIN_SENTENCIA'][0]} (%, OP01)"
    assert titles["poblacion"] == f"{named['POBLACION_INTRAMUROS'][0]} (personas)"
