"""Poder Judicial resolution feed (XML): one row per Resolucion; hostile or broken files refused."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from feedfiles import lote, resolucion
from hub_env import imports_pandas

from penal_hub.connectors import (
    DeliveryRefused,
    land_delivery,
    pj_resoluciones,
)
from penal_hub.connectors.delivery import ManifestFile
from penal_hub.connectors.pj_resoluciones import BATCH_ROWS
from penal_hub.connectors.warehouse import ensure_schema

SECRET = "TOP-SECRET-4f9c2e"


def land_lote(con, make_delivery, document: str | bytes, encoding: str = "UTF-8", **kwargs):
    return land_delivery(con, make_delivery("pj_resoluciones", {"lote-0001.xml": document},
                                            encoding=encoding, **kwargs))


def test_every_field_lands_as_text(con, make_delivery, rows):
    pena = ('<Pena clase="PRIVATIVA_EFECTIVA" anios="5" meses="6" dias="0" '
            'fechaInicio="2024-12-03" fechaVencimiento="2030-06-02"/>')
    second = resolucion("RES-2", "2", documento='<Documento tipo="NO_IDENTIFICADO"/>', extra=pena)
    second = re.sub("<PrisionPreventiva [^>]*/>", "", second).replace(
        "<Tipo>PRISION_PREVENTIVA", "<Tipo>SENTENCIA_CONDENATORIA")
    third = re.sub("<PrisionPreventiva [^>]*/>", '<Beneficio clase="SEMILIBERTAD"/>',
                   resolucion("RES-3")).replace("<Tipo>PRISION_PREVENTIVA",
                                                "<Tipo>BENEFICIO_PENITENCIARIO")
    result = land_lote(con, make_delivery, lote(resolucion(), second, third))
    assert (result.landed, result.quarantined, result.manifest_records) == (3, 0, 3)
    first, other, benefit = rows("SELECT * FROM raw.pj_resoluciones ORDER BY _record_ordinal")
    assert {k: v for k, v in first.items() if not k.startswith("_")} == {
        "id": "RES-1801-2024-0000001", "version": "1", "expediente": "00123-2023-0-1801-JR-PE-01",
        "organo_codigo": "1801-JR-PE-01", "distrito_judicial": "LIMA",
        "organo": "1° JUZGADO DE INVESTIGACION PREPARATORIA DE LIMA", "fecha_emision": "2024-12-03",
        "tipo": "PRISION_PREVENTIVA", "documento_tipo": "DNI", "documento_numero": "40123456",
        "apellido_paterno": "QUISPE", "apellido_materno": "MAMANI", "nombres": "JUAN CARLOS",
        "fecha_nacimiento": "1990-05-17", "sexo": "M",
        "delitos": '[{"articulo": "189", "descripcion": "ROBO AGRAVADO"}]',
        "prision_preventiva_plazo_meses": "9", "prision_preventiva_fecha_inicio": "2024-12-03",
        "pena_clase": None, "pena_anios": None, "pena_meses": None, "pena_dias": None,
        "pena_jornadas": None, "pena_fecha_inicio": None, "pena_fecha_vencimiento": None,
        "beneficio_clase": None, "id_lote": "PJ-20241231-0001", "fecha_corte": "2024-12-31"}
    assert (first["_file"], first["_record_ordinal"], other["_record_ordinal"]) == (
        "lote-0001.xml", 1, 2)
    assert json.loads(first["delitos"]) == [{"articulo": "189", "descripcion": "ROBO AGRAVADO"}]
    assert (other["documento_tipo"], other["documento_numero"]) == ("NO_IDENTIFICADO", None)
    assert (other["pena_clase"], other["pena_anios"], other["pena_meses"], other["pena_dias"],
            other["pena_fecha_vencimiento"], benefit["beneficio_clase"]) == (
        "PRIVATIVA_EFECTIVA", "5", "6", "0", "2030-06-02", "SEMILIBERTAD")
    assert first["_record_hash"] != other["_record_hash"]


def test_dni_without_leading_zeros_lands_as_text(con, make_delivery, rows):
    documento = '<Documento tipo="DNI">0412345</Documento>'
    land_lote(con, make_delivery, lote(resolucion(documento=documento)))
    assert rows("SELECT documento_numero FROM raw.pj_resoluciones") == [
        {"documento_numero": "0412345"}]


def test_iso_8859_1_prolog_is_decoded(con, make_delivery, rows):
    document = lote(resolucion(paterno="NUÑEZ"), encoding="ISO-8859-1").encode("iso-8859-1")
    assert "Ñ".encode("latin-1") in document
    land_lote(con, make_delivery, document, encoding="ISO-8859-1")
    assert rows("SELECT apellido_paterno, organo FROM raw.pj_resoluciones") == [
        {"apellido_paterno": "NUÑEZ", "organo": "1° JUZGADO DE INVESTIGACION PREPARATORIA DE LIMA"}]


def test_a_batch_without_resolutions_lands_nothing(con, make_delivery):
    assert land_lote(con, make_delivery, lote()).landed == 0


def assert_refused(con, make_delivery, document: str | bytes, match: str, **kwargs) -> None:
    with pytest.raises(DeliveryRefused, match=match):
        land_lote(con, make_delivery, document, **kwargs)
    assert con.execute("SELECT count(*) FROM raw.pj_resoluciones").fetchall() == [(0,)]


def assert_nowhere_in_warehouse(con, tmp_path, text: str) -> None:
    """Neither any table nor the database file holds `text`."""
    ensure_schema(con)
    tables = con.execute("SELECT schema_name, table_name FROM duckdb_tables()").fetchall()
    for schema, table in tables:
        hits = con.execute(f"SELECT count(*) FROM {schema}.{table} AS t "
                           f"WHERE contains(CAST(t AS VARCHAR), ?)", [text]).fetchall()
        assert hits == [(0,)], f"{text!r} found in {schema}.{table}"
    con.execute("CHECKPOINT")
    for path in tmp_path.glob("hub.duckdb*"):
        assert text.encode() not in path.read_bytes()


def test_doctype_is_refused(con, make_delivery):
    document = lote(resolucion(), before_root="<!DOCTYPE LoteResoluciones>\n")
    assert_refused(con, make_delivery, document, "lote-0001.xml line 2: <!DOCTYPE found")


def test_billion_laughs_is_refused_unexpanded(con, make_delivery, tmp_path):
    entities = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    dtd = f'<!DOCTYPE LoteResoluciones [<!ENTITY lol0 "lol">{entities}]>\n'
    document = lote(resolucion(paterno="&lol9;"), before_root=dtd)
    assert_refused(con, make_delivery, document, "lote-0001.xml line 2: <!DOCTYPE found")
    assert_nowhere_in_warehouse(con, tmp_path, "lollollol")


def test_external_entity_to_a_local_file_is_never_read(con, make_delivery, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    dtd = f'<!DOCTYPE LoteResoluciones [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
    document = lote(resolucion(paterno="&xxe;"), before_root=dtd)
    assert_refused(con, make_delivery, document, "<!DOCTYPE found")
    assert_nowhere_in_warehouse(con, tmp_path, SECRET)


def test_external_entity_hidden_from_the_byte_scan_is_refused_by_the_parser(con, make_delivery,
                                                                           tmp_path):
    # UTF-16 hides "<!DOCTYPE" from a byte scan: the file is refused for its encoding (the
    # manifest says UTF-8); and were it parsed, the parser neither loads nor expands the
    # entity, and the document's DOCTYPE refuses it.
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    dtd = f'<!DOCTYPE LoteResoluciones [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
    document = lote(resolucion(paterno="&xxe;"), encoding="UTF-16", before_root=dtd)
    assert_refused(con, make_delivery, document.encode("utf-16"), "lote-0001.xml line 1: the XML "
                   "is 'UTF-16' .* but the manifest says UTF-8", records={"lote-0001.xml": 1})
    assert_nowhere_in_warehouse(con, tmp_path, SECRET)
    parsed = tmp_path / "utf16.xml"
    parsed.write_bytes(document.encode("utf-16"))
    with pytest.raises(DeliveryRefused, match="utf16.xml line 1: document has a DOCTYPE"):
        list(pj_resoluciones._batches(parsed, entry_for(parsed)))


@pytest.mark.parametrize(("data", "manifest", "found"), [
    (lote(resolucion()).encode("utf-16"), "UTF-8", "'UTF-16'"),
    (lote(resolucion()).encode("utf-16-le"), "UTF-8", "'UTF-16'"),
    (lote(resolucion(), encoding="ISO-8859-1").encode("latin-1"), "UTF-8", "'ISO-8859-1'"),
    (lote(resolucion()).encode(), "ISO-8859-1", "'UTF-8'"),
    (b"\xef\xbb\xbf" + lote(resolucion(), encoding="ISO-8859-1").encode(), "ISO-8859-1",
     "'UTF-8 by its byte order mark, ISO-8859-1 by its declaration'"),
    (lote(resolucion()).replace(' encoding="UTF-8"', "").encode("latin-1"), "ISO-8859-1",
     "'UTF-8'"),
])
def test_xml_in_another_encoding_than_the_manifests_is_refused(con, make_delivery, data,
                                                              manifest, found):
    assert_refused(con, make_delivery, data, f"lote-0001.xml line 1: the XML is {found}",
                   encoding=manifest, records={"lote-0001.xml": 1})


def test_wrong_namespace_is_refused(con, make_delivery):
    document = lote(resolucion(), namespace="urn:pe:gob:pj:interop:resoluciones:2")
    assert_refused(con, make_delivery, document, r"lote-0001.xml line 2: root element is "
                   r"\{urn:pe:gob:pj:interop:resoluciones:2\}LoteResoluciones, expected "
                   r"\{urn:pe:gob:pj:interop:resoluciones:1\}LoteResoluciones",
                   records={"lote-0001.xml": 0})


def test_truncated_xml_is_refused_naming_the_line(con, make_delivery):
    document = lote(resolucion("RES-1"), resolucion("RES-2"), resolucion("RES-3"))
    truncated = document[:document.index('<Resolucion id="RES-3"') + 60]
    assert_refused(con, make_delivery, truncated, r"lote-0001.xml line 5: malformed XML \(",
                   records={"lote-0001.xml": 3})


def test_a_file_of_several_batches_lands_whole_and_in_order(con, make_delivery, rows):
    count = 2 * BATCH_ROWS + 7  # batches are inserted on a second thread while parsing goes on
    document = lote(*(resolucion(f"RES-{i}") for i in range(1, count + 1)))
    assert land_lote(con, make_delivery, document).landed == count
    landed = rows("SELECT id, _record_ordinal FROM raw.pj_resoluciones ORDER BY _record_ordinal")
    assert [(r["id"], r["_record_ordinal"]) for r in landed] == [
        (f"RES-{i}", i) for i in range(1, count + 1)]


def test_a_defect_after_several_batches_refuses_the_whole_file(con, make_delivery):
    count = 2 * BATCH_ROWS + 7
    document = lote(*(resolucion(f"RES-{i}") for i in range(1, count)),
                    resolucion(paterno="QUISPE & HIJOS"))
    assert_refused(con, make_delivery, document, r"lote-0001.xml line \d+: malformed XML \(",
                   records={"lote-0001.xml": count})


def test_malformed_xml_is_refused(con, make_delivery):
    document = lote(resolucion(), resolucion(paterno="QUISPE & HIJOS"))
    assert_refused(con, make_delivery, document, r"lote-0001.xml line 4: malformed XML \(")


def test_external_entity_to_a_url_is_refused_without_a_request(con, make_delivery, tmp_path):
    # A listening socket on loopback would see the request: nothing must connect.
    import socket

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        server.settimeout(0.5)
        port = server.getsockname()[1]
        dtd = f'<!DOCTYPE LoteResoluciones [<!ENTITY xxe SYSTEM "http://127.0.0.1:{port}/x">]>\n'
        document = lote(resolucion(paterno="&xxe;"), before_root=dtd)
        assert_refused(con, make_delivery, document, "<!DOCTYPE found")
        with pytest.raises(TimeoutError):
            server.accept()


def test_extreme_nesting_is_refused(con, make_delivery):
    depth = 100_000
    nested = "<Nota>" * depth + "</Nota>" * depth
    document = lote(resolucion()).replace("</Resolucion>", nested + "</Resolucion>")
    assert_refused(con, make_delivery, document, r"lote-0001.xml line \d+: malformed XML")


def test_huge_text_node_is_refused(con, make_delivery):
    # lxml without huge_tree refuses text nodes over 10 MB instead of buffering them.
    document = lote(resolucion(paterno="Q" * 20_000_000))
    assert_refused(con, make_delivery, document, r"lote-0001.xml line \d+: malformed XML")


def test_something_that_is_not_xml_is_refused(con, make_delivery):
    assert_refused(con, make_delivery, b"%PDF-1.7\n\x00\x01binary", r"lote-0001.xml line 1: malformed XML",
                   records={"lote-0001.xml": 0})


def test_a_parsing_worker_starts_without_pandas():
    """The court parsing workers import the connectors but not pandas (a second of CPU
    each, which pyarrow would otherwise spend on its first array)."""
    assert not imports_pandas("from penal_hub.connectors.workers import serve; "
                              "import penal_hub.connectors.pj_resoluciones")


SUJETO = ('<Sujeto><Documento tipo="DNI">11112222</Documento><ApellidoPaterno>ROJAS'
          '</ApellidoPaterno><Nombres>LUIS</Nombres></Sujeto>')


def test_a_resolution_out_of_structure_or_with_an_untypable_value_is_quarantined(
        con, make_delivery, rows):
    """Each bad Resolucion is quarantined with its reason; the good ones land."""
    bad = {  # ordinal: (element, reason)
        2: (resolucion("RES-2", extra=SUJETO), ("structure: line 4: a second "
            "'{urn:pe:gob:pj:interop:resoluciones:1}Sujeto' in Resolucion")),
        3: (resolucion("RES-3").replace('<Delito articulo', '<Delito><Documento/></Delito>'
                                                            '<Delito articulo'),
            ("structure: line 5: an unexpected element "
            "'{urn:pe:gob:pj:interop:resoluciones:1}Documento' in Delito")),
        4: (resolucion("RES-4").replace("<Sujeto>", "<Sujeto><Extra/>"),
            "structure: line 6: an unexpected element"),
        5: (resolucion("RES-4").replace("<Sujeto>", "<X>").replace("</Sujeto>", "</X>"),
            ("structure: line 7: an unexpected element "
            "'{urn:pe:gob:pj:interop:resoluciones:1}X' in Resolucion")),
        6: (resolucion("RES-6").replace("<Expediente>00123-2023-0-1801-JR-PE-01",
                                        "<Expediente>EXP 123/2024"),
            "malformed_case_number: expediente 'EXP 123/2024'"),
        7: (resolucion("RES-7", version="1.5"), "not_an_integer: version '1.5'"),
        8: (resolucion("RES-8").replace('plazoMeses="9"', 'plazoMeses="1e400"'),
            "not_an_integer: prision_preventiva_plazo_meses '1e400'"),
        9: (resolucion("RES-9").replace("<Sexo>M", "<Sexo>X"), "not_in_code_list: sexo 'X'"),
        10: (resolucion("RES-10").replace("<Tipo>PRISION_PREVENTIVA", "<Tipo>DETENCION"),
             "not_in_code_list: tipo 'DETENCION'"),
        # XML refuses &#x1; (the parser refuses the file), not the C1 control &#x93;
        11: (resolucion("RES-11").replace("JUAN CARLOS", "JUAN&#x93;CARLOS"),
             "control_character: nombres 'JUAN\\x93CARLOS' holds U+0093"),
        12: (resolucion("RES-12").replace('codigo="1801-JR-PE-01"', 'codigo="1801-XX-PE-01"'),
             "malformed_court_code: organo_codigo '1801-XX-PE-01'"),
        13: (resolucion("RES-13", extra='<Pena clase="MULTA"/>'),
             "inconsistent: pena_clase 'MULTA' is given only when tipo is SENTENCIA_CONDENATORIA"),
    }
    good = [resolucion("RES-1"), resolucion("RES-14", documento='<Documento tipo="DNI">4012'
                                            '<!--x-->3456</Documento>'),
            resolucion("RES-15", paterno="QUI<?x y?>SPE")]
    document = lote(good[0], *(bad[n][0] for n in sorted(bad)), *good[1:])
    result = land_lote(con, make_delivery, document)
    assert (result.landed, result.quarantined) == (3, len(bad))
    landed = rows("SELECT id, documento_numero, apellido_paterno FROM raw.pj_resoluciones "
                  "ORDER BY _record_ordinal")
    assert [tuple(r.values()) for r in landed] == [
        ("RES-1", "40123456", "QUISPE"), ("RES-14", "40123456", "QUISPE"),
        ("RES-15", "40123456", "QUISPE")]
    quarantined = rows("SELECT record_ordinal, raw_text, reason FROM raw.quarantine ORDER BY 1")
    assert [q["record_ordinal"] for q in quarantined] == sorted(bad)
    for q in quarantined:
        assert q["reason"].startswith(bad[q["record_ordinal"]][1]), q["reason"]
        assert q["raw_text"]


def test_a_resolution_without_sujeto_is_quarantined(con, make_delivery, rows):
    no_subject = resolucion().replace(resolucion()[resolucion().index("<Sujeto>"):
                                                   resolucion().index("</Sujeto>") + 9], "")
    result = land_lote(con, make_delivery, lote(no_subject))
    assert (result.landed, result.quarantined) == (0, 1)
    assert rows("SELECT reason FROM raw.quarantine") == [
        {"reason": "structure: line 3: a Resolucion without its Sujeto"}]


def entry_for(path: Path) -> ManifestFile:
    """The manifest entry that describes the file as it is."""
    return ManifestFile(path.name, hashlib.sha256(path.read_bytes()).hexdigest(), 1, "UTF-8")


MEMORY_PROBE = """
import hashlib, resource, sys
from pathlib import Path
sys.path.insert(0, "tests/connectors")
from feedfiles import lote, resolucion
from penal_hub.connectors.delivery import ManifestFile
from penal_hub.connectors.pj_resoluciones import _batches
junk = "<Extra>" + "<x a='1'/>" * 1_000_000 + "</Extra>"  # 10 MB of unknown elements
path = Path(sys.argv[1])
path.write_text(lote(resolucion("RES-1"), junk + resolucion("RES-2"), junk))
entry = ManifestFile("lote.xml", hashlib.sha256(path.read_bytes()).hexdigest(), 2, "UTF-8")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
assert sum(batch.num_rows for batch in _batches(path, entry)) == 2
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
"""


def test_memory_stays_bounded_on_unknown_elements_outside_resolutions(tmp_path):
    """Twice 10 MB of unknown elements outside any Resolucion: they are dropped as they end
    (kept, they took 380 MB)."""
    probe = subprocess.run([sys.executable, "-c", MEMORY_PROBE, str(tmp_path / "lote.xml")],
                           capture_output=True, text=True, check=True,
                           cwd=Path(__file__).resolve().parents[2])
    assert int(probe.stdout) < 100, probe.stdout  # MB of peak memory grown while parsing
