"""The ground truth of a simulated year, computed from the model (not from the files).

Indicators follow shared/specs/outputs.md for every registry cut-off; alerts are
re-derived on the last cut-off from the alert definitions, independently of
what the simulator meant to plant, so a test can check that the two agree
(every planted discrepancy, and no accidental one).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from contracts import feeds
from simulator.dates import REGISTRY_CUTOFFS, YEAR_START, add_months
from simulator.model import C, Resolution, World

DETENTION = {"PRISION_PREVENTIVA", "PROLONGACION_PRISION_PREVENTIVA", "REVOCATORIA"}
RELEASE = {"CESE_PRISION_PREVENTIVA", "SENTENCIA_ABSOLUTORIA", "SOBRESEIMIENTO", "ORDEN_LIBERTAD",
           "BENEFICIO_PENITENCIARIO", "VIGILANCIA_ELECTRONICA"}


def pct(num: int, den: int) -> float | None:
    if not den:
        return None
    return float((Decimal(100 * num) / Decimal(den)).quantize(Decimal("0.01"), ROUND_HALF_UP))


def is_effective_sentence(r: Resolution) -> bool:
    return r.tipo == "SENTENCIA_CONDENATORIA" and r.pena["clase"] == "PRIVATIVA_EFECTIVA"


def order_kind(r: Resolution) -> str | None:
    if r.tipo in DETENTION or is_effective_sentence(r):
        return "DETENCION"
    if r.tipo in RELEASE or r.tipo == "SENTENCIA_CONDENATORIA":
        return "LIBERTAD"
    return None


def indicators(world: World) -> dict[str, dict[str, dict]]:
    """period -> indicator code -> {numerador, denominador, valor}."""
    out = {}
    laboral, education, treatment = [], defaultdict(list), []
    for a in world.activities:
        if a.tipo == "LABORAL":
            laboral.append(a)
        elif a.tipo == "EDUCATIVA":
            education[a.programa].append(a)
        elif a.tipo == "TRATAMIENTO":
            treatment.append(a)
    transfers = [s for s in world.stays if s.transfer_motive]

    def persons_active(acts, c: date) -> int:
        return len({a.stay.person.pid for a in acts if a.inicio <= c and (a.fin is None or a.fin >= YEAR_START)})

    for c in REGISTRY_CUTOFFS:
        held = [s for s in world.stays if s.held_on(c)]
        sentenced = sum(1 for s in held if s.registry_sentence and s.registry_sentence["fecha"] <= c)
        total = len(held)
        row = {
            "POBLACION_INTRAMUROS": (None, None, total),
            "POBLACION_SENTENCIADA": (None, None, sentenced),
            "POBLACION_PROCESADA": (None, None, total - sentenced),
            "OP01_PCT_SIN_SENTENCIA": (total - sentenced, total, pct(total - sentenced, total)),
        }
        cases = [(m, m.version_on(c)) for m in world.medio_libre]
        cases = [(m, v) for m, v in cases if v is not None]
        limitativas = [v for m, v in cases if m.tipo_medida in feeds.MEDIDAS_LIMITATIVAS]
        activas = sum(1 for v in limitativas if v.estado == "ACTIVO")
        row["POBLACION_MEDIO_LIBRE"] = (None, None, len({m.person.pid for m, _ in cases}))
        row["OP04_PCT_CUMPLIMIENTO_MEDIO_LIBRE"] = (activas, len(limitativas), pct(activas, len(limitativas)))
        row["VEP_ACTIVOS"] = (None, None, sum(1 for _, v in cases if v.ve_activo))
        row["OP04_PPL_ACTIVIDAD_LABORAL"] = (None, None, persons_active(laboral, c))
        for prog in feeds.PROGRAMAS_ACTIVIDAD["EDUCATIVA"]:
            row[f"OP04_PPL_EDUCACION_{prog}"] = (None, None, persons_active(education[prog], c))
        treated = persons_active(treatment, c)
        row["OP04_PCT_TRATAMIENTO_ESPECIALIZADO"] = (treated, total, pct(treated, total))
        moved = Counter(s.transfer_motive for s in transfers if s.segments[1][1] <= c)
        for motive in feeds.MOTIVOS_MOVIMIENTO["TRASLADO"]:
            row[f"TRASLADOS_{motive}"] = (None, None, moved[motive])
        out[c.isoformat()] = {
            code: {"numerador": n, "denominador": d, "valor": v} for code, (n, d, v) in row.items()
        }
    return out


def preventive_end(resolutions: list[Resolution]) -> date | None:
    """The latest PRISION_PREVENTIVA's start plus its term, plus every later prolongation."""
    pps = [r for r in resolutions if r.tipo == "PRISION_PREVENTIVA"]
    if not pps:
        return None
    latest = max(pps, key=lambda r: r.fecha)
    months = latest.plazo_meses + sum(
        r.plazo_meses for r in resolutions
        if r.tipo == "PROLONGACION_PRISION_PREVENTIVA" and r.fecha > latest.fecha
        and r.case is latest.case
    )
    return add_months(latest.pp_inicio, months)


def sentence_end(r: Resolution) -> date:
    return r.pena["vencimiento"] or r.pena["fin"]


def alerts(world: World, c: date = C) -> list[dict]:
    """The six alerts of outputs.md on cut-off `c`, from the model's current versions."""
    by_person: dict[str, list[Resolution]] = defaultdict(list)
    for r in world.resolutions:
        if r.fecha <= c:
            by_person[r.person.pid].append(r)
    held = {s.person.pid: s for s in world.stays if s.held_on(c)}
    dead = {s.person.pid for s in world.stays if s.exit_motive == "FALLECIMIENTO" and s.exit <= c}
    in_medio_libre = {m.person.pid for m in world.medio_libre if m.version_on(c)}
    persons = {p.pid: p for p in world.persons}
    out = []

    def alert(code, pid, res_or_case, cod_ep, ref):
        case = getattr(res_or_case, "case", res_or_case)
        out.append({"codigo_alerta": code, "person_id": pid, "expediente": case.expediente,
                    "cod_ep": cod_ep, "fecha_referencia": ref.isoformat(),
                    "dias_abierta": (c - ref).days})

    for pid in sorted(set(by_person) | set(held)):
        resolutions = sorted(by_person.get(pid, []), key=lambda r: r.fecha)
        orders = [r for r in resolutions if order_kind(r)]
        standing = orders[-1] if orders else None
        effective = [r for r in resolutions if is_effective_sentence(r)]
        stay = held.get(pid)
        if stay:
            cod_ep = stay.establishment_on(c)
            reg = stay.registry_sentence
            situacion = "SENTENCIADO" if reg and reg["fecha"] <= c else "PROCESADO"
            if standing and order_kind(standing) == "LIBERTAD" and (c - standing.fecha).days > 1:
                alert("LIBERTAD_NO_EJECUTADA", pid, standing, cod_ep, standing.fecha)
            if standing and order_kind(standing) == "DETENCION" and not any(
                r.tipo == "SENTENCIA_CONDENATORIA" for r in resolutions
            ):
                end = preventive_end(resolutions)
                if end and end < c:
                    alert("PRISION_PREVENTIVA_VENCIDA", pid, standing, cod_ep, end)
            if standing and is_effective_sentence(standing) and sentence_end(standing) < c:
                alert("PENA_CUMPLIDA_SIN_EGRESO", pid, standing, cod_ep, sentence_end(standing))
            if (situacion == "PROCESADO") == bool(effective):
                ref = effective[-1].fecha if effective else stay.admission
                alert("SITUACION_JURIDICA_DISCREPANTE", pid, effective[-1] if effective else stay.case,
                      cod_ep, ref)
            if not any(order_kind(r) == "DETENCION" for r in resolutions):
                alert("INTERNO_SIN_MANDATO", pid, stay.case, cod_ep, stay.admission)
        elif standing and order_kind(standing) == "DETENCION" and pid not in in_medio_libre \
                and pid not in dead:
            if standing.tipo == "REVOCATORIA":
                in_force = True
            elif is_effective_sentence(standing):
                in_force = sentence_end(standing) >= c
            else:
                end = preventive_end(resolutions)
                in_force = end is not None and end >= c
            if in_force:
                alert("MANDATO_SIN_INGRESO", pid, standing, None, standing.fecha)
    for a in out:
        p = persons[a["person_id"]]
        a["id_interno"] = p.id_interno
    return out


def planted(world: World) -> list[dict]:
    return [
        {"codigo_alerta": p.codigo, "person_id": p.person.pid, "id_interno": p.person.id_interno,
         "expediente": p.case.expediente, "cod_ep": p.cod_ep,
         "fecha_referencia": p.fecha_referencia.isoformat(),
         "dias_abierta": (C - p.fecha_referencia).days}
        for p in world.planted
    ]
