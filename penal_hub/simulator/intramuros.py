"""Life in custody during the year: transfers between establishments, and activities (work,
education, treatment, culture)."""

from __future__ import annotations

from datetime import timedelta

from penal_hub.contracts import feeds
from penal_hub.simulator.calibration import FLOWS, TARGETS
from penal_hub.simulator.catalogs import CONVENIOS
from penal_hub.simulator.dates import LAST_CUTOFF, YEAR_START
from penal_hub.simulator.factory import Factory
from penal_hub.simulator.model import Activity, Stay


def transfers(factory: Factory) -> None:
    """The year's transfers by motive: each chosen stay began in another establishment and
    moved to its own on a day of 2024."""
    rng = factory.rng
    eps = factory.world.establishments
    candidates = [s for s in factory.world.stays
                  if (s.exit or LAST_CUTOFF) - max(s.admission, YEAR_START) > timedelta(days=20)]
    counts = [(m, factory.sc(TARGETS[f"TRASLADOS_{m}"])) for m in feeds.MOTIVOS_MOVIMIENTO["TRASLADO"]]
    chosen = rng.sample(candidates, sum(n for _, n in counts))
    motives = [m for m, n in counts for _ in range(n)]
    for stay, motive in zip(chosen, motives, strict=True):
        dest = stay.segments[0][0]
        sexo = stay.person.sexo
        origin = rng.choice([e.cod_ep for e in eps if e.cod_ep != dest
                             and e.poblacion[("PROCESADO", sexo)] + e.poblacion[("SENTENCIADO", sexo)]])
        lo = max(stay.admission, YEAR_START) + timedelta(days=1)
        hi = (stay.exit or LAST_CUTOFF) - timedelta(days=1)
        day = factory.day_between(lo, hi)
        stay.segments = [(origin, stay.admission), (dest, day)]
        stay.transfer_motive = motive


def activities(factory: Factory) -> None:
    """Enrolments by activity and programme, mostly of persons held on the last cut-off."""
    rng = factory.rng
    stays = factory.world.stays
    held_end = [s for s in stays if s.held_on(LAST_CUTOFF)]
    released = [s for s in stays
                if not s.held_on(LAST_CUTOFF) and (s.exit is None or s.exit > YEAR_START)]
    plan = [("LABORAL", None, TARGETS["LABORAL"])]
    plan += [("EDUCATIVA", p, TARGETS[f"EDUCATIVA_{p}"]) for p in feeds.PROGRAMAS_ACTIVIDAD["EDUCATIVA"]]
    plan += [("TRATAMIENTO", p, FLOWS[f"TRATAMIENTO_{p}"])
             for p in feeds.PROGRAMAS_ACTIVIDAD["TRATAMIENTO"]]
    plan += [("CULTURAL", None, FLOWS["CULTURAL"])]
    for tipo, programa, n in plan:
        n = factory.sc(n)
        n_released = min(len(released), int(n * 0.12))
        chosen = rng.sample(held_end, n - n_released) + rng.sample(released, n_released)
        for stay in chosen:
            enrolments = 2 if rng.random() < 0.08 else 1
            programs = ([programa] if programa is not None
                        else rng.sample(feeds.PROGRAMAS_ACTIVIDAD[tipo], enrolments))
            for prog in programs:
                enrol(factory, stay, tipo, prog)


def enrol(factory: Factory, stay: Stay, tipo: str, programa: str) -> None:
    rng = factory.rng
    cod_ep, seg_start = stay.segments[-1]
    end_of_stay = min(stay.exit - timedelta(days=1), LAST_CUTOFF) if stay.exit else LAST_CUTOFF
    lo = max(seg_start, YEAR_START - timedelta(days=180))
    inicio = factory.day_between(lo, end_of_stay)
    fin = inicio + timedelta(days=rng.randint(30, 400))
    if fin < YEAR_START:
        fin = YEAR_START + timedelta(days=rng.randint(0, 60))
    if fin > end_of_stay:
        fin = None if stay.exit is None else end_of_stay
    convenio = rng.choice(CONVENIOS) if tipo == "LABORAL" else ""
    certificado = "S" if fin and rng.random() < 0.6 else "N"
    factory.world.activities.append(Activity(stay, cod_ep, tipo, programa, inicio, fin, convenio,
                                             certificado))
