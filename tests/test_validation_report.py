"""The validation report's pages, from outcomes made here (no warehouse, no Dagster run)."""

from __future__ import annotations

import re
from datetime import date

from penal_hub.contracts.expectations import suites
from penal_hub.orchestration.quality.checks import CheckOutcome, ExpectationOutcome
from penal_hub.orchestration.quality.report import (
    INDEX_FILE,
    LATEST_FILE,
    summaries,
    write_validation_report,
)


def outcome(suite: suites.Suite, rows: int, failing: int) -> CheckOutcome:
    expectation = ExpectationOutcome("expect_column_values_to_not_be_null(column='x')",
                                     success=failing == 0, error=None,
                                     unexpected_count=failing, observed=None,
                                     failing_rows=[{"x": None}] * failing)
    return CheckOutcome("persona_rows_valid", suite, rows, [expectation])


def test_each_run_has_a_page_the_index_lists_them_newest_first(tmp_path):
    folder = tmp_path / "validation"
    first = write_validation_report(folder, "run-one", date(2024, 1, 31),
                                    [outcome(suites.PERSONA, 1, 0)])
    blocked = outcome(suites.RECONCILIATION, 12345, 1)
    second = write_validation_report(folder, "run-two", date(2024, 2, 29), [blocked])

    assert [s.run_id for s in summaries(folder)] == ["run-two", "run-one"]
    index = (folder / INDEX_FILE).read_text()
    assert re.findall(r'data-run="([^"]+)"', index) == ["run-two", "run-one"]
    assert re.findall(r'data-veredicto="([^"]+)"', index) == ["bloqueado", "aprobado"]
    assert "2 ejecuciones" in index and 'href="run-one/index.html"' in index

    page = second.read_text()
    assert (folder / LATEST_FILE).read_text() == page.replace('href="../index.html"',
                                                              'href="index.html"')
    assert '<html lang="es">' in page
    assert "12,345 filas revisadas" in page and "1 control bloqueante no superado" in page
    assert "Por entrega cargada" in page  # the suite's Spanish description
    assert "1 fila revisada" in first.read_text()
    assert "http" not in page + index  # nothing to fetch: it opens offline
