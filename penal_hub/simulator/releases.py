"""Persons held at some time in 2024 and released before the last cut-off, and detention
orders never executed (the planted MANDATO_SIN_INGRESO)."""

from __future__ import annotations

from datetime import date, timedelta

from penal_hub.simulator.calibration import FLOWS, PLANTED
from penal_hub.simulator.catalogs import Establishment, Offence, apportion
from penal_hub.simulator.court import custodial_sentence, preventive_detention, registry_view
from penal_hub.simulator.dates import LAST_CUTOFF, YEAR_START
from penal_hub.simulator.factory import Factory
from penal_hub.simulator.medio_libre import medio_libre_case, ml_history
from penal_hub.simulator.model import Case, Person

# Days from a release order to its EGRESO: the same day, the next, 2-7 days, 8-30 days.
RELEASE_DELAY_WEIGHTS = (45, 30, 17, 8)


def releases(factory: Factory) -> None:
    """Persons held at some time in 2024 and released before the last cut-off."""
    rng = factory.rng
    motives = [m for m, n in FLOWS["EGRESOS"].items() for _ in range(factory.sc(n))]
    n_msi = factory.sc(PLANTED["MANDATO_SIN_INGRESO"], 3)
    fugas, never_captured, revoked = apportion(n_msi, [4, 4, 2])
    motives += ["FUGA"] * fugas
    eps = factory.world.establishments
    weights = {s: [e.poblacion[("PROCESADO", s)] + e.poblacion[("SENTENCIADO", s)] for e in eps]
               for s in ("M", "F")}
    for motive in motives:
        sexo = "F" if rng.random() < 0.055 else "M"
        ep = rng.choices(eps, weights[sexo])[0]
        offence = rng.choices(factory.offences,
                              [o.procesados + o.sentenciados for o in factory.offences])[0]
        person = factory.new_person(sexo, offence)
        factory.register(person)
        build_release(factory, person, ep, offence, motive)
    for _ in range(never_captured):
        mandate_never_executed(factory, revoked=False)
    for _ in range(revoked):
        mandate_never_executed(factory, revoked=True)


def build_release(factory: Factory, person: Person, ep: Establishment, offence: Offence,
                  motive: str) -> None:
    """One person held in `ep` and released in 2024 for `motive`, with the court orders behind
    the custody and the release."""
    rng = factory.rng
    exit_day = factory.day_between(YEAR_START + timedelta(days=1), LAST_CUTOFF - timedelta(days=1))
    sentenced = motive in ("PENA_CUMPLIDA", "SEMILIBERTAD", "LIBERACION_CONDICIONAL") or (
        motive in ("FALLECIMIENTO", "FUGA") and rng.random() < 0.5
    )
    if rng.random() < 0.35 and exit_day > YEAR_START + timedelta(days=40):
        admission = factory.day_between(YEAR_START, exit_day - timedelta(days=30))
    elif sentenced:
        admission = exit_day - timedelta(days=rng.randint(200, 2500))
    else:
        # A preventive term lasts at most 48 months, prolongation included.
        admission = max(exit_day - timedelta(days=rng.randint(30, 1200)),
                        LAST_CUTOFF - timedelta(days=1400))
    admission = factory.early_day(admission)
    case = factory.new_case(ep.cod_departamento, max(admission.year - rng.randint(0, 1), 2010), offence)
    stay = factory.new_stay(person, case, ep, admission, "MANDATO_DETENCION")
    stay.exit, stay.exit_motive = exit_day, motive
    if motive == "FUGA":
        # Escaped: the detention order is still in force (a planted MANDATO_SIN_INGRESO).
        cover = LAST_CUTOFF + timedelta(days=1)
    else:
        cover = exit_day
    if sentenced:
        fecha_sent = factory.day_between(admission + timedelta(days=15),
                                         min(admission + timedelta(days=700),
                                             exit_day - timedelta(days=2)))
        preventive_detention(factory, case, person, admission, fecha_sent)
        if motive == "PENA_CUMPLIDA":
            pena = custodial_sentence(factory, case, person, fecha_sent, admission, end=exit_day)
        else:
            pena = custodial_sentence(factory, case, person, fecha_sent, admission, end_after=cover)
        stay.registry_sentence = registry_view(pena, fecha_sent)
        standing = fecha_sent
    else:
        standing = preventive_detention(factory, case, person, admission, cover)
    release_order(factory, person, case, motive, exit_day, standing)
    if motive in ("SEMILIBERTAD", "LIBERACION_CONDICIONAL", "VIGILANCIA_ELECTRONICA"):
        inicio = min(exit_day + timedelta(days=rng.randint(1, 10)), LAST_CUTOFF)
        ml = medio_libre_case(factory, person, case, motive, inicio)
        ml_history(factory, ml, final_estado="ACTIVO", ve_activo=motive == "VIGILANCIA_ELECTRONICA")
    if motive == "FUGA":
        factory.plant("MANDATO_SIN_INGRESO", person, case, None, standing)


def release_order(factory: Factory, person: Person, case: Case, motive: str, exit_day: date,
                  standing: date) -> None:
    """The court order a release executes, if its motive has one, dated after `standing`
    (the order that held the person until then)."""
    rng = factory.rng
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
        factory.resolve(case, person, release_resolution, fecha, organ=organ, beneficio=beneficio)


def mandate_never_executed(factory: Factory, revoked: bool) -> None:
    """A detention order in force for someone never taken into custody."""
    rng = factory.rng
    sexo = "F" if rng.random() < 0.1 else "M"
    offence = rng.choice(factory.offences)
    person = factory.new_person(sexo, offence)
    dept = rng.choice(factory.world.establishments).cod_departamento
    if revoked:
        sent = factory.day_between(LAST_CUTOFF - timedelta(days=3 * 365),
                                   LAST_CUTOFF - timedelta(days=400))
        case = factory.new_case(dept, sent.year - 1, offence)
        factory.resolve(case, person, "SENTENCIA_CONDENATORIA", sent, organ="JU",
                        pena={"clase": "PRIVATIVA_SUSPENDIDA", "anios": rng.randint(2, 4),
                              "meses": 0, "dias": 0, "inicio": sent, "vencimiento": None,
                              "fin": None})
        fecha = factory.day_between(LAST_CUTOFF - timedelta(days=150),
                                    LAST_CUTOFF - timedelta(days=5))
        factory.resolve(case, person, "REVOCATORIA", fecha)
    else:
        fecha = factory.early_day(factory.day_between(LAST_CUTOFF - timedelta(days=200),
                                                      LAST_CUTOFF - timedelta(days=10)))
        case = factory.new_case(dept, fecha.year, offence)
        factory.resolve(case, person, "PRISION_PREVENTIVA", fecha, plazo_meses=9, pp_inicio=fecha)
    factory.plant("MANDATO_SIN_INGRESO", person, case, None, fecha)
