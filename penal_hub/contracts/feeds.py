"""The source feeds' contract (docs/feeds.md) as data.

The contract is the files beside this module, in penal_hub/contracts/feeds/, which a
reader in any language can use: `pj_resoluciones.xsd` (the court's XML batches),
`inpe_registro.json` (the registry's CSV layouts, code lists and column and record rules),
`inpe_medio_libre.schema.json` (one medio libre JSON line, JSON Schema 2020-12) and
`manifest.schema.json` (a delivery's manifest). This module reads the layouts and value
sets from them, so each is written once, and adds what only the hub needs: where each
source lands and the field rules of the court's and medio libre's flattened records.
One definition serves the simulator that writes the feeds, the connectors that read them
and the tests that check both.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

CONTRACT_DIR = Path(__file__).parent / "feeds"
PJ_SCHEMA = CONTRACT_DIR / "pj_resoluciones.xsd"
REGISTRY_LAYOUT = CONTRACT_DIR / "inpe_registro.json"
MEDIO_LIBRE_SCHEMA = CONTRACT_DIR / "inpe_medio_libre.schema.json"
MANIFEST_SCHEMA = CONTRACT_DIR / "manifest.schema.json"


def _json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


# Landing-zone layout: source code -> (folder under HUB_LANDING_DIR, manifest `fuente`).
SOURCES: dict[str, tuple[str, str]] = {
    "pj_resoluciones": ("pj/resoluciones", "PJ-RESOLUCIONES"),
    "inpe_registro": ("inpe/registro", "INPE-REGISTRO"),
    "inpe_medio_libre": ("inpe/medio_libre", "INPE-MEDIO-LIBRE"),
}
MANIFEST_NAME = "manifest.json"
ENCODINGS = tuple(_json(MANIFEST_SCHEMA)["$defs"]["codificacion"]["enum"])

# --- Poder Judicial: resolution feed (XML) -----------------------------------
_XS = "{http://www.w3.org/2001/XMLSchema}"
_PJ = ElementTree.parse(PJ_SCHEMA).getroot()


def _pj_type(name: str) -> ElementTree.Element:
    return _PJ.find(f"{_XS}simpleType[@name='{name}']/{_XS}restriction")


def _pj_codes(name: str) -> tuple[str, ...]:
    """The enumeration of the court schema's simple type `name`."""
    return tuple(e.get("value") for e in _pj_type(name).iterfind(f"{_XS}enumeration"))


PJ_NAMESPACE = _PJ.get("targetNamespace")
TIPOS_RESOLUCION = _pj_codes("TipoResolucion")
CLASES_PENA = _pj_codes("ClasePena")
CLASES_BENEFICIO = _pj_codes("ClaseBeneficio")
TIPOS_DOCUMENTO_PJ = _pj_codes("TipoDocumento")
TIPOS_ORGANO = _pj_codes("TipoOrgano")
SEXOS = _pj_codes("Sexo")

# A case number as senders write it, once upper-cased and without white space: the
# staging macro normalize_expediente reads exactly these (a test keeps the two equal).
# The schema's pattern allows the blanks and lower case senders write: without its \s*
# and with one case per letter it is this one.
CASE_NUMBER_PATTERN = re.sub(
    r"\[([A-Z])[a-z]\]", r"\1",
    _pj_type("NumeroExpediente").find(f"{_XS}pattern").get("value").replace(r"\s*", ""))

# --- INPE: penitentiary registry (CSV) ---------------------------------------
_REGISTRY = _json(REGISTRY_LAYOUT)
_REGISTRY_CODES: dict[str, Any] = _REGISTRY["code_lists"]
CSV_DELIMITER = _REGISTRY["delimiter"]
CSV_QUOTE = _REGISTRY["quote"]
# Each file's header, in order.
REGISTRY_FILES: dict[str, tuple[str, ...]] = {
    name: tuple(column["name"] for column in layout["columns"])
    for name, layout in _REGISTRY["files"].items()
}
# Where each source lands (schema raw): a registry file in the table named after it. The
# landing layer's contract, read by the connectors, the quality suites and dbt's sources.
REGISTRY_TABLES: dict[str, str] = {name: "inpe_" + name.removesuffix(".csv") for name in REGISTRY_FILES}
SOURCE_TABLES: dict[str, tuple[str, ...]] = {
    "pj_resoluciones": ("pj_resoluciones",),
    "inpe_registro": tuple(REGISTRY_TABLES.values()),
    "inpe_medio_libre": ("inpe_medio_libre",),
}

TIPOS_DOCUMENTO_INPE = tuple(_REGISTRY_CODES["tipo_documento"])
SITUACIONES_JURIDICAS = tuple(_REGISTRY_CODES["situacion_juridica"])
TIPOS_MOVIMIENTO = tuple(_REGISTRY_CODES["tipo_movimiento"])
MOTIVOS_MOVIMIENTO: dict[str, tuple[str, ...]] = {
    tipo: tuple(motivos) for tipo, motivos in _REGISTRY_CODES["motivo_movimiento"].items()}
TIPOS_ACTIVIDAD = tuple(_REGISTRY_CODES["tipo_actividad"])
# LABORAL workshops are open-ended in the spec ("..."): these are the known ones.
PROGRAMAS_ACTIVIDAD: dict[str, tuple[str, ...]] = {
    tipo: tuple(programas) for tipo, programas in _REGISTRY_CODES["programa_actividad"].items()}
CERTIFICADO_VALUES = tuple(_REGISTRY_CODES["certificado"])

# --- INPE: medio libre (JSON Lines) ------------------------------------------
_MEDIO_LIBRE_CODES: dict[str, Any] = _json(MEDIO_LIBRE_SCHEMA)["$defs"]


def _medio_libre_codes(name: str) -> tuple[str, ...]:
    return tuple(_MEDIO_LIBRE_CODES[name]["enum"])


TIPOS_MEDIDA = _medio_libre_codes("tipo_medida")
# Limitative penalties and alternative measures: the denominator of OP04.
MEDIDAS_LIMITATIVAS = TIPOS_MEDIDA[:4]
ESTADOS_CASO = _medio_libre_codes("estado")
MOTIVOS_ESTADO = _medio_libre_codes("motivo_estado")
PROGRAMAS_MEDIO_LIBRE = _medio_libre_codes("programa")
EVALUACIONES = _medio_libre_codes("evaluacion")

# --- What every field must hold for its record to land -----------------------
# The connectors check each landed record against these rules (connectors/row_rules.py,
# in DuckDB, before the delivery commits); a record with one field that breaks its rule
# is quarantined in raw.quarantine with the field, its value and why, and the rest of
# the delivery lands. So every value that reaches staging can be typed, and every text
# can go into the XML extract. Every field, listed here or not, must be text that XML 1.0
# can carry: no control character but tab, line feed and carriage return (C1 controls
# U+0080-U+009F included: in a file declared ISO-8859-1 they are Windows-1252 bytes such
# as 0x93, a typographic quote), and at most `max_length` characters. An empty field is
# allowed unless it is `required`.

MAX_TEXT_LENGTH = 1000  # the longest names and court names are under 100 characters


@dataclass(frozen=True)
class Field:
    """`kind`: text, integer (0-999,999,999, digits only: 1.5, 1e3, NaN are not integers),
    date (DD/MM/YYYY or YYYY-MM-DD, a real day), boolean (true/false), code (one of
    `codes`, case and surrounding blanks aside), case_number (readable as
    NNNNN-YYYY-I-CCCC-OO-MM-JJ, see CASE_NUMBER_PATTERN), court_code (its second part an
    organ type), document_number (as `document_type`'s field says: DNI 1-8 digits, CE 1-12
    and PASAPORTE 5-15 letters or digits)."""

    kind: str = "text"
    codes: tuple[str, ...] = ()
    required: bool = False
    document_type: str | None = None
    max_length: int = MAX_TEXT_LENGTH
    unique: bool = False  # in its file: a key twice is ambiguous, both records quarantined


@dataclass(frozen=True)
class OnlyWhen:
    """A record's `field` may be given only when its `when` field is one of `values` (and,
    `required`, must be given then): what the spec says belongs to which type."""

    field: str
    when: str
    values: tuple[str, ...]
    required: bool = False


@dataclass(frozen=True)
class RequiredWhen:
    """A record's `field` must be given when its `when` field is one of `values`."""

    field: str
    when: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Listed:
    """A record's `field`, when given, is a code that its delivery's `file` lists (its
    `column`): the registry's establishments."""

    field: str
    file: str
    column: str


@dataclass(frozen=True)
class NotBefore:
    """A record's date `field`, when given, is not before its date `start`."""

    field: str
    start: str


TEXT, REQUIRED = Field(), Field(required=True)
INTEGER, DATE = Field("integer"), Field("date")


def code(*values: str, required: bool = False) -> Field:
    return Field("code", values, required)


# The court's flattened Resolucion (raw.pj_resoluciones columns).
PJ_FIELDS: dict[str, Field] = {
    "id": REQUIRED,
    "version": Field("integer", required=True),
    "expediente": Field("case_number", required=True),
    "organo_codigo": Field("court_code", required=True),
    "fecha_emision": Field("date", required=True),
    "tipo": code(*TIPOS_RESOLUCION, required=True),
    "documento_tipo": code(*TIPOS_DOCUMENTO_PJ),
    "documento_numero": Field("document_number", document_type="documento_tipo"),
    "fecha_nacimiento": DATE,
    "sexo": code(*SEXOS),
    "prision_preventiva_plazo_meses": INTEGER,
    "prision_preventiva_fecha_inicio": DATE,
    "pena_clase": code(*CLASES_PENA),
    "pena_anios": INTEGER,
    "pena_meses": INTEGER,
    "pena_dias": INTEGER,
    "pena_jornadas": INTEGER,
    "pena_fecha_inicio": DATE,
    "pena_fecha_vencimiento": DATE,
    "beneficio_clase": code(*CLASES_BENEFICIO),
    # The connector's JSON list of the Delito elements: as long as their number needs.
    "delitos": Field(max_length=100 * MAX_TEXT_LENGTH),
}
PJ_RECORD_RULES = (
    OnlyWhen("pena_clase", "tipo", ("SENTENCIA_CONDENATORIA",)),
    OnlyWhen("beneficio_clase", "tipo", ("BENEFICIO_PENITENCIARIO",)),
    OnlyWhen("prision_preventiva_plazo_meses", "tipo",
             ("PRISION_PREVENTIVA", "PROLONGACION_PRISION_PREVENTIVA")),
)


def _registry_field(column: dict[str, Any]) -> Field:
    """A registry column's rule, as the layout gives it."""
    codes = _REGISTRY_CODES.get(column.get("codes"), ())
    if isinstance(codes, dict):  # one list per value of another column: at landing, any of them
        codes = sorted({c for listed in codes.values() for c in listed})
    return Field(column["type"], tuple(codes), column.get("required", False),
                 column.get("document_type"), unique=column.get("unique", False))


def _record_rule(rule: dict[str, Any]) -> OnlyWhen | RequiredWhen | Listed | NotBefore:
    kind = {"only_when": OnlyWhen, "required_when": RequiredWhen, "listed": Listed,
            "not_before": NotBefore}[rule["rule"]]
    return kind(**{key: tuple(value) if isinstance(value, list) else value
                   for key, value in rule.items() if key != "rule"})


# The registry's files, by header column (a column with no rule of its own is TEXT).
REGISTRY_FIELDS: dict[str, dict[str, Field]] = {
    name: {column["name"]: field for column in layout["columns"]
           if (field := _registry_field(column)) != TEXT}
    for name, layout in _REGISTRY["files"].items()
}
REGISTRY_RECORD_RULES: dict[str, tuple[OnlyWhen | RequiredWhen | Listed | NotBefore, ...]] = {
    name: tuple(map(_record_rule, layout["rules"]))
    for name, layout in _REGISTRY["files"].items() if layout["rules"]
}

# The medio libre record, by JSON path (every field of the spec: an unknown key is not
# read by the hub, so it is not checked). A JSON field must also have its kind's JSON
# type: a number for an integer, true/false for a boolean, a string for the rest (or null).
MEDIO_LIBRE_FIELDS: dict[str, Field] = {
    "id_caso": REQUIRED,
    "version": Field("integer", required=True),
    "fecha_actualizacion": DATE,
    "persona.tipo_documento": code(*_medio_libre_codes("tipo_documento")),
    "persona.numero_documento": Field("document_number",
                                      document_type="persona.tipo_documento"),
    "persona.apellido_paterno": TEXT,
    "persona.apellido_materno": TEXT,
    "persona.nombres": TEXT,
    "persona.fecha_nacimiento": DATE,
    "persona.sexo": code(*_medio_libre_codes("sexo")),
    "expediente": Field("case_number"),
    "organo_jurisdiccional": TEXT,
    "tipo_medida": code(*TIPOS_MEDIDA, required=True),
    "establecimiento_medio_libre": TEXT,
    "fecha_inicio": DATE,
    "jornadas_impuestas": INTEGER,
    "jornadas_cumplidas": INTEGER,
    "estado": code(*ESTADOS_CASO, required=True),
    "motivo_estado": code(*MOTIVOS_ESTADO),
    "programa_tratamiento.programa": code(*PROGRAMAS_MEDIO_LIBRE),
    "programa_tratamiento.evaluacion": code(*EVALUACIONES),
    "vigilancia_electronica.dispositivo": TEXT,
    "vigilancia_electronica.fecha_instalacion": DATE,
    "vigilancia_electronica.activo": Field("boolean"),
}
MEDIO_LIBRE_RECORD_RULES = (OnlyWhen("motivo_estado", "estado", ("PASIVO",), required=True),)
# The JSON objects of a medio libre record: a key twice in one of them is ambiguous
# (DuckDB reads the first value, Python and PostgreSQL the last): the record is quarantined.
MEDIO_LIBRE_OBJECTS = ("", "persona", "programa_tratamiento", "vigilancia_electronica")
