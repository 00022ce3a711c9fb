"""The validation report: a page per run of the quality gates, an index across runs and
`latest.html`, in Spanish and in the style of the analysts' report (orchestration/publish/report_html.py).

Under `$HUB_DATA_DIR/reports/validation/`:
- `<run_id>/index.html`: every check of the run, its expectations and failing rows;
- `<run_id>/resumen.json`: the run's verdict and counts, which the index lists;
- `index.html`: every run, newest first, with its verdict;
- `latest.html`: the newest run's page, at a path that does not change.
Each page stands alone: inline CSS, no script, nothing fetched.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from penal_hub.core.permissions import private_dir, restrict
from penal_hub.orchestration.publish.report_html import STYLE, format_number
from penal_hub.orchestration.quality.checks import EXAMPLES, observed_text

if TYPE_CHECKING:
    from penal_hub.orchestration.quality.checks import CheckOutcome

SUMMARY_FILE = "resumen.json"
INDEX_FILE = "index.html"
LATEST_FILE = "latest.html"

BLOCKING_FAILED = ("control bloqueante no superado", "controles bloqueantes no superados")
RESULT = {"passed": "superado", "failed": "no superado", "error": "error"}
VALIDATION_STYLE = STYLE + """
.passed, .aprobado { color: #176317; } .failed, .bloqueado { color: #b00020; }
.error { color: #b35c00; font-weight: bold; } .con-avisos { color: #8a6d00; }
td, th { vertical-align: top; }
pre { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; text-align: left; }
"""


def validation_dir(reports: Path) -> Path:
    """The validation reports' folder in the reports' folder (ReportsResource)."""
    return reports / "validation"


def count(n: int, singular: str, plural: str) -> str:
    """`1 fila`, `1,234 filas`: the number as the analysts' report writes it, and the word
    in the number it needs."""
    return f"{format_number(n)} {singular if n == 1 else plural}"


@dataclass(frozen=True)
class RunSummary:
    """What the index shows of one run."""

    run_id: str
    validado_en: str  # ISO 8601, UTC
    fecha_corte: str | None
    veredicto: str  # aprobado, con avisos, bloqueado, error
    controles: int
    superados: int

    @classmethod
    def of(cls, run_id: str, cutoff: date | None, outcomes: list[CheckOutcome]) -> RunSummary:
        return cls(run_id, datetime.now(UTC).isoformat(),
                   cutoff and cutoff.isoformat(), verdict(outcomes), len(outcomes),
                   sum(o.passed for o in outcomes))

    @property
    def when(self) -> str:
        return datetime.fromisoformat(self.validado_en).strftime("%Y-%m-%d %H:%M UTC")


def verdict(outcomes: list[CheckOutcome]) -> str:
    """`error` if a check could not run, `bloqueado` if a blocking check failed (nothing is
    published), `con avisos` if only row rules failed (their rows are quarantined)."""
    if any(o.status == "error" for o in outcomes):
        return "error"
    if any(o.suite.blocking and not o.passed for o in outcomes):
        return "bloqueado"
    return "con avisos" if any(not o.passed for o in outcomes) else "aprobado"


def write_validation_report(folder: Path, run_id: str, cutoff: date | None,
                            outcomes: list[CheckOutcome]) -> Path:
    """Write the run's page and summary, then `latest.html` and the index; return the page."""
    summary = RunSummary.of(run_id, cutoff, outcomes)
    page = folder / run_id / INDEX_FILE
    write(page, run_page(summary, outcomes, index_href=f"../{INDEX_FILE}"))
    write(folder / run_id / SUMMARY_FILE, json.dumps(asdict(summary), ensure_ascii=False))
    write(folder / LATEST_FILE, run_page(summary, outcomes, index_href=INDEX_FILE))
    write(folder / INDEX_FILE, index_page(summaries(folder)))
    return page


def summaries(folder: Path) -> list[RunSummary]:
    """Every run's summary under `folder`, newest first."""
    found = [RunSummary(**json.loads(path.read_text(encoding="utf-8")))
             for path in folder.glob(f"*/{SUMMARY_FILE}")]
    return sorted(found, key=lambda s: s.validado_en, reverse=True)


def write(path: Path, text: str) -> None:
    """Replace `path` whole (a reader never sees half a page), owner-only."""
    private_dir(path.parent)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
    restrict(path)


def _page(title: str, body: str) -> str:
    return ('<!DOCTYPE html>\n<html lang="es"><head><meta charset="utf-8"/>'
            f"<title>{escape(title)}</title><style>{VALIDATION_STYLE}</style></head>"
            f"<body>{body}</body></html>\n")


def _verdict_text(summary: RunSummary) -> str:
    css = summary.veredicto.replace(" ", "-")
    return f'<span class="{css}" data-veredicto="{escape(summary.veredicto)}">' \
           f"{escape(summary.veredicto)}</span>"


def index_page(runs: list[RunSummary]) -> str:
    rows = "".join(
        f'<tr data-run="{escape(s.run_id)}"><td><a href="{escape(s.run_id)}/{INDEX_FILE}">'
        f"{escape(s.when)}</a></td><td>{escape(s.fecha_corte or 'sin datos')}</td>"
        f"<td>{_verdict_text(s)}</td><td>{format_number(s.superados)} de "
        f"{count(s.controles, 'control', 'controles')}</td>"
        f"<td><code>{escape(s.run_id)}</code></td></tr>" for s in runs)
    return _page("Validaciones del hub de interoperabilidad penal", (
        "<h1>Validaciones</h1>"
        f'<p class="note">{count(len(runs), "ejecución", "ejecuciones")} de los controles de '
        f'calidad, la más reciente primero. <a href="{LATEST_FILE}">La última</a>.</p>'
        "<table><thead><tr><th>Validado</th><th>Corte del registro</th><th>Veredicto</th>"
        f"<th>Controles superados</th><th>Ejecución</th></tr></thead><tbody>{rows}</tbody>"
        "</table>"))


def run_page(summary: RunSummary, outcomes: list[CheckOutcome], index_href: str) -> str:
    rows = "".join(
        f'<tr><td><a href="#{escape(o.name)}">{escape(o.name)}</a></td>'
        f"<td>{escape(o.asset)}</td><td>{'bloqueante' if o.suite.blocking else 'aviso'}</td>"
        f'<td class="{o.status}">{RESULT[o.status]}</td>'
        f"<td>{format_number(o.rows_checked)}</td></tr>" for o in outcomes)
    failed_blocking = sum(o.suite.blocking and not o.passed for o in outcomes)
    return _page(f"Validación {summary.when}", (
        "<h1>Validación de los datos</h1>"
        f'<p class="note">Ejecución <code>{escape(summary.run_id)}</code>, {summary.when}. '
        f"Último corte del registro: {escape(summary.fecha_corte or 'sin datos')}. "
        f'<a href="{escape(index_href)}">Todas las validaciones</a>.</p>'
        f"<p>Veredicto: {_verdict_text(summary)}. {format_number(summary.superados)} de "
        f"{count(summary.controles, 'control superado', 'controles superados')}"
        + (f"; {count(failed_blocking, *BLOCKING_FAILED)}: no se publica nada nuevo"
           if failed_blocking else "") + ".</p>"
        "<table><thead><tr><th>Control</th><th>Activo</th><th>Tipo</th><th>Resultado</th>"
        f"<th>Filas revisadas</th></tr></thead><tbody>{rows}</tbody></table>"
        + "".join(_check_section(o) for o in outcomes)))


def _check_section(o: CheckOutcome) -> str:
    rows = "".join(
        f"<tr><td><pre>{escape(e.expectation)}</pre></td>"
        f'<td class="{e.status}">{RESULT[e.status]}</td>'
        f"<td>{'' if e.unexpected_count is None else format_number(e.unexpected_count)}</td>"
        f"<td><pre>{escape(e.error or observed_text(e.observed))}</pre></td>"
        f"<td><pre>{escape(_examples(e.failing_rows))}</pre></td></tr>" for e in o.expectations)
    error = f'<p class="error">{escape(o.error)}</p>' if o.error else ""
    return (f'<section id="{escape(o.name)}"><h2>{escape(o.name)} '
            f'<span class="{o.status}">{RESULT[o.status]}</span></h2>'
            f'<p class="note">{escape(o.suite.descripcion or o.suite.description)} Activo '
            f"{escape(o.asset)}, {count(o.rows_checked, 'fila revisada', 'filas revisadas')}.</p>"
            f"{error}"
            "<table><thead><tr><th>Expectativa</th><th>Resultado</th><th>Filas que fallan</th>"
            f"<th>Valor observado</th><th>Ejemplos (las primeras {EXAMPLES} filas)</th></tr>"
            f"</thead><tbody>{rows}</tbody></table></section>")



def _examples(rows: list[dict]) -> str:
    return "\n".join(json.dumps(row, ensure_ascii=False) for row in rows[:EXAMPLES])
