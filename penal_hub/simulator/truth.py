"""The ground truth of a simulated year, computed from the model (not from the files).

Indicators follow docs/outputs.md for every registry cut-off; alerts are
re-derived on the last cut-off from the alert definitions, independently of
what the simulator meant to plant, so a test can check that the two agree
(every planted discrepancy, and no accidental one).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from penal_hub.contracts import feeds
from penal_hub.simulator.dates import LAST_CUTOFF, REGISTRY_CUTOFFS, YEAR_START, add_months
from penal_hub.simulator.model import PlantedAlert, Resolution, World

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


def alerts(world: World, c: date = LAST_CUTOFF) -> list[dict]:
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
         "dias_abierta": (LAST_CUTOFF - p.fecha_referencia).days,
         "fecha_primer_corte": planted_first_cutoff(world, p).isoformat()}
        for p in world.planted
    ]


def alert_history(world: World) -> list[dict]:
    """The alerts of every registry cut-off as episodes: an alert's identity is (code,
    person, case); consecutive cut-offs with it open are one episode; the first cut-off
    without it closes the episode, and a later return opens another."""
    episodes, open_now = [], {}
    for c in REGISTRY_CUTOFFS:
        today = {(a["codigo_alerta"], a["person_id"], a["expediente"]): a for a in alerts(world, c)}
        for identity in [i for i in open_now if i not in today]:
            episodes.append(dict(open_now.pop(identity), fecha_corte_cierre=c.isoformat()))
        for identity, a in today.items():
            episode = open_now.setdefault(identity, {
                "codigo_alerta": identity[0], "person_id": identity[1], "expediente": identity[2],
                "fecha_primer_corte": c.isoformat(), "cortes_abierta": 0})
            episode.update(fecha_ultimo_corte_abierta=c.isoformat(), cod_ep=a["cod_ep"],
                           fecha_referencia=a["fecha_referencia"], dias_abierta=a["dias_abierta"])
            episode["cortes_abierta"] += 1
    return episodes + [dict(e, fecha_corte_cierre=None) for e in open_now.values()]


def planted_first_cutoff(world: World, p: PlantedAlert) -> date:
    """The registry cut-off on which a planted alert first shows, from how it was planted
    (not from the alert definitions): the first cut-off on or after the day its order or
    situation made it true."""
    stay = next((s for s in world.stays if s.person is p.person
                 and (s.held_on(LAST_CUTOFF) or s.exit_motive == "FUGA")), None)
    visible = {
        "LIBERTAD_NO_EJECUTADA": p.fecha_referencia + timedelta(days=2),  # issued > 1 day before
        "PRISION_PREVENTIVA_VENCIDA": p.fecha_referencia + timedelta(days=1),  # term ended before
        "PENA_CUMPLIDA_SIN_EGRESO": p.fecha_referencia + timedelta(days=1),
        "INTERNO_SIN_MANDATO": p.fecha_referencia,
    }.get(p.codigo, p.fecha_referencia)
    if p.codigo == "SITUACION_JURIDICA_DISCREPANTE" and stay.registry_sentence:
        visible = stay.registry_sentence["fecha"]  # the registry says SENTENCIADO from then
    if p.codigo == "MANDATO_SIN_INGRESO" and stay is not None:
        visible = max(visible, stay.exit)  # escaped: not held from the day of the escape
    return next(c for c in REGISTRY_CUTOFFS if c >= visible)


ORDER_MOVEMENT = {"LIBERTAD": "EGRESO", "INGRESO": "INGRESO"}
CONTRARY_ORDER = {"LIBERTAD": "DETENCION", "INGRESO": "LIBERTAD"}


def execution_kind(r: Resolution) -> str | None:
    """LIBERTAD for a release order, INGRESO for an order that puts someone in custody."""
    if order_kind(r) == "LIBERTAD":
        return "LIBERTAD"
    if r.tipo in ("PRISION_PREVENTIVA", "REVOCATORIA") or is_effective_sentence(r):
        return "INGRESO"
    return None


def order_executions(world: World, delivered: set[str],
                     sustained: set[tuple[str, str, date]]) -> list[dict]:
    """Every order of the year, and every preventive term that ended in it, with what
    executed it (docs/outputs.md, "Execution of court orders"), from the model: when each
    order was issued and when the person was admitted or released. `delivered` holds the
    resolution ids the court feed carried; `sustained` the movements whose
    DOCUMENTO_SUSTENTO names their case, which is how the hub knows whose movement it is
    when the person never appears in a registry extract."""
    held_on_a_cutoff = {s.person.pid for s in world.stays if any(s.held_on(c) for c in REGISTRY_CUTOFFS)}
    movements: dict[str, list[tuple]] = defaultdict(list)
    for s in world.stays:
        events = []
        if YEAR_START <= s.admission <= LAST_CUTOFF:
            events.append((s.admission, "INGRESO", s.admission_motive, s.segments[0][0]))
        if s.exit and YEAR_START <= s.exit <= LAST_CUTOFF:
            events.append((s.exit, "EGRESO", s.exit_motive, s.establishment_on(s.exit)))
        for event in events:
            if s.person.pid in held_on_a_cutoff or (s.person.id_interno, event[1], event[0]) in sustained:
                movements[s.person.pid].append(event)
    for moves in movements.values():
        moves.sort(key=lambda m: (m[0], m[1]))  # same day: EGRESO first
    held_on_c = {s.person.pid: s.establishment_on(LAST_CUTOFF)
                 for s in world.stays if s.held_on(LAST_CUTOFF)}
    orders_of: dict[str, list[Resolution]] = defaultdict(list)
    for r in world.resolutions:
        if r.rid in delivered:
            orders_of[r.person.pid].append(r)

    def judge(r: Resolution, kind: str, since: date, expected: str, answers: list[tuple],
              contrary: str | None) -> dict:
        pid = r.person.pid
        moves = movements[pid]
        before = [m for m in moves if m[0] < since]
        after = [m for m in moves if m[0] >= since]
        free = before[-1][1] == "EGRESO" if before else bool(after) and after[0][1] == "INGRESO"
        executed = min(answers, default=None, key=lambda a: (a[0], a[2]))
        undone = min((o.fecha for o in orders_of[pid] if contrary and order_kind(o) == contrary
                      and (o.fecha > r.fecha or (o.fecha == r.fecha and o.rid > r.rid))), default=None)
        if pid not in held_on_a_cutoff and not moves:
            reason = "PERSONA_FUERA_DEL_REGISTRO"
        elif free == (expected == "EGRESO"):
            reason = "MOVIMIENTO_ANTERIOR_A_LA_ORDEN"
        elif undone and (executed is None or undone < executed[0]):
            reason = "ORDEN_POSTERIOR_CONTRARIA"
        elif executed:
            reason = None
        else:
            reason = "SIN_MOVIMIENTO"
        waiting = reason == "SIN_MOVIMIENTO" or (kind == "INGRESO" and reason == "PERSONA_FUERA_DEL_REGISTRO")
        cod_ep = executed[3] if reason is None else (
            held_on_c.get(pid) if expected == "EGRESO" and reason == "SIN_MOVIMIENTO" else None)
        return {
            "resolucion_id": r.rid, "person_id": pid, "tipo_orden": kind,
            "fecha_emision": r.fecha.isoformat(), "fecha_referencia": since.isoformat(),
            "distrito_judicial": r.case.distrito,
            "fecha_ejecucion": executed[0].isoformat() if reason is None else None,
            "motivo_movimiento": executed[2] if reason is None else None,
            "dias_ejecucion": (executed[0] - since).days if reason is None else None,
            "motivo_no_ejecutada": reason, "en_espera": waiting,
            "dias_espera": (LAST_CUTOFF - since).days if waiting else None, "cod_ep": cod_ep,
        }

    def moves_of(pid: str, tipo: str, since: date) -> list[tuple]:
        return [m for m in movements[pid] if m[1] == tipo and m[0] >= since]

    out = []
    for r in world.resolutions:
        kind = execution_kind(r)
        if kind is None or r.rid not in delivered or not YEAR_START <= r.fecha <= LAST_CUTOFF:
            continue
        expected = ORDER_MOVEMENT[kind]
        out.append(judge(r, kind, r.fecha, expected, moves_of(r.person.pid, expected, r.fecha),
                         CONTRARY_ORDER[kind]))

    # Preventive terms: each case's latest PRISION_PREVENTIVA, prolonged, that ended in the
    # year while it still held (no release and no sentence of the case before its end).
    latest: dict[tuple[str, str], Resolution] = {}
    for r in world.resolutions:
        if r.tipo == "PRISION_PREVENTIVA" and r.rid in delivered:
            key = (r.person.pid, r.case.expediente)
            if key not in latest or (r.fecha, r.rid) > (latest[key].fecha, latest[key].rid):
                latest[key] = r
    for (pid, expediente), pp in latest.items():
        case_orders = [o for o in orders_of[pid] if o.case.expediente == expediente]
        months = pp.plazo_meses + sum(o.plazo_meses for o in case_orders
                                      if o.tipo == "PROLONGACION_PRISION_PREVENTIVA" and o.fecha > pp.fecha)
        end = add_months(pp.pp_inicio, months)
        sentences = [o.fecha for o in case_orders if o.tipo == "SENTENCIA_CONDENATORIA" and o.fecha >= pp.fecha]
        releases = [m[0] for m in moves_of(pid, "EGRESO", pp.fecha)]
        if not YEAR_START <= end <= LAST_CUTOFF or any(d < end for d in sentences + releases):
            continue
        answers = moves_of(pid, "EGRESO", end) + [(d, "SENTENCIA", "SENTENCIA_CONDENATORIA", None)
                                                  for d in sentences]
        out.append(judge(pp, "FIN_PRISION_PREVENTIVA", end, "EGRESO", answers, None))
    return out


def nearest_rank(sorted_values: list[int], percent: int) -> int | None:
    """The smallest value with at least `percent` % of the values at or below it."""
    if not sorted_values:
        return None
    return sorted_values[-(-percent * len(sorted_values) // 100) - 1]


def execution_indicators(executions: list[dict]) -> dict[str, dict]:
    """'mes|tipo_orden|ambito|codigo_ambito' -> the figures of marts.ejecucion_indicadores."""
    groups: dict[str, list[dict]] = defaultdict(list)
    for e in executions:
        if e["motivo_no_ejecutada"] is not None and not e["en_espera"]:
            continue
        mes = e["fecha_referencia"][:8] + "01"
        for ambito, codigo in (("NACIONAL", "PERU"),
                               ("DISTRITO_JUDICIAL", e["distrito_judicial"] or "SIN_DISTRITO"),
                               ("ESTABLECIMIENTO", e["cod_ep"] or "SIN_ESTABLECIMIENTO")):
            groups[f"{mes}|{e['tipo_orden']}|{ambito}|{codigo}"].append(e)
    out = {}
    for key, orders in groups.items():
        days = sorted(e["dias_ejecucion"] for e in orders if e["dias_ejecucion"] is not None)
        quick = sum(1 for d in days if d <= 1)
        out[key] = {
            "ordenes": len(orders), "ejecutadas": len(days),
            "mediana_dias": nearest_rank(days, 50), "p90_dias": nearest_rank(days, 90),
            "ejecutadas_en_un_dia": quick, "pct_ejecutadas_en_un_dia": pct(quick, len(days)),
            "en_espera": sum(1 for e in orders if e["en_espera"]),
        }
    return out
