"""The extract's XML document (docs/outputs.md, section 2): written as text with Arrow's
string kernels, then validated against contracts/extract/estado_ejecucion.xsd as it
streams. Plain Python; the extract's asset (extract.py) calls `to_xml`.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from lxml import etree

from penal_hub.core.verify_extract import stream_cases

NAMESPACE = "urn:pe:gob:inpe:interop:estado-ejecucion:2"
XSI_NAMESPACE = "http://www.w3.org/2001/XMLSchema-instance"
XSD_PATH = Path(__file__).resolve().parents[2] / "contracts" / "extract" / "estado_ejecucion.xsd"
XML_FILE = "estado_ejecucion.xml"
XSD_FILE = XSD_PATH.name  # shipped beside the files it describes
# The XSD's version attribute; the namespace ends with it. One more with every change a
# receiver reads (docs/outputs.md, section 2): 2 added the waiting orders.
SCHEMA_VERSION = "2"

XML_SLICE_ROWS = 50_000  # rows written as text at a time: bounds the memory of the text kernels


class ExtractInvalid(Exception):
    """The extract does not validate against its XSD; nothing was written."""


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

