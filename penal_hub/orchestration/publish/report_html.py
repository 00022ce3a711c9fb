"""A static HTML report on the analysts' marts, readable offline.

The page is one self-contained file: inline CSS, charts as inline SVG drawn here,
no script, no font or stylesheet to fetch. It must open on a machine in a
penitentiary office with no network, so no charting library that needs a CDN.
Labels are in Spanish: the readers are Peruvian analysts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from html import escape
from pathlib import Path

from penal_hub.core.warehouse import Warehouse, connect

MONTHS = ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic")
COLOURS = {"base": "#4c78a8", "alert": "#e45756", "total": "#3b3b3b"}
CHART_WIDTH = 760
TOP_ESTABLISHMENTS = 20

# --- SVG charts -----------------------------------------------------------------------
# Every data point is one element with class "mark" (a bar's <rect>, a line's <circle>),
# so a reader of the HTML (and the tests) can count what was drawn.


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    tone: str = "base"  # a key of COLOURS: "alert" flags a problem, "total" an aggregate


MAX_AXIS_STEPS = 6


def axis_ticks(value: float) -> list[float]:
    """An axis's ticks, from 0 to the first round number at or above `value`: at most
    MAX_AXIS_STEPS equal steps of 1, 2, 2.5 or 5 times a power of ten, the smallest that
    fits (a maximum of 517 % gives 0, 100, ..., 600, not an axis to 1,000)."""
    value = value if value > 0 else 1.0
    power = 10 ** math.floor(math.log10(value / MAX_AXIS_STEPS))
    for multiple in (1, 2, 2.5, 5, 10):
        step = multiple * power
        steps = math.ceil(value / step * (1 - 1e-12))  # a value on a tick ends the axis there
        if steps <= MAX_AXIS_STEPS:
            return [step * i for i in range(steps + 1)]
    raise AssertionError("unreachable: ten times the power always fits")


def format_number(value: float, unit: str = "", decimals: int = 0) -> str:
    """Thousands with commas and a point for decimals, as INPE publishes (99,448; 37.85)."""
    return f"{value:,.{decimals}f}{unit}"


def format_tick(value: float, unit: str = "") -> str:
    """An axis tick: no trailing zeros (12.5 %, 5,000)."""
    return f"{value:,.12g}{unit}"


def _no_data() -> str:
    return (
        f'<svg width="{CHART_WIDTH}" height="40" role="img">'
        f'<text x="0" y="24" class="muted">Sin datos</text></svg>'
    )


def bar_chart(
    bars: Sequence[Bar],
    unit: str = "",
    decimals: int = 0,
    reference: tuple[str, float] | None = None,
) -> str:
    """Horizontal bars, one row per label (long establishment names fit on the left).

    `reference` draws a dashed vertical line, e.g. ("capacidad", 100) on occupancy, its
    label above the bars.
    """
    if not bars:
        return _no_data()
    label_w, value_w, row_h, bottom = 240, 80, 22, 26
    top = 22 if reference else 8  # the reference line's label goes above the first bar
    plot_w = CHART_WIDTH - label_w - value_w
    height = top + row_h * len(bars) + bottom
    ticks = axis_ticks(max([b.value for b in bars] + [reference[1] if reference else 0]))
    scale = plot_w / ticks[-1]
    parts = [f'<svg width="{CHART_WIDTH}" height="{height}" role="img">']
    for tick in ticks:
        x = label_w + tick * scale
        parts.append(
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{height - bottom}" class="grid"/>'
            f'<text x="{x:.1f}" y="{height - 8}" text-anchor="middle" class="muted">'
            f"{escape(format_tick(tick, unit))}</text>"
        )
    for i, bar in enumerate(bars):
        y = top + i * row_h
        w = max(bar.value * scale, 1.0)
        label = bar.label if len(bar.label) <= 36 else bar.label[:35] + "…"
        value = escape(format_number(bar.value, unit, decimals))
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end">{escape(label)}</text>'
            f'<rect class="mark" x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" '
            f'fill="{COLOURS[bar.tone]}"><title>{escape(bar.label)}: {value}</title></rect>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 15}">{value}</text>'
        )
    if reference:
        name, at = reference
        x = label_w + at * scale
        parts.append(
            f'<line x1="{x:.1f}" y1="{top - 14}" x2="{x:.1f}" y2="{height - bottom}" class="ref"/>'
            f'<text x="{x + 4:.1f}" y="{top - 5}" class="ref-label">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def line_chart(points: Sequence[tuple[str, float]], unit: str = "", decimals: int = 0) -> str:
    """One series over time, from a zero baseline, every point labelled with its value."""
    if not points:
        return _no_data()
    left, right, top, bottom, height = 64, 8, 24, 32, 240
    plot_w, plot_h = CHART_WIDTH - left - right, height - top - bottom
    ticks = axis_ticks(max(v for _, v in points))
    axis_max = ticks[-1]
    step = plot_w / len(points)  # each point centred in its slot, clear of the axis labels
    xy = [
        (left + (i + 0.5) * step, top + plot_h * (1 - v / axis_max))
        for i, (_, v) in enumerate(points)
    ]
    parts = [f'<svg width="{CHART_WIDTH}" height="{height}" role="img">']
    for tick in ticks:
        y = top + plot_h * (1 - tick / axis_max)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{CHART_WIDTH - right}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="muted">'
            f"{escape(format_tick(tick, unit))}</text>"
        )
    path = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(xy))
    parts.append(
        f'<path class="line" d="{path}" fill="none" stroke="{COLOURS["base"]}" stroke-width="2"/>'
    )
    for (label, value), (x, y) in zip(points, xy, strict=True):
        text = escape(format_number(value, unit, decimals))
        parts.append(
            f'<circle class="mark" cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{COLOURS["base"]}">'
            f"<title>{escape(label)}: {text}</title></circle>"
            f'<text x="{x:.1f}" y="{y - 9:.1f}" text-anchor="middle" class="value">{text}</text>'
            f'<text x="{x:.1f}" y="{height - 10}" text-anchor="middle" class="muted">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


# --- Figures from the marts -----------------------------------------------------------


@dataclass(frozen=True)
class Chart:
    name: str
    title: str
    note: str
    svg: str
    points: int


def pct_half_up(numerator: int, denominator: int) -> Decimal | None:
    """The dbt macro pct_half_up in Python, for totals the marts leave to the reader."""
    if not denominator:
        return None
    return Decimal((20000 * numerator + denominator) // (2 * denominator)) / 100


def month_label(day: date) -> str:
    return f"{MONTHS[day.month - 1]} {day.year}"


@dataclass(frozen=True)
class Indicator:
    """An indicator as marts.dim_indicador names it."""

    nombre: str
    unidad: str  # personas, casos, traslados, órdenes, días or %
    objetivo: str | None  # the policy objective its code names (OP01, OP04), if any

    @property
    def is_percentage(self) -> bool:
        return self.unidad == "%"

    @property
    def tick_unit(self) -> str:
        """What follows a value on an axis or a label: " %" for a percentage, else nothing
        (the title says what is counted)."""
        return " %" if self.is_percentage else ""

    @property
    def title(self) -> str:
        """The name, its unit and its objective: "Población sin sentencia (%, OP01)"."""
        return f"{self.nombre} ({', '.join(filter(None, (self.unidad, self.objetivo)))})"


def indicators(con: Warehouse) -> dict[str, Indicator]:
    """Every indicator code with its name, unit and objective (marts.dim_indicador)."""
    rows = con.rows("select codigo_indicador, indicador, unidad, objetivo_politica "
                    "from marts.dim_indicador")
    return {code: Indicator(nombre, unidad, objetivo) for code, nombre, unidad, objetivo in rows}


def _indicator_series(con: Warehouse, code: str) -> list[tuple[str, float]]:
    rows = con.rows(
        "select periodo, valor from marts.indicadores_politica "
        "where codigo_indicador = $1 order by periodo",
        [code],
    )
    return [(month_label(p), float(v)) for p, v in rows]


def population_charts(con: Warehouse, named: dict[str, Indicator]) -> list[Chart]:
    charts = []
    for name, code, note in (
        ("poblacion", "POBLACION_INTRAMUROS", "Personas recluidas en cada corte del registro."),
        ("sin_sentencia", "OP01_PCT_SIN_SENTENCIA", "Procesados sobre población intramuros."),
    ):
        indicator, series = named[code], _indicator_series(con, code)
        charts.append(Chart(
            name, indicator.title, note,
            line_chart(series, indicator.tick_unit, decimals=2 if indicator.is_percentage else 0),
            len(series)))
    return charts


def occupancy_chart(con: Warehouse) -> Chart:
    latest = con.rows(
        """
        select establecimiento, poblacion, capacidad_albergue, pct_ocupacion, hacinamiento
        from marts.poblacion_por_establecimiento
        where fecha_corte = (select max(fecha_corte) from marts.poblacion_por_establecimiento)
        order by pct_ocupacion desc nulls last, establecimiento""",
    )
    national = pct_half_up(sum(r[1] for r in latest), sum(r[2] or 0 for r in latest))
    bars = [
        Bar(name, float(pct), "alert" if crowded else "base")
        for name, _, _, pct, crowded in latest[:TOP_ESTABLISHMENTS]
        if pct is not None
    ]
    if national is not None:
        bars.insert(0, Bar("NACIONAL", float(national), "total"))
    return Chart(
        "ocupacion",
        f"Ocupación por establecimiento (los {TOP_ESTABLISHMENTS} más ocupados)",
        "Población sobre capacidad de albergue, último corte. En rojo, hacinamiento "
        "(sobrepoblación mayor al 20 %).",
        bar_chart(bars, " %", decimals=2, reference=("capacidad", 100)),
        len(bars),
    )


def alert_charts(con: Warehouse) -> list[Chart]:
    by_code = con.rows(
        """
        select codigo_alerta, count(*) from marts.alertas_interoperabilidad
        group by 1 order by 2 desc, 1""",
    )
    # MANDATO_SIN_INGRESO concerns persons not held: no establishment, hence no region.
    by_region = con.rows(
        """
        select coalesce(e.oficina_regional, 'Sin establecimiento'), count(*)
        from marts.alertas_interoperabilidad as a
        left join marts.dim_establecimiento as e on e.cod_ep = a.cod_ep
        group by 1 order by 2 desc, 1""",
    )
    return [
        Chart(
            "alertas_codigo",
            "Alertas de interoperabilidad por tipo",
            "Discrepancias abiertas entre el Poder Judicial y el INPE, último corte.",
            bar_chart([Bar(c, n, "alert") for c, n in by_code]),
            len(by_code),
        ),
        Chart(
            "alertas_region",
            "Alertas por oficina regional",
            "Según el establecimiento del interno; un mandato sin ingreso no tiene establecimiento.",
            bar_chart([Bar(r, n, "alert") for r, n in by_region]),
            len(by_region),
        ),
    ]


def execution_charts(con: Warehouse, named: dict[str, Indicator]) -> list[Chart]:
    """How long court orders wait for INPE (marts.ejecucion_indicadores, docs/outputs.md)."""
    within_a_day_pct, waiting_orders = (named["EJECUCION_PCT_EJECUTADAS_EN_UN_DIA"],
                                        named["EJECUCION_EN_ESPERA"])
    within_a_day = con.rows(
        """
        select mes, pct_ejecutadas_en_un_dia from marts.ejecucion_indicadores
        where tipo_orden = 'LIBERTAD' and ambito = 'NACIONAL' and pct_ejecutadas_en_un_dia is not null
        order by mes""",
    )
    waiting = con.rows(
        """
        select tipo_orden, sum(en_espera) from marts.ejecucion_indicadores
        where ambito = 'NACIONAL' group by 1 order by 1""",
    )
    series = [(month_label(m), float(v)) for m, v in within_a_day]
    return [
        Chart(
            "libertades_en_un_dia",
            f"{within_a_day_pct.title}: órdenes de libertad",
            "Órdenes de libertad de cada mes con su EGRESO a 0 o 1 día de la FechaEmision.",
            line_chart(series, within_a_day_pct.tick_unit, decimals=2),
            len(series),
        ),
        Chart(
            "ordenes_en_espera",
            f"{waiting_orders.nombre} al último corte ({waiting_orders.unidad})",
            "LIBERTAD: sin EGRESO; INGRESO: sin INGRESO; FIN_PRISION_PREVENTIVA: plazo vencido "
            "sin egreso ni sentencia.",
            bar_chart([Bar(t, int(n), "alert") for t, n in waiting]),
            len(waiting),
        ),
    ]


def productive_prisons_chart(con: Warehouse) -> Chart:
    rows = con.rows(
        """
        select programa, sum(personas) from marts.carceles_productivas
        where fecha_corte = (select max(fecha_corte) from marts.carceles_productivas)
        group by 1 order by 2 desc, 1""",
    )
    return Chart(
        "carceles_productivas",
        "Cárceles Productivas: participantes por especialidad",
        "Personas en talleres LABORAL en el año hasta el último corte "
        "(suma de los talleres de cada establecimiento y convenio).",
        bar_chart([Bar(p, n) for p, n in rows]),
        len(rows),
    )


def open_regime_chart(con: Warehouse) -> Chart:
    rows = con.rows(
        """
        select tipo_medida, sum(activos), sum(casos) from marts.medio_libre_cumplimiento
        where fecha_corte = (select max(fecha_corte) from marts.medio_libre_cumplimiento)
        group by 1 order by 1""",
    )
    bars = [Bar(t, float(pct)) for t, a, n in rows if (pct := pct_half_up(a, n)) is not None]
    return Chart(
        "medio_libre",
        "Medio libre: % de cumplimiento por medida",
        "Casos ACTIVO sobre casos de cada medida, último corte.",
        bar_chart(bars, " %", decimals=2),
        len(bars),
    )


def preventive_detention_chart(con: Warehouse) -> Chart:
    rows = con.rows(
        """
        select banda, banda_hasta_dias is null, sum(personas) from marts.prision_preventiva_tiempos
        where fecha_corte = (select max(fecha_corte) from marts.prision_preventiva_tiempos)
        group by banda, banda_hasta_dias is null order by min(banda_desde_dias)""",
    )
    return Chart(
        "prision_preventiva",
        "Tiempo en prisión preventiva",
        "Procesados por días desde su ingreso, último corte; 1460+ días supera el plazo "
        "máximo legal (48 meses).",
        # The open last band is beyond the longest legal term.
        bar_chart([Bar(b, n, "alert" if beyond else "base") for b, beyond, n in rows]),
        len(rows),
    )


def latest_indicators(con: Warehouse) -> tuple[date | None, list[tuple]]:
    """The last cut-off's figures: (code, valor, numerador, denominador), by code."""
    rows = con.rows(
        """
        select periodo, codigo_indicador, valor, numerador, denominador
        from marts.indicadores_politica
        where periodo = (select max(periodo) from marts.indicadores_politica)
        order by codigo_indicador""",
    )
    return (rows[0][0] if rows else None), [r[1:] for r in rows]


# --- Page -----------------------------------------------------------------------------

STYLE = """
body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: #222;
       max-width: 820px; margin: 24px auto; padding: 0 16px; }
h1 { font-size: 24px; margin-bottom: 4px; }
h2 { font-size: 17px; margin: 0 0 4px; }
section { border-top: 1px solid #ddd; padding: 16px 0; }
.note, .muted { color: #666; font-size: 13px; }
p.note { margin: 0 0 8px; }
svg text { font-size: 12px; fill: #222; }
svg text.muted { fill: #777; font-size: 11px; }
svg text.value { font-size: 11px; fill: #333; }
svg .grid { stroke: #eee; }
svg .ref { stroke: #999; stroke-dasharray: 4 3; }
svg .ref-label { fill: #777; font-size: 11px; }
table { border-collapse: collapse; font-size: 13px; width: 100%; }
th, td { padding: 4px 8px; border-bottom: 1px solid #eee; text-align: right; }
th:first-child, td:first-child { text-align: left; }
"""


def _chart_section(chart: Chart) -> str:
    return (
        f'<section class="chart" id="{chart.name}" data-chart="{chart.name}" '
        f'data-points="{chart.points}"><h2>{escape(chart.title)}</h2>'
        f'<p class="note">{escape(chart.note)}</p>{chart.svg}</section>'
    )


def _indicator_table(rows: list[tuple], named: dict[str, Indicator]) -> str:
    def cell(value: object, unit: str = "", decimals: int = 0) -> str:
        return "" if value is None else escape(format_number(float(value), unit, decimals))

    body = "".join(
        f'<tr><td>{escape(named[code].nombre)} <span class="muted">{escape(code)}</span></td>'
        f"<td>{escape(named[code].unidad)}</td><td>{escape(named[code].objetivo or '')}</td>"
        f"<td>{cell(valor, ' %', 2) if named[code].is_percentage else cell(valor)}</td>"
        f"<td>{cell(num)}</td><td>{cell(den)}</td></tr>"
        for code, valor, num, den in rows
    )
    return (
        "<table><thead><tr><th>Indicador</th><th>Unidad</th><th>Objetivo</th><th>Valor</th>"
        f"<th>Numerador</th><th>Denominador</th></tr></thead><tbody>{body}</tbody></table>"
    )


def render_report(warehouse: str, out_html: Path) -> dict[str, int]:
    """Write the report page from the marts of `warehouse` (a DuckDB path or a PostgreSQL URL);
    return chart name -> data points."""
    with connect(warehouse, read_only=True) as con:
        named = indicators(con)
        charts = [
            *population_charts(con, named),
            occupancy_chart(con),
            *alert_charts(con),
            *execution_charts(con, named),
            productive_prisons_chart(con),
            open_regime_chart(con),
            preventive_detention_chart(con),
        ]
        cutoff, latest = latest_indicators(con)
    cutoff_text = cutoff.isoformat() if cutoff else "sin datos"
    page = (
        '<!DOCTYPE html>\n<html lang="es"><head><meta charset="utf-8"/>'
        f"<title>Hub de interoperabilidad penal: corte {cutoff_text}</title>"
        f"<style>{STYLE}</style></head><body>"
        "<h1>Hub de interoperabilidad penal</h1>"
        f'<p class="note">Último corte del registro: {cutoff_text}. Datos del esquema '
        "<code>marts</code> (seudonimizados: sin nombres ni documentos).</p>"
        + "".join(_chart_section(c) for c in charts)
        + f'<section id="indicadores" data-rows="{len(latest)}">'
        f"<h2>Indicadores de la Política Nacional Penitenciaria al {cutoff_text}</h2>"
        f"{_indicator_table(latest, named)}</section></body></html>\n"
    )
    out_html.parent.mkdir(parents=True, exist_ok=True)
    out_html.write_text(page, encoding="utf-8")
    return {c.name: c.points for c in charts}
