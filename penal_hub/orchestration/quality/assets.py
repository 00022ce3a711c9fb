"""The quality gates as Dagster asset checks: one multi-asset check runs every suite.

One step runs every suite (Great Expectations takes about 5 s to import) and writes once;
each suite is still its own check on its own asset, and batch rules are blocking. When a
blocking check fails nothing downstream runs in this run, so this step also tells the
analysts, in the marts.publicacion they read, why the build is not published.
"""

# No `from __future__ import annotations`: Dagster checks the type of the check's
# `context` annotation when the check is defined.
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg

from penal_hub.contracts.expectations.suites import Suite
from penal_hub.orchestration.conditions import CHECK_WITH_ITS_ASSET
from penal_hub.orchestration.publish.marts import write_analyst_database
from penal_hub.orchestration.quality.checks import (
    CHECKS,
    EXAMPLES,
    CheckOutcome,
    check,
    describe_failure,
    latest_cutoff,
    record,
)
from penal_hub.orchestration.quality.gate import decide
from penal_hub.orchestration.quality.report import validation_dir, write_validation_report
from penal_hub.orchestration.resources import (
    WAREHOUSE_POOL,
    AnalystDatabaseResource,
    ReportsResource,
    WarehouseResource,
)

# --- Dagster ------------------------------------------------------------------------------


def _spec(name: str, suite: Suite) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(name, asset=dg.AssetKey(list(suite.asset)), blocking=suite.blocking,
                             description=suite.description,
                             additional_deps=[dg.AssetKey(list(key)) for key in suite.also_reads],
                             automation_condition=CHECK_WITH_ITS_ASSET)


def _result(o: CheckOutcome, report: Path, run_id: str) -> dg.AssetCheckResult:
    failures = "\n".join(
        f"- `{e.expectation}`: {describe_failure(e.unexpected_count, e.observed, [])}"
        + "".join(f"\n    - `{json.dumps(r)[:300]}`" for r in e.failing_rows[:EXAMPLES])
        for e in o.failed)
    metadata: dict[str, Any] = {
        "rows_checked": o.rows_checked,
        "failed_expectations": len(o.failed),
        "failing_rows": sum(e.unexpected_count or 0 for e in o.failed),
        "failures": dg.MetadataValue.md(failures or "none"),
        "report": dg.MetadataValue.url(report.as_uri()),
    }
    if not o.suite.blocking:
        metadata["quarantine"] = dg.MetadataValue.md(
            f"`SELECT * FROM audit.quarantine_rows WHERE run_id = '{run_id}' "
            f"AND check_name = '{o.name}'`")
    return dg.AssetCheckResult(check_name=o.name, asset_key=dg.AssetKey(list(o.suite.asset)),
                               passed=o.passed, severity=o.severity, metadata=metadata,
                               description=o.suite.description)


@dg.multi_asset_check(
    specs=[_spec(name, suite) for name, suite in CHECKS.items()],
    can_subset=True,
    pool=WAREHOUSE_POOL,
    name="quality_gates",
    description="The GX suites of contracts/expectations; verdicts stored in audit.check_verdicts.",
)
def quality_gates(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource,
                  analyst_db: AnalystDatabaseResource,
                  reports: ReportsResource) -> Iterator[dg.AssetCheckResult]:
    selected = {key.name for key in context.selected_asset_check_keys}
    names = [name for name in CHECKS if name in selected]
    run_id = context.run.run_id
    with warehouse.connect(read_only=True) as con:
        cutoff = latest_cutoff(con)
        outcomes = check(con, names)
    report = write_validation_report(validation_dir(reports.path), run_id, cutoff, outcomes)
    with warehouse.connect() as con:
        quarantined = record(con, run_id, cutoff, outcomes, report)
    if any(o.suite.blocking and not o.passed for o in outcomes):
        # The run stops here (nothing downstream of a failed blocking check runs): tell
        # the analysts now why the build they would have got is not published.
        with warehouse.connect(read_only=True) as con:
            decision = decide(con)
        write_analyst_database(analyst_db.location(warehouse), decision, run_id, warehouse=None)
    context.log.info(f"{len(outcomes)} checks for cut-off {cutoff}: "
                     f"{sum(o.passed for o in outcomes)} passed, {quarantined} rows quarantined; "
                     f"report {report}")
    for outcome in outcomes:
        if outcome.status != "error":
            yield _result(outcome, report, run_id)
    errored = [o for o in outcomes if o.status == "error"]
    if errored:
        raise dg.Failure(
            description="Checks that could not run (an error, not bad data): " + "; ".join(
                f"{o.name}: {o.error_message}" for o in errored),
            metadata={"report": dg.MetadataValue.url(report.as_uri())})
