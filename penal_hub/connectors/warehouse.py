"""The `raw` schema of the DuckDB warehouse: what the connectors land, as sent.

Every source column is VARCHAR: the raw layer keeps the senders' text (a DNI that
lost its leading zeros stays `"1234567"`), and typing is the staging layer's job.
Every landed row carries the same lineage columns, so any value in the hub can be
traced back to a delivery, a file and a line (or XML element). `_record_hash` is the
record's sha256 as 32 bytes (`hex(_record_hash)` shows it): as hex text it would be
twice the size, and DuckDB spends a tenth of a registry landing compressing it.
"""

from __future__ import annotations

import duckdb

from penal_hub.contracts import feeds
from penal_hub.contracts.feeds import REGISTRY_TABLES
from penal_hub.core.warehouse import DuckDBWarehouse, Warehouse

SCHEMA = "raw"

PJ_COLUMNS: tuple[str, ...] = (
    "id",
    "version",
    "expediente",
    "organo_codigo",
    "distrito_judicial",
    "organo",
    "fecha_emision",
    "tipo",
    "documento_tipo",
    "documento_numero",
    "apellido_paterno",
    "apellido_materno",
    "nombres",
    "fecha_nacimiento",
    "sexo",
    "delitos",  # JSON text: [{"articulo": ..., "descripcion": ...}, ...]
    "prision_preventiva_plazo_meses",
    "prision_preventiva_fecha_inicio",
    "pena_clase",
    "pena_anios",
    "pena_meses",
    "pena_dias",
    "pena_jornadas",
    "pena_fecha_inicio",
    "pena_fecha_vencimiento",
    "beneficio_clase",
    "id_lote",  # of the LoteResoluciones (batch) the element came in
    "fecha_corte",  # the batch's own fechaCorte, which a re-sent batch keeps
)
MEDIO_LIBRE_COLUMNS: tuple[str, ...] = ("id_caso", "version", "fecha_actualizacion", "record")

# Registry file name -> its raw table's columns: the spec's header, lower-cased.
REGISTRY_COLUMNS: dict[str, tuple[str, ...]] = {
    name: tuple(c.lower() for c in header) for name, header in feeds.REGISTRY_FILES.items()
}

LINEAGE_DDL = (
    "_delivery_id VARCHAR NOT NULL, _file VARCHAR NOT NULL, _record_ordinal BIGINT NOT NULL, "
    "_loaded_at TIMESTAMPTZ NOT NULL, _record_hash BYTEA NOT NULL"
)

DELIVERY_STATUSES = ("landed", "refused", "superseded", "incomplete")


# Whole records kept as text (a medio libre line is ~700 bytes of JSON): on DuckDB, zstd
# compresses them 2.5x smaller than the default (dictionary + FSST), and faster.
ZSTD_COLUMNS = {("inpe_medio_libre", "record")}


def _record_table(table: str, columns: tuple[str, ...], duckdb_storage: bool) -> str:
    cols = ", ".join(
        f"{c} VARCHAR" + (" USING COMPRESSION zstd"
                          if duckdb_storage and (table, c) in ZSTD_COLUMNS else "")
        for c in columns)
    return f"CREATE TABLE IF NOT EXISTS {SCHEMA}.{table} ({cols}, {LINEAGE_DDL})"


def as_warehouse(con: duckdb.DuckDBPyConnection | Warehouse) -> Warehouse:
    """The warehouse as given, or a bare DuckDB connection (tests, benchmarks) as one."""
    return con if isinstance(con, Warehouse) else DuckDBWarehouse(con)


def ensure_schema(con: duckdb.DuckDBPyConnection | Warehouse) -> None:
    """Create the raw schema and its tables if missing (idempotent, never alters data).

    The DDL is the same on DuckDB and PostgreSQL but for DuckDB's column compression.
    """
    warehouse = as_warehouse(con)
    on_duckdb = warehouse.engine == "duckdb"
    statements = [
        f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}",
        _record_table("pj_resoluciones", PJ_COLUMNS, on_duckdb),
        _record_table("inpe_medio_libre", MEDIO_LIBRE_COLUMNS, on_duckdb),
        *(_record_table(REGISTRY_TABLES[n], REGISTRY_COLUMNS[n], on_duckdb)
          for n in feeds.REGISTRY_FILES),
        # Append-only: a record once quarantined stays visible, even if its delivery is
        # later superseded (the delivery's status says so).
        f"""CREATE TABLE IF NOT EXISTS {SCHEMA}.quarantine (
            delivery_id VARCHAR NOT NULL, source VARCHAR NOT NULL, fecha_corte VARCHAR NOT NULL,
            file VARCHAR NOT NULL, record_ordinal BIGINT NOT NULL, raw_text VARCHAR,
            reason VARCHAR NOT NULL, quarantined_at TIMESTAMPTZ NOT NULL)""",
        # One row per delivery (content) seen: its current status.
        f"""CREATE TABLE IF NOT EXISTS {SCHEMA}.deliveries (
            delivery_id VARCHAR NOT NULL, source VARCHAR NOT NULL, fecha_corte VARCHAR NOT NULL,
            path VARCHAR NOT NULL, fingerprint VARCHAR,
            status VARCHAR NOT NULL CHECK (status IN {DELIVERY_STATUSES}),
            reason VARCHAR, manifest_records BIGINT, landed_records BIGINT,
            quarantined_records BIGINT, seen_at TIMESTAMPTZ NOT NULL)""",
    ]
    for statement in statements:
        warehouse.execute(statement)
