"""Medio libre: everyone with a case on the last cut-off, the court orders behind each case,
and the versions INPE's medio libre system keeps of it."""

from __future__ import annotations

from datetime import date, timedelta

from penal_hub.contracts import feeds
from penal_hub.simulator.calibration import FLOWS, TARGETS
from penal_hub.simulator.catalogs import JUDICIAL_DISTRICTS
from penal_hub.simulator.court import custodial_sentence
from penal_hub.simulator.dates import LAST_CUTOFF, YEAR_START
from penal_hub.simulator.factory import Factory
from penal_hub.simulator.model import Case, MedioLibreCase, MedioLibreVersion, Person

EMA_BY_DISTRICT = {name: f"EMA-{name.replace(' ', '-')}" for name, _ in JUDICIAL_DISTRICTS.values()}


def medio_libre_population(factory: Factory) -> None:
    """Everyone with a medio libre case on the last cut-off."""
    rng = factory.rng
    w = factory.world
    already = len(w.medio_libre)
    limitativas = factory.sc(TARGETS["MEDIO_LIBRE_LIMITATIVAS"])
    activas = factory.sc(TARGETS["MEDIO_LIBRE_LIMITATIVAS_ACTIVAS"])
    ve_total_active = factory.sc(TARGETS["VEP_ACTIVOS"], 1)
    ve_from_releases = sum(1 for m in w.medio_libre if m.dispositivo)
    ve_older_active = max(0, ve_total_active - ve_from_releases)
    ve_older_inactive = factory.sc(FLOWS["VEP_INACTIVOS"])
    others = factory.sc(TARGETS["MEDIO_LIBRE_PERSONAS"]) - limitativas - already
    benefits = others - ve_older_active - ve_older_inactive
    if benefits < 0:
        raise ValueError(f"scale {factory.scale} too small for the medio libre calibration")

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
        offence = rng.choice(factory.offences)
        person = factory.new_person(sexo, offence)
        dept = rng.choices(w.establishments, dept_weights)[0].cod_departamento
        inicio = (factory.day_between(YEAR_START, LAST_CUTOFF - timedelta(days=5))
                  if rng.random() < 0.15
                  else factory.day_between(date(2016, 1, 1), YEAR_START - timedelta(days=1)))
        case = factory.new_case(dept, max(2015, inicio.year - rng.randint(0, 2)), offence)
        court_basis(factory, person, case, tipo, inicio)
        ml = medio_libre_case(factory, person, case, tipo, inicio)
        ml_history(factory, ml, final_estado=estado, ve_activo=ve_activo)


def court_basis(factory: Factory, person: Person, case: Case, tipo: str, inicio: date) -> None:
    """The resolutions that put a person in medio libre."""
    rng = factory.rng
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
        factory.resolve(case, person, "SENTENCIA_CONDENATORIA", fecha, organ="JU", pena=pena)
    elif tipo == "VIGILANCIA_ELECTRONICA":
        factory.resolve(case, person, "VIGILANCIA_ELECTRONICA", fecha)
    else:
        start = fecha - timedelta(days=rng.randint(900, 3000))
        sent = start + timedelta(days=rng.randint(60, 400))
        custodial_sentence(factory, case, person, sent, start, end_after=LAST_CUTOFF)
        factory.resolve(case, person, "BENEFICIO_PENITENCIARIO", fecha, beneficio=tipo)


def medio_libre_case(factory: Factory, person: Person, case: Case, tipo: str,
                     inicio: date) -> MedioLibreCase:
    rng = factory.rng
    jornadas = rng.choice((10, 20, 26, 52, 78, 104, 156)) if tipo in (
        "PRESTACION_SERVICIOS_COMUNIDAD", "LIMITACION_DIAS_LIBRES") else None
    ml = MedioLibreCase(
        id_caso=f"ML-{inicio.year}-{factory.next_number('ml'):07d}",
        person=person,
        case=case,
        tipo_medida=tipo,
        ema=EMA_BY_DISTRICT[case.distrito],
        fecha_inicio=inicio,
        jornadas=jornadas,
        programa=rng.choice(feeds.PROGRAMAS_MEDIO_LIBRE) if rng.random() < 0.5 else None,
        dispositivo=f"GPS-{rng.randint(10000, 99999)}" if tipo == "VIGILANCIA_ELECTRONICA" else None,
    )
    factory.world.medio_libre.append(ml)
    return ml


def ml_history(factory: Factory, ml: MedioLibreCase, final_estado: str,
               final_motivo: str | None = None, pasivo_on: date | None = None,
               ve_activo: bool = False) -> None:
    """The versions of a case: opened ACTIVO, updated now and then, possibly closed."""
    rng = factory.rng
    version = 1 if ml.fecha_inicio >= YEAR_START else rng.randint(1, 5)
    evaluacion = "EN_CURSO" if ml.programa else None
    cumplidas = 0 if ml.jornadas else None
    if final_estado == "PASIVO" and pasivo_on is None:
        pasivo_on = factory.day_between(min(ml.fecha_inicio + timedelta(days=30), LAST_CUTOFF),
                                        LAST_CUTOFF)
    last_active = (pasivo_on - timedelta(days=1)) if pasivo_on else LAST_CUTOFF
    first_update = max(ml.fecha_inicio + timedelta(days=1), YEAR_START)
    updates = sorted({factory.day_between(first_update, last_active)
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
