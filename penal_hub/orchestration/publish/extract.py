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
"""

# No `from __future__ import annotations`: Dagster checks the type of the asset's
# `context` annotation when the asset is defined.
import functools
import gzip
import hashlib
import io
import json
import os
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from lxml import etree

from penal_hub.core.permissions import fsync_dir, private_dir, write_private
from penal_hub.core.pseudonyms import extract_person_ids
from penal_hub.core.verify_extract import MANIFEST_FILE, stream_cases
from penal_hub.core.warehouse import Warehouse
from penal_hub.orchestration.conditions import FOLLOW_UPSTREAM
from penal_hub.orchestration.quality.checks import CHECKS, Verdict
from penal_hub.orchestration.quality.gate import decide, gated_deps
from penal_hub.orchestration.resources import (
    WAREHOUSE_POOL,
    OutboxResource,
    PseudonymKey,
    WarehouseResource,
)

NAMESPACE = "urn:pe:gob:inpe:interop:estado-ejecucion:2"
XSI_NAMESPACE = "http://www.w3.org/2001/XMLSchema-instance"
XSD_PATH = Path(__file__).resolve().parents[2] / "contracts" / "extract" / "estado_ejecucion.xsd"
XML_FILE, PARQUET_FILE = "estado_ejecucion.xml", "estado_ejecucion.parquet"
# The XML again, gzip-compressed (about a seventh of the size), for receivers that take it.
XML_GZ_FILE = f"{XML_FILE}.gz"
XSD_FILE = XSD_PATH.name  # shipped beside the files it describes
# The XSD's version attribute; the namespace ends with it. One more with every change a
# receiver reads (docs/outputs.md, section 2): 2 added the waiting orders.
SCHEMA_VERSION = "2"

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


XML_SLICE_ROWS = 50_000  # rows written as text at a time: bounds the memory of the text kernels


class ExtractInvalid(Exception):
    """The extract does not validate against its XSD; nothing was written."""


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


def to_xml(rows: pa.Table, cutoff: date) -> bytes:
    """The XML document, validated against the XSD; raises ExtractInvalid if it does not.

    Written as text, column by column with Arrow's string kernels (a Python loop over the
    rows, or an element tree of 2.6 million elements, costs several times more at
    national scale), a slice of rows at a time, then parsed back and validated as it
    streams by: the XSD has the last word, and memory holds the text, never a tree of it
    (a tree of the extract at ten times the national scale took over 20 GB).
    """
    opens, closes = _case_bounds(rows["expediente"])
    if pc.sum(opens).as_py() != pc.count_distinct(rows["expediente"]).as_py():
        raise ExtractInvalid(f"{XML_FILE}: a case number would appear in two Expediente "
                             "elements (the rows are not ordered by case number)")
    document = io.BytesIO()
    root = _start(0, "EstadoEjecucion", **{
        "xmlns": pa.array([NAMESPACE]), "xmlns:xsi": pa.array([XSI_NAMESPACE]),
        "xsi:schemaLocation": pa.array([f"{NAMESPACE} {XSD_FILE}"]),
        "fechaCorte": pa.array([cutoff]), "registros": pa.array([rows.num_rows])})
    document.write(f"<?xml version='1.0' encoding='UTF-8'?>\n{root[0].as_py()}>\n".encode())
    for start in range(0, rows.num_rows, XML_SLICE_ROWS):
        length = min(XML_SLICE_ROWS, rows.num_rows - start)
        cases = _cases(rows.slice(start, length), opens.slice(start, length),
                       closes.slice(start, length))
        document.write(_utf8(_concat(cases, "\n").combine_chunks()))
    document.write(b"</EstadoEjecucion>\n")
    _validate(document)
    return document.getvalue()


def _validate(document: io.BytesIO) -> None:
    """Parse the document against the XSD as it streams, dropping each case once checked.

    Validating as it streams, libxml2 stops at the first error and knows no line for it,
    and may report a character XML cannot hold as a schema error: on failure, a second
    pass without the schema tells a document that is not well-formed (with its line).
    """
    schema = etree.XMLSchema(etree.parse(str(XSD_PATH)))
    try:
        stream_cases(_rewound(document), NAMESPACE, schema)
    except etree.XMLSyntaxError as invalid:
        try:
            stream_cases(_rewound(document), NAMESPACE)
        except etree.XMLSyntaxError as e:
            raise ExtractInvalid(f"{XML_FILE} line {e.lineno}: not well-formed ({e.msg})") from None
        raise ExtractInvalid(f"{XML_FILE} does not validate against {XSD_PATH.name}: "
                             f"{invalid.msg}") from None


def _utf8(text: pa.StringArray) -> memoryview:
    """The values end to end, as UTF-8: the slice of the array's data buffer that holds
    them (going through Python strings cost 0.3-0.5 s more CPU per extract at scale 1)."""
    _, offsets, data = text.buffers()
    offsets = memoryview(offsets).cast("i")  # int32, one more than the values
    return memoryview(data)[offsets[text.offset]:offsets[text.offset + len(text)]]


def _rewound(document: io.BytesIO) -> io.BytesIO:
    document.seek(0)
    return document


# The text helpers below take and return Arrow string columns, one value per row; a null
# value is a line (or an attribute) left out.
Column = pa.Array | pa.ChunkedArray
# Not pa.scalar(None, ...): building a scalar from a Python value imports pandas (0.8 s),
# which loading the definitions does not need.
NO_LINE = pa.nulls(1, pa.string())[0]

_TEXT_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\r", "&#13;"))
_ATTRIBUTE_ESCAPES = (*_TEXT_ESCAPES, ('"', "&quot;"), ("\n", "&#10;"), ("\t", "&#9;"))


def _escaped(values: Column, escapes: tuple[tuple[str, str], ...]) -> Column:
    """As text (dates in ISO form, integers in decimal), with XML's special characters escaped."""
    text = pc.cast(values, pa.string())
    special = "[" + "".join(character for character, _ in escapes) + "]"
    # One pass to find out whether there is anything to escape spares one per character.
    if not pa.types.is_string(values.type) or not pc.any(
            pc.match_substring_regex(text, special)).as_py():
        return text
    for character, entity in escapes:  # "&" first, so the entities' own "&" stay as they are
        text = pc.replace_substring(text, character, entity)
    return text


def _concat(*parts: Column | str) -> Column:
    """The parts end to end; null where any part is null."""
    return pc.binary_join_element_wise(*parts, "")


def _lines(*parts: Column | str) -> Column:
    """The non-null parts, one per line."""
    return pc.binary_join_element_wise(*parts, "\n", null_handling="skip")


def _start(depth: int, tag: str, **attributes: Column) -> Column:
    """`<tag a="...">` without its closing bracket, indented; null attributes are left out
    (a required one then fails the XSD)."""
    return _concat("  " * depth + "<" + tag, *(
        pc.coalesce(_concat(f' {name}="', _escaped(values, _ATTRIBUTE_ESCAPES), '"'), "")
        for name, values in attributes.items()))


def _optional(depth: int, tag: str, text: Column, **attributes: Column) -> Column:
    """`<tag a="...">text</tag>`; null (no line) where there is no text."""
    return _concat(_start(depth, tag, **attributes), ">", _escaped(text, _TEXT_ESCAPES),
                   f"</{tag}>")


def _leaf(depth: int, tag: str, text: Column | None = None, **attributes: Column) -> Column:
    """`<tag a="...">text</tag>`, or `<tag a="..."/>` where there is no text."""
    empty = _concat(_start(depth, tag, **attributes), "/>")
    return empty if text is None else pc.coalesce(_optional(depth, tag, text, **attributes), empty)


def _only_where(present: Column, lines: Column | str) -> Column:
    return pc.if_else(present, lines, NO_LINE)


def _case_bounds(numero: Column) -> tuple[Column, Column]:
    """Whether each row is its case's first, and its last (rows come ordered by case number)."""
    changes = pc.invert(_same(numero.slice(1), numero.slice(0, len(numero) - 1)))
    return (pa.chunked_array([[True], *changes.chunks], pa.bool_()),
            pa.chunked_array([*changes.chunks, [True]], pa.bool_()))


def _cases(rows: pa.Table, opens: Column, closes: Column) -> Column:
    """Each subject's lines, opening its case's element before the case's first subject and
    closing it after its last."""
    return _lines(
        _only_where(opens, _concat(_start(1, "Expediente", numero=rows["expediente"]), ">")),
        _subjects(rows),
        _only_where(closes, "  </Expediente>"))


def _same(a: Column, b: Column) -> Column:
    """a == b, two nulls being the same."""
    return pc.coalesce(pc.equal(a, b), pc.and_(pc.is_null(a), pc.is_null(b)))


def _subjects(rows: pa.Table) -> Column:
    recluido = _lines(
        _concat(_start(3, "Recluido", idInterno=rows["id_interno"]), ">"),
        _leaf(4, "Establecimiento", pc.coalesce(rows["nombre_ep"], ""), codigo=rows["cod_ep"]),
        _leaf(4, "SituacionJuridica", rows["situacion_juridica"]),
        _leaf(4, "FechaIngreso", rows["fecha_ingreso"]),
        _optional(4, "FechaSentencia", rows["fecha_sentencia"]),
        _optional(4, "FechaVencimientoPena", rows["fecha_vencimiento_pena"]),
        _optional(4, "ExpedienteInpe", rows["expediente_inpe"]),
        "      </Recluido>")
    released = _lines(
        "      <NoRecluido>",
        _leaf(4, "UltimoEgreso", fecha=rows["ultimo_egreso_fecha"],
              motivo=rows["ultimo_egreso_motivo"]),
        "      </NoRecluido>")
    custody = pc.if_else(
        pc.fill_null(rows["recluido"], False), recluido,
        pc.if_else(pc.is_valid(rows["ultimo_egreso_fecha"]), released, "      <NoRecluido/>"))
    medio_libre = _only_where(pc.is_valid(rows["ml_id_caso"]), _lines(
        _concat(_start(3, "MedioLibre", idCaso=rows["ml_id_caso"]), ">"),
        _leaf(4, "TipoMedida", rows["ml_tipo_medida"]),
        _leaf(4, "Estado", rows["ml_estado"]),
        *(_optional(4, tag, rows[column]) for tag, column in (
            ("FechaInicio", "ml_fecha_inicio"), ("JornadasImpuestas", "ml_jornadas_impuestas"),
            ("JornadasCumplidas", "ml_jornadas_cumplidas"),
            ("Establecimiento", "ml_establecimiento"))),
        "      </MedioLibre>"))
    return _lines(
        _concat(_start(2, "Sujeto", idPersona=rows["id_persona"]), ">"),
        _optional(3, "Documento", rows["numero_documento"], tipo=rows["tipo_documento"]),
        *(_optional(3, tag, rows[column]) for tag, column in (
            ("ApellidoPaterno", "apellido_paterno"), ("ApellidoMaterno", "apellido_materno"),
            ("Nombres", "nombres"))),
        custody,
        medio_libre,
        _each(rows["alertas"], _alert),
        _each(rows["ordenes_en_espera"], _waiting_order),
        "    </Sujeto>")


Field = Callable[[str], Column]  # one field of every item of a list column


def _each(items: Column, element: Callable[[Field], Column]) -> Column:
    """Each row's items, one element each (`element` writes them from their fields), in
    their order; no line where there is none."""
    count = pc.fill_null(pc.list_value_length(items), 0)
    elements = element(functools.partial(pc.struct_field, pc.list_flatten(items)))
    offsets = pa.concat_arrays([pa.array([0], pa.int32()),
                                pc.cumulative_sum(count).combine_chunks().cast(pa.int32())])
    per_row = pa.ListArray.from_arrays(offsets, elements.combine_chunks())
    return _only_where(pc.greater(count, 0), pc.binary_join(per_row, "\n"))


def _alert(field: Field) -> Column:
    return _lines(
        _concat(_start(3, "Alerta", codigo=field("codigo")), ">"),
        *(_optional(4, tag, field(name)) for tag, name in (
            ("Expediente", "expediente"), ("Establecimiento", "cod_ep"),
            ("FechaReferencia", "fecha_referencia"), ("DiasAbierta", "dias_abierta"))),
        _leaf(4, "Detalle", field("detalle")),
        "      </Alerta>")


def _waiting_order(field: Field) -> Column:
    return _lines(
        _concat(_start(3, "OrdenEnEspera", resolucion=field("resolucion_id"),
                       tipoOrden=field("tipo_orden")), ">"),
        _optional(4, "Expediente", field("expediente")),
        *(_leaf(4, tag, field(name)) for tag, name in (
            ("TipoResolucion", "tipo_resolucion"), ("FechaEmision", "fecha_emision"),
            ("Espera", "espera"), ("FechaReferencia", "fecha_referencia"),
            ("DiasEspera", "dias_espera"))),
        _optional(4, "Establecimiento", field("cod_ep")),
        "      </OrdenEnEspera>")


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


# --- Publishing -------------------------------------------------------------------------------

REVISIONS_DIR = "revisions"  # <outbox>/revisions/<cutoff>/<n>/: every publication of a cut-off
KEEP_REVISIONS = 2  # the current one and the one before it


def revisions(outbox: Path, cutoff: date) -> list[int]:
    """The revision folders kept for `cutoff`, in order."""
    folder = outbox / REVISIONS_DIR / cutoff.isoformat()
    return sorted(int(p.name) for p in folder.iterdir() if p.name.isdigit()) if folder.is_dir() else []


def current_revision(outbox: Path, cutoff: date) -> int | None:
    """The revision `<outbox>/<cutoff>` points to: the one readers get (None: none yet)."""
    stable = outbox / cutoff.isoformat()
    return int(os.readlink(stable).rsplit("/", 1)[-1]) if stable.is_symlink() else None


def next_revision(outbox: Path, cutoff: date) -> int:
    return (current_revision(outbox, cutoff) or 0) + 1


def publish(outbox: Path, cutoff: date, files: dict[str, bytes], revision: int) -> Path:
    """Publish `files` as `revision` of `cutoff`; return the stable path `<outbox>/<cutoff>`.

    The files are written and synced into `revisions/<cutoff>/<revision>/`, then the
    symbolic link `<outbox>/<cutoff>` is switched to it with one rename. A reader finds the
    previous revision or the new one, whole, at every instant; a process killed between
    two steps leaves at most a folder that was never published, which the next
    publication removes.
    """
    versions = private_dir(outbox / REVISIONS_DIR / cutoff.isoformat())
    published = current_revision(outbox, cutoff) or 0
    for leftover in versions.iterdir():  # never published: an attempt killed before its switch
        if not leftover.name.isdigit() or int(leftover.name) > published:
            shutil.rmtree(leftover)
    staging = private_dir(versions / f".tmp-{revision}")
    for name, content in files.items():
        write_private(staging / name, content)
    fsync_dir(staging)
    os.rename(staging, versions / str(revision))
    fsync_dir(versions)

    stable = outbox / cutoff.isoformat()
    if stable.is_dir() and not stable.is_symlink():
        # An extract published before revisions existed becomes revision 0 (this one
        # switch leaves a moment without the folder; every later one does not).
        os.rename(stable, versions / "0")
    link = outbox / f".{cutoff.isoformat()}.link"
    link.unlink(missing_ok=True)
    link.symlink_to(Path(REVISIONS_DIR) / cutoff.isoformat() / str(revision))
    os.replace(link, stable)
    fsync_dir(outbox)
    for old in revisions(outbox, cutoff)[:-KEEP_REVISIONS]:
        shutil.rmtree(versions / str(old))
    return stable




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
