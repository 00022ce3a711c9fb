"""The extract's XML writer on hand-made rows: escaping, the XSD's last word, no partial file."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest
from lxml import etree
from validators import VALIDATORS

from penal_hub.orchestration.publish.extract import EXTRACT_SCHEMA
from penal_hub.orchestration.publish.extract_xml import (
    NAMESPACE,
    XSD_PATH,
    ExtractInvalid,
    to_xml,
)

CUTOFF = date(2024, 12, 31)


def subject(**values) -> dict:
    row = {field.name: None for field in EXTRACT_SCHEMA}
    row.update(expediente="00123-2023-0-1801-JR-PE-01", id_persona="a" * 64,
               tipo_documento="DNI", numero_documento="40123456", apellido_paterno="QUISPE",
               recluido=True, id_interno="INT0000001", cod_ep="EP0101", nombre_ep="EP LIMA",
               situacion_juridica="PROCESADO", fecha_ingreso=date(2024, 3, 1), alertas=[],
               ordenes_en_espera=[])
    row.update(values)
    return row


def rows(*subjects: dict) -> pa.Table:
    return pa.Table.from_pylist(list(subjects), schema=EXTRACT_SCHEMA)


def test_text_and_attributes_are_escaped_and_read_back_as_written():
    tricky = 'O\'HIGGINS & <SONS> "EL" \t TORO'
    xml = to_xml(rows(subject(nombres=tricky, id_interno='ID "7" & <8>')), CUTOFF)
    ns = {"e": NAMESPACE}
    root = etree.fromstring(xml)
    assert root.get("registros") == "1" and root.get("fechaCorte") == "2024-12-31"
    assert root.findtext("e:Expediente/e:Sujeto/e:Nombres", namespaces=ns) == tricky
    assert root.find("e:Expediente/e:Sujeto/e:Recluido", ns).get("idInterno") == 'ID "7" & <8>'


def test_subjects_of_one_case_share_its_element():
    xml = to_xml(rows(subject(), subject(id_persona="b" * 64),
                      subject(expediente="00124-2023-0-1801-JR-PE-01")), CUTOFF)
    cases = etree.fromstring(xml).findall(f"{{{NAMESPACE}}}Expediente")
    assert [len(c) for c in cases] == [2, 1]


def waiting_order(**values) -> dict:
    order = {"resolucion_id": "RES-1801-2024-0000007", "tipo_orden": "LIBERTAD",
             "expediente": "00123-2023-0-1801-JR-PE-01", "tipo_resolucion": "ORDEN_LIBERTAD",
             "fecha_emision": date(2024, 12, 20), "espera": "EGRESO",
             "fecha_referencia": date(2024, 12, 20), "dias_espera": 11, "cod_ep": "EP0101"}
    order.update(values)
    return order


def test_waiting_orders_follow_the_alerts_in_their_order():
    ended_term = waiting_order(resolucion_id="RES-1801-2024-0000003",
                               tipo_orden="FIN_PRISION_PREVENTIVA", expediente=None,
                               tipo_resolucion="PRISION_PREVENTIVA", espera="EGRESO_O_SENTENCIA",
                               fecha_emision=date(2024, 3, 1), fecha_referencia=date(2024, 12, 1),
                               dias_espera=30)
    alert = {"codigo": "LIBERTAD_NO_EJECUTADA", "expediente": None, "cod_ep": None,
             "fecha_referencia": date(2024, 12, 20), "dias_abierta": 11, "detalle": "x"}
    xml = to_xml(rows(subject(alertas=[alert], ordenes_en_espera=[ended_term, waiting_order()]),
                      subject(id_persona="b" * 64)), CUTOFF)
    ns = {"e": NAMESPACE}
    first, second = etree.fromstring(xml).findall("e:Expediente/e:Sujeto", ns)
    assert [etree.QName(child).localname for child in first][-3:] == [
        "Alerta", "OrdenEnEspera", "OrdenEnEspera"]
    term, release = first.findall("e:OrdenEnEspera", ns)
    assert (term.get("resolucion"), term.get("tipoOrden")) == ("RES-1801-2024-0000003",
                                                                "FIN_PRISION_PREVENTIVA")
    assert term.find("e:Expediente", ns) is None and term.find("e:Establecimiento", ns).text == \
        "EP0101"
    assert [(c.tag.split("}")[1], c.text) for c in release] == [
        ("Expediente", "00123-2023-0-1801-JR-PE-01"), ("TipoResolucion", "ORDEN_LIBERTAD"),
        ("FechaEmision", "2024-12-20"), ("Espera", "EGRESO"), ("FechaReferencia", "2024-12-20"),
        ("DiasEspera", "11"), ("Establecimiento", "EP0101")]
    assert second.find("e:OrdenEnEspera", ns) is None


@pytest.mark.parametrize("bad, match", [
    ({"id_persona": "not-an-identifier"}, "does not validate"),
    ({"situacion_juridica": "LIBRE"}, "does not validate"),
    ({"cod_ep": None}, "does not validate"),  # a required attribute left out
    ({"nombres": "BELL\x07"}, "not well-formed"),  # a control character XML cannot hold
    ({"ordenes_en_espera": [waiting_order(tipo_orden="EJECUTADA")]}, "does not validate"),
    ({"ordenes_en_espera": [waiting_order(dias_espera=None)]}, "does not validate"),
    ({"ordenes_en_espera": [waiting_order(dias_espera=-1)]}, "does not validate"),
])
def test_a_row_the_xsd_refuses_raises(bad, match):
    with pytest.raises(ExtractInvalid, match=match):
        to_xml(rows(subject(), subject(**bad)), CUTOFF)


def test_a_case_number_split_in_two_elements_raises():
    """The XSD leaves uniqueness to the producer (no xs:unique, which the JDK's validator
    checks in quadratic time): the writer refuses rows that would repeat a case."""
    other = "00124-2023-0-1801-JR-PE-01"
    with pytest.raises(ExtractInvalid, match="would appear in two Expediente"):
        to_xml(rows(subject(), subject(expediente=other), subject(id_persona="b" * 64)), CUTOFF)


@pytest.mark.parametrize("validator", VALIDATORS)
def test_the_receivers_validators_accept_the_document_and_refuse_a_wrong_value(
        validator, tmp_path):
    """What the writer's own check (lxml) accepts, libxml2 and the JDK's validator accept;
    and they do validate: one value outside its code list is refused, with its line."""
    xml = to_xml(rows(subject(), subject(id_persona="b" * 64, alertas=[{
        "codigo": "LIBERTAD_NO_EJECUTADA", "expediente": "00123-2023-0-1801-JR-PE-01",
        "cod_ep": "EP0101", "fecha_referencia": date(2024, 12, 1), "dias_abierta": 30,
        "detalle": "libertad ordenada el 2024-12-01"}])), CUTOFF)
    (tmp_path / "good.xml").write_bytes(xml)
    (tmp_path / "bad.xml").write_bytes(xml.replace(b">PROCESADO<", b">LIBRE<", 1))
    good = VALIDATORS[validator](XSD_PATH, tmp_path / "good.xml")
    assert good.returncode == 0, good.stderr
    bad = VALIDATORS[validator](XSD_PATH, tmp_path / "bad.xml")
    assert bad.returncode != 0 and "LIBRE" in bad.stderr, bad.stderr
