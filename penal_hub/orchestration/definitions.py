"""The hub's Dagster definitions, built from one module per area."""

import dagster as dg

from penal_hub.core.settings import Settings
from penal_hub.orchestration import automation
from penal_hub.orchestration.ingest.assets import landing_ledger, landing_quarantine, raw_assets
from penal_hub.orchestration.publish.extract import estado_ejecucion_extract
from penal_hub.orchestration.publish.marts import analyst_database
from penal_hub.orchestration.publish.report import analyst_report
from penal_hub.orchestration.quality.assets import quality_gates
from penal_hub.orchestration.resources import (
    AnalystDatabaseResource,
    LandingZoneResource,
    OutboxResource,
    WarehouseResource,
)
from penal_hub.orchestration.transform.assets import dbt_resource, hub_dbt_models


def build_resources(settings: Settings) -> dict:
    """Resources for one set of paths (the environment's, or a test's)."""
    return {
        "warehouse": WarehouseResource(location=settings.warehouse_location),
        "landing": LandingZoneResource(root=str(settings.landing_dir)),
        "outbox": OutboxResource(root=str(settings.outbox_dir)),
        "analyst_db": AnalystDatabaseResource(root=str(settings.analyst_db)),
        "dbt": dbt_resource,
    }


defs = dg.Definitions(
    assets=[*raw_assets, landing_ledger, landing_quarantine, hub_dbt_models, estado_ejecucion_extract, analyst_database,
            analyst_report],
    asset_checks=[quality_gates],
    jobs=automation.jobs,
    sensors=automation.sensors,
    schedules=automation.schedules,
    resources=build_resources(Settings.from_env()),
)
