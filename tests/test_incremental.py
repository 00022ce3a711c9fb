"""The incremental path: deliveries arriving after the year is loaded are staged once,
and leave the staging tables exactly as a rebuild from raw would."""

from __future__ import annotations

import shutil

from hub_env import run_dbt, settings_for

from penal_hub.connectors import land_all
from penal_hub.contracts import feeds
from penal_hub.core.warehouse import connect
from penal_hub.simulator.redeliveries import correct_delivery, repeat_last_court_delivery

STAGING = ("stg_pj__resoluciones", "stg_inpe__internos", "stg_inpe__movimientos",
           "stg_inpe__actividades", "stg_inpe__establecimientos", "stg_inpe__medio_libre")


def staging_rows(warehouse) -> dict[str, list[tuple]]:
    with connect(str(warehouse), read_only=True) as con:
        return {model: con.rows(f"select * from staging.{model} order by all") for model in STAGING}


def test_later_deliveries_stage_as_a_rebuild_does(simulated, built_warehouse, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(simulated / "landing", data / "landing")
    shutil.copy(built_warehouse, data / "warehouse.duckdb")
    landing = data / "landing"
    settings = settings_for(data, landing)
    repeat_last_court_delivery(landing, "2025-01-12")
    medio_libre = landing / feeds.SOURCES["inpe_medio_libre"][0]
    corrected = max(medio_libre.iterdir())
    correct_delivery(corrected, max(corrected.glob("*.jsonl")).name)
    with connect(str(settings.warehouse)) as con:
        statuses = {(r.source, r.fecha_corte): r.status
                    for r in land_all(con, landing)}
    assert statuses[("pj_resoluciones", "2025-01-12")] == "landed"
    assert statuses[("inpe_medio_libre", corrected.name)] == "landed"

    run_dbt(settings, "run", "--select", "path:models/staging",
            target_path=tmp_path / "incremental")
    incremental = staging_rows(settings.warehouse)
    run_dbt(settings, "run", "--select", "path:models/staging", "--full-refresh",
            target_path=tmp_path / "rebuilt")
    rebuilt = staging_rows(settings.warehouse)

    assert incremental == rebuilt
    with connect(str(settings.warehouse), read_only=True) as con:
        superseded = con.rows("select delivery_id from raw.deliveries where status = 'superseded'")
        assert len(superseded) == 1
        new = con.rows("select count(*) from staging.stg_pj__resoluciones "
                       "where fecha_corte = '2025-01-12'")[0][0]
    assert new > 0
    assert not any(row for model in STAGING for row in incremental[model]
                   if superseded[0][0] in row)
