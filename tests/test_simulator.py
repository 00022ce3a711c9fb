"""The simulator writes what docs/feeds.md describes, and its truth matches its output."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

from penal_hub.contracts import feeds
from penal_hub.simulator import simulate
from penal_hub.simulator import truth as truth_mod
from penal_hub.simulator.build import build_world
from penal_hub.simulator.calibration import PLANTED, TARGETS

SPEC = Path(__file__).resolve().parents[1] / "docs" / "feeds.md"  # the spec the hub implements
NS = {"pj": feeds.PJ_NAMESPACE}


def deliveries(landing: Path, source: str) -> list[Path]:
    return sorted((landing / feeds.SOURCES[source][0]).iterdir())


def read_manifest(folder: Path) -> dict:
    return json.loads((folder / feeds.MANIFEST_NAME).read_text())


def count_records(path: Path, encoding: str) -> int:
    if path.suffix == ".xml":
        return sum(1 for _ in etree.iterparse(str(path), tag=f"{{{feeds.PJ_NAMESPACE}}}Resolucion"))
    text = path.read_bytes().decode(encoding)
    if path.suffix == ".csv":
        return len(list(csv.reader(io.StringIO(text), delimiter="|"))) - 1
    return len(text.splitlines())


def test_contract_headers_match_the_spec():
    """contracts/feeds.py says what docs/feeds.md says: every CSV header, verbatim."""
    spec = SPEC.read_text()
    for name, header in feeds.REGISTRY_FILES.items():
        assert "|".join(header) in spec, f"{name} header differs from feeds.md"
    assert feeds.PJ_NAMESPACE in spec
    for code in feeds.TIPOS_RESOLUCION + feeds.TIPOS_MEDIDA + feeds.MOTIVOS_ESTADO:
        assert f"`{code}`" in spec


def test_every_complete_delivery_matches_its_manifest(simulated):
    landing = simulated / "landing"
    for source, (_, fuente) in feeds.SOURCES.items():
        folders = deliveries(landing, source)
        complete = [f for f in folders if (f / feeds.MANIFEST_NAME).exists()]
        assert complete, source
        for folder in complete:
            manifest = read_manifest(folder)
            assert manifest["fuente"] == fuente
            assert manifest["fecha_corte"] == folder.name
            listed = {f["nombre"] for f in manifest["archivos"]}
            assert listed == {p.name for p in folder.iterdir()} - {feeds.MANIFEST_NAME}
            for entry in manifest["archivos"]:
                path = folder / entry["nombre"]
                assert entry["codificacion"] in feeds.ENCODINGS
                assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"]
                assert count_records(path, entry["codificacion"]) == entry["registros"], path


def test_cadence_and_the_folder_still_being_written(simulated, truth):
    assert len(truth["deliveries"]["inpe_registro"]) == 12
    assert len(truth["deliveries"]["inpe_medio_libre"]) == 12
    assert len(truth["deliveries"]["pj_resoluciones"]) >= 52
    (incomplete,) = truth["incomplete_deliveries"]
    folder = simulated / "landing" / incomplete
    assert folder.is_dir() and not (folder / feeds.MANIFEST_NAME).exists()


def test_court_feed_namespace_and_codes(simulated):
    seen_encodings, tipos, redelivered = set(), Counter(), []
    for folder in deliveries(simulated / "landing", "pj_resoluciones"):
        if not (folder / feeds.MANIFEST_NAME).exists():
            continue
        for path in folder.glob("*.xml"):
            root = etree.parse(str(path)).getroot()
            assert root.tag == f"{{{feeds.PJ_NAMESPACE}}}LoteResoluciones"
            if root.get("fechaCorte") != folder.name:
                redelivered.append(root.get("idLote"))
            seen_encodings.add(root.getroottree().docinfo.encoding)
            for res in root.iterfind("pj:Resolucion", NS):
                tipo = res.findtext("pj:Tipo", namespaces=NS)
                tipos[tipo] += 1
                assert tipo in feeds.TIPOS_RESOLUCION
                doc = res.find("pj:Sujeto/pj:Documento", NS)
                assert doc.get("tipo") in feeds.TIPOS_DOCUMENTO_PJ
                if doc.get("tipo") == "DNI":
                    assert re.fullmatch(r"\d{8}", doc.text)
                pena = res.find("pj:Pena", NS)
                if pena is not None:
                    assert pena.get("clase") in feeds.CLASES_PENA
                organo = res.find("pj:OrganoJurisdiccional", NS).get("codigo")
                assert organo.split("-")[1] in feeds.TIPOS_ORGANO
    assert seen_encodings == {"UTF-8", "ISO-8859-1"}
    assert set(tipos) == set(feeds.TIPOS_RESOLUCION)
    # One earlier batch is sent again, unchanged, in a later delivery.
    assert len(redelivered) == 1


def test_registry_headers_encodings_and_codes(simulated):
    encodings = set()
    for folder in deliveries(simulated / "landing", "inpe_registro"):
        for entry in read_manifest(folder)["archivos"]:
            encodings.add(entry["codificacion"])
            text = (folder / entry["nombre"]).read_bytes().decode(entry["codificacion"])
            rows = list(csv.DictReader(io.StringIO(text), delimiter="|"))
            assert tuple(csv.reader(io.StringIO(text), delimiter="|").__next__()) == \
                feeds.REGISTRY_FILES[entry["nombre"]]
            for row in rows:
                if entry["nombre"] == "internos.csv":
                    assert row["SITUACION_JURIDICA"] in feeds.SITUACIONES_JURIDICAS
                    assert re.fullmatch(r"\d{2}/\d{2}/\d{4}", row["FECHA_INGRESO"])
                    assert (row["FECHA_SENTENCIA"] == "") == (row["SITUACION_JURIDICA"] == "PROCESADO")
                elif entry["nombre"] == "movimientos.csv":
                    assert row["MOTIVO"] in feeds.MOTIVOS_MOVIMIENTO[row["TIPO_MOVIMIENTO"]]
                elif entry["nombre"] == "actividades.csv":
                    assert row["PROGRAMA"] in feeds.PROGRAMAS_ACTIVIDAD[row["TIPO_ACTIVIDAD"]]
                    assert row["CERTIFICADO"] in feeds.CERTIFICADO_VALUES
    assert encodings == {"UTF-8", "ISO-8859-1"}


def test_medio_libre_codes_and_planted_bad_lines(simulated, truth):
    expected_bad = {(q["fecha_corte"], q["file"], q["line"]): q["reason"] for q in truth["quarantine"]}
    found_bad, repeated = {}, 0
    for folder in deliveries(simulated / "landing", "inpe_medio_libre"):
        for path in sorted(folder.glob("*.jsonl")):
            lines = path.read_text(encoding="utf-8").splitlines()
            repeated += len(lines) - len(set(lines))
            for lineno, line in enumerate(lines, start=1):
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError:
                    found_bad[(folder.name, path.name, lineno)] = "invalid_json"
                    continue
                if "id_caso" not in obj:
                    found_bad[(folder.name, path.name, lineno)] = "missing_id_caso"
                    continue
                assert obj["tipo_medida"] in feeds.TIPOS_MEDIDA
                assert obj["estado"] in feeds.ESTADOS_CASO
                assert (obj["motivo_estado"] is None) == (obj["estado"] == "ACTIVO")
                if obj["motivo_estado"]:
                    assert obj["motivo_estado"] in feeds.MOTIVOS_ESTADO
                if obj["programa_tratamiento"]:
                    assert obj["programa_tratamiento"]["programa"] in feeds.PROGRAMAS_MEDIO_LIBRE
                    assert obj["programa_tratamiento"]["evaluacion"] in feeds.EVALUACIONES
    assert found_bad == expected_bad
    assert set(found_bad.values()) == {"invalid_json", "missing_id_caso"}
    assert repeated > 0


def test_truth_agrees_with_the_last_registry_snapshot(simulated, truth):
    last = deliveries(simulated / "landing", "inpe_registro")[-1]
    rows = list(csv.DictReader(io.StringIO((last / "internos.csv").read_text("utf-8")), delimiter="|"))
    figures = truth["indicators"][truth["last_cutoff"]]
    assert len(rows) == figures["POBLACION_INTRAMUROS"]["valor"]
    situaciones = Counter(r["SITUACION_JURIDICA"] for r in rows)
    assert situaciones["SENTENCIADO"] == figures["POBLACION_SENTENCIADA"]["valor"]
    assert situaciones["PROCESADO"] == figures["POBLACION_PROCESADA"]["valor"]
    # Quirks the spec lists are present in the registry.
    assert any(r["NUMERO_DOCUMENTO"] and len(r["NUMERO_DOCUMENTO"]) == 7 for r in rows)
    assert any(r["NUMERO_DOCUMENTO"] == "" for r in rows)


def test_truth_agrees_with_the_medio_libre_feed(simulated, truth):
    latest: dict[str, dict] = {}
    for folder in deliveries(simulated / "landing", "inpe_medio_libre"):
        for path in sorted(folder.glob("*.jsonl")):
            for line in path.read_text("utf-8").splitlines():
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if "id_caso" in obj and obj["version"] >= latest.get(obj["id_caso"], {}).get("version", 0):
                    latest[obj["id_caso"]] = obj
    figures = truth["indicators"][truth["last_cutoff"]]
    persons = {(c["persona"]["tipo_documento"], c["persona"]["numero_documento"],
                c["persona"]["apellido_paterno"], c["persona"]["fecha_nacimiento"]) for c in latest.values()}
    assert len(persons) == figures["POBLACION_MEDIO_LIBRE"]["valor"]
    limitativas = [c for c in latest.values() if c["tipo_medida"] in feeds.MEDIDAS_LIMITATIVAS]
    activas = sum(c["estado"] == "ACTIVO" for c in limitativas)
    assert figures["OP04_PCT_CUMPLIMIENTO_MEDIO_LIBRE"]["numerador"] == activas
    assert figures["OP04_PCT_CUMPLIMIENTO_MEDIO_LIBRE"]["denominador"] == len(limitativas)
    vep = sum(bool(c["vigilancia_electronica"] and c["vigilancia_electronica"]["activo"]) for c in latest.values())
    assert figures["VEP_ACTIVOS"]["valor"] == vep


def test_planted_alerts_are_all_the_alerts(truth):
    """The alert rules, applied to the model, find exactly what was planted: no accidents."""
    def key(a):
        return (a["codigo_alerta"], a["person_id"], a["fecha_referencia"], a["expediente"])
    assert sorted(map(key, truth["alerts"])) == sorted(map(key, truth["planted_alerts"]))
    assert set(truth["alert_counts"]) == set(PLANTED)


def test_person_links_cover_every_source_record(simulated, truth):
    links = json.loads((simulated / "truth" / "person_links.json").read_text())
    assert set(links) == set(feeds.SOURCES)
    assert len(links["pj_resoluciones"]) == truth["court_resolutions"]["distinct"]
    assert truth["court_resolutions"]["corrected"] > 0
    documents = truth["person_documents"]
    assert set().union(*(set(v.values()) for v in links.values())) <= set(documents)
    for a, b in truth["homonym_pairs"]:
        assert documents[a] != documents[b]


def test_same_seed_same_bytes(tmp_path):
    manifests = []
    for run in ("a", "b"):
        simulate(0.005, 5, tmp_path / run)
        manifests.append(sorted(
            (p.relative_to(tmp_path / run).as_posix(), p.read_text())
            for p in (tmp_path / run / "landing").rglob(feeds.MANIFEST_NAME)
        ))
    assert manifests[0] == manifests[1]


@pytest.mark.parametrize("scale", [1])
def test_scale_one_reproduces_the_2024_report(scale):
    """At scale 1 the last cut-off gives the December 2024 figures of outputs.md."""
    world = build_world(scale, 42)
    # Case numbers have five digits (NNNNN): ten times this scale must still fit.
    assert max(int(r.case.expediente[:5]) for r in world.resolutions) < 10_000
    figures = {k: v["valor"] for k, v in truth_mod.indicators(world)["2024-12-31"].items()}
    assert figures["POBLACION_INTRAMUROS"] == 99_448
    assert figures["POBLACION_SENTENCIADA"] == TARGETS["SENTENCIADOS"] == 61_798
    assert figures["POBLACION_PROCESADA"] == 37_650
    assert figures["POBLACION_MEDIO_LIBRE"] == 97_099
    assert figures["VEP_ACTIVOS"] == 59
    assert figures["OP04_PPL_ACTIVIDAD_LABORAL"] == 28_101
    assert [figures[f"OP04_PPL_EDUCACION_{p}"] for p in feeds.PROGRAMAS_ACTIVIDAD["EDUCATIVA"]] == \
        [375, 7_940, 7_560, 204]
    assert [figures[f"TRASLADOS_{m}"] for m in feeds.MOTIVOS_MOVIMIENTO["TRASLADO"]] == [697, 1_212, 174, 20]
    cumplimiento = truth_mod.indicators(world)["2024-12-31"]["OP04_PCT_CUMPLIMIENTO_MEDIO_LIBRE"]
    assert (cumplimiento["numerador"], cumplimiento["denominador"]) == (27_968, 92_151)
    assert Counter(a["codigo_alerta"] for a in truth_mod.alerts(world)) == PLANTED


def test_many_medio_libre_faults_never_stack_on_one_line(tmp_path):
    """At national scale x10 a fault drew a line already made faulty, and crashed."""
    import random

    from penal_hub.simulator.writers import write_medio_libre

    world = build_world(0.005, 7)
    _, quarantine = write_medio_libre(world, tmp_path, random.Random(1), n_invalid=300,
                                      n_without_id=300, n_repeated=300)
    assert len(quarantine) == 600
    lines = [line for path in tmp_path.rglob("*.jsonl")
             for line in path.read_text(encoding="utf-8").splitlines()]
    assert not any("\x00" in line for line in lines)
