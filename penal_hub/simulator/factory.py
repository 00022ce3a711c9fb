"""The shared means of building the model: one seeded generator, the scale, the World
being filled, and the records every part makes (persons, cases, resolutions, stays,
planted alerts), numbered in the order they are made."""

from __future__ import annotations

import random
from datetime import date, timedelta

from penal_hub.simulator.catalogs import (
    AGE_BANDS,
    GIVEN_NAMES,
    JUDICIAL_DISTRICTS,
    NACIONALIDADES_EXTRANJERAS,
    SURNAMES,
    Establishment,
    Offence,
    load_establishments,
    load_offences,
)
from penal_hub.simulator.dates import LAST_CUTOFF
from penal_hub.simulator.model import (
    Case,
    Person,
    PlantedAlert,
    Resolution,
    Stay,
    World,
    strip_accents,
)


class Factory:
    """Every random draw of the model goes through `rng`: the order of the draws is part of
    the output, so the same seed and scale give the same files."""

    def __init__(self, scale: float, seed: int):
        self.scale = scale
        self.rng = random.Random(seed)
        self.world = World(scale=scale, seed=seed, establishments=load_establishments())
        self.offences = load_offences()
        self._dnis: set[str] = set()
        self._name_keys: set[tuple] = set()
        self._seq = {"person": 0, "interno": 0, "resolution": 0, "ml": 0}
        self._case_seq: dict[tuple[str, int, int], int] = {}

    # --- counts and dates -----------------------------------------------------
    def sc(self, n: int, minimum: int = 0) -> int:
        """Scale a count, half up; `minimum` keeps planted items present at tiny scales."""
        return max(minimum, int(n * self.scale + 0.5))

    def next_number(self, kind: str) -> int:
        """The next number of a kind of record: person, interno, resolution, ml."""
        self._seq[kind] += 1
        return self._seq[kind]

    def day_between(self, lo: date, hi: date) -> date:
        return lo + timedelta(days=self.rng.randint(0, max(0, (hi - lo).days)))

    def before_cutoff(self, lo: int, hi: int) -> date:
        """A day `lo` to `hi` days before the last cut-off."""
        return LAST_CUTOFF - timedelta(days=self.rng.randint(lo, hi))

    @staticmethod
    def early_day(d: date) -> date:
        """Detention terms start on day 1-28, so calendar-month arithmetic never clamps."""
        return d.replace(day=min(d.day, 28))

    # --- records --------------------------------------------------------------
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
                letter = rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ")
                tipo, num = "PASAPORTE", f"{letter}{rng.randint(0, 99_999_999):08d}"
        person = Person(
            pid=f"P{self.next_number('person'):07d}",
            tipo_doc=tipo,
            num_doc=num,
            ap_pat=ap_pat,
            ap_mat=ap_mat,
            nombres=nombres,
            sexo=sexo,
            fnac=fnac,
            nacionalidad=nacionalidad,
        )
        person.registry_drops_zeros = bool(num and tipo == "DNI" and num[0] == "0"
                                           and rng.random() < 0.6)
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
            person.id_interno = f"INT{self.next_number('interno'):07d}"

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
            rid=f"RES-{case.seat}-{fecha.year}-{self.next_number('resolution'):07d}",
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

    def new_stay(self, person: Person, case: Case, ep: Establishment, admission: date,
                 motive: str) -> Stay:
        stay = Stay(person, case, admission, motive, [(ep.cod_ep, admission)])
        self.world.stays.append(stay)
        return stay

    def plant(self, codigo: str, person: Person, case: Case, cod_ep: str | None, ref: date):
        self.world.planted.append(PlantedAlert(codigo, person, case, cod_ep, ref))
