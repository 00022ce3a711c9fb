"""What the hub expects of its data, as Great Expectations suites.

A suite is a query over the warehouse (the batch, read into a DataFrame) and the
expectations GX validates on it, in GX's own form (`{"type": ..., "kwargs": ...}`).
The queries are SQL that DuckDB and PostgreSQL both run (the warehouse may be either).

- Row rules (`kind="row"`) validate the rows of one table; the rows that fail are
  quarantined and the check warns: one bad row must not hold back every court.
- Batch rules (`kind="batch"`) validate a summary of the whole batch (one row per
  delivery, per source, per cut-off); they block publication when they fail.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from penal_hub.contracts import feeds

# The latest registry cut-off: the date the hub's current state (and the extract) is as of.
LATEST_CUTOFF_SQL = "SELECT max(fecha_corte) FROM interop.situacion_juridica_historial"
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


def expect(kind: str, **kwargs: Any) -> dict[str, Any]:
    """One expectation in GX's form, e.g. expect("column_values_to_not_be_null", column="x")."""
    return {"type": f"expect_{kind}", "kwargs": kwargs}


def when(column: str, value: str) -> dict[str, Any]:
    """A row condition (GX Condition, serialised): the expectation applies where column == value."""
    return {"row_condition": {"type": "comparison", "column": {"name": column}, "operator": "==",
                              "parameter": value}}


def not_null(column: str, **kwargs: Any) -> dict[str, Any]:
    return expect("column_values_to_not_be_null", column=column, **kwargs)


def in_set(column: str, values: tuple[str, ...]) -> dict[str, Any]:
    return expect("column_values_to_be_in_set", column=column, value_set=list(values))


def at_most(column: str, limit_column: str) -> dict[str, Any]:
    """`column` <= `limit_column` wherever both are known."""
    return expect("column_pair_values_a_to_be_greater_than_b", column_A=limit_column,
                  column_B=column, or_equal=True, ignore_row_if="either_value_is_missing")


def equal(column_a: str, column_b: str) -> dict[str, Any]:
    return expect("column_pair_values_to_be_equal", column_A=column_a, column_B=column_b,
                  ignore_row_if="neither")


# --- Row rules ------------------------------------------------------------------

STAGED_PJ_RESOLUCIONES = Suite(
    asset=("staging", "stg_pj__resoluciones"),
    kind="row",
    description="Every landed court resolution parses: id, date, type, case number, court.",
    descripcion="Cada resolución judicial recibida se lee: id, fecha, tipo, expediente, órgano.",
    query="SELECT * FROM staging.stg_pj__resoluciones",
    expectations=(
        not_null("resolucion_id"),
        not_null("fecha_emision"),
        in_set("tipo", feeds.TIPOS_RESOLUCION),
        # NULL when the case number does not normalise: the resolution links to no case.
        not_null("expediente"),
        in_set("organo_tipo", feeds.TIPOS_ORGANO),
        in_set("sexo", feeds.SEXOS),
    ),
)

PERSONA = Suite(
    asset=("interop", "persona"),
    kind="row",
    description="One row per person, with a valid identity document when there is one.",
    descripcion="Una fila por persona, con un documento de identidad válido cuando lo hay.",
    query="SELECT * FROM interop.persona",
    expectations=(
        not_null("persona_key"),
        expect("column_values_to_be_unique", column="persona_key"),
        in_set("tipo_documento",
               tuple(t for t in feeds.TIPOS_DOCUMENTO_PJ if t != "NO_IDENTIFICADO")),
        expect("column_values_to_match_regex", column="numero_documento", regex=r"^[0-9]{8}$",
               **when("tipo_documento", "DNI")),
        in_set("sexo", feeds.SEXOS),
    ),
)

RESOLUCION_JUDICIAL = Suite(
    asset=("interop", "resolucion_judicial"),
    kind="row",
    description="Court resolutions: known type, issued by their delivery's cut-off, sane terms.",
    descripcion=("Resoluciones judiciales: tipo conocido, emitidas antes del corte de su entrega, "
                 "plazos razonables."),
    query="SELECT * FROM interop.resolucion_judicial",
    expectations=(
        not_null("resolucion_id"),
        expect("column_values_to_be_unique", column="resolucion_id"),
        not_null("persona_key"),
        in_set("tipo", feeds.TIPOS_RESOLUCION),
        not_null("fecha_emision"),
        at_most("fecha_emision", "fecha_corte_entrega"),
        not_null("pp_plazo_meses", **when("tipo", "PRISION_PREVENTIVA")),
        # The Código Procesal Penal allows at most 36 months of preventive detention.
        expect("column_values_to_be_between", column="pp_plazo_meses", min_value=1, max_value=36,
               **when("tipo", "PRISION_PREVENTIVA")),
        in_set("pena_clase", feeds.CLASES_PENA),
    ),
)

SITUACION_JURIDICA_HISTORIAL = Suite(
    asset=("interop", "situacion_juridica_historial"),
    kind="row",
    description="Who is held where, per registry cut-off: once each, admitted by the cut-off.",
    descripcion=("Quién está recluido dónde, por corte del registro: una vez cada uno, ingresado "
                 "antes del corte."),
    query="SELECT * FROM interop.situacion_juridica_historial",
    expectations=(
        in_set("situacion_juridica", feeds.SITUACIONES_JURIDICAS),
        not_null("situacion_juridica"),
        not_null("cod_ep"),
        not_null("fecha_ingreso"),
        at_most("fecha_ingreso", "fecha_corte"),
        expect("compound_columns_to_be_unique", column_list=["fecha_corte", "persona_key"]),
    ),
)

MEDIDA_MEDIO_LIBRE = Suite(
    asset=("interop", "medida_medio_libre"),
    kind="row",
    description="Medio libre cases: known measure and state, no more days served than imposed.",
    descripcion=("Casos de medio libre: medida y estado conocidos, no más días cumplidos que "
                 "impuestos."),
    query="SELECT * FROM interop.medida_medio_libre",
    expectations=(
        expect("column_values_to_be_unique", column="id_caso"),
        in_set("tipo_medida", feeds.TIPOS_MEDIDA),
        in_set("estado", feeds.ESTADOS_CASO),
        expect("column_values_to_be_between", column="jornadas_cumplidas", min_value=0),
        at_most("jornadas_cumplidas", "jornadas_impuestas"),
    ),
)

ESTABLECIMIENTO = Suite(
    asset=("interop", "establecimiento"),
    kind="row",
    description="Establishments: one row per code, with a capacity.",
    descripcion="Establecimientos: una fila por código, con su capacidad.",
    query="SELECT * FROM interop.establecimiento",
    expectations=(
        not_null("cod_ep"),
        expect("column_values_to_be_unique", column="cod_ep"),
        expect("column_values_to_be_between", column="capacidad_albergue", min_value=1),
    ),
)

# --- Batch rules ----------------------------------------------------------------


RAW_TABLES = sorted({t for source_tables in feeds.SOURCE_TABLES.values() for t in source_tables})


def _rows_per_delivery_sql() -> str:
    """Rows present in the raw tables, per delivery id, over every source's tables."""
    return "\n    UNION ALL ".join(
        f"SELECT _delivery_id AS delivery_id, count(*) AS n FROM raw.{t} GROUP BY 1"
        for t in RAW_TABLES)


RECONCILIATION = Suite(
    asset=("raw", "deliveries"),  # the ledger whose counts it reconciles
    also_reads=tuple(("raw", table) for table in RAW_TABLES),
    kind="batch",
    description=("Per landed delivery: landed + quarantined = the manifest's count, and those "
                 "rows are still in raw and raw.quarantine: no record lost."),
    descripcion=("Por entrega cargada: cargados + en cuarentena = lo que dice su manifiesto, y "
                 "esas filas siguen en raw y raw.quarantine: ningún registro perdido."),
    query=f"""
WITH present AS (
    {_rows_per_delivery_sql()}
),
landed AS (SELECT delivery_id, CAST(sum(n) AS BIGINT) AS filas_en_raw FROM present GROUP BY 1),
quarantined AS (SELECT delivery_id, count(*) AS filas_en_cuarentena FROM raw.quarantine GROUP BY 1)
SELECT d.delivery_id, d.source, d.fecha_corte, d.manifest_records,
       d.landed_records + d.quarantined_records AS contabilizados,
       d.landed_records, coalesce(l.filas_en_raw, 0) AS filas_en_raw,
       d.quarantined_records, coalesce(q.filas_en_cuarentena, 0) AS filas_en_cuarentena
FROM raw.deliveries AS d
LEFT JOIN landed AS l USING (delivery_id)
LEFT JOIN quarantined AS q USING (delivery_id)
WHERE d.status = 'landed'
ORDER BY d.source, d.fecha_corte""",
    expectations=(
        expect("table_row_count_to_be_between", min_value=1),
        equal("manifest_records", "contabilizados"),
        equal("landed_records", "filas_en_raw"),
        equal("quarantined_records", "filas_en_cuarentena"),
    ),
)

# How far (days) each source's latest delivery may lag the latest registry cut-off.
# The court delivers weekly: one missed week is tolerated. Medio libre delivers monthly
# on the registry's calendar: one late month is tolerated. The registry sets the cut-off.
MAX_LAG_DAYS = {"pj_resoluciones": 14, "inpe_registro": 0, "inpe_medio_libre": 31}

FRESHNESS = Suite(
    asset=("raw", "deliveries"),  # each source's latest delivery, against the cut-off:
    also_reads=(("interop", "situacion_juridica_historial"),),
    kind="batch",
    description="Every source's latest delivery is recent enough for the latest registry cut-off.",
    descripcion=("La última entrega de cada fuente es lo bastante reciente para el último corte "
                 "del registro."),
    query=f"""
WITH limits(source, max_dias) AS (
    VALUES {", ".join(f"('{s}', {d})" for s, d in MAX_LAG_DAYS.items())}
),
latest AS (
    SELECT source, max(CAST(fecha_corte AS DATE)) AS ultima_entrega
    FROM raw.deliveries WHERE status = 'landed' GROUP BY 1
)
SELECT l.source, l.max_dias, t.ultima_entrega, c.corte AS ultimo_corte_registro,
       c.corte - t.ultima_entrega AS dias_de_atraso
FROM limits AS l
LEFT JOIN latest AS t USING (source)
CROSS JOIN ({LATEST_CUTOFF_SQL}) AS c(corte)
ORDER BY l.source""",
    expectations=(
        not_null("ultima_entrega"),
        not_null("ultimo_corte_registro"),
        at_most("dias_de_atraso", "max_dias"),
    ),
)

# Court subjects that match no INPE person, over all court subjects. On the simulated
# 2024 (scale 0.05) it is 1.8% (198 of 11,026): nearly all are subjects the court could
# not identify (186 NO_IDENTIFICADO in the simulator's truth). Near 0 means the linkage
# merges people it should not; above 5% it is missing matches: had the 433 registry DNIs
# that lost their leading zeros not been normalised, it would have been about 5.7%.
UNMATCHED_SHARE_BOUNDS = (0.005, 0.05)

UNMATCHED_COURT_SUBJECTS = Suite(
    asset=("interop", "persona"),
    kind="batch",
    description="The share of court subjects that match no INPE person is plausible.",
    descripcion="La proporción de sujetos judiciales sin persona en el INPE es plausible.",
    query="""
SELECT sin_inpe, sujetos_judiciales,
       CAST(sin_inpe AS DOUBLE PRECISION) / nullif(sujetos_judiciales, 0) AS proporcion_sin_inpe
FROM (SELECT count(*) FILTER (WHERE en_poder_judicial AND NOT en_registro
                                    AND NOT en_medio_libre) AS sin_inpe,
             count(*) FILTER (WHERE en_poder_judicial) AS sujetos_judiciales
      FROM interop.persona) AS counts""",
    expectations=(
        not_null("proporcion_sin_inpe"),
        expect("column_values_to_be_between", column="proporcion_sin_inpe",
               min_value=UNMATCHED_SHARE_BOUNDS[0], max_value=UNMATCHED_SHARE_BOUNDS[1]),
    ),
)

PLAUSIBLE_FIGURES = Suite(
    asset=("marts", "indicadores_politica"),
    kind="batch",
    description="Per registry cut-off: a population, and percentages in plausible ranges.",
    descripcion=("Por corte del registro: hay población, y los porcentajes están en rangos "
                 "plausibles."),
    query=f"""
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
ORDER BY c.periodo""",
    expectations=(
        expect("table_row_count_to_be_between", min_value=1),
        not_null("poblacion_intramuros"),
        expect("column_values_to_be_between", column="poblacion_intramuros", min_value=1),
        not_null("pct_sin_sentencia"),
        # Roughly a third to a half of Peru's prison population is unsentenced (44% to 38%
        # in the simulated 2024); outside 10-80% the registry's legal situations are wrong.
        expect("column_values_to_be_between", column="pct_sin_sentencia", min_value=10,
               max_value=80),
        expect("column_values_to_be_between", column="pct_cumplimiento_medio_libre",
               min_value=0, max_value=100),
    ),
)

CURRENT_ALERTS = Suite(
    asset=("marts", "alertas_interoperabilidad"),
    kind="batch",
    description="The open alerts are those of the latest registry cut-off, not of an older one.",
    descripcion="Las alertas abiertas son las del último corte del registro, no de uno anterior.",
    query=f"""
SELECT a.codigo_alerta, a.fecha_corte, c.corte AS ultimo_corte_registro
FROM {MARTS_BUILD}.alertas_interoperabilidad AS a
CROSS JOIN ({LATEST_CUTOFF_SQL}) AS c(corte)""",
    expectations=(equal("fecha_corte", "ultimo_corte_registro"),),
)
