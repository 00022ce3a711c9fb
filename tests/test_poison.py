"""One bad value never stops the hub (issue 18): whole-hub runs, landing to publication.

Each run is `hub run`'s path in process (`run_all`: Dagster materialisations, real dbt,
a DuckDB file) on a copy of a small simulated landing zone where records were changed,
each change keeping its delivery valid (the manifest's sha256 and count updated).

- `planted`: every case of the issue planted in one landing zone, one run: the run
  publishes, each bad record is in raw.quarantine with its reason and out of staging,
  each hostile delivery is refused with its reason, and every landed delivery reconciles.
- `test_one_poisoned_record_*`: a property test. One field of one record of any source
  gets a hostile value; the hub must publish, quarantine that record with its reason,
  reconcile, and give every other figure as when that record is quarantined for a reason
  the hub always had (a line that is not a record): interop, marts and the extract equal.
  `HUB_POISON_EXAMPLES` examples (2 by default, each two whole runs); derandomized, as
  the connectors' fuzz test, unless `HUB_FUZZ_EXPLORE` is set.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

import duckdb
import pytest
from hub_env import settings_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_faults_idempotency import outbox_snapshot, warehouse_snapshot

from penal_hub.connectors import pj_resoluciones
from penal_hub.connectors.warehouse import PJ_COLUMNS
from penal_hub.contracts import feeds
from penal_hub.simulator import simulate

SCALE, SEED = 0.01, 18
EXAMPLES = int(os.environ.get("HUB_POISON_EXAMPLES", "2"))
XML_NS = f"{{{feeds.PJ_NAMESPACE}}}"
EXTRACT = "estado_ejecucion.xml"


# --- a landing zone whose records can be changed -------------------------------------------


class Zone:
    """A landing zone; `write` keeps a changed file's manifest entry true (sha256, count)."""

    def __init__(self, root: Path):
        self.root = root

    def folders(self, source: str) -> list[Path]:
        return sorted(p for p in (self.root / feeds.SOURCES[source][0]).iterdir()
                      if (p / feeds.MANIFEST_NAME).is_file())

    def entries(self, folder: Path) -> list[dict]:
        return json.loads((folder / feeds.MANIFEST_NAME).read_text())["archivos"]

    def write(self, path: Path, data: bytes) -> None:
        path.write_bytes(data)
        manifest = json.loads((path.parent / feeds.MANIFEST_NAME).read_text())
        for entry in manifest["archivos"]:
            if entry["nombre"] == path.name:
                entry["sha256"] = hashlib.sha256(data).hexdigest()
        (path.parent / feeds.MANIFEST_NAME).write_text(json.dumps(manifest, ensure_ascii=False))


@dataclass(frozen=True)
class Target:
    """One record of a delivery file: its line (CSV, JSONL) or element ordinal (XML)."""

    source: str
    folder: Path
    file: str
    encoding: str
    index: int  # 0-based among the file's records

    @property
    def path(self) -> Path:
        return self.folder / self.file

    @property
    def line(self) -> int:
        """raw.quarantine's record_ordinal: the CSV header is line 1."""
        return self.index + (2 if self.source == "inpe_registro" else 1)


def record_span(target: Target) -> tuple[str, int, int]:
    """The target's file as text, and where its record starts and ends in it."""
    data = target.path.read_bytes().decode(target.encoding)
    if target.source == "pj_resoluciones":
        spans = [m.span() for m in re.finditer(r"<Resolucion .*?</Resolucion>", data, re.DOTALL)]
        return data, *spans[target.index]
    starts = [0, *(m.end() for m in re.finditer("\n", data))]
    start = starts[target.index + (target.source == "inpe_registro")]
    return data, start, data.index("\n", start)


def replace_record(zone: Zone, target: Target, change) -> None:
    """Rewrite the target record with `change(text) -> text` (a line, or a Resolucion)."""
    data, start, end = record_span(target)
    record = change(data[start:end])
    zone.write(target.path, (data[:start] + record + data[end:]).encode(
        target.encoding, errors="xmlcharrefreplace" if target.path.suffix == ".xml" else "strict"))


def as_not_a_record(target: Target) -> str:
    """What the hub always quarantined in place of the target: a line or element that is
    not a record (the line numbers of the rest stay as they were)."""
    return {"pj_resoluciones": '<Resolucion id="X" version="1"/>', "inpe_registro": "X",
            "inpe_medio_libre": "{}"}[target.source]


# --- changing one field ---------------------------------------------------------------------


def json_set(line: str, path: str, value: object) -> str:
    record = json.loads(line)
    *parents, key = path.split(".")
    node = record
    for parent in parents:
        if not isinstance(node.get(parent), dict):
            node[parent] = {}
        node = node[parent]
    node[key] = value
    return json.dumps(record, ensure_ascii=False)


def csv_set(line: str, name: str, column: str, value: str) -> str:
    fields = line.split(feeds.CSV_DELIMITER)
    fields[feeds.REGISTRY_FILES[name].index(column)] = value
    return feeds.CSV_DELIMITER.join(fields)


# Where each court column is in a Resolucion: (element, attribute or None for its text).
PJ_PLACES: dict[str, tuple[str, str | None]] = {
    "version": ("Resolucion", "version"),
    **{PJ_COLUMNS[col]: (tag.removeprefix(XML_NS), None)
       for tag, col in pj_resoluciones._TEXTS.items()},
    **{PJ_COLUMNS[col]: (tag.removeprefix(XML_NS), attr)
       for tag, attrs in pj_resoluciones._ATTRIBUTES.items() for attr, col in attrs.items()},
}


def xml_value(element: str, column: str) -> str | None:
    tag, attr = PJ_PLACES[column]
    pattern = (rf'<{tag}\b[^>]*\b{attr}="([^"]*)"' if attr else rf"<{tag}(?:\s[^>]*)?>([^<]*)</{tag}>")
    found = re.search(pattern, element)
    return None if found is None else found.group(1)


def xml_set(element: str, column: str, value: str) -> str:
    tag, attr = PJ_PLACES[column]
    if attr:
        return re.sub(rf'(<{tag}\b[^>]*\b{attr}=")[^"]*(")',
                      lambda m: m.group(1) + escape(value, {'"': "&quot;"}) + m.group(2),
                      element, count=1)
    return re.sub(rf"(<{tag}(?:\s[^>]*)?>)[^<]*(</{tag}>)",
                  lambda m: m.group(1) + escape(value) + m.group(2), element, count=1)


# Hostile values, by what breaks which rule. XML cannot carry C0 controls at all (the parser
# refuses the file): its control characters are those it carries but the hub refuses.
CONTROL = {"xml": ["A\x85B", "A\x93B", "A\x7fB"], "csv": ["A\x0bB", "A\x00B", "A\x93B"],
           "json": ["A\x00B", "A\x0bB", "A\x9fB"]}
OVERLONG = "Z" * (feeds.MAX_TEXT_LENGTH + 1)
BY_KIND = {
    "integer": ["52 jornadas", "1.5", "1e400", "NaN", "-3", "1234567890"],
    "date": ["2024-02-30", "31/13/2024", "ayer"],
    "code": ["DESCONOCIDO"],
    "case_number": ["EXP 123/2024"],
    "court_code": ["1801-XX-PE-01"],
    "document_number": ["4012A456", "123456789"],
    "boolean": ["si"],
}
JSON_WRONG_TYPE = {"integer": [1.5, float("nan"), float("inf"), [1], True, "52"],
                   "boolean": [1, "true"]}


def hostile_values(field: feeds.Field, form: str, document_type: str | None) -> list:
    values: list = [*CONTROL[form], OVERLONG]
    if field.kind == "document_number" and (document_type or "").strip().upper() != "DNI":
        pass  # its rule depends on the type: only a DNI's number is drawn wrong here
    elif form == "json" and field.kind in JSON_WRONG_TYPE:
        values = JSON_WRONG_TYPE[field.kind] + [10**12, -3]
    else:
        values += BY_KIND.get(field.kind, [])
    if form == "json" and field.kind not in JSON_WRONG_TYPE:
        values.append(5)  # a number where a string is due
    if field.required:
        values.append("")
    return values


@st.composite
def poisons(draw, zone: Zone):
    """(target, change): one field of one record of any source, given a hostile value."""
    source = draw(st.sampled_from(sorted(feeds.SOURCES)))
    folder = draw(st.sampled_from(zone.folders(source)))
    entry = draw(st.sampled_from([e for e in zone.entries(folder) if e["registros"]]))
    target = Target(source, folder, entry["nombre"], entry["codificacion"],
                    draw(st.integers(0, entry["registros"] - 1)))
    data, start, end = record_span(target)
    text = data[start:end]
    if source == "inpe_medio_libre":
        fields = feeds.MEDIO_LIBRE_FIELDS
        name = draw(st.sampled_from(sorted(fields)))
        persona = json.loads(text).get("persona") or {}
        value = draw(st.sampled_from(hostile_values(fields[name], "json",
                                                    persona.get("tipo_documento"))))
        return target, name, lambda line: json_set(line, name, value)
    if source == "inpe_registro":
        header = feeds.REGISTRY_FILES[target.file]
        fields = feeds.REGISTRY_FIELDS[target.file]
        column = draw(st.sampled_from(header))
        field = fields.get(column, feeds.TEXT)
        document_type = text.split(feeds.CSV_DELIMITER)[header.index(field.document_type)] \
            if field.document_type else None
        value = draw(st.sampled_from(hostile_values(field, "csv", document_type)))
        return target, column, lambda line: csv_set(line, target.file, column, value)
    present = [c for c in PJ_PLACES if xml_value(text, c) is not None and c != "delitos"]
    column = draw(st.sampled_from(present))
    field = feeds.PJ_FIELDS.get(column, feeds.TEXT)
    document_type = xml_value(text, field.document_type) if field.document_type else None
    value = draw(st.sampled_from(hostile_values(field, "xml", document_type)))
    return target, column, lambda element: xml_set(element, column, value)


# --- whole runs -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def simulated_landing(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("poison-sim")
    simulate(SCALE, SEED, out)
    return out / "landing"


def copy_zone(landing: Path, data: Path) -> Zone:
    shutil.copytree(landing, data / "landing")
    return Zone(data / "landing")


def run_hub(hub_definitions, data: Path) -> dict:
    """`hub run` in process on `<data>/landing`; the report, with the latest cut-off."""
    import dagster as dg

    from penal_hub.orchestration.pipeline import run_all

    hub = settings_for(data, data / "landing")
    with dg.DagsterInstance.ephemeral() as instance:
        report = run_all(hub_definitions.defs, instance, hub.landing_dir,
                         resources=hub_definitions.build_resources(hub), say=lambda _: None)
    return report


def latest_cutoff(data: Path) -> str:
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        return str(con.execute("SELECT max(fecha_corte) FROM interop.situacion_juridica_historial"
                               ).fetchone()[0])


def assert_published_and_reconciled(data: Path, report: dict) -> None:
    """Downstream ran, the extract of the latest cut-off is out, no record is lost."""
    assert report["outcomes"]["downstream"], report
    assert (data / "outbox" / latest_cutoff(data) / EXTRACT).is_file()
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        unreconciled = con.execute("""
            SELECT delivery_id FROM raw.deliveries AS d
            LEFT JOIN (SELECT delivery_id, count(*) AS n FROM raw.quarantine GROUP BY 1) AS q
                USING (delivery_id)
            WHERE status = 'landed' AND (landed_records + quarantined_records <> manifest_records
                                         OR quarantined_records <> coalesce(q.n, 0))""").fetchall()
        assert unreconciled == []
        [(passed,)] = con.execute("""
            SELECT passed FROM audit.check_verdicts WHERE check_name = 'deliveries_reconciled'
            ORDER BY checked_at DESC LIMIT 1""").fetchall()
        assert passed


def quarantined(data: Path, source: str, fecha: str, file: str, line: int) -> list[str]:
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        return [reason for (reason,) in con.execute(
            "SELECT reason FROM raw.quarantine WHERE source = ? AND fecha_corte = ? AND file = ? "
            "AND record_ordinal = ?", [source, fecha, file, line]).fetchall()]


def figures(data: Path) -> tuple[dict, dict]:
    """What users get: the interop and marts tables, and the published extracts."""
    tables = {name: value for name, value in warehouse_snapshot(data / "warehouse.duckdb").items()
              if name.split(".")[0] in ("interop", "marts")}
    return tables, outbox_snapshot(data / "outbox")


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          derandomize=not os.environ.get("HUB_FUZZ_EXPLORE"),
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(data=st.data())
def test_one_poisoned_record_is_quarantined_and_moves_only_its_own_figures(
        data, simulated_landing, hub_definitions, tmp_path_factory):
    target, field, change = data.draw(poisons(Zone(simulated_landing)))
    runs = {}
    for variant, rewrite in (("poisoned", change),
                             ("not_a_record", lambda _: as_not_a_record(target))):
        folder = tmp_path_factory.mktemp(variant)
        zone = copy_zone(simulated_landing, folder)
        replace_record(zone, Target(target.source, zone.root / target.folder.relative_to(
            simulated_landing), target.file, target.encoding, target.index), rewrite)
        runs[variant] = (folder, run_hub(hub_definitions, folder))
    folder, report = runs["poisoned"]
    assert_published_and_reconciled(folder, report)
    [reason] = quarantined(folder, target.source, target.folder.name, target.file, target.line)
    assert f": {field} " in reason or reason == f"missing_{field}", reason
    assert figures(folder) == figures(runs["not_a_record"][0])


# --- every case of the issue, planted in one landing zone, one run ------------------------------


@dataclass(frozen=True)
class Planted:
    source: str
    fecha: str
    file: str
    line: int
    reason: str  # how the quarantine reason starts


def plant_every_case(zone: Zone) -> tuple[list[Planted], dict[str, str], dict[str, str]]:
    """Plant the issue's cases; return the records to quarantine, the deliveries to refuse
    ({folder: reason pattern}) and the court texts to land whole ({resolution id: DNI})."""
    planted: list[Planted] = []

    def plant(target: Target, change, reason: str) -> None:
        replace_record(zone, target, change)
        planted.append(Planted(target.source, target.folder.name, target.file, target.line,
                               reason))

    # Medio libre: values that are valid JSON but cannot be typed.
    folder = zone.folders("inpe_medio_libre")[0]
    entry = zone.entries(folder)[0]
    ml = [Target("inpe_medio_libre", folder, entry["nombre"], entry["codificacion"], i)
          for i in range(1, 9)]
    plant(ml[0], lambda t: json_set(t, "jornadas_impuestas", "52 jornadas"),
          "wrong_json_type: jornadas_impuestas '52 jornadas'")
    plant(ml[1], lambda t: json_set(t, "version", 1.5), "wrong_json_type: version '1.5'")
    plant(ml[2], lambda t: re.sub(r'"version": \d+', '"version": NaN', t),
          "wrong_json_type: version 'NaN'")
    plant(ml[3], lambda t: re.sub(r'"jornadas_cumplidas": [^,}]*', '"jornadas_cumplidas": 1e400',
                                  t), "wrong_json_type: jornadas_cumplidas")
    plant(ml[4], lambda t: json_set(t, "jornadas_impuestas", [1]),
          "wrong_json_type: jornadas_impuestas '[1]'")
    plant(ml[5], lambda t: json_set(t, "persona.nombres", "ANA\x00MARIA"),
          "control_character: persona.nombres 'ANA\\x00MARIA' holds U+0000")
    plant(ml[6], lambda t: t.replace('"estado": ', '"estado": "PASIVO", "estado": ', 1),
          "duplicate_key: the record")
    plant(ml[7], lambda t: json_set(t, "version", 10**12), "not_an_integer: version")

    # Court: values that cannot be typed, structure, comments and processing instructions.
    folder = zone.folders("pj_resoluciones")[0]
    entry = zone.entries(folder)[0]
    court = [Target("pj_resoluciones", folder, entry["nombre"], entry["codificacion"], i)
             for i in range(1, 21)]
    sujeto = ('<Sujeto><Documento tipo="DNI">11112222</Documento><ApellidoPaterno>ROJAS'
              '</ApellidoPaterno><Nombres>LUIS</Nombres></Sujeto>')
    cases = [
        (lambda e: xml_set(e, "expediente", "EXP 123/2024"),
         "malformed_case_number: expediente 'EXP 123/2024'"),
        (lambda e: xml_set(e, "sexo", "X"), "not_in_code_list: sexo 'X'"),
        (lambda e: xml_set(e, "tipo", "DETENCION"), "not_in_code_list: tipo 'DETENCION'"),
        (lambda e: xml_set(e, "organo_codigo", "1801-XX-PE-01"),
         "malformed_court_code: organo_codigo"),
        (lambda e: xml_set(e, "documento_tipo", "LIBRETA"),
         "not_in_code_list: documento_tipo 'LIBRETA'"),
        (lambda e: e.replace("</Sujeto>", "</Sujeto>" + sujeto, 1), "structure: line "),
        (lambda e: e.replace("<Delitos>", '<Delitos><Documento tipo="DNI">11112222</Documento>',
                             1), "structure: line "),
        (lambda e: xml_set(e, "nombres", "ANA\x93MARIA"),
         "control_character: nombres 'ANA\\x93MARIA' holds U+0093"),
        (lambda e: xml_set(e, "prision_preventiva_plazo_meses", "1e400")
         if 'plazoMeses="' in e else xml_set(e, "version", "1.5"), "not_an_integer: "),
    ]
    for target, (change, reason) in zip(court, cases, strict=False):
        plant(target, change, reason)
    whole = {}
    for target in court[len(cases):]:
        data, start, end = record_span(target)
        number = xml_value(data[start:end], "documento_numero")
        if number and len(number) == 8:
            whole[re.search(r'id="([^"]+)"', data[start:end]).group(1)] = number
            replace_record(zone, target, lambda e, n=number: xml_set(e, "documento_numero", "")
                           .replace("></Documento>", f">{n[:4]}<!--x-->{n[4:]}</Documento>")
                           .replace("<ApellidoPaterno>", "<ApellidoPaterno>QUI<?x?>", 1))
            break

    # Registry: control characters in a CSV field, a Windows-1252 byte in ISO-8859-1.
    folder = next(f for f in zone.folders("inpe_registro")
                  if zone.entries(f)[0]["codificacion"] == "ISO-8859-1")
    registry = [Target("inpe_registro", folder, "internos.csv", "ISO-8859-1", i)
                for i in range(1, 4)]
    plant(registry[0], lambda t: csv_set(t, "internos.csv", "NOMBRES", "ANA\x0bMARIA"),
          "control_character: NOMBRES 'ANA\\x0bMARIA' holds U+000B")
    plant(registry[1], lambda t: csv_set(t, "internos.csv", "APELLIDO_MATERNO", "RO\x00JAS"),
          "control_character: APELLIDO_MATERNO 'RO\\x00JAS' holds U+0000")
    plant(registry[2], lambda t: csv_set(t, "internos.csv", "APELLIDO_PATERNO", "\x93PEÑA\x94"),
          "control_character: APELLIDO_PATERNO '\\x93PEÑA\\x94' holds U+0093")

    # Deliveries refused whole, each in a folder of its own between two court deliveries.
    refused = {}
    first = date.fromisoformat(zone.folders("pj_resoluciones")[0].name)
    court_source = zone.folders("pj_resoluciones")[0]
    lote = next(court_source.glob("*.xml")).read_bytes()
    declared = lote.decode("latin-1").split("?>", 1)[0]
    utf16 = lote.decode("utf-8" if "UTF-8" in declared else "latin-1").encode("utf-16")
    for days, files, reason in (
            (1, {"lote-0001.xml": utf16}, r"lote-0001.xml line 1: the XML is 'UTF-16'"),
            (2, {"lote\n-0001.xml": lote}, r"nombre 'lote\\n-0001.xml' is not a plain file name"),
            (3, {"lote-\u202e1000.xml": lote},
             r"nombre 'lote-\\u202e1000.xml' is not a plain file name"),
            (4, {}, r"manifest.json: not a regular file \(a FIFO\)")):
        folder = court_source.parent / (first + timedelta(days=days)).isoformat()
        assert not folder.exists()
        folder.mkdir()
        refused[folder.name] = reason
        if not files:
            os.mkfifo(folder / feeds.MANIFEST_NAME)
            continue
        for name, data in files.items():
            (folder / name).write_bytes(data)
        (folder / feeds.MANIFEST_NAME).write_text(json.dumps({
            "fuente": "PJ-RESOLUCIONES", "fecha_corte": folder.name,
            "generado_en": f"{folder.name}T02:10:00-05:00", "archivos": [
                {"nombre": name, "sha256": hashlib.sha256(data).hexdigest(),
                 "registros": data.count(b"<Resolucion "), "codificacion": "UTF-8"}
                for name, data in files.items()]}, ensure_ascii=False))
    return planted, refused, whole


@pytest.fixture(scope="module")
def planted_run(simulated_landing, hub_definitions, tmp_path_factory):
    folder = tmp_path_factory.mktemp("planted")
    zone = copy_zone(simulated_landing, folder)
    cases = plant_every_case(zone)
    return folder, run_hub(hub_definitions, folder), cases


def test_every_planted_case_leaves_the_run_publishing_and_reconciled(planted_run):
    folder, report, _ = planted_run
    assert_published_and_reconciled(folder, report)


def test_every_planted_record_is_quarantined_with_its_reason_and_out_of_staging(planted_run):
    folder, _, (planted, _, _) = planted_run
    staged = {"pj_resoluciones": "staging.stg_pj__resoluciones",
              "inpe_medio_libre": "staging.stg_inpe__medio_libre",
              "inpe_registro": "staging.stg_inpe__internos"}
    assert len(planted) == 20
    with duckdb.connect(str(folder / "warehouse.duckdb"), read_only=True) as con:
        for case in planted:
            [reason] = quarantined(folder, case.source, case.fecha, case.file, case.line)
            assert reason.startswith(case.reason), (case, reason)
            assert "\n" not in reason
            downstream = con.execute(
                f"SELECT count(*) FROM {staged[case.source]} AS s JOIN raw.deliveries AS d "
                "ON d.delivery_id = s._delivery_id WHERE d.source = ? AND d.fecha_corte = ? "
                "AND s._file = ? AND s._record_ordinal = ?",
                [case.source, case.fecha, case.file, case.line]).fetchone()[0]
            assert downstream == 0, case


def test_every_hostile_delivery_is_refused_with_its_reason(planted_run):
    folder, _, (_, refused, _) = planted_run
    with duckdb.connect(str(folder / "warehouse.duckdb"), read_only=True) as con:
        logged = dict(con.execute("SELECT fecha_corte, reason FROM raw.deliveries "
                                  "WHERE source = 'pj_resoluciones' AND status = 'refused'"
                                  ).fetchall())
    assert logged.keys() == refused.keys()
    for fecha, pattern in refused.items():
        assert re.search(pattern, logged[fecha]), (fecha, logged[fecha])
        assert "\n" not in logged[fecha] and "\u202e" not in logged[fecha]


def test_comments_and_processing_instructions_do_not_cut_a_text(planted_run):
    folder, _, (_, _, whole) = planted_run
    [(resolution, number)] = whole.items()
    with duckdb.connect(str(folder / "warehouse.duckdb"), read_only=True) as con:
        landed = con.execute("SELECT DISTINCT documento_numero, apellido_paterno FROM "
                             "raw.pj_resoluciones WHERE id = ?", [resolution]).fetchall()
    assert [(n, paterno.startswith("QUI") and len(paterno) > 3) for n, paterno in landed] == [
        (number, True)]


def test_the_case_number_pattern_is_the_staging_macros():
    """Landing accepts exactly the case numbers staging can normalise."""
    macro = (Path(__file__).resolve().parents[1] / "penal_hub" / "dbt_project" / "macros" / "normalize.sql"
             ).read_text()
    assert f"'{feeds.CASE_NUMBER_PATTERN}'" in macro
