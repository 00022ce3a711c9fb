"""The analysts' report: one static HTML page per run, from the marts (hub/report.py)."""


import dagster as dg

from hub.permissions import private_dir, restrict
from hub.report import render_report
from hub.settings import Settings
from orchestration.conditions import FOLLOW_UPSTREAM
from orchestration.resources import WarehouseResource

MARTS = ["indicadores_politica", "alertas_interoperabilidad", "poblacion_por_establecimiento",
         "carceles_productivas", "medio_libre_cumplimiento", "prision_preventiva_tiempos"]


@dg.asset(
    deps=[dg.AssetKey(["marts", name]) for name in MARTS] + [dg.AssetKey(["interop", "establecimiento"])],
    group_name="publication",
    automation_condition=FOLLOW_UPSTREAM,
    kinds={"python", "html"},
    owners=["team:analytics"],
    description="Static HTML report with charts for analysts, readable offline "
                "($HUB_DATA_DIR/reports/analyst/<run_id>.html).",
)
def analyst_report(context: dg.AssetExecutionContext,
                   warehouse: WarehouseResource) -> dg.MaterializeResult:
    out = Settings.from_env().data_dir / "reports" / "analyst" / f"{context.run.run_id}.html"
    private_dir(out.parent)
    points = render_report(warehouse.location, out)
    restrict(out)
    empty = [name for name, n in points.items() if n == 0]
    if empty:
        context.log.warning(f"charts without data: {empty}")
    return dg.MaterializeResult(metadata={
        "report": dg.MetadataValue.url(out.as_uri()),
        "path": dg.MetadataValue.path(str(out)),
        "data_points": dg.MetadataValue.json(points),
    })
