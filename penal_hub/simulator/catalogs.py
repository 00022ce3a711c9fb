"""Catalogues the simulator draws from: names, court seats, offences, workshops.

Names and surnames are frequent Peruvian ones, written as RENIEC writes them
(upper case, with accents). Court seat codes follow the Poder Judicial's
district numbering where known; the table is the simulator's, not an official
list.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

REFERENCE_DIR = Path(__file__).parent / "reference"

SURNAMES = (
    "QUISPE", "MAMANI", "HUAMÁN", "FLORES", "RODRÍGUEZ", "SÁNCHEZ", "GARCÍA", "ROJAS",
    "GONZÁLES", "DÍAZ", "CHÁVEZ", "TORRES", "RAMÍREZ", "MENDOZA", "VÁSQUEZ", "CASTILLO",
    "ESPINOZA", "LÓPEZ", "PÉREZ", "FERNÁNDEZ", "RAMOS", "GUTIÉRREZ", "CRUZ", "HUAMANÍ",
    "CONDORI", "TICONA", "APAZA", "CCAMA", "CHOQUE", "NÚÑEZ", "PEÑA", "MUÑOZ", "CÓRDOVA",
    "VARGAS", "SALAZAR", "CASTRO", "ROMERO", "MORALES", "HERRERA", "MEDINA", "AGUILAR",
    "PAREDES", "VEGA", "RÍOS", "CAMPOS", "SILVA", "REYES", "ÁLVAREZ", "JIMÉNEZ", "RUIZ",
    "CARDENAS", "VILLANUEVA", "LEÓN", "PALOMINO", "ZEGARRA", "CAHUANA", "YUPANQUI",
    "CÁCERES", "ACUÑA", "ÑAUPARI", "HUANCA", "LLANOS", "SOTO", "TAPIA", "CHUQUIMIA",
    "INGA", "PARIONA", "ARAUJO", "BENITES", "CARRASCO", "ESPINOZA", "OBREGÓN", "QUIROZ",
    "SALDAÑA", "TELLO", "URBINA", "VILCHEZ", "ZAMBRANO", "ALARCÓN", "BELTRÁN",
)
GIVEN_NAMES = {
    "M": (
        "JUAN", "CARLOS", "JOSÉ", "LUIS", "JORGE", "MIGUEL", "ÁNGEL", "CÉSAR", "VÍCTOR",
        "JESÚS", "RAÚL", "MARIO", "PEDRO", "MANUEL", "EDWIN", "JHON", "WILMER", "ROBERTO",
        "FRANCISCO", "JULIO", "ANDRÉS", "RUBÉN", "HÉCTOR", "ÓSCAR", "DAVID", "ALEXANDER",
        "RICARDO", "FERNANDO", "ALBERTO", "EDUARDO", "SEBASTIÁN", "MARTÍN", "NÉSTOR",
        "ELÍAS", "ABEL", "FREDY", "HUGO", "ROLANDO", "WALTER", "YAKO",
    ),
    "F": (
        "MARÍA", "ROSA", "ELENA", "ANA", "CARMEN", "LUZ", "JULIA", "SOFÍA", "LUCÍA",
        "INÉS", "MÓNICA", "VERÓNICA", "PATRICIA", "GLORIA", "YOLANDA", "DIANA", "KAREN",
        "MILAGROS", "ROCÍO", "BEATRIZ", "NATALY", "JESSICA", "RAQUEL", "ÁNGELA", "SILVIA",
        "TERESA", "NOEMÍ", "FLOR", "EVELYN", "YESENIA",
    ),
}
NACIONALIDADES_EXTRANJERAS = ("VENEZOLANA", "COLOMBIANA", "ECUATORIANA", "BOLIVIANA", "CHILENA")

# Department code (INEI, as in the reference CSV) -> judicial district and its seat code.
JUDICIAL_DISTRICTS: dict[str, tuple[str, str]] = {
    "01": ("AMAZONAS", "0101"), "02": ("ANCASH", "0201"), "03": ("APURIMAC", "0301"),
    "04": ("AREQUIPA", "0401"), "05": ("AYACUCHO", "0501"), "06": ("CAJAMARCA", "0601"),
    "07": ("CALLAO", "0701"), "08": ("CUSCO", "1001"), "09": ("HUANCAVELICA", "1101"),
    "10": ("HUANUCO", "1201"), "11": ("ICA", "1401"), "12": ("JUNIN", "1501"),
    "13": ("LA LIBERTAD", "1601"), "14": ("LAMBAYEQUE", "1706"), "15": ("LIMA", "1801"),
    "16": ("LORETO", "1903"), "17": ("MADRE DE DIOS", "2701"), "18": ("MOQUEGUA", "2801"),
    "19": ("PASCO", "2901"), "20": ("PIURA", "2001"), "21": ("PUNO", "2101"),
    "22": ("SAN MARTIN", "2201"), "23": ("TACNA", "2301"), "24": ("TUMBES", "2601"),
    "25": ("UCAYALI", "3001"),
}
ORGAN_NAMES = {
    "JR": "JUZGADO DE INVESTIGACION PREPARATORIA",
    "JU": "JUZGADO PENAL UNIPERSONAL",
    "JC": "JUZGADO PENAL COLEGIADO",
    "SP": "SALA PENAL DE APELACIONES",
    "JP": "JUZGADO DE PAZ LETRADO",
}

# Specific offence -> Código Penal generic group, for the reference's offences.
GENERIC_GROUPS = {
    "189": "CONTRA EL PATRIMONIO", "186": "CONTRA EL PATRIMONIO", "200": "CONTRA EL PATRIMONIO",
    "196": "CONTRA EL PATRIMONIO", "202": "CONTRA EL PATRIMONIO",
    "170": "CONTRA LA LIBERTAD", "171": "CONTRA LA LIBERTAD", "173": "CONTRA LA LIBERTAD",
    "176-A": "CONTRA LA LIBERTAD", "152": "CONTRA LA LIBERTAD",
    "296": "CONTRA LA SEGURIDAD PUBLICA", "297": "CONTRA LA SEGURIDAD PUBLICA",
    "298": "CONTRA LA SEGURIDAD PUBLICA", "279": "CONTRA LA SEGURIDAD PUBLICA",
    "279-G": "CONTRA LA SEGURIDAD PUBLICA",
    "108": "CONTRA LA VIDA EL CUERPO Y LA SALUD", "108-B": "CONTRA LA VIDA EL CUERPO Y LA SALUD",
    "121": "CONTRA LA VIDA EL CUERPO Y LA SALUD", "122-B": "CONTRA LA VIDA EL CUERPO Y LA SALUD",
    "149": "CONTRA LA FAMILIA",
    "384": "CONTRA LA ADMINISTRACION PUBLICA", "387": "CONTRA LA ADMINISTRACION PUBLICA",
}
# "Otros delitos" in the reference, spread over these specific offences.
OTHER_OFFENCES = (
    ("LESIONES GRAVES", "121"),
    ("SECUESTRO", "152"),
    ("ESTAFA", "196"),
    ("USURPACION", "202"),
    ("MICROCOMERCIALIZACION DE DROGAS", "298"),
    ("COLUSION", "384"),
    ("PECULADO", "387"),
)
AGE_BANDS = (
    (16, 17), (18, 19), (20, 24), (25, 29), (30, 34), (35, 39), (40, 44), (45, 49),
    (50, 54), (55, 59), (60, 75),
)
CONVENIOS = (
    "", "", "", "TEXTILES ANDINOS S.A.C.", "PANIFICADORA SAN JORGE E.I.R.L.",
    "MUNICIPALIDAD PROVINCIAL", "CERAMICAS DEL SUR S.A.", "MADERERA AMAZONICA S.A.C.",
)


@dataclass(frozen=True)
class Establishment:
    cod_ep: str
    nombre: str
    oficina_regional: str
    departamento: str
    cod_departamento: str
    capacidad: int
    # Reference population (January 2026) by (situation, sex).
    poblacion: dict[tuple[str, str], int]


@dataclass(frozen=True)
class Offence:
    descripcion: str
    articulo: str
    generico: str
    procesados: int
    sentenciados: int
    age_weights: tuple[int, ...]


def strip_article_note(articulo: str) -> str:
    """'189 (con art. 16)' -> '189': the attempt note is not part of the article."""
    return articulo.split(" ", 1)[0]


def load_establishments() -> list[Establishment]:
    """The 69 establishments of the reference, with codes the simulator assigns."""
    with open(REFERENCE_DIR / "establecimientos_inpe_2026-01.csv") as reference:
        rows = list(csv.DictReader(reference))
    establishments, seq_by_dept = [], {}
    for row in rows:
        dept = row["cod_departamento"]
        seq_by_dept[dept] = seq_by_dept.get(dept, 0) + 1
        establishments.append(
            Establishment(
                cod_ep=f"EP{dept}{seq_by_dept[dept]:02d}",
                nombre=row["establecimiento"],
                oficina_regional=row["oficina_regional"],
                departamento=row["departamento"],
                cod_departamento=dept,
                capacidad=int(row["capacidad_albergue"]),
                poblacion={
                    ("PROCESADO", "M"): int(row["procesados_hombres"]),
                    ("PROCESADO", "F"): int(row["procesados_mujeres"]),
                    ("SENTENCIADO", "M"): int(row["sentenciados_hombres"]),
                    ("SENTENCIADO", "F"): int(row["sentenciados_mujeres"]),
                },
            )
        )
    return establishments


def load_offences() -> list[Offence]:
    """The reference's offences; 'Otros delitos' is split evenly over OTHER_OFFENCES."""
    offences = []
    with open(REFERENCE_DIR / "delitos_inpe_2026-01.csv") as reference:
        rows = list(csv.DictReader(reference))
    for row in rows:
        ages = tuple(int(row[k]) for k in row if k.startswith("edad_"))
        if row["articulo_cp"] == "varios":
            n = len(OTHER_OFFENCES)
            for desc, art in OTHER_OFFENCES:
                offences.append(
                    Offence(desc, art, GENERIC_GROUPS[art], int(row["procesados"]) // n,
                            int(row["sentenciados"]) // n, ages)
                )
            continue
        art = strip_article_note(row["articulo_cp"])
        offences.append(
            Offence(
                descripcion=row["delito_especifico"].upper(),
                articulo=art,
                generico=GENERIC_GROUPS[art],
                procesados=int(row["procesados"]),
                sentenciados=int(row["sentenciados"]),
                age_weights=ages,
            )
        )
    return offences


def apportion(total: int, weights: list[int]) -> list[int]:
    """Split `total` in proportion to `weights`, exactly (largest remainder)."""
    wsum = sum(weights)
    if wsum == 0:
        return [0] * len(weights)
    quotas = [total * w / wsum for w in weights]
    counts = [int(q) for q in quotas]
    short = total - sum(counts)
    by_remainder = sorted(range(len(weights)), key=lambda i: quotas[i] - counts[i], reverse=True)
    for i in by_remainder[:short]:
        counts[i] += 1
    return counts
