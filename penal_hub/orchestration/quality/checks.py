"""Quality gates: the GX suites of contracts/expectations, run as Dagster asset checks.

One multi-asset check runs every suite in one step: Great Expectations takes about
5 s to import, and one step reads the warehouse (read-only, GX's pandas data source:
its SQL data source returns nothing on DuckDB) and writes once. It reads only the
columns the expectations read, and a check's whole batch only if it did not pass. Each
suite is still its own check on its own asset; batch rules are blocking.

A blocking check protects only the run it is in (Dagster does not gate later runs on
it), so every verdict is appended to `audit.check_verdicts` and publication re-reads the
stored verdicts.
Rows that fail a row rule are appended to `audit.quarantine_rows`; each run's readable
report is written by orchestration/quality/report.py.
"""

# No `from __future__ import annotations`: Dagster checks the type of the check's
# `context` annotation when the check is defined.
import json
import os
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dagster as dg
import pyarrow as pa

from penal_hub.contracts.expectations import suites
from penal_hub.contracts.expectations.suites import LATEST_CUTOFF_SQL, Suite
from penal_hub.core.warehouse import Warehouse

if TYPE_CHECKING:  # both imported when the gates run: a headless run imports them ahead
    import pandas as pd
    from great_expectations.data_context import AbstractDataContext

# Check names, one per suite.
STAGED_PJ_RESOLUCIONES_VALID = "stg_pj__resoluciones_rows_valid"
PERSONA_VALID = "persona_rows_valid"
RESOLUCION_JUDICIAL_VALID = "resolucion_judicial_rows_valid"
SITUACION_JURIDICA_VALID = "situacion_juridica_historial_rows_valid"
MEDIDA_MEDIO_LIBRE_VALID = "medida_medio_libre_rows_valid"
ESTABLECIMIENTO_VALID = "establecimiento_rows_valid"
DELIVERIES_RECONCILED = "deliveries_reconciled"
SOURCES_FRESH = "sources_fresh"
UNMATCHED_COURT_SUBJECTS_PLAUSIBLE = "unmatched_court_subjects_plausible"
FIGURES_PLAUSIBLE = "figures_plausible"
ALERTS_CURRENT = "alerts_current"

CHECKS: dict[str, Suite] = {
    STAGED_PJ_RESOLUCIONES_VALID: suites.STAGED_PJ_RESOLUCIONES,
    PERSONA_VALID: suites.PERSONA,
    RESOLUCION_JUDICIAL_VALID: suites.RESOLUCION_JUDICIAL,
    SITUACION_JURIDICA_VALID: suites.SITUACION_JURIDICA_HISTORIAL,
    MEDIDA_MEDIO_LIBRE_VALID: suites.MEDIDA_MEDIO_LIBRE,
    ESTABLECIMIENTO_VALID: suites.ESTABLECIMIENTO,
    DELIVERIES_RECONCILED: suites.RECONCILIATION,
    SOURCES_FRESH: suites.FRESHNESS,
    UNMATCHED_COURT_SUBJECTS_PLAUSIBLE: suites.UNMATCHED_COURT_SUBJECTS,
    FIGURES_PLAUSIBLE: suites.PLAUSIBLE_FIGURES,
    ALERTS_CURRENT: suites.CURRENT_ALERTS,
}
BLOCKING_CHECKS = tuple(name for name, suite in CHECKS.items() if suite.blocking)

EXAMPLES = 5  # failing rows shown per expectation in metadata and the report

AUDIT_DDL = (
    "CREATE SCHEMA IF NOT EXISTS audit",
    """CREATE TABLE IF NOT EXISTS audit.check_verdicts (
        run_id VARCHAR NOT NULL, check_name VARCHAR NOT NULL, asset VARCHAR NOT NULL,
        fecha_corte DATE, passed BOOLEAN NOT NULL, severity VARCHAR NOT NULL, details JSON,
        checked_at TIMESTAMPTZ NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS audit.quarantine_rows (
        run_id VARCHAR NOT NULL, check_name VARCHAR NOT NULL, asset VARCHAR NOT NULL,
        fecha_corte DATE, reason VARCHAR NOT NULL, row_data JSON NOT NULL,
        quarantined_at TIMESTAMPTZ NOT NULL)""",
)
# The JSON columns arrive as text; both engines cast text to JSON on insert.
VERDICT_SCHEMA = pa.schema([
    ("run_id", pa.string()), ("check_name", pa.string()), ("asset", pa.string()),
    ("fecha_corte", pa.date32()), ("passed", pa.bool_()), ("severity", pa.string()),
    ("details", pa.string()), ("checked_at", pa.timestamp("us", tz="UTC"))])
QUARANTINE_SCHEMA = pa.schema([
    ("run_id", pa.string()), ("check_name", pa.string()), ("asset", pa.string()),
    ("fecha_corte", pa.date32()), ("reason", pa.string()), ("row_data", pa.string()),
    ("quarantined_at", pa.timestamp("us", tz="UTC"))])


# --- Validation (plain Python) ------------------------------------------------------


@dataclass
class ExpectationOutcome:
    expectation: str  # readable: type(kwargs)
    success: bool
    error: str | None
    unexpected_count: int | None
    observed: Any
    failing_rows: list[dict[str, Any]]  # the batch's rows that fail it, as JSON objects

    @property
    def status(self) -> str:
        return "error" if self.error else "passed" if self.success else "failed"


@dataclass
class CheckOutcome:
    name: str
    suite: Suite
    rows_checked: int
    expectations: list[ExpectationOutcome] = field(default_factory=list)
    error: str | None = None  # the check itself could not run (query, GX)

    @property
    def error_message(self) -> str | None:
        """Why the check could not run: its own error, else its expectations' errors."""
        return self.error or "; ".join(e.error for e in self.expectations if e.error) or None

    @property
    def status(self) -> str:
        if self.error_message:
            return "error"
        return "passed" if all(e.success for e in self.expectations) else "failed"

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def failed(self) -> list[ExpectationOutcome]:
        return [e for e in self.expectations if not e.success]

    @property
    def severity(self) -> dg.AssetCheckSeverity:
        return dg.AssetCheckSeverity.ERROR if self.suite.blocking else dg.AssetCheckSeverity.WARN

    @property
    def asset(self) -> str:
        return "/".join(self.suite.asset)

    def details(self, report: Path) -> dict[str, Any]:
        """What audit.check_verdicts keeps of the outcome."""
        return {
            "status": self.status,
            "error": self.error_message,
            "description": self.suite.description,
            "rows_checked": self.rows_checked,
            "report": str(report),
            "expectations": [
                {"expectation": e.expectation, "success": e.success, "error": e.error,
                 "unexpected_count": e.unexpected_count, "observed": e.observed,
                 "examples": e.failing_rows[:EXAMPLES]}
                for e in self.expectations
            ],
        }


def import_gx() -> None:
    """Import Great Expectations, without its analytics: 5 s on a 2-core machine."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations  # noqa: F401


def import_gx_ahead() -> threading.Thread:
    """Import Great Expectations (and pandas) on a thread, for gates that run later in this
    process: a headless run imports them while dbt builds (in its own process)."""
    thread = threading.Thread(target=import_gx, name="import-great-expectations", daemon=True)
    thread.start()
    return thread


def gx_context() -> "AbstractDataContext":
    """An ephemeral GX context, quiet (no progress bars, no analytics)."""
    import_gx()
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def validate(context: "AbstractDataContext", name: str, suite: Suite,
             batch: "pd.DataFrame") -> CheckOutcome:
    """Run one suite on its batch with GX's pandas data source."""
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    # Built one by one: ExpectationSuite would log and drop an invalid one.
    expectations = [ExpectationConfiguration(**e).to_domain_obj() for e in suite.expectations]
    data = (context.data_sources.add_pandas(name).add_dataframe_asset(name)
            .add_batch_definition_whole_dataframe(name))
    gx_suite = context.suites.add(gx.ExpectationSuite(name=name, expectations=expectations))
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=name, data=data, suite=gx_suite))
    result = definition.run(batch_parameters={"dataframe": batch},
                            result_format={"result_format": "COMPLETE"})
    outcome = CheckOutcome(name, suite, len(batch))
    for r in result.results:
        found = r.result or {}
        error = exception_message(r.exception_info)
        index = found.get("unexpected_index_list") or []
        outcome.expectations.append(ExpectationOutcome(
            expectation=describe(r.expectation_config.type, r.expectation_config.kwargs),
            success=bool(r.success) and error is None,
            error=error,
            unexpected_count=found.get("unexpected_count"),
            observed=found.get("observed_value"),
            failing_rows=rows_as_json(batch.loc[index]) if index else [],
        ))
    if len(outcome.expectations) != len(suite.expectations):
        outcome.error = (f"GX returned {len(outcome.expectations)} results for "
                         f"{len(suite.expectations)} expectations")
    return outcome


def exception_message(info: dict | None) -> str | None:
    """GX's exception_info is one {raised_exception, exception_message} or a dict of them."""
    if not info:
        return None
    entries = [info] if "raised_exception" in info else list(info.values())
    messages = [e.get("exception_message") or "unknown error" for e in entries
                if isinstance(e, dict) and e.get("raised_exception")]
    return "; ".join(dict.fromkeys(messages)) or None


def describe(kind: str, kwargs: dict[str, Any]) -> str:
    """`type(kwargs) where <condition>`, as a person reads it."""
    from great_expectations.expectations.row_conditions import deserialize_row_condition

    args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items()
                     if k not in ("batch_id", "row_condition"))
    condition = kwargs.get("row_condition")
    where = f" where {deserialize_row_condition(condition)!r}" if condition else ""
    return f"{kind}({args}){where}"


def rows_as_json(frame: "pd.DataFrame") -> list[dict[str, Any]]:
    """Rows as JSON objects (dates in ISO form, missing values as null)."""
    return json.loads(frame.to_json(orient="records", date_format="iso", date_unit="s"))


def run_suites(batches: "dict[str, pd.DataFrame | Exception]") -> list[CheckOutcome]:
    """Validate each check's batch; a batch that could not be read is an errored check."""
    context = gx_context()
    outcomes = []
    for name, batch in batches.items():
        suite = CHECKS[name]
        if isinstance(batch, Exception):
            outcomes.append(CheckOutcome(name, suite, 0,
                                         error=f"reading the batch failed: {batch}"))
            continue
        try:
            outcomes.append(validate(context, name, suite, batch))
        except Exception as e:  # noqa: BLE001 - recorded as the check's error, then raised
            outcomes.append(CheckOutcome(name, suite, len(batch),
                                         error=f"GX failed: {type(e).__name__}: {e}"))
    return outcomes


def read_batches(con: Warehouse, names: list[str],
                 whole: bool = False) -> "dict[str, pd.DataFrame | Exception]":
    """Each check's batch, or the database error that kept it from being read.

    By default only the columns its expectations read: enough to pass or fail. `whole`:
    every column, for the failing rows kept whole.
    """
    batches: dict[str, pd.DataFrame | Exception] = {}
    for name in names:
        suite = CHECKS[name]
        try:
            batches[name] = con.df(suite.sql(con.marts_build, whole))
        except con.Error as e:
            batches[name] = e
    return batches


def check(con: Warehouse, names: list[str]) -> list[CheckOutcome]:
    """Run the named checks: on the columns their expectations read, which is enough to pass;
    a check that does not pass runs again on its whole batch, so that its failing rows
    (quarantined, reported) are whole rows and its outcome is the whole batch's."""
    outcomes = run_suites(read_batches(con, names))
    again = [o.name for o in outcomes if not o.passed]
    if not again:
        return outcomes
    redone = {o.name: o for o in run_suites(read_batches(con, again, whole=True))}
    return [redone.get(o.name, o) for o in outcomes]


# --- Stored verdicts ------------------------------------------------------------------


def latest_cutoff(con: Warehouse) -> date | None:
    """The latest registry cut-off: what the verdicts, and the extract, are for."""
    return con.rows(LATEST_CUTOFF_SQL)[0][0]


def ensure_audit_schema(con: Warehouse) -> None:
    for statement in AUDIT_DDL:
        con.execute(statement)


def record(con: Warehouse, run_id: str, cutoff: date | None, outcomes: list[CheckOutcome],
           report: Path) -> int:
    """Append the verdicts and the quarantined rows in one transaction; return rows quarantined."""
    now = datetime.now(UTC)
    verdicts = pa.Table.from_pylist(
        [{"run_id": run_id, "check_name": o.name, "asset": o.asset, "fecha_corte": cutoff,
          "passed": o.passed, "severity": o.severity.value,
          "details": json.dumps(o.details(report), default=str), "checked_at": now}
         for o in outcomes], schema=VERDICT_SCHEMA)
    # Only row rules quarantine: a batch rule's rows are summaries (one per delivery, per
    # source...), kept as examples in its verdict.
    quarantined = pa.Table.from_pylist(
        [{"run_id": run_id, "check_name": o.name, "asset": o.asset, "fecha_corte": cutoff,
          "reason": e.expectation, "row_data": json.dumps(row), "quarantined_at": now}
         for o in outcomes if not o.suite.blocking for e in o.failed for row in e.failing_rows],
        schema=QUARANTINE_SCHEMA)
    ensure_audit_schema(con)
    with con.transaction():
        con.append("audit.check_verdicts", verdicts)
        if quarantined.num_rows:
            con.append("audit.quarantine_rows", quarantined)
    return quarantined.num_rows


def observed_text(value: Any) -> str:
    return "" if value is None else json.dumps(value, default=str)


def describe_failure(unexpected: int | None, observed: Any, examples: list[dict]) -> str:
    """What a failed expectation found: how many rows, or the value, and the first row."""
    text = (f"{unexpected} unexpected" if unexpected is not None
            else f"observed {observed_text(observed)}")
    return text + (f", e.g. {json.dumps(examples[0], default=str)}" if examples else "")


@dataclass(frozen=True)
class Verdict:
    check_name: str
    passed: bool
    run_id: str
    checked_at: datetime
    details: dict[str, Any]

    @property
    def summary(self) -> str:
        if self.details.get("error"):
            return f"error: {self.details['error']}"
        failed = [e for e in self.details.get("expectations", []) if not e["success"]]
        return "; ".join(
            e["error"] or f"{e['expectation']}: "
                          f"{describe_failure(e['unexpected_count'], e['observed'], e['examples'])}"
            for e in failed) or self.details.get("status", "")


def latest_verdicts(con: Warehouse, cutoff: date) -> dict[str, Verdict]:
    """The current state: each check's latest stored verdict for the cut-off."""
    exists = con.rows("SELECT count(*) FROM information_schema.tables WHERE table_schema = "
                      "'audit' AND table_name = 'check_verdicts'")[0][0]
    if not exists:
        return {}
    rows = con.rows(
        "SELECT check_name, passed, run_id, checked_at, CAST(details AS VARCHAR) FROM ("
        "SELECT *, row_number() OVER (PARTITION BY check_name ORDER BY checked_at DESC) AS rn "
        "FROM audit.check_verdicts WHERE fecha_corte = $1) AS v WHERE rn = 1", [cutoff])
    return {r[0]: Verdict(r[0], r[1], r[2], r[3], json.loads(r[4])) for r in rows}
