"""Write a World as the three institutions deliver it (docs/feeds.md).

The model is clean; the senders are not. Each writer adds the quirks the spec
says its sender has, and records in the truth every record a connector must
quarantine.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
from collections import defaultdict
from datetime import date, datetime, time, timedelta, timezone
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from penal_hub.contracts import feeds
from penal_hub.simulator.dates import (
    COURT_CUTOFFS,
    LAST_CUTOFF,
    MEDIO_LIBRE_CUTOFFS,
    REGISTRY_CUTOFFS,
    YEAR_START,
    delivery_for,
)
from penal_hub.simulator.model import (
    MedioLibreCase,
    MedioLibreVersion,
    Person,
    Resolution,
    World,
    organ_name,
    strip_accents,
)

LOTE_SIZE = 5_000
JSONL_FILE_SIZE = 50_000
LIMA = timezone(timedelta(hours=-5))


@cache
def ddmmyyyy(d: date | None) -> str:
    return f"{d.day:02d}/{d.month:02d}/{d.year}" if d else ""


def loose_expediente(expediente: str, rng: random.Random) -> str:
    """How other systems write a case number: no leading zeros, lower case, or spaced."""
    style = rng.randrange(3)
    if style == 0:
        number, rest = expediente.split("-", 1)
        return f"{int(number)}-{rest}"
    if style == 1:
        return expediente.lower()
    return expediente.replace("-", " - ")


class DeliveryWriter:
    """Writes one delivery folder and its manifest, the manifest last (as senders do)."""

    def __init__(self, landing: Path, source: str, cutoff: date):
        folder, self.fuente = feeds.SOURCES[source]
        self.cutoff = cutoff
        self.path = landing / folder / cutoff.isoformat()
        self.path.mkdir(parents=True, exist_ok=True)
        self.files: list[dict] = []

    def add(self, name: str, data: bytes, records: int, encoding: str = "UTF-8") -> None:
        (self.path / name).write_bytes(data)
        self.files.append({"nombre": name, "sha256": hashlib.sha256(data).hexdigest(),
                           "registros": records, "codificacion": encoding})

    def close(self) -> dict:
        generated = datetime.combine(self.cutoff + timedelta(days=1), time(2, 10), LIMA)
        manifest = {"fuente": self.fuente, "fecha_corte": self.cutoff.isoformat(),
                    "generado_en": generated.isoformat(), "archivos": self.files}
        (self.path / feeds.MANIFEST_NAME).write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
        return manifest


# --- Poder Judicial ---------------------------------------------------------

class CourtWriter:
    def __init__(self, world: World, rng: random.Random):
        self.world, self.rng = world, rng
        # How the court writes each person: decided once per person, like a sender's habit.
        self.habits: dict[str, dict] = {}

    def habit(self, p: Person) -> dict:
        h = self.habits.get(p.pid)
        if h is None:
            r = self.rng.random
            h = {"no_accents": r() < 0.4, "no_materno": r() < 0.1,
                 "swap": len(p.nombres) > 1 and r() < 0.08, "loose_exp": r() < 0.1}
            self.habits[p.pid] = h
        return h

    def subject(self, p: Person) -> str:
        h = self.habit(p)
        fix = strip_accents if h["no_accents"] else (lambda s: s)
        nombres = list(reversed(p.nombres)) if h["swap"] else p.nombres
        if p.tipo_doc is None or p.court_unidentified:
            doc = '<Documento tipo="NO_IDENTIFICADO"/>'
        else:
            doc = f'<Documento tipo="{p.tipo_doc}">{p.num_doc}</Documento>'
        materno = "" if h["no_materno"] else f"<ApellidoMaterno>{escape(fix(p.ap_mat))}</ApellidoMaterno>"
        return (f"<Sujeto>{doc}<ApellidoPaterno>{escape(fix(p.ap_pat))}</ApellidoPaterno>{materno}"
                f"<Nombres>{escape(fix(' '.join(nombres)))}</Nombres>"
                f"<FechaNacimiento>{p.fnac.isoformat()}</FechaNacimiento><Sexo>{p.sexo}</Sexo></Sujeto>")

    def element(self, r: Resolution, version: int, overrides: dict) -> str:
        plazo = overrides.get("plazo_meses", r.plazo_meses)
        pena = overrides.get("pena", r.pena)
        h = self.habit(r.person)
        exp = loose_expediente(r.case.expediente, self.rng) if h["loose_exp"] else r.case.expediente
        off = r.case.offence
        desc = strip_accents(off.descripcion) if h["no_accents"] else off.descripcion
        parts = [
            f'<Resolucion id="{r.rid}" version="{version}">',
            f"<Expediente>{escape(exp)}</Expediente>",
            (f'<OrganoJurisdiccional codigo="{r.organo_codigo}" distritoJudicial="{r.case.distrito}">'
             f"{escape(organ_name(r))}</OrganoJurisdiccional>"),
            f"<FechaEmision>{r.fecha.isoformat()}</FechaEmision><Tipo>{r.tipo}</Tipo>",
            self.subject(r.person),
            f'<Delitos><Delito articulo="{off.articulo}" descripcion={quoteattr(desc)}/></Delitos>',
        ]
        if r.tipo == "PRISION_PREVENTIVA":
            parts.append(f'<PrisionPreventiva plazoMeses="{plazo}" fechaInicio="{r.pp_inicio.isoformat()}"/>')
        elif r.tipo == "PROLONGACION_PRISION_PREVENTIVA":
            parts.append(f'<PrisionPreventiva plazoMeses="{plazo}"/>')
        if pena:
            attrs = [f'clase="{pena["clase"]}"']
            for key in ("anios", "meses", "dias", "jornadas"):
                if pena.get(key) is not None:
                    attrs.append(f'{key}="{pena[key]}"')
            if pena.get("inicio"):
                attrs.append(f'fechaInicio="{pena["inicio"].isoformat()}"')
            if pena.get("vencimiento"):
                attrs.append(f'fechaVencimiento="{pena["vencimiento"].isoformat()}"')
            parts.append(f"<Pena {' '.join(attrs)}/>")
        if r.beneficio:
            parts.append(f'<Beneficio clase="{r.beneficio}"/>')
        parts.append("</Resolucion>")
        return "".join(parts)

    def schedule(self) -> dict[date, list[tuple[Resolution, int, dict]]]:
        """Which delivery carries which version of which resolution."""
        first = COURT_CUTOFFS[0]
        # The initial load carries the open cases: not those closed by a release before it.
        closed = {s.person.pid for s in self.world.stays
                  if s.exit and s.exit <= first and s.exit_motive != "FUGA"}
        out: dict[date, list] = defaultdict(list)
        for r in self.world.resolutions:
            if r.fecha <= first and r.person.pid in closed:
                continue
            due = delivery_for(max(r.fecha, first), COURT_CUTOFFS)
            if r.corrected_from:
                out[due].append((r, 1, r.corrected_from))
                i = min(COURT_CUTOFFS.index(due) + r.correction_delay_weeks, len(COURT_CUTOFFS) - 1)
                out[COURT_CUTOFFS[i]].append((r, 2, {}))
            else:
                out[due].append((r, r.version, {}))
        return out

    def write(self, landing: Path) -> list[dict]:
        manifests = []
        redelivered: bytes | None = None
        redeliver_at = COURT_CUTOFFS[len(COURT_CUTOFFS) // 2]
        schedule = self.schedule()
        for cutoff in COURT_CUTOFFS:
            items = sorted(schedule.get(cutoff, []), key=lambda x: (x[0].fecha, x[0].rid, x[1]))
            out = DeliveryWriter(landing, "pj_resoluciones", cutoff)
            n_lotes = max(1, -(-len(items) // LOTE_SIZE))
            for i in range(n_lotes):
                chunk = items[i * LOTE_SIZE:(i + 1) * LOTE_SIZE]
                encoding = "ISO-8859-1" if self.rng.random() < 0.25 else "UTF-8"
                body = "".join(self.element(r, v, o) for r, v, o in chunk)
                doc = (f'<?xml version="1.0" encoding="{encoding}"?>\n'
                       f'<LoteResoluciones xmlns="{feeds.PJ_NAMESPACE}" '
                       f'idLote="PJ-{cutoff:%Y%m%d}-{i + 1:04d}" fechaCorte="{cutoff.isoformat()}">'
                       f"{body}</LoteResoluciones>\n")
                data = doc.encode(encoding)
                out.add(f"lote-{i + 1:04d}.xml", data, len(chunk), encoding)
                if cutoff == redeliver_at and i == 0:
                    redelivered = (data, len(chunk), encoding)
            if redelivered and cutoff > redeliver_at:
                # The sender re-sends last week's first batch alongside this week's.
                data, n, encoding = redelivered
                out.add(f"lote-{n_lotes + 1:04d}.xml", data, n, encoding)
                redelivered = None
            manifests.append(out.close())
        return manifests


# --- INPE registry -------------------------------------------------------------

def registry_encoding(cutoff: date) -> str:
    """INPE's older extracts are ISO-8859-1: the first half of the year here."""
    return "ISO-8859-1" if cutoff.month <= 6 else "UTF-8"


def csv_bytes(header: tuple[str, ...], rows: list[list[str]], encoding: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=feeds.CSV_DELIMITER, quotechar=feeds.CSV_QUOTE,
                        lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def write_registry(world: World, landing: Path, rng: random.Random,
                   sustained: set[tuple[str, str, date]] | None = None) -> list[dict]:
    """The registry's monthly extracts. `sustained`, when given, receives (ID_INTERNO,
    TIPO_MOVIMIENTO, date) of every INGRESO and EGRESO whose DOCUMENTO_SUSTENTO names the
    case: for the truth, the only link to a person who never appears in internos.csv."""
    sustained = set() if sustained is None else sustained
    # Capacities scale with the population, so occupancy is realistic at any scale.
    eps = [[e.cod_ep, e.nombre, e.oficina_regional, e.departamento,
            str(max(1, int(e.capacidad * world.scale + 0.5)))]
           for e in world.establishments]
    loose = {s.person.pid: loose_expediente(s.case.expediente, rng)
             for s in world.stays if rng.random() < 0.15}
    stays = sorted(world.stays, key=lambda s: s.person.id_interno)
    identity = {}  # what does not change between extracts
    for s in stays:
        p = s.person
        doc = p.num_doc.lstrip("0") if p.registry_drops_zeros else (p.num_doc or "")
        identity[p.pid] = [p.id_interno, p.tipo_doc or "", doc, p.ap_pat, p.ap_mat,
                           " ".join(p.nombres), p.sexo, ddmmyyyy(p.fnac), p.nacionalidad]
    manifests, previous = [], YEAR_START - timedelta(days=1)
    for cutoff in REGISTRY_CUTOFFS:
        internos = []
        for s in stays:
            if not s.held_on(cutoff):
                continue
            off = s.case.offence
            reg = s.registry_sentence if s.registry_sentence and s.registry_sentence["fecha"] <= cutoff else None
            internos.append(identity[s.person.pid] + [
                s.establishment_on(cutoff), "SENTENCIADO" if reg else "PROCESADO",
                ddmmyyyy(s.admission), loose.get(s.person.pid, s.case.expediente), off.generico,
                off.descripcion, off.articulo,
                str(reg["anios"]) if reg else "", str(reg["meses"]) if reg else "",
                ddmmyyyy(reg["fecha"]) if reg else "", ddmmyyyy(reg["vencimiento"]) if reg else "",
            ])
        movimientos = []
        for s in world.stays:
            sustento = s.case.expediente if rng.random() < 0.5 else ""
            if previous < s.admission <= cutoff:
                if sustento:
                    sustained.add((s.person.id_interno, "INGRESO", s.admission))
                movimientos.append([s.person.id_interno, "INGRESO", ddmmyyyy(s.admission), "",
                                    s.segments[0][0], s.admission_motive, sustento])
            if s.transfer_motive and previous < s.segments[1][1] <= cutoff:
                movimientos.append([s.person.id_interno, "TRASLADO", ddmmyyyy(s.segments[1][1]),
                                    s.segments[0][0], s.segments[1][0], s.transfer_motive, ""])
            if s.exit and previous < s.exit <= cutoff:
                # A death is always registered against its case file.
                death = s.exit_motive == "FALLECIMIENTO"
                if death or sustento:
                    sustained.add((s.person.id_interno, "EGRESO", s.exit))
                movimientos.append([s.person.id_interno, "EGRESO", ddmmyyyy(s.exit),
                                    s.establishment_on(s.exit), "", s.exit_motive,
                                    s.case.expediente if death else sustento])
        movimientos.sort(key=lambda m: (m[2][6:] + m[2][3:5] + m[2][:2], m[0]))
        actividades = [
            [a.stay.person.id_interno, a.cod_ep, a.tipo, a.programa, ddmmyyyy(a.inicio),
             ddmmyyyy(a.fin), a.convenio, a.certificado]
            for a in world.activities
            if a.inicio <= cutoff and (a.fin is None or a.fin > previous)
        ]
        encoding = registry_encoding(cutoff)
        out = DeliveryWriter(landing, "inpe_registro", cutoff)
        for name, rows in (("establecimientos.csv", eps), ("internos.csv", internos),
                           ("movimientos.csv", movimientos), ("actividades.csv", actividades)):
            out.add(name, csv_bytes(feeds.REGISTRY_FILES[name], rows, encoding), len(rows), encoding)
        manifests.append(out.close())
        previous = cutoff
    return manifests


# --- INPE medio libre ------------------------------------------------------------

def case_json(m: MedioLibreCase, v: MedioLibreVersion, no_accents: bool, expediente: str) -> dict:
    p = m.person
    fix = strip_accents if no_accents else (lambda s: s)
    return {
        "id_caso": m.id_caso,
        "version": v.version,
        "fecha_actualizacion": v.fecha.isoformat(),
        "persona": {
            "tipo_documento": p.tipo_doc,
            "numero_documento": p.num_doc,
            "apellido_paterno": fix(p.ap_pat),
            "apellido_materno": fix(p.ap_mat),
            "nombres": fix(" ".join(p.nombres)),
            "fecha_nacimiento": p.fnac.isoformat(),
            "sexo": p.sexo,
        },
        "expediente": expediente,
        "organo_jurisdiccional": f"{m.case.seat}-JU-PE-{int(m.case.expediente[-2:]):02d}",
        "tipo_medida": m.tipo_medida,
        "establecimiento_medio_libre": m.ema,
        "fecha_inicio": m.fecha_inicio.isoformat(),
        "jornadas_impuestas": m.jornadas,
        "jornadas_cumplidas": v.jornadas_cumplidas,
        "estado": v.estado,
        "motivo_estado": v.motivo,
        "programa_tratamiento": {"programa": m.programa, "evaluacion": v.evaluacion} if m.programa else None,
        "vigilancia_electronica": (
            {"dispositivo": m.dispositivo, "fecha_instalacion": m.fecha_inicio.isoformat(),
             "activo": bool(v.ve_activo)} if m.dispositivo else None
        ),
    }


def write_medio_libre(world: World, landing: Path, rng: random.Random, n_invalid: int,
                      n_without_id: int, n_repeated: int) -> tuple[list[dict], list[dict]]:
    """Returns the manifests and the lines a connector must quarantine."""
    style = {m.id_caso: (rng.random() < 0.3, loose_expediente(m.case.expediente, rng)
                         if rng.random() < 0.1 else m.case.expediente) for m in world.medio_libre}
    per_delivery: list[list[str]] = []
    previous = None
    for cutoff in MEDIO_LIBRE_CUTOFFS:
        lines = []
        for m in world.medio_libre:
            if previous is None:
                v = m.version_on(cutoff)
                versions = [v] if v else []
            else:
                versions = [v for v in m.versions if previous < v.fecha <= cutoff]
            for v in versions:
                lines.append(json.dumps(case_json(m, v, *style[m.id_caso]), ensure_ascii=False))
        per_delivery.append(lines)
        previous = cutoff

    # Sender faults, spread over the deliveries: repeated lines (landed once), invalid lines
    # and lines without id_caso (to quarantine). The faulty lines are extra, never a case's
    # only copy.
    faults = ["repeat"] * n_repeated + ["invalid"] * n_invalid + ["no_id"] * n_without_id
    for fault in faults:
        lines = per_delivery[rng.randrange(len(per_delivery))]
        if not lines:
            continue
        source = lines[rng.randrange(len(lines))]
        while source.startswith("\x00"):  # a line already made faulty: draw again
            source = lines[rng.randrange(len(lines))]
        if fault == "repeat":
            bad = source
        elif fault == "invalid":
            bad = source[: rng.randint(10, len(source) - 10)]
        else:
            obj = json.loads(source)
            del obj["id_caso"]
            bad = json.dumps(obj, ensure_ascii=False)
        lines.insert(rng.randint(0, len(lines)), "\x00" + fault + "\x00" + bad)

    manifests, quarantine = [], []
    for cutoff, lines in zip(MEDIO_LIBRE_CUTOFFS, per_delivery, strict=True):
        out = DeliveryWriter(landing, "inpe_medio_libre", cutoff)
        n_files = max(1, -(-len(lines) // JSONL_FILE_SIZE))
        for i in range(n_files):
            chunk = lines[i * JSONL_FILE_SIZE:(i + 1) * JSONL_FILE_SIZE]
            name = f"casos-{i + 1:04d}.jsonl"
            clean = []
            for lineno, line in enumerate(chunk, start=1):
                if line.startswith("\x00"):
                    _, fault, line = line.split("\x00", 2)
                    if fault != "repeat":
                        quarantine.append({"source": "inpe_medio_libre", "fecha_corte": cutoff.isoformat(),
                                           "file": name, "line": lineno,
                                           "reason": "invalid_json" if fault == "invalid" else "missing_id_caso"})
                clean.append(line)
            out.add(name, ("\n".join(clean) + "\n").encode("utf-8") if clean else b"", len(clean))
        manifests.append(out.close())
    return manifests, quarantine


def write_incomplete_delivery(landing: Path) -> Path:
    """A court folder still being written: a half batch and no manifest yet."""
    path = landing / feeds.SOURCES["pj_resoluciones"][0] / (LAST_CUTOFF + timedelta(days=5)).isoformat()
    path.mkdir(parents=True, exist_ok=True)
    (path / "lote-0001.xml").write_text(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<LoteResoluciones xmlns="{feeds.PJ_NAMESPACE}" '
        f'idLote="PJ-20250105-0001" fechaCorte="2025-01-05"><Resolucion id="RES-1801-2025-')
    return path
