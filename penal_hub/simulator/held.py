"""Everyone held on the last cut-off: procesados and sentenciados by establishment and sex,
each with a role that plants one discrepancy or none."""

from __future__ import annotations

from datetime import date, timedelta

from penal_hub.contracts import feeds
from penal_hub.simulator.calibration import FLOWS, PLANTED, TARGETS
from penal_hub.simulator.catalogs import Establishment, Offence, apportion
from penal_hub.simulator.court import custodial_sentence, preventive_detention, registry_view
from penal_hub.simulator.dates import LAST_CUTOFF, YEAR_START, add_months
from penal_hub.simulator.factory import Factory
from penal_hub.simulator.medio_libre import medio_libre_case, ml_history
from penal_hub.simulator.model import Case, Person, Stay


def held_population(factory: Factory) -> None:
    """Everyone held on the last cut-off, with the planted discrepancies among them."""
    rng = factory.rng
    # A role plants one alert: PPV PRISION_PREVENTIVA_VENCIDA, ISM INTERNO_SIN_MANDATO,
    # PCSE PENA_CUMPLIDA_SIN_EGRESO, SJD_* SITUACION_JURIDICA_DISCREPANTE, LNE_*
    # LIBERTAD_NO_EJECUTADA (_A among procesados, _B among sentenciados); REVOCATORIA and
    # RECAPTURA are admissions, REGULAR plants nothing.
    roles = {
        "PROCESADO": (
            ["PPV"] * factory.sc(PLANTED["PRISION_PREVENTIVA_VENCIDA"], 1)
            + ["ISM"] * factory.sc(PLANTED["INTERNO_SIN_MANDATO"], 1)
        ),
        "SENTENCIADO": ["PCSE"] * factory.sc(PLANTED["PENA_CUMPLIDA_SIN_EGRESO"], 1)
        + ["REVOCATORIA"] * factory.sc(FLOWS["REVOCATORIAS_INGRESO"])
        + ["RECAPTURA"] * factory.sc(FLOWS["RECAPTURAS"]),
    }
    sjd_a, sjd_b = apportion(factory.sc(PLANTED["SITUACION_JURIDICA_DISCREPANTE"], 2), [1, 1])
    lne_a, lne_b = apportion(factory.sc(PLANTED["LIBERTAD_NO_EJECUTADA"], 2), [1, 1])
    roles["PROCESADO"] += ["SJD_A"] * sjd_a + ["LNE_A"] * lne_a
    roles["SENTENCIADO"] += ["SJD_B"] * sjd_b + ["LNE_B"] * lne_b

    for situacion in ("PROCESADO", "SENTENCIADO"):
        slots = [(e, s) for e, s, n in cells(factory, situacion) for _ in range(n)]
        offences = offences_for(factory, situacion, len(slots))
        role_list = roles[situacion] + ["REGULAR"] * (len(slots) - len(roles[situacion]))
        rng.shuffle(role_list)
        for (ep, sexo), offence, role in zip(slots, offences, role_list, strict=False):
            person = factory.new_person(sexo, offence)
            factory.register(person)
            build = build_procesado if situacion == "PROCESADO" else build_sentenciado
            build(factory, person, ep, offence, role)


def cells(factory: Factory, situacion: str) -> list[tuple[Establishment, str, int]]:
    """The population on the last cut-off of one legal situation, by establishment and sex."""
    keys = [(e, s) for e in factory.world.establishments for s in ("M", "F")]
    weights = [e.poblacion[(situacion, s)] for e, s in keys]
    counts = apportion(factory.sc(TARGETS[situacion + "S"]), weights)
    return [(e, s, n) for (e, s), n in zip(keys, counts, strict=True) if n]


def offences_for(factory: Factory, situacion: str, n: int) -> list[Offence]:
    weights = [o.procesados if situacion == "PROCESADO" else o.sentenciados for o in factory.offences]
    out = [o for o, k in zip(factory.offences, apportion(n, weights), strict=True) for _ in range(k)]
    factory.rng.shuffle(out)
    return out


def build_procesado(factory: Factory, person: Person, ep: Establishment, offence: Offence,
                    role: str) -> Stay:
    """A procesado held in `ep` on the last cut-off, in `role` (see held_population)."""
    rng = factory.rng
    if role == "LNE_A":
        admission = factory.early_day(factory.before_cutoff(100, 240))
    elif role == "PPV":
        end = factory.before_cutoff(5, 120)
        admission = factory.early_day(add_months(end, -9))
    else:
        admission = admission_for_procesado(factory)
    case = factory.new_case(ep.cod_departamento, max(admission.year - rng.randint(0, 1), 2018), offence)
    stay = factory.new_stay(person, case, ep, admission, "MANDATO_DETENCION")
    if role == "ISM":
        factory.plant("INTERNO_SIN_MANDATO", person, case, ep.cod_ep, admission)
        return stay
    if role == "PPV":
        factory.resolve(case, person, "PRISION_PREVENTIVA", admission, plazo_meses=9,
                        pp_inicio=admission)
        factory.plant("PRISION_PREVENTIVA_VENCIDA", person, case, ep.cod_ep, add_months(admission, 9))
        return stay
    preventive_detention(factory, case, person, admission, LAST_CUTOFF)
    if role == "LNE_A":
        cese = factory.before_cutoff(2, 90)
        factory.resolve(case, person, "CESE_PRISION_PREVENTIVA", cese)
        factory.plant("LIBERTAD_NO_EJECUTADA", person, case, ep.cod_ep, cese)
    elif role == "SJD_A":
        fecha = factory.before_cutoff(5, 60)
        custodial_sentence(factory, case, person, fecha, admission, end_after=LAST_CUTOFF)
        factory.plant("SITUACION_JURIDICA_DISCREPANTE", person, case, ep.cod_ep, fecha)
    return stay


def admission_for_procesado(factory: Factory) -> date:
    rng = factory.rng
    band = rng.choices(((1, 270), (271, 540), (541, 1080), (1081, 1420)), (25, 40, 28, 7))[0]
    return factory.early_day(factory.before_cutoff(*band))


def build_sentenciado(factory: Factory, person: Person, ep: Establishment, offence: Offence,
                      role: str) -> Stay:
    """A sentenciado held in `ep` on the last cut-off, in `role` (see held_population)."""
    rng = factory.rng
    if role == "PCSE":
        end = factory.before_cutoff(3, 200)
        admission = factory.early_day(add_months(end, -rng.randint(12, 72)))
    elif role == "SJD_B":
        admission = factory.early_day(factory.before_cutoff(60, 900))
    else:
        admission = LAST_CUTOFF - timedelta(days=min(5400, 60 + int(rng.expovariate(1 / 2200))))
        admission = factory.early_day(admission)
    motive = {"REVOCATORIA": "REVOCATORIA", "RECAPTURA": "RECAPTURA"}.get(role, "MANDATO_DETENCION")
    case = factory.new_case(ep.cod_departamento, max(admission.year - rng.randint(0, 1), 2010), offence)

    if role == "SJD_B":
        return sentence_never_sent(factory, person, case, ep, admission, motive)
    if role in ("REVOCATORIA", "RECAPTURA"):
        return back_in_custody(factory, person, case, ep, role, motive)

    has_pp = role not in ("PCSE",) and rng.random() < 0.8
    if role == "PCSE":
        served = (end - admission).days
        fecha_sent = admission + timedelta(days=rng.randint(30, max(31, min(365, served - 1))))
        pena = custodial_sentence(factory, case, person, fecha_sent, admission, end=end)
        factory.plant("PENA_CUMPLIDA_SIN_EGRESO", person, case, ep.cod_ep, end)
    else:
        latest = LAST_CUTOFF - timedelta(days=92 if role == "LNE_B" else 1)
        if has_pp:
            fecha_sent = factory.day_between(admission + timedelta(days=30),
                                             min(admission + timedelta(days=1000), latest))
            preventive_detention(factory, case, person, admission, fecha_sent)
        else:
            fecha_sent = admission - timedelta(days=rng.randint(0, 10))
            motive = "SENTENCIA"
        pena = custodial_sentence(factory, case, person, fecha_sent, admission, end_after=LAST_CUTOFF)
    stay = factory.new_stay(person, case, ep, admission, motive)
    stay.registry_sentence = registry_view(pena, fecha_sent)
    if role == "LNE_B":
        fecha = factory.before_cutoff(2, 90)
        factory.resolve(case, person, "BENEFICIO_PENITENCIARIO", fecha, beneficio="SEMILIBERTAD")
        factory.plant("LIBERTAD_NO_EJECUTADA", person, case, ep.cod_ep, fecha)
    return stay


def sentence_never_sent(factory: Factory, person: Person, case: Case, ep: Establishment,
                        admission: date, motive: str) -> Stay:
    """SJD_B: the registry says sentenced; the court never sent a sentence."""
    rng = factory.rng
    stay = factory.new_stay(person, case, ep, admission, motive)
    preventive_detention(factory, case, person, admission, LAST_CUTOFF)
    fecha = factory.day_between(admission + timedelta(days=20), LAST_CUTOFF - timedelta(days=1))
    anios = rng.randint(4, 15)
    stay.registry_sentence = {"fecha": fecha, "anios": anios, "meses": 0,
                              "vencimiento": add_months(admission, anios * 12)}
    factory.plant("SITUACION_JURIDICA_DISCREPANTE", person, case, ep.cod_ep, admission)
    return stay


def back_in_custody(factory: Factory, person: Person, case: Case, ep: Establishment, role: str,
                    motive: str) -> Stay:
    """Sentenced years ago, out on a benefit (REVOCATORIA) or escaped (RECAPTURA), back in
    custody in 2024."""
    rng = factory.rng
    first_in = factory.early_day(factory.before_cutoff(3 * 365, 8 * 365))
    fecha_sent = first_in + timedelta(days=rng.randint(60, 500))
    pena = custodial_sentence(factory, case, person, fecha_sent, first_in, end_after=LAST_CUTOFF)
    back = factory.day_between(YEAR_START + timedelta(days=3), LAST_CUTOFF - timedelta(days=10))
    if role == "REVOCATORIA":
        benefit_date = min(fecha_sent + timedelta(days=rng.randint(400, 900)),
                           YEAR_START - timedelta(days=30))
        clase = rng.choice(feeds.CLASES_BENEFICIO)
        factory.resolve(case, person, "BENEFICIO_PENITENCIARIO", benefit_date, beneficio=clase)
        ml = medio_libre_case(factory, person, case, clase, benefit_date + timedelta(days=3))
        revocation = back - timedelta(days=rng.randint(1, 6))
        factory.resolve(case, person, "REVOCATORIA", revocation)
        ml_history(factory, ml, final_estado="PASIVO", final_motivo="INTERRUPCION",
                   pasivo_on=revocation)
    stay = factory.new_stay(person, case, ep, back, motive)
    stay.registry_sentence = registry_view(pena, fecha_sent)
    return stay
