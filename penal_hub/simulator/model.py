"""One consistent model of persons, cases and custody over 2024.

Everything the three feeds say is derived from this model, so the feeds agree
with each other except where a discrepancy is planted on purpose (and recorded
in the truth). Counts are calibrated so that at scale 1 the last cut-off
reproduces the December 2024 figures of docs/outputs.md exactly.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache

from penal_hub.contracts import feeds
from penal_hub.simulator.catalogs import (
    AGE_BANDS,
    CONVENIOS,
    GIVEN_NAMES,
    JUDICIAL_DISTRICTS,
    NACIONALIDADES_EXTRANJERAS,
    ORGAN_NAMES,
    SURNAMES,
    Establishment,
    Offence,
    apportion,
    load_establishments,
    load_offences,
)
from penal_hub.simulator.dates import LAST_CUTOFF, YEAR_START, add_months

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
# Days from a release order to its EGRESO: the same day, the next, 2-7 days, 8-30 days.
RELEASE_DELAY_WEIGHTS = (45, 30, 17, 8)
EMA_BY_DISTRICT = {name: f"EMA-{name.replace(' ', '-')}" for name, _ in JUDICIAL_DISTRICTS.values()}


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


class Simulator:
    """Builds a World; every random draw goes through one seeded generator."""

    def __init__(self, scale: float, seed: int):
        self.scale = scale
        self.rng = random.Random(seed)
        self.world = World(scale=scale, seed=seed, establishments=load_establishments())
        self.offences = load_offences()
        self.ep_by_code = {e.cod_ep: e for e in self.world.establishments}
        self._dnis: set[str] = set()
        self._name_keys: set[tuple] = set()
        self._seq = {"person": 0, "interno": 0, "resolution": 0, "ml": 0}
        self._case_seq: dict[tuple[str, int, int], int] = {}

    # --- small helpers ----------------------------------------------------
    def sc(self, n: int, minimum: int = 0) -> int:
        """Scale a count, half up; `minimum` keeps planted items present at tiny scales."""
        return max(minimum, int(n * self.scale + 0.5))

    def _next(self, kind: str) -> int:
        self._seq[kind] += 1
        return self._seq[kind]

    def day_between(self, lo: date, hi: date) -> date:
        return lo + timedelta(days=self.rng.randint(0, max(0, (hi - lo).days)))

    @staticmethod
    def early_day(d: date) -> date:
        """Detention terms start on day 1-28, so calendar-month arithmetic never clamps."""
        return d.replace(day=min(d.day, 28))

    # --- persons ------------------------------------------------------------
    def new_person(self, sexo: str, offence: Offence | None = None,
                   documented: float = 0.985) -> Person:
        rng = self.rng
        weights = offence.age_weights if offence else (1, 5, 20, 22, 20, 14, 9, 5, 2, 1, 1)
        lo, hi = AGE_BANDS[rng.choices(range(len(AGE_BANDS)), weights)[0]]
        while True:
            age_days = rng.randint(lo * 365 + 1, hi * 365 + 364)
            fnac = LAST_CUTOFF - timedelta(days=age_days)
            ap_pat, ap_mat = rng.choice(SURNAMES), rng.choice(SURNAMES)
            k = 1 if rng.random() < 0.3 else 2
            nombres = rng.sample(GIVEN_NAMES[sexo], k)
            key = (strip_accents(ap_pat), fnac, frozenset(strip_accents(n) for n in nombres))
            if key not in self._name_keys:
                self._name_keys.add(key)
                break
        roll = rng.random()
        nacionalidad = "PERUANA"
        if roll > documented:
            tipo, num = None, None
        elif roll < 0.96 * documented:
            tipo, num = "DNI", self.new_dni()
        else:
            nacionalidad = rng.choice(NACIONALIDADES_EXTRANJERAS)
            if rng.random() < 0.85:
                tipo, num = "CE", f"{rng.randint(1, 999_999_999):09d}"
            else:
                tipo, num = "PASAPORTE", f"{rng.choice('ABCDEFGHJKLMNPRSTUVWXYZ')}{rng.randint(0, 99_999_999):08d}"
        person = Person(
            pid=f"P{self._next('person'):07d}",
            tipo_doc=tipo,
            num_doc=num,
            ap_pat=ap_pat,
            ap_mat=ap_mat,
            nombres=nombres,
            sexo=sexo,
            fnac=fnac,
            nacionalidad=nacionalidad,
        )
        person.registry_drops_zeros = bool(num and tipo == "DNI" and num[0] == "0" and rng.random() < 0.6)
        person.court_unidentified = bool(num and rng.random() < 0.02)
        self.world.persons.append(person)
        return person

    def new_dni(self) -> str:
        while True:
            if self.rng.random() < 0.12:
                dni = f"{self.rng.randint(100_000, 9_999_999):08d}"  # a leading zero
            else:
                dni = f"{self.rng.randint(10_000_000, 79_999_999)}"
            if dni not in self._dnis:
                self._dnis.add(dni)
                return dni

    def register(self, person: Person) -> None:
        if person.id_interno is None:
            person.id_interno = f"INT{self._next('interno'):07d}"

    # --- cases and resolutions ---------------------------------------------
    def new_case(self, cod_departamento: str, year: int, offence: Offence) -> Case:
        distrito, seat = JUDICIAL_DISTRICTS[cod_departamento]
        step, juzgado = self.rng.randint(1, 2), self.rng.randint(1, 9)
        # Numbered per court, not per seat: Lima's seat alone would pass the five digits
        # of NNNNN at ten times the national scale.
        key = (seat, year, juzgado)
        self._case_seq[key] = self._case_seq.get(key, 0) + step
        expediente = f"{self._case_seq[key]:05d}-{year}-0-{seat}-JR-PE-{juzgado:02d}"
        return Case(expediente=expediente, seat=seat, distrito=distrito, offence=offence)

    def resolve(self, case: Case, person: Person, tipo: str, fecha: date, organ: str = "JR",
                **attrs) -> Resolution:
        res = Resolution(
            rid=f"RES-{case.seat}-{fecha.year}-{self._next('resolution'):07d}",
            version=1,
            fecha=fecha,
            tipo=tipo,
            case=case,
            person=person,
            organ=organ,
            **attrs,
        )
        self.world.resolutions.append(res)
        return res

    def preventive_detention(self, case: Case, person: Person, start: date,
                             cover_until: date) -> date:
        """PRISION_PREVENTIVA from `start`, prolonged as needed so it is in force until
        `cover_until` (arts. 272 and 274 CPP). Returns the date of the latest order."""
        months_needed = (cover_until.year - start.year) * 12 + cover_until.month - start.month + 1
        rng = self.rng
        if months_needed <= 9:
            plan = (9, []) if rng.random() < 0.85 else (18, [])
        elif months_needed <= 18:
            plan = (9, [9]) if rng.random() < 0.6 else (18, [])
        elif months_needed <= 36:
            plan = (18, [18]) if rng.random() < 0.5 else (36, [])
        else:
            plan = (36, [12])
        plazo, prolongations = plan
        latest = self.resolve(case, person, "PRISION_PREVENTIVA",
                              start - timedelta(days=rng.randint(0, 2)), plazo_meses=plazo,
                              pp_inicio=start)
        end = add_months(start, plazo)
        for extra in prolongations:
            if end > cover_until:
                break
            latest = self.resolve(case, person, "PROLONGACION_PRISION_PREVENTIVA",
                                  end - timedelta(days=rng.randint(3, 20)), plazo_meses=extra)
            end = add_months(end, extra)
        assert end > cover_until, (start, cover_until, plan)
        return latest.fecha

    def custodial_sentence(self, case: Case, person: Person, fecha: date, start: date,
                           end_after: date | None = None, end: date | None = None) -> dict:
        """SENTENCIA_CONDENATORIA with PRIVATIVA_EFECTIVA counted from `start`.

        Either the end is given (planted or served sentences, always with an explicit
        fechaVencimiento) or a length is drawn long enough to end after `end_after`."""
        rng = self.rng
        if end is None:
            anios = rng.choice((4, 5, 6, 6, 8, 8, 10, 12, 12, 15, 15, 20, 25, 30, 35))
            meses = rng.choice((0, 0, 0, 6, 8))
            while add_months(start, anios * 12 + meses) <= end_after + timedelta(days=30):
                anios += rng.randint(1, 5)
            end = add_months(start, anios * 12 + meses)
            explicit = rng.random() < 0.7
        else:
            total_months = max(1, (end.year - start.year) * 12 + end.month - start.month)
            anios, meses = divmod(total_months, 12)
            explicit = True
        pena = {
            "clase": "PRIVATIVA_EFECTIVA",
            "anios": anios,
            "meses": meses,
            "dias": 0,
            "inicio": start,
            "vencimiento": end if explicit else None,
            "fin": end,  # the truth, whether or not the court wrote it
        }
        self.resolve(case, person, "SENTENCIA_CONDENATORIA", fecha,
                     organ=rng.choice(("JU", "JU", "JC")), pena=pena)
        return pena

    # --- the population -----------------------------------------------------
    def cells(self, situacion: str) -> list[tuple[Establishment, str, int]]:
        """The population on the last cut-off of one legal situation, by establishment and sex."""
        keys = [(e, s) for e in self.world.establishments for s in ("M", "F")]
        weights = [e.poblacion[(situacion, s)] for e, s in keys]
        counts = apportion(self.sc(TARGETS[situacion + "S"]), weights)
        return [(e, s, n) for (e, s), n in zip(keys, counts, strict=True) if n]

    def offences_for(self, situacion: str, n: int) -> list[Offence]:
        weights = [o.procesados if situacion == "PROCESADO" else o.sentenciados for o in self.offences]
        out = [o for o, k in zip(self.offences, apportion(n, weights), strict=True) for _ in range(k)]
        self.rng.shuffle(out)
        return out

    def held_population(self) -> None:
        """Everyone held on the last cut-off, with the planted discrepancies among them."""
        rng = self.rng
        roles = {
            "PROCESADO": (
                ["PPV"] * self.sc(PLANTED["PRISION_PREVENTIVA_VENCIDA"], 1)
                + ["ISM"] * self.sc(PLANTED["INTERNO_SIN_MANDATO"], 1)
            ),
            "SENTENCIADO": ["PCSE"] * self.sc(PLANTED["PENA_CUMPLIDA_SIN_EGRESO"], 1)
            + ["REVOCATORIA"] * self.sc(FLOWS["REVOCATORIAS_INGRESO"])
            + ["RECAPTURA"] * self.sc(FLOWS["RECAPTURAS"]),
        }
        sjd_a, sjd_b = apportion(self.sc(PLANTED["SITUACION_JURIDICA_DISCREPANTE"], 2), [1, 1])
        lne_a, lne_b = apportion(self.sc(PLANTED["LIBERTAD_NO_EJECUTADA"], 2), [1, 1])
        roles["PROCESADO"] += ["SJD_A"] * sjd_a + ["LNE_A"] * lne_a
        roles["SENTENCIADO"] += ["SJD_B"] * sjd_b + ["LNE_B"] * lne_b

        for situacion in ("PROCESADO", "SENTENCIADO"):
            slots = [(e, s) for e, s, n in self.cells(situacion) for _ in range(n)]
            offences = self.offences_for(situacion, len(slots))
            role_list = roles[situacion] + ["REGULAR"] * (len(slots) - len(roles[situacion]))
            rng.shuffle(role_list)
            for (ep, sexo), offence, role in zip(slots, offences, role_list, strict=False):
                person = self.new_person(sexo, offence)
                self.register(person)
                builder = self.build_procesado if situacion == "PROCESADO" else self.build_sentenciado
                builder(person, ep, offence, role)

    def admission_for_procesado(self) -> date:
        rng = self.rng
        band = rng.choices(((1, 270), (271, 540), (541, 1080), (1081, 1420)), (25, 40, 28, 7))[0]
        return self.early_day(LAST_CUTOFF - timedelta(days=rng.randint(*band)))

    def new_stay(self, person: Person, case: Case, ep: Establishment, admission: date,
                 motive: str) -> Stay:
        stay = Stay(person, case, admission, motive, [(ep.cod_ep, admission)])
        self.world.stays.append(stay)
        return stay

    def build_procesado(self, person: Person, ep: Establishment, offence: Offence, role: str):
        rng = self.rng
        if role == "LNE_A":
            admission = self.early_day(LAST_CUTOFF - timedelta(days=rng.randint(100, 240)))
        elif role == "PPV":
            end = LAST_CUTOFF - timedelta(days=rng.randint(5, 120))
            admission = self.early_day(add_months(end, -9))
        else:
            admission = self.admission_for_procesado()
        case = self.new_case(ep.cod_departamento, max(admission.year - rng.randint(0, 1), 2018), offence)
        stay = self.new_stay(person, case, ep, admission, "MANDATO_DETENCION")
        if role == "ISM":
            self.plant("INTERNO_SIN_MANDATO", person, case, ep.cod_ep, admission)
            return stay
        if role == "PPV":
            self.resolve(case, person, "PRISION_PREVENTIVA", admission, plazo_meses=9,
                         pp_inicio=admission)
            self.plant("PRISION_PREVENTIVA_VENCIDA", person, case, ep.cod_ep, add_months(admission, 9))
            return stay
        self.preventive_detention(case, person, admission, LAST_CUTOFF)
        if role == "LNE_A":
            cese = LAST_CUTOFF - timedelta(days=rng.randint(2, 90))
            self.resolve(case, person, "CESE_PRISION_PREVENTIVA", cese)
            self.plant("LIBERTAD_NO_EJECUTADA", person, case, ep.cod_ep, cese)
        elif role == "SJD_A":
            fecha = LAST_CUTOFF - timedelta(days=rng.randint(5, 60))
            self.custodial_sentence(case, person, fecha, admission, end_after=LAST_CUTOFF)
            self.plant("SITUACION_JURIDICA_DISCREPANTE", person, case, ep.cod_ep, fecha)
        return stay

    def build_sentenciado(self, person: Person, ep: Establishment, offence: Offence, role: str):
        rng = self.rng
        if role == "PCSE":
            end = LAST_CUTOFF - timedelta(days=rng.randint(3, 200))
            admission = self.early_day(add_months(end, -rng.randint(12, 72)))
        elif role == "SJD_B":
            admission = self.early_day(LAST_CUTOFF - timedelta(days=rng.randint(60, 900)))
        else:
            admission = LAST_CUTOFF - timedelta(days=min(5400, 60 + int(rng.expovariate(1 / 2200))))
            admission = self.early_day(admission)
        motive = {"REVOCATORIA": "REVOCATORIA", "RECAPTURA": "RECAPTURA"}.get(role, "MANDATO_DETENCION")
        case = self.new_case(ep.cod_departamento, max(admission.year - rng.randint(0, 1), 2010), offence)

        if role == "SJD_B":
            # The registry says sentenced; the court never sent a sentence.
            stay = self.new_stay(person, case, ep, admission, motive)
            self.preventive_detention(case, person, admission, LAST_CUTOFF)
            fecha = self.day_between(admission + timedelta(days=20), LAST_CUTOFF - timedelta(days=1))
            anios = rng.randint(4, 15)
            stay.registry_sentence = {"fecha": fecha, "anios": anios, "meses": 0,
                                      "vencimiento": add_months(admission, anios * 12)}
            self.plant("SITUACION_JURIDICA_DISCREPANTE", person, case, ep.cod_ep, admission)
            return stay

        if role in ("REVOCATORIA", "RECAPTURA"):
            # Sentenced years ago, out on a benefit or escaped, back in custody in 2024.
            first_in = self.early_day(LAST_CUTOFF - timedelta(days=rng.randint(3 * 365, 8 * 365)))
            fecha_sent = first_in + timedelta(days=rng.randint(60, 500))
            pena = self.custodial_sentence(case, person, fecha_sent, first_in, end_after=LAST_CUTOFF)
            back = self.day_between(YEAR_START + timedelta(days=3), LAST_CUTOFF - timedelta(days=10))
            if role == "REVOCATORIA":
                benefit_date = min(fecha_sent + timedelta(days=rng.randint(400, 900)),
                                   YEAR_START - timedelta(days=30))
                clase = rng.choice(feeds.CLASES_BENEFICIO)
                self.resolve(case, person, "BENEFICIO_PENITENCIARIO", benefit_date, beneficio=clase)
                ml = self.medio_libre_case(person, case, clase, benefit_date + timedelta(days=3))
                revocation = back - timedelta(days=rng.randint(1, 6))
                self.resolve(case, person, "REVOCATORIA", revocation)
                self.ml_history(ml, final_estado="PASIVO", final_motivo="INTERRUPCION",
                                pasivo_on=revocation)
            stay = self.new_stay(person, case, ep, back, motive)
            stay.registry_sentence = self.registry_view(pena, fecha_sent)
            return stay

        has_pp = role not in ("PCSE",) and rng.random() < 0.8
        if role == "PCSE":
            fecha_sent = admission + timedelta(days=rng.randint(30, max(31, min(365, (end - admission).days - 1))))
            pena = self.custodial_sentence(case, person, fecha_sent, admission, end=end)
            self.plant("PENA_CUMPLIDA_SIN_EGRESO", person, case, ep.cod_ep, end)
        else:
            latest = LAST_CUTOFF - timedelta(days=92 if role == "LNE_B" else 1)
            if has_pp:
                fecha_sent = self.day_between(admission + timedelta(days=30),
                                              min(admission + timedelta(days=1000), latest))
                self.preventive_detention(case, person, admission, fecha_sent)
            else:
                fecha_sent = admission - timedelta(days=rng.randint(0, 10))
                motive = "SENTENCIA"
            pena = self.custodial_sentence(case, person, fecha_sent, admission, end_after=LAST_CUTOFF)
        stay = self.new_stay(person, case, ep, admission, motive)
        stay.registry_sentence = self.registry_view(pena, fecha_sent)
        if role == "LNE_B":
            fecha = LAST_CUTOFF - timedelta(days=rng.randint(2, 90))
            self.resolve(case, person, "BENEFICIO_PENITENCIARIO", fecha, beneficio="SEMILIBERTAD")
            self.plant("LIBERTAD_NO_EJECUTADA", person, case, ep.cod_ep, fecha)
        return stay

    @staticmethod
    def registry_view(pena: dict, fecha_sent: date) -> dict:
        return {"fecha": fecha_sent, "anios": pena["anios"], "meses": pena["meses"],
                "vencimiento": pena["fin"]}

    def plant(self, codigo: str, person: Person, case: Case, cod_ep: str | None, ref: date):
        self.world.planted.append(PlantedAlert(codigo, person, case, cod_ep, ref))

    # --- releases during the year -------------------------------------------
    def releases(self) -> None:
        """Persons held at some time in 2024 and released before the last cut-off."""
        rng = self.rng
        motives = [m for m, n in FLOWS["EGRESOS"].items() for _ in range(self.sc(n))]
        n_msi = self.sc(PLANTED["MANDATO_SIN_INGRESO"], 3)
        fugas, never_captured, revoked = apportion(n_msi, [4, 4, 2])
        motives += ["FUGA"] * fugas
        eps = self.world.establishments
        weights = {s: [e.poblacion[("PROCESADO", s)] + e.poblacion[("SENTENCIADO", s)] for e in eps]
                   for s in ("M", "F")}
        for motive in motives:
            sexo = "F" if rng.random() < 0.055 else "M"
            ep = rng.choices(eps, weights[sexo])[0]
            offence = rng.choices(self.offences, [o.procesados + o.sentenciados for o in self.offences])[0]
            person = self.new_person(sexo, offence)
            self.register(person)
            self.build_release(person, ep, offence, motive)
        for _ in range(never_captured):
            self.mandate_never_executed(revoked=False)
        for _ in range(revoked):
            self.mandate_never_executed(revoked=True)

    def build_release(self, person: Person, ep: Establishment, offence: Offence, motive: str):
        rng = self.rng
        exit_day = self.day_between(YEAR_START + timedelta(days=1), LAST_CUTOFF - timedelta(days=1))
        sentenced = motive in ("PENA_CUMPLIDA", "SEMILIBERTAD", "LIBERACION_CONDICIONAL") or (
            motive in ("FALLECIMIENTO", "FUGA") and rng.random() < 0.5
        )
        if rng.random() < 0.35 and exit_day > YEAR_START + timedelta(days=40):
            admission = self.day_between(YEAR_START, exit_day - timedelta(days=30))
        elif sentenced:
            admission = exit_day - timedelta(days=rng.randint(200, 2500))
        else:
            # A preventive term lasts at most 48 months, prolongation included.
            admission = max(exit_day - timedelta(days=rng.randint(30, 1200)),
                            LAST_CUTOFF - timedelta(days=1400))
        admission = self.early_day(admission)
        case = self.new_case(ep.cod_departamento, max(admission.year - rng.randint(0, 1), 2010), offence)
        stay = self.new_stay(person, case, ep, admission, "MANDATO_DETENCION")
        stay.exit, stay.exit_motive = exit_day, motive
        if motive == "FUGA":
            # Escaped: the detention order is still in force (a planted MANDATO_SIN_INGRESO).
            cover = LAST_CUTOFF + timedelta(days=1)
        else:
            cover = exit_day
        if sentenced:
            fecha_sent = self.day_between(admission + timedelta(days=15),
                                          min(admission + timedelta(days=700), exit_day - timedelta(days=2)))
            self.preventive_detention(case, person, admission, fecha_sent)
            if motive == "PENA_CUMPLIDA":
                pena = self.custodial_sentence(case, person, fecha_sent, admission, end=exit_day)
            else:
                pena = self.custodial_sentence(case, person, fecha_sent, admission, end_after=cover)
            stay.registry_sentence = self.registry_view(pena, fecha_sent)
            standing = fecha_sent
        else:
            standing = self.preventive_detention(case, person, admission, cover)
        release_resolution = {
            "COMPARECENCIA": "CESE_PRISION_PREVENTIVA",
            "ABSOLUCION": "SENTENCIA_ABSOLUTORIA",
            "LIBERTAD_MANDATO_JUDICIAL": rng.choice(("ORDEN_LIBERTAD", "SOBRESEIMIENTO")),
            "SEMILIBERTAD": "BENEFICIO_PENITENCIARIO",
            "LIBERACION_CONDICIONAL": "BENEFICIO_PENITENCIARIO",
            "VIGILANCIA_ELECTRONICA": "VIGILANCIA_ELECTRONICA",
        }.get(motive)
        if release_resolution:
            # INPE executes most releases the day they are ordered or the next; some wait.
            delay = rng.choices((0, 1, rng.randint(2, 7), rng.randint(8, 30)), RELEASE_DELAY_WEIGHTS)[0]
            fecha = exit_day - timedelta(days=max(0, min(delay, (exit_day - standing).days - 1)))
            organ = "JU" if release_resolution == "SENTENCIA_ABSOLUTORIA" else "JR"
            beneficio = motive if release_resolution == "BENEFICIO_PENITENCIARIO" else None
            self.resolve(case, person, release_resolution, fecha, organ=organ, beneficio=beneficio)
        if motive in ("SEMILIBERTAD", "LIBERACION_CONDICIONAL", "VIGILANCIA_ELECTRONICA"):
            inicio = min(exit_day + timedelta(days=rng.randint(1, 10)), LAST_CUTOFF)
            ml = self.medio_libre_case(person, case, motive, inicio)
            self.ml_history(ml, final_estado="ACTIVO", ve_activo=motive == "VIGILANCIA_ELECTRONICA")
        if motive == "FUGA":
            self.plant("MANDATO_SIN_INGRESO", person, case, None, standing)

    def mandate_never_executed(self, revoked: bool) -> None:
        """A detention order in force for someone never taken into custody."""
        rng = self.rng
        sexo = "F" if rng.random() < 0.1 else "M"
        offence = rng.choice(self.offences)
        person = self.new_person(sexo, offence)
        dept = rng.choice(self.world.establishments).cod_departamento
        if revoked:
            sent = self.day_between(LAST_CUTOFF - timedelta(days=3 * 365), LAST_CUTOFF - timedelta(days=400))
            case = self.new_case(dept, sent.year - 1, offence)
            self.resolve(case, person, "SENTENCIA_CONDENATORIA", sent, organ="JU",
                         pena={"clase": "PRIVATIVA_SUSPENDIDA", "anios": rng.randint(2, 4),
                               "meses": 0, "dias": 0, "inicio": sent, "vencimiento": None,
                               "fin": None})
            fecha = self.day_between(LAST_CUTOFF - timedelta(days=150), LAST_CUTOFF - timedelta(days=5))
            self.resolve(case, person, "REVOCATORIA", fecha)
        else:
            fecha = self.early_day(self.day_between(LAST_CUTOFF - timedelta(days=200), LAST_CUTOFF - timedelta(days=10)))
            case = self.new_case(dept, fecha.year, offence)
            self.resolve(case, person, "PRISION_PREVENTIVA", fecha, plazo_meses=9, pp_inicio=fecha)
        self.plant("MANDATO_SIN_INGRESO", person, case, None, fecha)

    # --- medio libre ---------------------------------------------------------
    def medio_libre_case(self, person: Person, case: Case, tipo: str, inicio: date) -> MedioLibreCase:
        rng = self.rng
        jornadas = rng.choice((10, 20, 26, 52, 78, 104, 156)) if tipo in (
            "PRESTACION_SERVICIOS_COMUNIDAD", "LIMITACION_DIAS_LIBRES") else None
        ml = MedioLibreCase(
            id_caso=f"ML-{inicio.year}-{self._next('ml'):07d}",
            person=person,
            case=case,
            tipo_medida=tipo,
            ema=EMA_BY_DISTRICT[case.distrito],
            fecha_inicio=inicio,
            jornadas=jornadas,
            programa=rng.choice(feeds.PROGRAMAS_MEDIO_LIBRE) if rng.random() < 0.5 else None,
            dispositivo=f"GPS-{rng.randint(10000, 99999)}" if tipo == "VIGILANCIA_ELECTRONICA" else None,
        )
        self.world.medio_libre.append(ml)
        return ml

    def ml_history(self, ml: MedioLibreCase, final_estado: str, final_motivo: str | None = None,
                   pasivo_on: date | None = None, ve_activo: bool = False) -> None:
        """The versions of a case: opened ACTIVO, updated now and then, possibly closed."""
        rng = self.rng
        version = 1 if ml.fecha_inicio >= YEAR_START else rng.randint(1, 5)
        evaluacion = "EN_CURSO" if ml.programa else None
        cumplidas = 0 if ml.jornadas else None
        if final_estado == "PASIVO" and pasivo_on is None:
            pasivo_on = self.day_between(min(ml.fecha_inicio + timedelta(days=30), LAST_CUTOFF), LAST_CUTOFF)
        last_active = (pasivo_on - timedelta(days=1)) if pasivo_on else LAST_CUTOFF
        first_update = max(ml.fecha_inicio + timedelta(days=1), YEAR_START)
        updates = sorted({self.day_between(first_update, last_active)
                          for _ in range(rng.randint(0, 3))} if first_update <= last_active else set())
        ml.versions.append(MedioLibreVersion(version, ml.fecha_inicio, "ACTIVO", None, cumplidas,
                                             evaluacion, True if ml.dispositivo else None))
        for day in updates:
            if day <= ml.versions[-1].fecha:
                continue
            version += 1
            if cumplidas is not None:
                cumplidas = min(ml.jornadas - 1, cumplidas + rng.randint(1, 8))
            ml.versions.append(MedioLibreVersion(version, day, "ACTIVO", None, cumplidas,
                                                 evaluacion, True if ml.dispositivo else None))
        if final_estado == "PASIVO":
            motivo = final_motivo or rng.choices(feeds.MOTIVOS_ESTADO, (50, 10, 10, 15, 15))[0]
            if motivo == "CUMPLIMIENTO" and cumplidas is not None:
                cumplidas = ml.jornadas
            if ml.programa:
                evaluacion = rng.choice(("FAVORABLE", "DESFAVORABLE"))
            day = max(pasivo_on, ml.versions[-1].fecha + timedelta(days=1))
            ml.versions.append(MedioLibreVersion(version + 1, day, "PASIVO", motivo, cumplidas,
                                                 evaluacion, False if ml.dispositivo else None))
        elif ml.dispositivo and not ve_activo:
            ml.versions[-1].ve_activo = False

    def medio_libre_population(self) -> None:
        """Everyone with a medio libre case on the last cut-off."""
        rng = self.rng
        w = self.world
        already = len(w.medio_libre)
        limitativas = self.sc(TARGETS["MEDIO_LIBRE_LIMITATIVAS"])
        activas = self.sc(TARGETS["MEDIO_LIBRE_LIMITATIVAS_ACTIVAS"])
        ve_total_active = self.sc(TARGETS["VEP_ACTIVOS"], 1)
        ve_from_releases = sum(1 for m in w.medio_libre if m.dispositivo)
        ve_older_active = max(0, ve_total_active - ve_from_releases)
        ve_older_inactive = self.sc(FLOWS["VEP_INACTIVOS"])
        others = self.sc(TARGETS["MEDIO_LIBRE_PERSONAS"]) - limitativas - already
        benefits = others - ve_older_active - ve_older_inactive
        if benefits < 0:
            raise ValueError(f"scale {self.scale} too small for the medio libre calibration")

        plan = (
            [("VIGILANCIA_ELECTRONICA", "ACTIVO", True)] * ve_older_active
            + [("VIGILANCIA_ELECTRONICA", "PASIVO", False)] * ve_older_inactive
            + [(rng.choice(feeds.CLASES_BENEFICIO), rng.choice(("ACTIVO", "PASIVO")), False)
               for _ in range(benefits)]
        )
        tipos = rng.choices(feeds.MEDIDAS_LIMITATIVAS, (35, 10, 50, 5), k=limitativas)
        estados = ["ACTIVO"] * activas + ["PASIVO"] * (limitativas - activas)
        rng.shuffle(estados)
        plan += [(t, e, False) for t, e in zip(tipos, estados, strict=False)]

        dept_weights = [sum(e.poblacion.values()) for e in w.establishments]
        for tipo, estado, ve_activo in plan:
            sexo = "F" if rng.random() < 0.12 else "M"
            offence = rng.choice(self.offences)
            person = self.new_person(sexo, offence)
            dept = rng.choices(w.establishments, dept_weights)[0].cod_departamento
            inicio = (self.day_between(YEAR_START, LAST_CUTOFF - timedelta(days=5)) if rng.random() < 0.15
                      else self.day_between(date(2016, 1, 1), YEAR_START - timedelta(days=1)))
            case = self.new_case(dept, max(2015, inicio.year - rng.randint(0, 2)), offence)
            self.court_basis(person, case, tipo, inicio)
            ml = self.medio_libre_case(person, case, tipo, inicio)
            self.ml_history(ml, final_estado=estado, ve_activo=ve_activo)

    def court_basis(self, person: Person, case: Case, tipo: str, inicio: date) -> None:
        """The resolutions that put a person in medio libre."""
        rng = self.rng
        fecha = inicio - timedelta(days=rng.randint(5, 60))
        if tipo in feeds.MEDIDAS_LIMITATIVAS:
            clase = {"PRESTACION_SERVICIOS_COMUNIDAD": "PRESTACION_SERVICIOS_COMUNIDAD",
                     "LIMITACION_DIAS_LIBRES": "LIMITACION_DIAS_LIBRES"}.get(tipo, "PRIVATIVA_SUSPENDIDA")
            pena = {"clase": clase, "anios": None, "meses": None, "dias": None, "inicio": inicio,
                    "vencimiento": None, "fin": None}
            if clase == "PRIVATIVA_SUSPENDIDA":
                pena["anios"], pena["meses"], pena["dias"] = rng.randint(1, 4), 0, 0
            else:
                pena["jornadas"] = rng.choice((10, 20, 26, 52, 78, 104, 156))
            self.resolve(case, person, "SENTENCIA_CONDENATORIA", fecha, organ="JU", pena=pena)
        elif tipo == "VIGILANCIA_ELECTRONICA":
            self.resolve(case, person, "VIGILANCIA_ELECTRONICA", fecha)
        else:
            start = fecha - timedelta(days=rng.randint(900, 3000))
            sent = start + timedelta(days=rng.randint(60, 400))
            self.custodial_sentence(case, person, sent, start, end_after=LAST_CUTOFF)
            self.resolve(case, person, "BENEFICIO_PENITENCIARIO", fecha, beneficio=tipo)

    # --- the rest of the court feed ------------------------------------------
    def court_only_persons(self) -> None:
        """Court subjects INPE never sees: acquitted, dismissed, fined."""
        rng = self.rng
        for _ in range(self.sc(FLOWS["COURT_ONLY_PERSONS"])):
            offence = rng.choice(self.offences)
            person = self.new_person("F" if rng.random() < 0.15 else "M", offence, documented=0.97)
            fecha = self.day_between(YEAR_START, LAST_CUTOFF)
            case = self.new_case(rng.choice(self.world.establishments).cod_departamento,
                                 fecha.year - rng.randint(0, 2), offence)
            tipo = rng.choice(("SOBRESEIMIENTO", "SENTENCIA_ABSOLUTORIA", "SENTENCIA_CONDENATORIA"))
            pena = None
            if tipo == "SENTENCIA_CONDENATORIA":
                pena = {"clase": "MULTA", "anios": None, "meses": None, "dias": None,
                        "inicio": None, "vencimiento": None, "fin": None}
            self.resolve(case, person, tipo, fecha, organ="JU", pena=pena)

    def corrections(self) -> None:
        """Resolutions first sent wrong and corrected by a later version.

        The wrong first version would raise a false alert if a pipeline kept it:
        a preventive term too short, or a sentence ending too early."""
        rng = self.rng
        candidates = [r for r in self.world.resolutions
                      if r.tipo in ("PRISION_PREVENTIVA", "SENTENCIA_CONDENATORIA")
                      and r.fecha < LAST_CUTOFF - timedelta(days=60)
                      and (r.tipo == "PRISION_PREVENTIVA" or (r.pena or {}).get("vencimiento"))]
        for res in rng.sample(candidates, min(len(candidates), self.sc(FLOWS["CORRECTIONS"], 1))):
            res.version = 2
            res.correction_delay_weeks = rng.randint(1, 6)
            if res.tipo == "PRISION_PREVENTIVA":
                res.corrected_from = {"plazo_meses": 3 if res.plazo_meses != 3 else 1}
            else:
                wrong = dict(res.pena, vencimiento=res.pena["vencimiento"] - timedelta(days=5 * 365))
                res.corrected_from = {"pena": wrong}

    def homonyms(self) -> None:
        """Pairs with the same name and birth date but different DNIs: never to be merged."""
        documented = [p for p in self.world.persons
                      if p.tipo_doc == "DNI" and not p.court_unidentified and p.id_interno]
        for a in self.rng.sample(documented, min(len(documented), self.sc(FLOWS["HOMONYM_PAIRS"], 1))):
            offence = self.rng.choice(self.offences)
            b = self.new_person(a.sexo, offence)
            b.ap_pat, b.ap_mat, b.nombres, b.fnac = a.ap_pat, a.ap_mat, list(a.nombres), a.fnac
            b.tipo_doc, b.num_doc, b.court_unidentified = "DNI", self.new_dni(), False
            a.homonym = b.homonym = True
            fecha = self.day_between(YEAR_START, LAST_CUTOFF)
            case = self.new_case(self.rng.choice(self.world.establishments).cod_departamento,
                                 fecha.year, offence)
            self.resolve(case, b, "SOBRESEIMIENTO", fecha, organ="JR")
            self.world.homonym_pairs.append((a.pid, b.pid))

    # --- transfers and activities ----------------------------------------------
    def transfers(self) -> None:
        rng = self.rng
        eps = self.world.establishments
        candidates = [s for s in self.world.stays
                      if (s.exit or LAST_CUTOFF) - max(s.admission, YEAR_START) > timedelta(days=20)]
        counts = [(m, self.sc(TARGETS[f"TRASLADOS_{m}"])) for m in feeds.MOTIVOS_MOVIMIENTO["TRASLADO"]]
        chosen = rng.sample(candidates, sum(n for _, n in counts))
        motives = [m for m, n in counts for _ in range(n)]
        for stay, motive in zip(chosen, motives, strict=True):
            dest = stay.segments[0][0]
            sexo = stay.person.sexo
            origin = rng.choice([e.cod_ep for e in eps if e.cod_ep != dest
                                 and e.poblacion[("PROCESADO", sexo)] + e.poblacion[("SENTENCIADO", sexo)]])
            lo = max(stay.admission, YEAR_START) + timedelta(days=1)
            hi = (stay.exit or LAST_CUTOFF) - timedelta(days=1)
            day = self.day_between(lo, hi)
            stay.segments = [(origin, stay.admission), (dest, day)]
            stay.transfer_motive = motive

    def activities(self) -> None:
        rng = self.rng
        stays = self.world.stays
        held_end = [s for s in stays if s.held_on(LAST_CUTOFF)]
        released = [s for s in stays if not s.held_on(LAST_CUTOFF) and (s.exit is None or s.exit > YEAR_START)]
        plan = [("LABORAL", None, TARGETS["LABORAL"])]
        plan += [("EDUCATIVA", p, TARGETS[f"EDUCATIVA_{p}"]) for p in feeds.PROGRAMAS_ACTIVIDAD["EDUCATIVA"]]
        plan += [("TRATAMIENTO", p, FLOWS[f"TRATAMIENTO_{p}"]) for p in feeds.PROGRAMAS_ACTIVIDAD["TRATAMIENTO"]]
        plan += [("CULTURAL", None, FLOWS["CULTURAL"])]
        for tipo, programa, n in plan:
            n = self.sc(n)
            n_released = min(len(released), int(n * 0.12))
            chosen = rng.sample(held_end, n - n_released) + rng.sample(released, n_released)
            for stay in chosen:
                enrolments = 2 if rng.random() < 0.08 else 1
                programs = rng.sample(feeds.PROGRAMAS_ACTIVIDAD[tipo], enrolments) if programa is None else [programa]
                for prog in programs:
                    self.enrol(stay, tipo, prog)

    def enrol(self, stay: Stay, tipo: str, programa: str) -> None:
        rng = self.rng
        cod_ep, seg_start = stay.segments[-1]
        end_of_stay = min(stay.exit - timedelta(days=1), LAST_CUTOFF) if stay.exit else LAST_CUTOFF
        lo = max(seg_start, YEAR_START - timedelta(days=180))
        inicio = self.day_between(lo, end_of_stay)
        fin = inicio + timedelta(days=rng.randint(30, 400))
        if fin < YEAR_START:
            fin = YEAR_START + timedelta(days=rng.randint(0, 60))
        if fin > end_of_stay:
            fin = None if stay.exit is None else end_of_stay
        convenio = rng.choice(CONVENIOS) if tipo == "LABORAL" else ""
        certificado = "S" if fin and rng.random() < 0.6 else "N"
        self.world.activities.append(Activity(stay, cod_ep, tipo, programa, inicio, fin, convenio, certificado))

    def build(self) -> World:
        self.held_population()
        self.releases()
        self.medio_libre_population()
        self.court_only_persons()
        self.homonyms()
        self.transfers()
        self.activities()
        self.corrections()
        return self.world


def build_world(scale: float, seed: int) -> World:
    return Simulator(scale, seed).build()


def organ_name(res: Resolution) -> str:
    return f"{int(res.case.expediente[-2:])}° {ORGAN_NAMES[res.organ]} DE {res.case.distrito}"
