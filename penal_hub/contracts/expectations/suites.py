"""What the hub expects of its data, as Great Expectations suites.

A suite is a query over the warehouse (the batch, read into a DataFrame) and the
expectations GX validates on it. The expectations are data: one file per suite beside
this module, `<name>.json`, in GX's suite JSON (`{"type": ..., "kwargs": ...}` each; the
suite's `meta` names the asset it checks, its kind and descriptions), their value sets
named as GX suite parameters (`{"$PARAMETER": "TIPOS_RESOLUCION"}`) that this module fills
in from the feed contract. The queries are here: SQL that DuckDB and PostgreSQL both run
(the warehouse may be either), some built from the contract's lists of raw tables.

- Row rules (`kind="row"`) validate the rows of one table; the rows that fail are
  quarantined and the check warns: one bad row must not hold back every court.
- Batch rules (`kind="batch"`) validate a summary of the whole batch (one row per
  delivery, per source, per cut-off); they block publication when they fail.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from penal_hub.contracts import feeds

# The latest registry cut-off: the date the hub's current state (and the extract) is as of.
# dbt defines it once (interop.corte_actual), for the alerts, the extract and these checks.
LATEST_CUTOFF_SQL = "SELECT fecha_corte FROM interop.corte_actual"
# The schema of the marts the checks judge: the latest build, which analysts get only once
# the blocking checks pass (penal_hub.core.warehouse.MARTS_BUILD: `marts` in a DuckDB warehouse,
# `marts_build` on PostgreSQL, where `marts` is what analysts read). Queries name it so;
# `Suite.sql` fills it in.
MARTS_BUILD = "{marts_build}"


@dataclass(frozen=True)
class Suite:
    asset: tuple[str, ...]  # the Dagster asset key it checks
    kind: Literal["row", "batch"]
    description: str
    query: str  # the batch: a SELECT over the warehouse
    expectations: tuple[dict[str, Any], ...]
    also_reads: tuple[tuple[str, ...], ...] = ()  # asset keys the query reads besides `asset`
    descripcion: str = ""  # the description in Spanish, for the validation report

    @property
    def blocking(self) -> bool:
        return self.kind == "batch"

    @property
    def columns(self) -> tuple[str, ...] | None:
        """The batch's columns that the expectations read, or None if one reads them all."""
        read: dict[str, None] = {}  # in order of first use
        for expectation in self.expectations:
            columns = columns_read(expectation)
            if columns is None:
                return None
            read.update(dict.fromkeys(columns))
        return tuple(read)

    @property
    def columns_query(self) -> str:
        """The batch with only the columns the expectations read: a wide table's batch is
        far cheaper to read and to validate."""
        if self.columns is None:
            return self.query
        quoted = ", ".join(f'"{column}"' for column in self.columns)
        return f"SELECT {quoted} FROM ({self.query}) AS batch"

    def sql(self, marts_build: str, whole: bool = False) -> str:
        """The batch to read (`columns_query`, or every column if `whole`), with the marts
        read from schema `marts_build`."""
        return (self.query if whole else self.columns_query).replace(MARTS_BUILD, marts_build)


# Expectations on the batch as a whole that read no column: its row count.
ROW_COUNT_EXPECTATIONS = ("expect_table_row_count_to_be_between", "expect_table_row_count_to_equal")


def columns_read(expectation: dict[str, Any]) -> tuple[str, ...] | None:
    """The columns an expectation reads, its row condition's included; None if it may read
    any (a table-level expectation such as the table's column set, an unknown condition)."""
    kind, kwargs = expectation["type"], expectation["kwargs"]
    if kind.startswith("expect_table_") and kind not in ROW_COUNT_EXPECTATIONS:
        return None
    named = [kwargs[k] for k in ("column", "column_A", "column_B") if k in kwargs]
    named += kwargs.get("column_list", [])
    condition = kwargs.get("row_condition")
    if condition is None:
        return tuple(named)
    condition_columns = condition_columns_read(condition)
    return None if condition_columns is None else (*named, *condition_columns)


def condition_columns_read(condition: Any) -> tuple[str, ...] | None:
    """The columns a serialised GX row condition tests; None for one in another form."""
    if isinstance(condition, dict) and "column" in condition:  # a comparison, a null test
        return (condition["column"]["name"],)
    if isinstance(condition, dict) and condition.get("conditions"):  # and, or
        parts = [condition_columns_read(c) for c in condition["conditions"]]
        return None if None in parts else tuple(c for p in parts for c in p)
    return None


# Expectations written in Python, in the files' form (tests build suites of their own).

def expect(kind: str, **kwargs: Any) -> dict[str, Any]:
    """One expectation in GX's form, e.g. expect("column_values_to_not_be_null", column="x")."""
    return {"type": f"expect_{kind}", "kwargs": kwargs}


def when(column: str, value: str) -> dict[str, Any]:
    """A row condition (GX Condition, serialised): the expectation applies where column == value."""
    return {"row_condition": {"type": "comparison", "column": {"name": column}, "operator": "==",
                              "parameter": value}}


def not_null(column: str, **kwargs: Any) -> dict[str, Any]:
    return expect("column_values_to_not_be_null", column=column, **kwargs)


def at_most(column: str, limit_column: str) -> dict[str, Any]:
    """`column` <= `limit_column` wherever both are known."""
    return expect("column_pair_values_a_to_be_greater_than_b", column_A=limit_column,
                  column_B=column, or_equal=True, ignore_row_if="either_value_is_missing")


# --- The suites' files -----------------------------------------------------------

EXPECTATIONS_DIR = Path(__file__).parent
# The value sets the suites' files name as parameters: the feed contract's.
PARAMETERS: dict[str, tuple[str, ...]] = {
    "TIPOS_RESOLUCION": feeds.TIPOS_RESOLUCION,
    "TIPOS_ORGANO": feeds.TIPOS_ORGANO,
    "SEXOS": feeds.SEXOS,
    "CLASES_PENA": feeds.CLASES_PENA,
    "SITUACIONES_JURIDICAS": feeds.SITUACIONES_JURIDICAS,
    "TIPOS_MEDIDA": feeds.TIPOS_MEDIDA,
    "ESTADOS_CASO": feeds.ESTADOS_CASO,
    # A person's document, when there is one: an unidentified court subject has none.
    "TIPOS_DOCUMENTO_IDENTIFICADO": tuple(t for t in feeds.TIPOS_DOCUMENTO_PJ
                                          if t != "NO_IDENTIFICADO"),
}


def _filled_in(value: Any) -> Any:
    if isinstance(value, dict) and value.keys() == {"$PARAMETER"}:
        return list(PARAMETERS[value["$PARAMETER"]])
    return value


def load(name: str, query: str, also_reads: tuple[tuple[str, ...], ...] = ()) -> Suite:
    """The suite of file `<name>.json`, its batch read by `query`."""
    doc = json.loads((EXPECTATIONS_DIR / f"{name}.json").read_text(encoding="utf-8"))
    meta = doc["meta"]
    # GX validates the type and kwargs; an expectation's notes give its reason, for readers.
    expectations = tuple(
        {"type": e["type"], "kwargs": {k: _filled_in(v) for k, v in e["kwargs"].items()}}
        for e in doc["expectations"])
    return Suite(asset=tuple(meta["asset"]), kind=meta["kind"], description=meta["description"],
                 query=query, expectations=expectations, also_reads=also_reads,
                 descripcion=meta["descripcion"])


# --- Row rules ------------------------------------------------------------------

STAGED_PJ_RESOLUCIONES = load("staged_pj_resoluciones",
                              "SELECT * FROM staging.stg_pj__resoluciones")
PERSONA = load("persona", "SELECT * FROM interop.persona")
RESOLUCION_JUDICIAL = load("resolucion_judicial", "SELECT * FROM interop.resolucion_judicial")
SITUACION_JURIDICA_HISTORIAL = load("situacion_juridica_historial",
                                    "SELECT * FROM interop.situacion_juridica_historial")
MEDIDA_MEDIO_LIBRE = load("medida_medio_libre", "SELECT * FROM interop.medida_medio_libre")
ESTABLECIMIENTO = load("establecimiento", "SELECT * FROM interop.establecimiento")

# --- Batch rules ----------------------------------------------------------------


# The ledger's reconciliation and the sources' freshness are dbt views (schema audit,
# models/audit/): their SQL beside the rest of the hub's rules, their batches read whole.
RECONCILIATION = load(
    "reconciliation", "SELECT * FROM audit.conciliacion_entregas ORDER BY source, fecha_corte",
    also_reads=(("audit", "conciliacion_entregas"),))

FRESHNESS = load("freshness", "SELECT * FROM audit.frescura_fuentes ORDER BY source",
                 also_reads=(("audit", "frescura_fuentes"),))

UNMATCHED_COURT_SUBJECTS = load("unmatched_court_subjects", """
SELECT sin_inpe, sujetos_judiciales,
       CAST(sin_inpe AS DOUBLE PRECISION) / nullif(sujetos_judiciales, 0) AS proporcion_sin_inpe
FROM (SELECT count(*) FILTER (WHERE en_poder_judicial AND NOT en_registro
                                    AND NOT en_medio_libre) AS sin_inpe,
             count(*) FILTER (WHERE en_poder_judicial) AS sujetos_judiciales
      FROM interop.persona) AS counts""")

PLAUSIBLE_FIGURES = load("plausible_figures", f"""
WITH figures AS (
    SELECT periodo,
           max(valor) FILTER (WHERE codigo_indicador = 'POBLACION_INTRAMUROS')
               AS poblacion_intramuros,
           max(valor) FILTER (WHERE codigo_indicador = 'OP01_PCT_SIN_SENTENCIA')
               AS pct_sin_sentencia,
           max(valor) FILTER (WHERE codigo_indicador = 'OP04_PCT_CUMPLIMIENTO_MEDIO_LIBRE')
               AS pct_cumplimiento_medio_libre
    FROM {MARTS_BUILD}.indicadores_politica GROUP BY periodo
)
SELECT c.periodo, CAST(f.poblacion_intramuros AS DOUBLE PRECISION) AS poblacion_intramuros,
       CAST(f.pct_sin_sentencia AS DOUBLE PRECISION) AS pct_sin_sentencia,
       CAST(f.pct_cumplimiento_medio_libre AS DOUBLE PRECISION) AS pct_cumplimiento_medio_libre
FROM (SELECT DISTINCT fecha_corte AS periodo FROM interop.situacion_juridica_historial) AS c
LEFT JOIN figures AS f USING (periodo)
ORDER BY c.periodo""")

CURRENT_ALERTS = load("current_alerts", f"""
SELECT a.codigo_alerta, a.fecha_corte, c.corte AS ultimo_corte_registro
FROM {MARTS_BUILD}.alertas_interoperabilidad AS a
CROSS JOIN ({LATEST_CUTOFF_SQL}) AS c(corte)""")
