"""The hub's Dagster definitions, built from one module per area.

Dagster loads this module where a process starts (`hub ui`'s code server and the runs it
launches): it reads the hub's Settings from the environment once, and builds every
resource from them. `hub run` and the tests build their own with `build_resources`.
"""

import dagster as dg

from penal_hub.core.settings import Settings
from penal_hub.orchestration import automation
from penal_hub.orchestration.ingest.assets import landing_ledger, landing_quarantine, raw_assets
from penal_hub.orchestration.publish.extract import estado_ejecucion_extract
from penal_hub.orchestration.publish.marts import analyst_database
from penal_hub.orchestration.publish.report import analyst_report
from penal_hub.orchestration.quality.assets import quality_gates
from penal_hub.orchestration.resources import (
    IN_WAREHOUSE,
    AnalystDatabaseResource,
    LandingZoneResource,
    OutboxResource,
    PseudonymKey,
    ReportsResource,
    WarehouseResource,
)
from penal_hub.orchestration.transform.assets import hub_dbt_models
from penal_hub.orchestration.transform.project import DbtResource


def build_resources(settings: Settings) -> dict:
    """Resources for one set of settings (the environment's, or a test's)."""
    return {
        "warehouse": WarehouseResource(location=settings.warehouse_location),
        "landing": LandingZoneResource(root=str(settings.landing_dir)),
        "outbox": OutboxResource(root=str(settings.outbox_dir)),
        "analyst_db": AnalystDatabaseResource(root=str(settings.analyst_db)),
        "reports": ReportsResource(root=str(settings.reports_dir)),
        "pseudonym_key": PseudonymKey(settings.pseudonym_key),
        "dbt": DbtResource(settings),
    }


def engine_kind(settings: Settings, spec: dg.AssetSpec) -> dg.AssetSpec:
    """The spec with the warehouse's engine as its kind, if it lives in the warehouse."""
    if IN_WAREHOUSE not in spec.kinds:
        return spec
    return spec.replace_attributes(kinds=spec.kinds - {IN_WAREHOUSE} | {settings.dbt_target})


settings = Settings.from_env()
defs = dg.Definitions(
    assets=dg.map_asset_specs(lambda spec: engine_kind(settings, spec), [
        *raw_assets, landing_ledger, landing_quarantine, hub_dbt_models, estado_ejecucion_extract,
        analyst_database, analyst_report]),
    asset_checks=[quality_gates],
    jobs=automation.jobs,
    sensors=automation.sensors,
    schedules=automation.schedules,
    resources=build_resources(settings),
)
