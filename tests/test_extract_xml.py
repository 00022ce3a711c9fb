"""The extract's XML writer on hand-made rows: escaping, the XSD's last word, no partial file."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest
from lxml import etree
from validators import VALIDATORS

from orchestration.publish.extract import (
    EXTRACT_SCHEMA,
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
               situacion_juridica="PROCESADO", fecha_ingreso=date(2024, 3, 1), alertas=[])
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


@pytest.mark.parametrize("bad, match", [
    ({"id_persona": "not-an-identifier"}, "does not validate"),
    ({"situacion_juridica": "LIBRE"}, "does not validate"),
    ({"cod_ep": None}, "does not validate"),  # a required attribute left out
    ({"nombres": "BELL\x07"}, "not well-formed"),  # a control character XML cannot hold
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
