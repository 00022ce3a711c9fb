"""The analysts' report: one static HTML page per run, from the published marts (orchestration/publish/report_html.py).

It reads the published marts, not the build, so it shows what analysts can query: the
marts of the last validated build (the analysts' database, or on PostgreSQL the
warehouse's schema marts). `reports/analyst/latest.html` is always the
newest page.
"""


import os
import shutil

import dagster as dg

from penal_hub.core.permissions import private_dir, restrict
from penal_hub.orchestration.conditions import FOLLOW_UPSTREAM
from penal_hub.orchestration.publish.marts import analyst_database
from penal_hub.orchestration.publish.report_html import render_report
from penal_hub.orchestration.resources import (
    AnalystDatabaseResource,
    ReportsResource,
    WarehouseResource,
)


@dg.asset(
    deps=[analyst_database.key],
    group_name="publication",
    automation_condition=FOLLOW_UPSTREAM,
    kinds={"python", "html"},
    owners=["team:analytics"],
    description="Static HTML report with charts for analysts, readable offline, from the "
                "published marts ($HUB_DATA_DIR/reports/analyst/<run_id>.html and latest.html).",
)
def analyst_report(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                   analyst_db: AnalystDatabaseResource,
                   reports: ReportsResource) -> dg.MaterializeResult:
    # The published marts: the analysts' file, or on PostgreSQL the warehouse's schema marts.
    marts = analyst_db.location(warehouse)
    folder = private_dir(reports.path / "analyst")
    out = folder / f"{context.run.run_id}.html"
    points = render_report(marts, out)
    restrict(out)
    latest = folder / ".latest.html.partial"
    shutil.copyfile(out, latest)
    os.replace(latest, folder / "latest.html")
    empty = [name for name, n in points.items() if n == 0]
    if empty:
        context.log.warning(f"charts without data: {empty}")
    return dg.MaterializeResult(metadata={
        "report": dg.MetadataValue.url(out.as_uri()),
        "path": dg.MetadataValue.path(str(out)),
        "data_points": dg.MetadataValue.json(points),
    })
