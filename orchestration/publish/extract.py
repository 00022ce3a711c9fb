"""The extract for the Poder Judicial (shared/specs/outputs.md, section 2): write, audit, publish.

A blocking check protects only the run it is in, so this asset gates on the STORED
verdicts: the latest verdict of every blocking check for the latest registry cut-off
must have passed, and be newer than the newest landed delivery. Otherwise it raises
and the outbox is not touched.

The extract goes to `$HUB_OUTBOX_DIR/<fecha_corte>/`: estado_ejecucion.xml (validated
against contracts/extract/estado_ejecucion.xsd before anything is written), the same
rows as estado_ejecucion.parquet, and manifest.json. It is written into a temporary
folder inside the outbox, synced, and renamed into place, so a reader sees the previous
extract or the new one, never part of one.
"""

# No `from __future__ import annotations`: Dagster checks the type of the asset's
# `context` annotation when the asset is defined.
import hashlib
import io
import itertools
import json
import os
import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import dagster as dg
import pyarrow as pa
import pyarrow.parquet as pq
from lxml import etree

from hub.warehouse import Warehouse
from orchestration.conditions import FOLLOW_UPSTREAM
from orchestration.quality.checks import (
    BLOCKING_CHECKS,
    CHECKS,
    Verdict,
    latest_cutoff,
    latest_verdicts,
)
from orchestration.resources import WAREHOUSE_POOL, OutboxResource, WarehouseResource

NAMESPACE = "urn:pe:gob:inpe:interop:estado-ejecucion:1"
XSD_PATH = Path(__file__).resolve().parents[2] / "contracts" / "extract" / "estado_ejecucion.xsd"
XML_FILE, PARQUET_FILE = "estado_ejecucion.xml", "estado_ejecucion.parquet"
MANIFEST_FILE = "manifest.json"

READS = [*(dg.AssetKey(["interop", model]) for model in (
    "persona", "resolucion_judicial", "situacion_juridica_historial", "medida_medio_libre",
    "establecimiento", "movimiento_penitenciario")),
    dg.AssetKey(["marts", "alertas_interoperabilidad"])]

# One row per (case number in the court feed, person in it): INPE's state on cut-off $1.
# Portable SQL (DuckDB and PostgreSQL): the alerts come from ALERTS_SQL and are nested
# in Python, so both engines give the same Arrow table.
ROWS_SQL = """
WITH cases AS (
    SELECT DISTINCT expediente, persona_key FROM interop.resolucion_judicial
    WHERE expediente IS NOT NULL AND persona_key IS NOT NULL
),
held AS (
    SELECT * FROM (
        SELECT *, row_number() OVER (PARTITION BY persona_key
                                     ORDER BY fecha_ingreso DESC, id_interno) AS rn
        FROM interop.situacion_juridica_historial WHERE fecha_corte = $1) AS h
    WHERE rn = 1
),
last_release AS (
    SELECT * FROM (
        SELECT persona_key, fecha_movimiento, motivo,
               row_number() OVER (PARTITION BY persona_key
                                  ORDER BY fecha_movimiento DESC, movimiento_id DESC) AS rn
        FROM interop.movimiento_penitenciario
        WHERE tipo_movimiento = 'EGRESO' AND fecha_movimiento <= $1
          AND persona_key IS NOT NULL) AS r
    WHERE rn = 1
),
medio_libre AS (
    SELECT * FROM (
        SELECT *, row_number() OVER (PARTITION BY persona_key, expediente
                                     ORDER BY fecha_inicio DESC NULLS LAST, id_caso DESC) AS rn
        FROM interop.medida_medio_libre) AS m
    WHERE rn = 1
)
SELECT
    c.expediente,
    p.persona_key AS clave_persona,
    p.tipo_documento, p.numero_documento, p.apellido_paterno, p.apellido_materno, p.nombres,
    h.persona_key IS NOT NULL AS recluido,
    h.id_interno, h.cod_ep, e.nombre_ep, h.situacion_juridica, h.fecha_ingreso,
    h.fecha_sentencia, h.fecha_vencimiento_pena, h.expediente AS expediente_inpe,
    CASE WHEN h.persona_key IS NULL THEN r.fecha_movimiento END AS ultimo_egreso_fecha,
    CASE WHEN h.persona_key IS NULL THEN r.motivo END AS ultimo_egreso_motivo,
    m.id_caso AS ml_id_caso, m.tipo_medida AS ml_tipo_medida, m.estado AS ml_estado,
    m.fecha_inicio AS ml_fecha_inicio, m.jornadas_impuestas AS ml_jornadas_impuestas,
    m.jornadas_cumplidas AS ml_jornadas_cumplidas,
    m.establecimiento_medio_libre AS ml_establecimiento
FROM cases AS c
INNER JOIN interop.persona AS p ON p.persona_key = c.persona_key
LEFT JOIN held AS h ON h.persona_key = c.persona_key
LEFT JOIN interop.establecimiento AS e ON e.cod_ep = h.cod_ep
LEFT JOIN last_release AS r ON r.persona_key = c.persona_key
LEFT JOIN medio_libre AS m ON m.persona_key = c.persona_key AND m.expediente = c.expediente
ORDER BY c.expediente, clave_persona
"""
ALERTS_SQL = """
SELECT persona_key, codigo_alerta AS codigo, expediente, cod_ep, fecha_referencia, dias_abierta,
       detalle
FROM marts.alertas_interoperabilidad WHERE fecha_corte = $1
ORDER BY persona_key, codigo_alerta, expediente, fecha_referencia
"""

ALERT = pa.struct([("codigo", pa.string()), ("expediente", pa.string()), ("cod_ep", pa.string()),
                   ("fecha_referencia", pa.date32()), ("dias_abierta", pa.int32()),
                   ("detalle", pa.string())])
# The extract's columns, whichever engine produced them (estado_ejecucion.parquet).
EXTRACT_SCHEMA = pa.schema(
    [(c, pa.string()) for c in ("expediente", "clave_persona", "tipo_documento",
                                "numero_documento", "apellido_paterno", "apellido_materno",
                                "nombres")]
    + [("recluido", pa.bool_()), ("id_interno", pa.string()), ("cod_ep", pa.string()),
       ("nombre_ep", pa.string()), ("situacion_juridica", pa.string()),
       ("fecha_ingreso", pa.date32()), ("fecha_sentencia", pa.date32()),
       ("fecha_vencimiento_pena", pa.date32()), ("expediente_inpe", pa.string()),
       ("ultimo_egreso_fecha", pa.date32()), ("ultimo_egreso_motivo", pa.string()),
       ("ml_id_caso", pa.string()), ("ml_tipo_medida", pa.string()), ("ml_estado", pa.string()),
       ("ml_fecha_inicio", pa.date32()), ("ml_jornadas_impuestas", pa.int32()),
       ("ml_jornadas_cumplidas", pa.int32()), ("ml_establecimiento", pa.string()),
       ("alertas", pa.list_(ALERT))])


class ExtractInvalid(Exception):
    """The extract does not validate against its XSD; nothing was written."""


# --- Rows and files (plain Python) -----------------------------------------------------


def build_rows(con: Warehouse, cutoff: date) -> pa.Table:
    """The extract's rows (ROWS_SQL), ordered by case number and person, with their alerts."""
    rows = con.arrow(ROWS_SQL, [cutoff])
    alerts: dict[str, list[dict[str, Any]]] = {}
    for alert in con.arrow(ALERTS_SQL, [cutoff]).to_pylist():
        alerts.setdefault(alert.pop("persona_key"), []).append(alert)
    nested = pa.array([alerts.get(key, []) for key in rows["clave_persona"].to_pylist()],
                      type=EXTRACT_SCHEMA.field("alertas").type)
    return rows.append_column("alertas", nested).cast(EXTRACT_SCHEMA)


def to_xml(rows: pa.Table, cutoff: date) -> bytes:
    """The XML document, validated against the XSD; raises ExtractInvalid if it does not.

    Written as text (an element tree of 2.6 million elements costs several times more to
    build at national scale), then parsed back and validated: the XSD has the last word.
    """
    lines = ["<?xml version='1.0' encoding='UTF-8'?>",
             _start(0, "EstadoEjecucion", xmlns=NAMESPACE, fechaCorte=cutoff,
                    registros=rows.num_rows) + ">"]
    for expediente, subjects in itertools.groupby(rows.to_pylist(),
                                                  key=lambda r: r["expediente"]):
        lines.append(_start(1, "Expediente", numero=expediente) + ">")
        for row in subjects:
            _subject(lines, row)
        lines.append("  </Expediente>")
    lines.append("</EstadoEjecucion>\n")
    document = "\n".join(lines).encode("utf-8")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        tree = etree.fromstring(document, parser)
    except etree.XMLSyntaxError as e:
        raise ExtractInvalid(f"{XML_FILE} line {e.lineno}: not well-formed ({e.msg})") from None
    schema = etree.XMLSchema(etree.parse(str(XSD_PATH)))
    if not schema.validate(tree):
        errors = "; ".join(f"line {e.line}: {e.message}" for e in list(schema.error_log)[:5])
        raise ExtractInvalid(f"{XML_FILE} does not validate against {XSD_PATH.name}: {errors}")
    return document


_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_ATTRIBUTE_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
                                    "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def _text(value: Any) -> str:
    return value if type(value) is str else (
        value.isoformat() if isinstance(value, date) else str(value))


def _start(depth: int, tag: str, **attributes: Any) -> str:
    """`<tag a="...">` without its closing bracket, indented; None attributes are left out
    (a required one then fails the XSD)."""
    start = "  " * depth + "<" + tag
    for name, value in attributes.items():
        if value is not None:
            start += f' {name}="{_text(value).translate(_ATTRIBUTE_ESCAPES)}"'
    return start


def _leaf(depth: int, tag: str, text: Any = None, **attributes: Any) -> str:
    start = _start(depth, tag, **attributes) if attributes else "  " * depth + "<" + tag
    if text is None:
        return start + "/>"
    return f"{start}>{_text(text).translate(_TEXT_ESCAPES)}</{tag}>"


def _optional(lines: list[str], depth: int, tag: str, value: Any) -> None:
    if value is not None:
        lines.append(_leaf(depth, tag, value))


def _subject(lines: list[str], row: dict[str, Any]) -> None:
    lines.append(_start(2, "Sujeto", clavePersona=row["clave_persona"]) + ">")
    if row["numero_documento"] is not None:
        lines.append(_leaf(3, "Documento", row["numero_documento"], tipo=row["tipo_documento"]))
    for tag, column in (("ApellidoPaterno", "apellido_paterno"),
                        ("ApellidoMaterno", "apellido_materno"), ("Nombres", "nombres")):
        _optional(lines, 3, tag, row[column])
    if row["recluido"]:
        lines.append(_start(3, "Recluido", idInterno=row["id_interno"]) + ">")
        lines.append(_leaf(4, "Establecimiento", row["nombre_ep"] or "", codigo=row["cod_ep"]))
        lines.append(_leaf(4, "SituacionJuridica", row["situacion_juridica"]))
        lines.append(_leaf(4, "FechaIngreso", row["fecha_ingreso"]))
        _optional(lines, 4, "FechaSentencia", row["fecha_sentencia"])
        _optional(lines, 4, "FechaVencimientoPena", row["fecha_vencimiento_pena"])
        _optional(lines, 4, "ExpedienteInpe", row["expediente_inpe"])
        lines.append("      </Recluido>")
    elif row["ultimo_egreso_fecha"] is not None:
        lines.append("      <NoRecluido>")
        lines.append(_leaf(4, "UltimoEgreso", fecha=row["ultimo_egreso_fecha"],
                           motivo=row["ultimo_egreso_motivo"]))
        lines.append("      </NoRecluido>")
    else:
        lines.append("      <NoRecluido/>")
    if row["ml_id_caso"] is not None:
        lines.append(_start(3, "MedioLibre", idCaso=row["ml_id_caso"]) + ">")
        lines.append(_leaf(4, "TipoMedida", row["ml_tipo_medida"]))
        lines.append(_leaf(4, "Estado", row["ml_estado"]))
        for tag, column in (("FechaInicio", "ml_fecha_inicio"),
                            ("JornadasImpuestas", "ml_jornadas_impuestas"),
                            ("JornadasCumplidas", "ml_jornadas_cumplidas"),
                            ("Establecimiento", "ml_establecimiento")):
            _optional(lines, 4, tag, row[column])
        lines.append("      </MedioLibre>")
    for alert in row["alertas"]:
        lines.append(_start(3, "Alerta", codigo=alert["codigo"]) + ">")
        for tag, key in (("Expediente", "expediente"), ("Establecimiento", "cod_ep"),
                         ("FechaReferencia", "fecha_referencia"), ("DiasAbierta", "dias_abierta")):
            _optional(lines, 4, tag, alert[key])
        lines.append(_leaf(4, "Detalle", alert["detalle"]))
        lines.append("      </Alerta>")
    lines.append("    </Sujeto>")


def to_parquet(rows: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(rows, sink)
    return sink.getvalue()


def manifest(files: dict[str, bytes], records: int, run_id: str, cutoff: date,
             verdicts: dict[str, Verdict]) -> bytes:
    """manifest.json: each file's sha256 and record count, the run, the checks that passed."""
    return json.dumps({
        "fecha_corte": cutoff.isoformat(),
        "run_id": run_id,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "files": [{"name": name, "sha256": hashlib.sha256(content).hexdigest(),
                   "bytes": len(content), "records": records}
                  for name, content in files.items()],
        "checks": [{"check_name": v.check_name, "asset": "/".join(CHECKS[v.check_name].asset),
                    "passed": v.passed, "run_id": v.run_id,
                    "checked_at": v.checked_at.isoformat()}
                   for v in sorted(verdicts.values(), key=lambda v: v.check_name)],
    }, indent=2, ensure_ascii=False).encode("utf-8")


# --- The gate -------------------------------------------------------------------------------


def newest_landing(con: Warehouse) -> datetime | None:
    """When the newest landed delivery arrived: a verdict older than that did not see it."""
    return con.rows("SELECT max(seen_at) FROM raw.deliveries WHERE status = 'landed'")[0][0]


def gate(verdicts: dict[str, Verdict], cutoff: date, newest: datetime | None) -> list[str]:
    """Why the extract must not be published (empty: publish). One line per blocking check."""
    problems = []
    for name in BLOCKING_CHECKS:
        verdict = verdicts.get(name)
        if verdict is None:
            problems.append(f"{name}: no verdict for cut-off {cutoff}; run the quality checks")
        elif not verdict.passed:
            problems.append(f"{name}: failed in run {verdict.run_id} at "
                            f"{verdict.checked_at:%Y-%m-%d %H:%M:%S}: {verdict.summary}")
        elif newest is not None and verdict.checked_at < newest:
            problems.append(f"{name}: its verdict ({verdict.checked_at:%Y-%m-%d %H:%M:%S}) "
                            f"predates the delivery landed at {newest:%Y-%m-%d %H:%M:%S}; "
                            "run the checks again")
    return problems


# --- Publishing -------------------------------------------------------------------------------


def publish(outbox: Path, cutoff: date, files: dict[str, bytes], run_id: str) -> Path:
    """Write `files` to `<outbox>/<cutoff>/` atomically, replacing a previous extract whole."""
    outbox.mkdir(parents=True, exist_ok=True)
    final = outbox / cutoff.isoformat()
    staging = outbox / f".tmp-{run_id}"
    aside = outbox / f".old-{cutoff.isoformat()}-{run_id}"
    for leftover in (staging, aside):  # left by an earlier attempt of this run
        shutil.rmtree(leftover, ignore_errors=True)
    staging.mkdir()
    try:
        for name, content in files.items():
            with open(staging / name, "wb") as stream:
                stream.write(content)
                stream.flush()
                os.fsync(stream.fileno())
        _fsync_dir(staging)
        if final.exists():
            os.rename(final, aside)
        try:
            os.rename(staging, final)
        except BaseException:
            if aside.exists():
                os.rename(aside, final)
            raise
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _fsync_dir(outbox)
    shutil.rmtree(aside, ignore_errors=True)
    return final


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- Dagster ------------------------------------------------------------------------------------


@dg.asset(
    deps=sorted({*READS, *(dg.AssetKey(list(s.asset)) for s in CHECKS.values())},
                key=lambda k: k.to_user_string()),
    pool=WAREHOUSE_POOL,
    group_name="publication",
    automation_condition=FOLLOW_UPSTREAM,
    kinds={"python", "xml", "parquet"},
    owners=["team:data-engineering"],
    description=("Extract for the Poder Judicial in $HUB_OUTBOX_DIR/<fecha_corte>/ (XML, Parquet, "
                 "manifest), published only if every blocking check's stored verdict passed."),
)
def estado_ejecucion_extract(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                             outbox: OutboxResource) -> dg.MaterializeResult:
    run_id = context.run.run_id
    with warehouse.connect(read_only=True) as con:
        cutoff = latest_cutoff(con)
        if cutoff is None:
            raise dg.Failure("interop.situacion_juridica_historial has no registry cut-off: "
                             "nothing to publish")
        verdicts = latest_verdicts(con, cutoff)
        problems = gate(verdicts, cutoff, newest_landing(con))
        if problems:
            raise dg.Failure(
                description=(f"Not published: {len(problems)} blocking check(s) for cut-off "
                             f"{cutoff} did not pass; the previous extract is unchanged.\n- "
                             + "\n- ".join(problems)),
                metadata={"fecha_corte": cutoff.isoformat(),
                          "failed_checks": dg.MetadataValue.md(
                              "\n".join(f"- {p}" for p in problems)),
                          "verdicts": "SELECT * FROM audit.check_verdicts "
                                      "ORDER BY checked_at DESC"})
        rows = build_rows(con, cutoff)
    files = {XML_FILE: to_xml(rows, cutoff), PARQUET_FILE: to_parquet(rows)}
    files[MANIFEST_FILE] = manifest(files, rows.num_rows, run_id, cutoff, verdicts)
    folder = publish(outbox.path, cutoff, files, run_id)
    context.log.info(f"published {rows.num_rows} rows for cut-off {cutoff} to {folder}")
    return dg.MaterializeResult(metadata={
        "fecha_corte": cutoff.isoformat(),
        "records": rows.num_rows,
        "folder": dg.MetadataValue.path(str(folder)),
        **{f"sha256 {name}": hashlib.sha256(content).hexdigest() for name, content in files.items()
           if name != MANIFEST_FILE},
    })
