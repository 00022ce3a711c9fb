"""dbt wired once: a DbtProject, a translator, and the @dbt_assets that build it.

Model asset keys are `<layer schema>/<model>` (e.g. `interop/persona`; `marts/...` on
PostgreSQL too, where the marts are built in schema `marts_build`), grouped by layer;
sources carry `meta.dagster.asset_key`, so lineage reaches the raw assets.
Every dbt test is an asset check: a singular test that reads several models names the
one it judges in `config(meta={'dagster': {'ref': {'name': ...}}})` (else dagster-dbt
records its result as an observation), and its description is its leading comment; a
generic test's description says what it asserts, unless the yml gives one.
dbt runs as the CLI subprocess DbtCliResource starts (it releases DuckDB's lock
when it ends), configured by the `dbt` resource (transform/project.py), in the warehouse pool.
"""


import shutil
from collections.abc import Iterable, Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtProject, dbt_assets
from pydantic import Field

from penal_hub.orchestration.conditions import (
    BUILD_WHILE_MISSING,
    CHECK_WITH_ITS_ASSET,
    FOLLOW_UPSTREAM,
)
from penal_hub.orchestration.ingest.assets import LEDGER_KEY
from penal_hub.orchestration.resources import IN_WAREHOUSE, WAREHOUSE_POOL
from penal_hub.orchestration.transform.project import DbtResource, dbt_project

LAYER_GROUPS = {"staging": "staging", "intermediate": "staging", "interop": "interop", "marts": "marts",
                "extracto": "publication", "audit": "quality"}
LAYER_OWNERS = {"marts": ["team:analytics"]}


class HubDbtTranslator(DagsterDbtTranslator):
    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str,
                       project: DbtProject | None) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        node = manifest["nodes"].get(unique_id)
        if node is None or node["resource_type"] not in ("model", "seed", "snapshot"):
            return spec
        layer = node["fqn"][1] if len(node["fqn"]) > 2 else "staging"
        # The layer's schema as dbt_project.yml names it, on every target: on PostgreSQL
        # the marts are built in schema marts_build (macro generate_schema_name).
        schema = node["config"].get("schema") or node["schema"]
        deps = without_ledger(spec.deps)
        return spec.replace_attributes(
            key=dg.AssetKey([schema, node["name"]]),
            deps=deps,
            automation_condition=FOLLOW_UPSTREAM if deps else BUILD_WHILE_MISSING,
            group_name=LAYER_GROUPS.get(layer, layer),
            owners=LAYER_OWNERS.get(layer, ["team:data-engineering"]),
            kinds={"dbt", IN_WAREHOUSE},
        )


    def get_asset_check_spec(self, asset_spec: dg.AssetSpec, manifest: Mapping[str, Any],
                             unique_id: str, project: DbtProject | None) -> dg.AssetCheckSpec | None:
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        return spec and dg.AssetCheckSpec(
            spec.name, asset=spec.asset_key, blocking=spec.blocking,
            description=dbt_test_description(manifest, manifest["nodes"][unique_id]),
            additional_deps=without_ledger(spec.additional_deps), metadata=spec.metadata,
            automation_condition=CHECK_WITH_ITS_ASSET)


def without_ledger(deps: Iterable[dg.AssetDep]) -> list[dg.AssetDep]:
    """The dependencies but the ledger (raw.deliveries). A model reads it only to keep its
    own source's landed deliveries, whose raw tables are its parents already; and the batch
    checks on the ledger are blocking, which would hold every model until the checks ran,
    while the checks read the models (a cycle). They hold back publication instead."""
    return [dep for dep in deps if dep.asset_key != LEDGER_KEY]


def dbt_test_description(manifest: Mapping[str, Any], test: Mapping[str, Any]) -> str:
    """What a dbt test asserts, for people: the yml's description, else a singular test's
    leading comment, else a generic test's kind and arguments."""
    if test.get("description"):
        return test["description"]
    generic = test.get("test_metadata")
    if generic is None:
        return leading_comment(test["raw_code"])
    kwargs = generic["kwargs"]
    column = f"`{kwargs.get('column_name')}`"
    model = manifest["nodes"][test["attached_node"]]["name"]
    match generic["name"]:
        case "not_null":
            text = f"{column} of {model} is never null"
        case "unique":
            text = f"{column} is unique in {model}"
        case "accepted_values":
            text = f"{column} of {model} is one of: {', '.join(map(str, kwargs['values']))}"
        case "relationships":
            target = kwargs["to"].split("'")[1]  # ref('persona') -> persona
            text = f"every {column} of {model} is a `{kwargs['field']}` of {target}"
        case "unique_combination":
            text = f"one row of {model} per ({', '.join(kwargs['columns'])})"
        case name:
            arguments = ", ".join(f"{k}={v}" for k, v in kwargs.items() if k != "model")
            text = f"{name}({arguments}) on {model}"
    where = test["config"].get("where")
    return text + (f", where {where}" if where else "")


def leading_comment(sql: str) -> str:
    """The `--` comment lines that open a SQL file (after its config() call), as one text."""
    lines = [line for line in sql.splitlines() if not line.startswith("{{ config(")]
    comment = []
    for line in lines:
        if not line.startswith("--"):
            break
        comment.append(line.removeprefix("--").strip())
    return " ".join(comment)


class DbtBuildConfig(dg.Config):
    full_refresh: bool = Field(
        default=False, description="Rebuild the incremental models from raw: needed after a "
        "change to a staging model's SQL, which the rows already staged do not see.")


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=HubDbtTranslator(),
    pool=WAREHOUSE_POOL,
)
def hub_dbt_models(context: dg.AssetExecutionContext, dbt: dg.ResourceParam[DbtResource],
                   config: DbtBuildConfig):
    # dbt's unit tests check the SQL, not the data: they run in the test suite
    # (tests/test_pipeline.py), not on every delivery, as dbt advises for production.
    args = ["build", "--exclude-resource-type", "unit_test"]
    # The automation builds what follows the sources delivered so far, a subset: a test that
    # also reads a model outside it waits until every model it reads is built ("cautious"),
    # rather than failing on a table not created yet. A whole build selects every test.
    # (An environment variable, not --indirect-selection: dagster-dbt sets the variable itself
    # when the checks it runs need another mode, and a flag would override it.)
    invocation = dbt.cli(args + ["--full-refresh"] * config.full_refresh, context=context,
                         env={"DBT_INDIRECT_SELECTION": "cautious"})
    try:
        yield from invocation.stream()
    finally:
        # dagster-dbt gives each invocation a target folder of its own (artifacts, compiled
        # SQL, dbt.log: 14 MB a build); its events and logs are in Dagster's storage by now.
        shutil.rmtree(invocation.target_path, ignore_errors=True)
