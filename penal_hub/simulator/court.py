"""Court orders: detention with its prolongations, custodial sentences, and the rest of the
court feed (persons INPE never sees, homonyms, resolutions corrected by a later version)."""

from __future__ import annotations

from datetime import date, timedelta

from penal_hub.simulator.calibration import FLOWS
from penal_hub.simulator.dates import LAST_CUTOFF, YEAR_START, add_months
from penal_hub.simulator.factory import Factory
from penal_hub.simulator.model import Case, Person


def preventive_detention(factory: Factory, case: Case, person: Person, start: date,
                         cover_until: date) -> date:
    """PRISION_PREVENTIVA from `start`, prolonged as needed so it is in force until
    `cover_until` (arts. 272 and 274 CPP). Returns the date of the latest order."""
    months_needed = (cover_until.year - start.year) * 12 + cover_until.month - start.month + 1
    rng = factory.rng
    if months_needed <= 9:
        plan = (9, []) if rng.random() < 0.85 else (18, [])
    elif months_needed <= 18:
        plan = (9, [9]) if rng.random() < 0.6 else (18, [])
    elif months_needed <= 36:
        plan = (18, [18]) if rng.random() < 0.5 else (36, [])
    else:
        plan = (36, [12])
    plazo, prolongations = plan
    latest = factory.resolve(case, person, "PRISION_PREVENTIVA",
                             start - timedelta(days=rng.randint(0, 2)), plazo_meses=plazo,
                             pp_inicio=start)
    end = add_months(start, plazo)
    for extra in prolongations:
        if end > cover_until:
            break
        latest = factory.resolve(case, person, "PROLONGACION_PRISION_PREVENTIVA",
                                 end - timedelta(days=rng.randint(3, 20)), plazo_meses=extra)
        end = add_months(end, extra)
    assert end > cover_until, (start, cover_until, plan)
    return latest.fecha


def custodial_sentence(factory: Factory, case: Case, person: Person, fecha: date, start: date,
                       end_after: date | None = None, end: date | None = None) -> dict:
    """SENTENCIA_CONDENATORIA with PRIVATIVA_EFECTIVA counted from `start`.

    Either the end is given (planted or served sentences, always with an explicit
    fechaVencimiento) or a length is drawn long enough to end after `end_after`."""
    rng = factory.rng
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
    factory.resolve(case, person, "SENTENCIA_CONDENATORIA", fecha,
                    organ=rng.choice(("JU", "JU", "JC")), pena=pena)
    return pena


def registry_view(pena: dict, fecha_sent: date) -> dict:
    """What the registry records of a sentence: when it was handed down, its length, its end."""
    return {"fecha": fecha_sent, "anios": pena["anios"], "meses": pena["meses"],
            "vencimiento": pena["fin"]}


def court_only_persons(factory: Factory) -> None:
    """Court subjects INPE never sees: acquitted, dismissed, fined."""
    rng = factory.rng
    for _ in range(factory.sc(FLOWS["COURT_ONLY_PERSONS"])):
        offence = rng.choice(factory.offences)
        person = factory.new_person("F" if rng.random() < 0.15 else "M", offence, documented=0.97)
        fecha = factory.day_between(YEAR_START, LAST_CUTOFF)
        case = factory.new_case(rng.choice(factory.world.establishments).cod_departamento,
                                fecha.year - rng.randint(0, 2), offence)
        tipo = rng.choice(("SOBRESEIMIENTO", "SENTENCIA_ABSOLUTORIA", "SENTENCIA_CONDENATORIA"))
        pena = None
        if tipo == "SENTENCIA_CONDENATORIA":
            pena = {"clase": "MULTA", "anios": None, "meses": None, "dias": None,
                    "inicio": None, "vencimiento": None, "fin": None}
        factory.resolve(case, person, tipo, fecha, organ="JU", pena=pena)


def homonyms(factory: Factory) -> None:
    """Pairs with the same name and birth date but different DNIs: never to be merged."""
    rng = factory.rng
    documented = [p for p in factory.world.persons
                  if p.tipo_doc == "DNI" and not p.court_unidentified and p.id_interno]
    for a in rng.sample(documented, min(len(documented), factory.sc(FLOWS["HOMONYM_PAIRS"], 1))):
        offence = rng.choice(factory.offences)
        b = factory.new_person(a.sexo, offence)
        b.ap_pat, b.ap_mat, b.nombres, b.fnac = a.ap_pat, a.ap_mat, list(a.nombres), a.fnac
        b.tipo_doc, b.num_doc, b.court_unidentified = "DNI", factory.new_dni(), False
        a.homonym = b.homonym = True
        fecha = factory.day_between(YEAR_START, LAST_CUTOFF)
        case = factory.new_case(rng.choice(factory.world.establishments).cod_departamento,
                                fecha.year, offence)
        factory.resolve(case, b, "SOBRESEIMIENTO", fecha, organ="JR")
        factory.world.homonym_pairs.append((a.pid, b.pid))


def corrections(factory: Factory) -> None:
    """Resolutions first sent wrong and corrected by a later version.

    The wrong first version would raise a false alert if a pipeline kept it:
    a preventive term too short, or a sentence ending too early."""
    rng = factory.rng
    candidates = [r for r in factory.world.resolutions
                  if r.tipo in ("PRISION_PREVENTIVA", "SENTENCIA_CONDENATORIA")
                  and r.fecha < LAST_CUTOFF - timedelta(days=60)
                  and (r.tipo == "PRISION_PREVENTIVA" or (r.pena or {}).get("vencimiento"))]
    for res in rng.sample(candidates, min(len(candidates), factory.sc(FLOWS["CORRECTIONS"], 1))):
        res.version = 2
        res.correction_delay_weeks = rng.randint(1, 6)
        if res.tipo == "PRISION_PREVENTIVA":
            res.corrected_from = {"plazo_meses": 3 if res.plazo_meses != 3 else 1}
        else:
            wrong = dict(res.pena, vencimiento=res.pena["vencimiento"] - timedelta(days=5 * 365))
            res.corrected_from = {"pena": wrong}
