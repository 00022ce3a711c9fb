"""One consistent model of persons, cases and custody over 2024 (built by build.py).

Everything the three feeds say is derived from this model, so the feeds agree
with each other except where a discrepancy is planted on purpose (and recorded
in the truth).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date
from functools import cache

from penal_hub.simulator.catalogs import ORGAN_NAMES, Establishment, Offence


@cache
def strip_accents(text: str) -> str:
    """How systems without accents write a name: 'NÚÑEZ' -> 'NUNEZ'."""
    return "".join(
        c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn"
    )


@dataclass
class Person:
    pid: str
    tipo_doc: str | None
    num_doc: str | None
    ap_pat: str
    ap_mat: str
    nombres: list[str]
    sexo: str
    fnac: date
    nacionalidad: str
    id_interno: str | None = None
    # Quirks of how other systems write this person.
    registry_drops_zeros: bool = False
    court_unidentified: bool = False
    homonym: bool = False


@dataclass
class Case:
    expediente: str  # canonical NNNNN-YYYY-I-CCCC-OO-MM-JJ
    seat: str
    distrito: str
    offence: Offence


@dataclass
class Resolution:
    rid: str
    version: int
    fecha: date
    tipo: str
    case: Case
    person: Person
    organ: str  # JR, JU, JC, SP, JP
    plazo_meses: int | None = None
    pp_inicio: date | None = None
    pena: dict | None = None
    beneficio: str | None = None
    # A correction: the earlier version's differing attributes, and the week it was fixed.
    corrected_from: dict | None = None
    correction_delay_weeks: int = 0

    @property
    def organo_codigo(self) -> str:
        return f"{self.case.seat}-{self.organ}-PE-{int(self.case.expediente[-2:]):02d}"


@dataclass
class Stay:
    """One stay in custody: admission, establishment segments, exit."""

    person: Person
    case: Case
    admission: date
    admission_motive: str
    segments: list[tuple[str, date]]  # (cod_ep, from date); a transfer adds a segment
    exit: date | None = None
    exit_motive: str | None = None
    # What the registry says about the sentence, and from when.
    registry_sentence: dict | None = None  # fecha, anios, meses, vencimiento
    transfer_motive: str | None = None

    def held_on(self, d: date) -> bool:
        return self.admission <= d and (self.exit is None or self.exit > d)

    def establishment_on(self, d: date) -> str:
        cod = self.segments[0][0]
        for seg_cod, start in self.segments:
            if start <= d:
                cod = seg_cod
        return cod


@dataclass
class MedioLibreVersion:
    version: int
    fecha: date
    estado: str
    motivo: str | None
    jornadas_cumplidas: int | None
    evaluacion: str | None
    ve_activo: bool | None


@dataclass
class MedioLibreCase:
    id_caso: str
    person: Person
    case: Case
    tipo_medida: str
    ema: str
    fecha_inicio: date
    jornadas: int | None
    programa: str | None
    dispositivo: str | None
    versions: list[MedioLibreVersion] = field(default_factory=list)

    def version_on(self, d: date) -> MedioLibreVersion | None:
        current = None
        for v in self.versions:
            if v.fecha <= d:
                current = v
        return current


@dataclass
class Activity:
    stay: Stay
    cod_ep: str
    tipo: str
    programa: str
    inicio: date
    fin: date | None
    convenio: str
    certificado: str


@dataclass
class PlantedAlert:
    codigo: str
    person: Person
    case: Case
    cod_ep: str | None
    fecha_referencia: date


@dataclass
class World:
    scale: float
    seed: int
    establishments: list[Establishment]
    persons: list[Person] = field(default_factory=list)
    stays: list[Stay] = field(default_factory=list)
    resolutions: list[Resolution] = field(default_factory=list)
    medio_libre: list[MedioLibreCase] = field(default_factory=list)
    activities: list[Activity] = field(default_factory=list)
    planted: list[PlantedAlert] = field(default_factory=list)
    homonym_pairs: list[tuple[str, str]] = field(default_factory=list)


def organ_name(res: Resolution) -> str:
    return f"{int(res.case.expediente[-2:])}° {ORGAN_NAMES[res.organ]} DE {res.case.distrito}"
