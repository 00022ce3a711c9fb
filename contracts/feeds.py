"""The source feeds' contract (shared/specs/feeds.md) as data.

One definition serves the simulator that writes the feeds, the connectors that
read them and the tests that check both. Change the spec, change this file.
"""

from __future__ import annotations

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
