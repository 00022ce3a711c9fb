"""The figures the simulated year is calibrated to.

At scale 1 the last cut-off reproduces the December 2024 figures of docs/outputs.md
exactly; every count is scaled (Factory.sc) before it is used.
"""

# December 2024 national figures (Reporte de cumplimiento 2024), at scale 1.
TARGETS = {
    "PROCESADOS": 37_650,
    "SENTENCIADOS": 61_798,
    "MEDIO_LIBRE_PERSONAS": 97_099,
    "MEDIO_LIBRE_LIMITATIVAS": 92_151,
    "MEDIO_LIBRE_LIMITATIVAS_ACTIVAS": 27_968,
    "VEP_ACTIVOS": 59,
    "LABORAL": 28_101,
    "EDUCATIVA_ALFABETIZACION": 375,
    "EDUCATIVA_PEBAJA": 7_940,
    "EDUCATIVA_CETPRO": 7_560,
    "EDUCATIVA_SUPERIOR": 204,
    "TRASLADOS_SEGURIDAD_PENITENCIARIA": 697,
    "TRASLADOS_REORDENAMIENTO": 1_212,
    "TRASLADOS_TRATAMIENTO_PENITENCIARIO": 174,
    "TRASLADOS_EXCEPCIONAL": 20,
}
# Flows and activities the report does not fix; plausible for INPE.
FLOWS = {
    "TRATAMIENTO_CREO": 2_400,
    "TRATAMIENTO_TAS": 3_100,
    "TRATAMIENTO_DEVIDA": 1_500,
    "CULTURAL": 6_000,
    "EGRESOS": {
        "COMPARECENCIA": 7_600,
        "PENA_CUMPLIDA": 7_000,
        "LIBERTAD_MANDATO_JUDICIAL": 4_500,
        "ABSOLUCION": 2_500,
        "SEMILIBERTAD": 1_300,
        "LIBERACION_CONDICIONAL": 700,
        "FALLECIMIENTO": 300,
        "VIGILANCIA_ELECTRONICA": 40,
    },
    "REVOCATORIAS_INGRESO": 60,
    "RECAPTURAS": 30,
    "VEP_INACTIVOS": 25,
    "COURT_ONLY_PERSONS": 2_500,
    "CORRECTIONS": 1_500,
    "HOMONYM_PAIRS": 20,
}
# Discrepancies planted on the last cut-off (alert code -> count at scale 1).
PLANTED = {
    "LIBERTAD_NO_EJECUTADA": 45,
    "PRISION_PREVENTIVA_VENCIDA": 130,
    "PENA_CUMPLIDA_SIN_EGRESO": 85,
    "SITUACION_JURIDICA_DISCREPANTE": 150,
    "INTERNO_SIN_MANDATO": 60,
    "MANDATO_SIN_INGRESO": 95,
}
