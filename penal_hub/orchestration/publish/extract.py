"""The extract for the Poder Judicial (docs/outputs.md, section 2): write, audit, publish.

Published only when the publication gate (orchestration/quality/gate.py) allows it;
otherwise it raises (a blocking check did not pass) or does nothing (a source has not
delivered yet), and the outbox is not touched.

The extract is read at `$HUB_OUTBOX_DIR/<fecha_corte>/`: estado_ejecucion.xml (validated
against contracts/extract/estado_ejecucion.xsd before anything is written), the same
rows as estado_ejecucion.parquet, the XML again gzip-compressed (estado_ejecucion.xml.gz),
the XSD, and manifest.json (core/verify_extract.py checks a folder from it alone). That
path is a symbolic link to the cut-off's current revision, `revisions/<fecha_corte>/<n>/`;
a republication writes revision n+1 whole, then switches the link in one rename, so a
reader sees the previous extract or the new one, never part of one and never none. The
previous revision is kept.

Here: the rows (dbt's model, with each person's alerts and waiting orders nested), the
files and their manifest, and the asset; the XML writer is extract_xml.py, the revisions
and the switch outbox.py.
"""

# No `from __future__ import annotations`: Dagster checks the type of the asset's
# `context` annotation when the asset is defined.
import gzip
import hashlib
import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime

import dagster as dg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from penal_hub.core.pseudonyms import extract_person_ids
from penal_hub.core.verify_extract import MANIFEST_FILE
from penal_hub.core.warehouse import Warehouse
from penal_hub.orchestration.conditions import FOLLOW_UPSTREAM
from penal_hub.orchestration.publish.extract_xml import (
    NAMESPACE,
    SCHEMA_VERSION,
    XML_FILE,
    XSD_FILE,
    XSD_PATH,
    to_xml,
)
from penal_hub.orchestration.publish.outbox import next_revision, publish
from penal_hub.orchestration.quality.checks import CHECKS, Verdict
from penal_hub.orchestration.quality.gate import decide, gated_deps
from penal_hub.orchestration.resources import (
    WAREHOUSE_POOL,
    OutboxResource,
    PseudonymKey,
    WarehouseResource,
)

# The XML again, gzip-compressed (about a seventh of the size), for receivers that take it.
XML_GZ_FILE = f"{XML_FILE}.gz"
PARQUET_FILE = "estado_ejecucion.parquet"

READS = [dg.AssetKey(["extracto", "extracto_estado_ejecucion"]),
         *(dg.AssetKey(["marts", model]) for model in ("alertas_interoperabilidad",
                                                        "ejecucion_ordenes"))]

# The rows, one per (case number in the court feed, person in it), are dbt's model
# extracto.extracto_estado_ejecucion (its contract fixes their columns); the alerts
# (ALERTS_SQL) and the waiting orders (WAITING_SQL) are nested in Python, so both engines
# give the same Arrow table. Both read the marts the gates judged: the build,
# `{marts_build}` (penal_hub.core.warehouse.MARTS_BUILD).
ROWS_SQL = "SELECT * FROM extracto.extracto_estado_ejecucion WHERE fecha_corte = $1"
ALERTS_SQL = """
SELECT persona_key, codigo_alerta AS codigo, expediente, cod_ep, fecha_referencia, dias_abierta,
       detalle
FROM {marts_build}.alertas_interoperabilidad WHERE fecha_corte = $1
ORDER BY persona_key, codigo_alerta, expediente, fecha_referencia
"""
# The person's court orders still waiting for INPE on the cut-off (marts.ejecucion_ordenes
# decides which: docs/outputs.md, section 4), oldest wait first.
WAITING_SQL = """
SELECT persona_key, resolucion_id, tipo_orden, expediente, tipo_resolucion, fecha_emision,
       espera, fecha_referencia, dias_espera, cod_ep
FROM {marts_build}.ejecucion_ordenes WHERE fecha_corte = $1 AND en_espera
ORDER BY persona_key, fecha_referencia, resolucion_id COLLATE "C", tipo_orden COLLATE "C"
"""

ALERT = pa.struct([("codigo", pa.string()), ("expediente", pa.string()), ("cod_ep", pa.string()),
                   ("fecha_referencia", pa.date32()), ("dias_abierta", pa.int32()),
                   ("detalle", pa.string())])
WAITING_ORDER = pa.struct([
    ("resolucion_id", pa.string()), ("tipo_orden", pa.string()), ("expediente", pa.string()),
    ("tipo_resolucion", pa.string()), ("fecha_emision", pa.date32()), ("espera", pa.string()),
    ("fecha_referencia", pa.date32()), ("dias_espera", pa.int32()), ("cod_ep", pa.string())])
# The extract's columns, whichever engine produced them (estado_ejecucion.parquet).
EXTRACT_SCHEMA = pa.schema(
    [(c, pa.string()) for c in ("expediente", "id_persona", "tipo_documento",
                                "numero_documento", "apellido_paterno", "apellido_materno",
                                "nombres")]
    + [("recluido", pa.bool_()), ("id_interno", pa.string()), ("cod_ep", pa.string()),
       ("nombre_ep", pa.string()), ("situacion_juridica", pa.string()),
       ("fecha_ingreso", pa.date32()), ("fecha_sentencia", pa.date32()),
       ("fecha_vencimiento_pena", pa.date32()), ("expediente_inpe", pa.string()),
       ("ultimo_egreso_fecha", pa.date32()), ("ultimo_egreso_motivo", pa.string()),
       ("ml_id_caso", pa.string()), ("ml_tipo_medida", pa.string()), ("ml_estado", pa.string()),
       ("ml_fecha_inicio", pa.date32()), ("ml_jornadas_impuestas", pa.int32()),
       ("ml_jornadas_cumplidas", pa.int32()), ("ml_establecimiento", pa.string()),
       ("alertas", pa.list_(ALERT)), ("ordenes_en_espera", pa.list_(WAITING_ORDER))])



# --- Rows and files (plain Python) -----------------------------------------------------


def build_rows(con: Warehouse, cutoff: date, key: bytes) -> pa.Table:
    """The extract's rows (ROWS_SQL), ordered by case number and person, with the person's
    alerts and waiting orders.

    A person is `id_persona`, keyed apart from the marts' `persona_key` (core/pseudonyms.py):
    a leaked extract, which names persons, gives no key to re-identify the marts with.
    """
    rows = con.arrow(ROWS_SQL, [cutoff]).drop_columns("fecha_corte")
    persona_keys = rows["persona_key"]
    keys = persona_keys.to_pylist()
    ids = extract_person_ids(set(keys), key)
    rows = (rows.drop_columns("persona_key")
            .add_column(1, "id_persona", pa.array([ids[k] for k in keys], pa.string())))
    for column, query in (("alertas", ALERTS_SQL), ("ordenes_en_espera", WAITING_SQL)):
        items = con.arrow(query.format(marts_build=con.marts_build), [cutoff])
        rows = rows.append_column(column, _per_person(items, persona_keys,
                                                      EXTRACT_SCHEMA.field(column).type))
    return rows.sort_by([("expediente", "ascending"), ("id_persona", "ascending")]).cast(
        EXTRACT_SCHEMA)


def _per_person(items: pa.Table, persona_keys: pa.ChunkedArray, list_type: pa.ListType) -> pa.Array:
    """For each of `persona_keys`, the items of `items` (one person's contiguous, in their
    order) whose persona_key it is, as a list of `list_type`; an empty list for none.

    With Arrow's kernels: a Python list per person, converted back to Arrow, cost 0.8 s
    more CPU at scale 1.
    """
    people = pc.value_counts(items["persona_key"])  # in order of first appearance
    # One more, empty list at the end, for the persons without items.
    offsets = pa.concat_arrays([pa.array([0], pa.int32()), pc.cumulative_sum(
        people.field("counts")).cast(pa.int32()), pa.array([len(items)], pa.int32())])
    values = items.drop_columns("persona_key").cast(pa.schema(list(list_type.value_type)))
    lists = pa.ListArray.from_arrays(offsets, pa.StructArray.from_arrays(
        [c.combine_chunks() for c in values.columns], fields=list(list_type.value_type)))
    return lists.take(pc.fill_null(pc.index_in(persona_keys, value_set=people.field("values")),
                                   len(people)))


def gzipped(content: bytes) -> bytes:
    """`content` gzip-compressed, the same bytes for the same content: no time stamp and no
    file name in the header (so a republication's sha256 changes only with its data)."""
    return gzip.compress(content, compresslevel=6, mtime=0)


def to_parquet(rows: pa.Table, description: dict[str, str]) -> bytes:
    """The rows as Parquet, with `description` as the file's key-value metadata."""
    sink = io.BytesIO()
    pq.write_table(rows.replace_schema_metadata(description), sink)
    return sink.getvalue()


def describe(cutoff: date, revision: int, deliveries: list[str]) -> dict[str, str]:
    """What the extract is, for its manifest and its Parquet metadata."""
    return {"schema_version": SCHEMA_VERSION, "namespace": NAMESPACE, "xsd": XSD_FILE,
            "fecha_corte": cutoff.isoformat(), "revision": str(revision),
            "source_deliveries": json.dumps(deliveries)}


def manifest(files: dict[str, bytes], records: int, run_id: str, description: dict[str, str],
             verdicts: dict[str, Verdict]) -> bytes:
    """manifest.json: what the extract is (schema version and XSD, cut-off, revision, the
    deliveries it was built from), each file's sha256 and record count (none for the XSD),
    the run, the checks that passed."""
    return json.dumps({
        "schema_version": description["schema_version"],
        "namespace": description["namespace"],
        "xsd": description["xsd"],
        "fecha_corte": description["fecha_corte"],
        "revision": int(description["revision"]),
        "run_id": run_id,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "source_deliveries": json.loads(description["source_deliveries"]),
        "files": [{"name": name, "sha256": hashlib.sha256(content).hexdigest(),
                   "bytes": len(content), "records": None if name == XSD_FILE else records}
                  for name, content in files.items()],
        "checks": [{"check_name": v.check_name, "asset": "/".join(CHECKS[v.check_name].asset),
                    "passed": v.passed, "run_id": v.run_id,
                    "checked_at": v.checked_at.isoformat()}
                   for v in sorted(verdicts.values(), key=lambda v: v.check_name)],
    }, indent=2, ensure_ascii=False).encode("utf-8")



# --- Dagster ------------------------------------------------------------------------------------


@dg.asset(
    deps=gated_deps(READS),
    pool=WAREHOUSE_POOL,
    output_required=False,  # nothing is materialised while the hub waits for a source
    group_name="publication",
    automation_condition=FOLLOW_UPSTREAM,
    kinds={"python", "xml", "parquet"},
    owners=["team:data-engineering"],
    description=("Extract for the Poder Judicial in $HUB_OUTBOX_DIR/<fecha_corte>/ (XML, Parquet, "
                 "manifest), published only if every blocking check's stored verdict passed."),
)
def estado_ejecucion_extract(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                             outbox: OutboxResource,
                             pseudonym_key: dg.ResourceParam[PseudonymKey]
                             ) -> Iterator[dg.MaterializeResult]:
    run_id = context.run.run_id
    with warehouse.connect(read_only=True) as con:
        decision = decide(con)
        if decision.waiting:
            context.log.info(f"Not published: {decision.reason}")
            return  # waiting is not failing: no materialisation, no failure
        if decision.problems:
            raise dg.Failure(
                description=(f"Not published: {decision.reason}\nThe previous extract is "
                             "unchanged."),
                metadata={"fecha_corte": str(decision.cutoff),
                          "failed_checks": dg.MetadataValue.md(
                              "\n".join(f"- {p}" for p in decision.problems)),
                          "verdicts": "SELECT * FROM audit.check_verdicts "
                                      "ORDER BY checked_at DESC"})
        cutoff = decision.cutoff
        rows = build_rows(con, cutoff, pseudonym_key.encoded())
        deliveries = [d for (d,) in con.rows("SELECT delivery_id FROM raw.deliveries WHERE "
                                              "status = 'landed' ORDER BY delivery_id")]
    revision = next_revision(outbox.path, cutoff)
    description = describe(cutoff, revision, deliveries)
    xml = to_xml(rows, cutoff)
    files = {XML_FILE: xml, XML_GZ_FILE: gzipped(xml), PARQUET_FILE: to_parquet(rows, description),
             XSD_FILE: XSD_PATH.read_bytes()}
    files[MANIFEST_FILE] = manifest(files, rows.num_rows, run_id, description,
                                    decision.verdicts)
    folder = publish(outbox.path, cutoff, files, revision)
    context.log.info(f"published {rows.num_rows} rows for cut-off {cutoff} to {folder} "
                     f"(revision {revision})")
    yield dg.MaterializeResult(metadata={
        "fecha_corte": cutoff.isoformat(),
        "records": rows.num_rows,
        "revision": revision,
        "folder": dg.MetadataValue.path(str(folder)),
        **{f"sha256 {name}": hashlib.sha256(content).hexdigest() for name, content in files.items()
           if name != MANIFEST_FILE},
    })
