"""The source feeds' contract (docs/feeds.md) as data.

One definition serves the simulator that writes the feeds, the connectors that
read them and the tests that check both. Change the spec, change this file.
"""

from __future__ import annotations

from dataclasses import dataclass

# Landing-zone layout: source code -> (folder under HUB_LANDING_DIR, manifest `fuente`).
SOURCES: dict[str, tuple[str, str]] = {
    "pj_resoluciones": ("pj/resoluciones", "PJ-RESOLUCIONES"),
    "inpe_registro": ("inpe/registro", "INPE-REGISTRO"),
    "inpe_medio_libre": ("inpe/medio_libre", "INPE-MEDIO-LIBRE"),
}
MANIFEST_NAME = "manifest.json"
ENCODINGS = ("UTF-8", "ISO-8859-1")

# --- Poder Judicial: resolution feed (XML) -----------------------------------
PJ_NAMESPACE = "urn:pe:gob:pj:interop:resoluciones:1"

TIPOS_RESOLUCION = (
    "PRISION_PREVENTIVA",
    "PROLONGACION_PRISION_PREVENTIVA",
    "CESE_PRISION_PREVENTIVA",
    "SENTENCIA_CONDENATORIA",
    "SENTENCIA_ABSOLUTORIA",
    "SOBRESEIMIENTO",
    "ORDEN_LIBERTAD",
    "BENEFICIO_PENITENCIARIO",
    "VIGILANCIA_ELECTRONICA",
    "REVOCATORIA",
)
CLASES_PENA = (
    "PRIVATIVA_EFECTIVA",
    "PRIVATIVA_SUSPENDIDA",
    "PRESTACION_SERVICIOS_COMUNIDAD",
    "LIMITACION_DIAS_LIBRES",
    "MULTA",
    "VIGILANCIA_ELECTRONICA",
)
CLASES_BENEFICIO = ("SEMILIBERTAD", "LIBERACION_CONDICIONAL")
TIPOS_DOCUMENTO_PJ = ("DNI", "CE", "PASAPORTE", "NO_IDENTIFICADO")
TIPOS_ORGANO = ("JR", "SP", "JP", "JU", "JC")
SEXOS = ("M", "F")

# --- INPE: penitentiary registry (CSV) ---------------------------------------
CSV_DELIMITER = "|"
CSV_QUOTE = '"'
REGISTRY_FILES: dict[str, tuple[str, ...]] = {
    "establecimientos.csv": (
        "COD_EP",
        "NOMBRE_EP",
        "OFICINA_REGIONAL",
        "DEPARTAMENTO",
        "CAPACIDAD_ALBERGUE",
    ),
    "internos.csv": (
        "ID_INTERNO",
        "TIPO_DOCUMENTO",
        "NUMERO_DOCUMENTO",
        "APELLIDO_PATERNO",
        "APELLIDO_MATERNO",
        "NOMBRES",
        "SEXO",
        "FECHA_NACIMIENTO",
        "NACIONALIDAD",
        "COD_EP",
        "SITUACION_JURIDICA",
        "FECHA_INGRESO",
        "NUMERO_EXPEDIENTE",
        "DELITO_GENERICO",
        "DELITO_ESPECIFICO",
        "ARTICULO_CP",
        "PENA_ANIOS",
        "PENA_MESES",
        "FECHA_SENTENCIA",
        "FECHA_VENCIMIENTO_PENA",
    ),
    "movimientos.csv": (
        "ID_INTERNO",
        "TIPO_MOVIMIENTO",
        "FECHA_MOVIMIENTO",
        "COD_EP_ORIGEN",
        "COD_EP_DESTINO",
        "MOTIVO",
        "DOCUMENTO_SUSTENTO",
    ),
    "actividades.csv": (
        "ID_INTERNO",
        "COD_EP",
        "TIPO_ACTIVIDAD",
        "PROGRAMA",
        "FECHA_INICIO",
        "FECHA_FIN",
        "CONVENIO",
        "CERTIFICADO",
    ),
}
# Where each source lands (schema raw): a registry file in the table named after it. The
# landing layer's contract, read by the connectors, the quality suites and dbt's sources.
REGISTRY_TABLES: dict[str, str] = {name: "inpe_" + name.removesuffix(".csv") for name in REGISTRY_FILES}
SOURCE_TABLES: dict[str, tuple[str, ...]] = {
    "pj_resoluciones": ("pj_resoluciones",),
    "inpe_registro": tuple(REGISTRY_TABLES.values()),
    "inpe_medio_libre": ("inpe_medio_libre",),
}

SITUACIONES_JURIDICAS = ("PROCESADO", "SENTENCIADO")
TIPOS_MOVIMIENTO = ("INGRESO", "EGRESO", "TRASLADO")
MOTIVOS_MOVIMIENTO: dict[str, tuple[str, ...]] = {
    "INGRESO": ("MANDATO_DETENCION", "SENTENCIA", "REVOCATORIA", "RECAPTURA"),
    "EGRESO": (
        "LIBERTAD_MANDATO_JUDICIAL",
        "PENA_CUMPLIDA",
        "SEMILIBERTAD",
        "LIBERACION_CONDICIONAL",
        "VIGILANCIA_ELECTRONICA",
        "COMPARECENCIA",
        "ABSOLUCION",
        "FALLECIMIENTO",
        "FUGA",
    ),
    "TRASLADO": (
        "SEGURIDAD_PENITENCIARIA",
        "REORDENAMIENTO",
        "TRATAMIENTO_PENITENCIARIO",
        "EXCEPCIONAL",
    ),
}
TIPOS_ACTIVIDAD = ("LABORAL", "EDUCATIVA", "CULTURAL", "TRATAMIENTO")
# LABORAL workshops are open-ended in the spec ("..."): these are the known ones.
PROGRAMAS_ACTIVIDAD: dict[str, tuple[str, ...]] = {
    "LABORAL": (
        "PANADERIA",
        "CERAMICA",
        "ZAPATERIA",
        "TEJIDO",
        "CARPINTERIA",
        "CONFECCION",
        "METALMECANICA",
        "ARTESANIA",
    ),
    "EDUCATIVA": ("ALFABETIZACION", "PEBAJA", "CETPRO", "SUPERIOR"),
    "TRATAMIENTO": ("CREO", "TAS", "DEVIDA"),
    "CULTURAL": ("MUSICA", "TEATRO", "PINTURA", "DEPORTE"),
}
CERTIFICADO_VALUES = ("S", "N")

# --- INPE: medio libre (JSON Lines) ------------------------------------------
TIPOS_MEDIDA = (
    "PRESTACION_SERVICIOS_COMUNIDAD",
    "LIMITACION_DIAS_LIBRES",
    "PENA_SUSPENDIDA",
    "RESERVA_FALLO",
    "SEMILIBERTAD",
    "LIBERACION_CONDICIONAL",
    "VIGILANCIA_ELECTRONICA",
)
# Limitative penalties and alternative measures: the denominator of OP04.
MEDIDAS_LIMITATIVAS = TIPOS_MEDIDA[:4]
ESTADOS_CASO = ("ACTIVO", "PASIVO")
MOTIVOS_ESTADO = ("CUMPLIMIENTO", "INTERRUPCION", "PRESCRIPCION", "RESISTENCIA", "ABANDONO")
PROGRAMAS_MEDIO_LIBRE = ("FOCOS", "CAPAS", "RETO", "AREE", "YUPAYCHAY", "NO_MAS_PROBLEMAS")
EVALUACIONES = ("FAVORABLE", "DESFAVORABLE", "EN_CURSO")

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


# A case number as senders write it, once upper-cased and without white space: the
# staging macro normalize_expediente reads exactly these (a test keeps the two equal).
CASE_NUMBER_PATTERN = "[0-9]{1,5}-[0-9]{4}-[0-9]+-[0-9]{1,4}-(JR|SP|JP|JU|JC)-PE-[0-9]{1,2}"

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

TIPOS_DOCUMENTO_INPE = ("DNI", "CE", "PASAPORTE", "NO_IDENTIFICADO")

# The registry's files, by header column.
REGISTRY_FIELDS: dict[str, dict[str, Field]] = {
    "establecimientos.csv": {
        "COD_EP": REQUIRED,
        "NOMBRE_EP": REQUIRED,
        "CAPACIDAD_ALBERGUE": INTEGER,
    },
    "internos.csv": {
        "ID_INTERNO": Field(required=True, unique=True),  # one row per person held
        "TIPO_DOCUMENTO": code(*TIPOS_DOCUMENTO_INPE),
        "NUMERO_DOCUMENTO": Field("document_number", document_type="TIPO_DOCUMENTO"),
        "SEXO": code(*SEXOS),
        "FECHA_NACIMIENTO": DATE,
        "COD_EP": REQUIRED,
        "SITUACION_JURIDICA": code(*SITUACIONES_JURIDICAS, required=True),
        "FECHA_INGRESO": Field("date", required=True),
        "NUMERO_EXPEDIENTE": Field("case_number"),
        "PENA_ANIOS": INTEGER,
        "PENA_MESES": INTEGER,
        "FECHA_SENTENCIA": DATE,
        "FECHA_VENCIMIENTO_PENA": DATE,
    },
    "movimientos.csv": {
        "ID_INTERNO": REQUIRED,
        "TIPO_MOVIMIENTO": code(*TIPOS_MOVIMIENTO, required=True),
        "FECHA_MOVIMIENTO": Field("date", required=True),
        "MOTIVO": code(*sorted({m for ms in MOTIVOS_MOVIMIENTO.values() for m in ms})),
    },
    "actividades.csv": {
        "ID_INTERNO": REQUIRED,
        "COD_EP": REQUIRED,
        "TIPO_ACTIVIDAD": code(*TIPOS_ACTIVIDAD, required=True),
        "PROGRAMA": REQUIRED,  # an open list (new workshops): checked in staging, warning
        "FECHA_INICIO": Field("date", required=True),
        "FECHA_FIN": DATE,
        "CERTIFICADO": code(*CERTIFICADO_VALUES, required=True),
    },
}

ESTABLECIMIENTO_LISTADO = ("establecimientos.csv", "COD_EP")
REGISTRY_RECORD_RULES: dict[str, tuple[OnlyWhen | RequiredWhen | Listed | NotBefore, ...]] = {
    "internos.csv": (
        *(OnlyWhen(column, "SITUACION_JURIDICA", ("SENTENCIADO",)) for column in (
            "PENA_ANIOS", "PENA_MESES", "FECHA_SENTENCIA", "FECHA_VENCIMIENTO_PENA")),
        Listed("COD_EP", *ESTABLECIMIENTO_LISTADO)),
    "movimientos.csv": (
        RequiredWhen("COD_EP_ORIGEN", "TIPO_MOVIMIENTO", ("EGRESO", "TRASLADO")),
        RequiredWhen("COD_EP_DESTINO", "TIPO_MOVIMIENTO", ("INGRESO", "TRASLADO")),
        Listed("COD_EP_ORIGEN", *ESTABLECIMIENTO_LISTADO),
        Listed("COD_EP_DESTINO", *ESTABLECIMIENTO_LISTADO)),
    "actividades.csv": (NotBefore("FECHA_FIN", "FECHA_INICIO"),
                        Listed("COD_EP", *ESTABLECIMIENTO_LISTADO)),
}

# The medio libre record, by JSON path (every field of the spec: an unknown key is not
# read by the hub, so it is not checked). A JSON field must also have its kind's JSON
# type: a number for an integer, true/false for a boolean, a string for the rest (or null).
MEDIO_LIBRE_FIELDS: dict[str, Field] = {
    "id_caso": REQUIRED,
    "version": Field("integer", required=True),
    "fecha_actualizacion": DATE,
    "persona.tipo_documento": code(*TIPOS_DOCUMENTO_INPE),
    "persona.numero_documento": Field("document_number",
                                      document_type="persona.tipo_documento"),
    "persona.apellido_paterno": TEXT,
    "persona.apellido_materno": TEXT,
    "persona.nombres": TEXT,
    "persona.fecha_nacimiento": DATE,
    "persona.sexo": code(*SEXOS),
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
