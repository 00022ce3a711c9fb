"""The receiver's check (`hub verify-extract`) on a folder published from hand-made rows:
a whole folder checks out, and each way a folder can be wrong is named."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from test_extract_xml import CUTOFF, rows, subject
from validators import VALIDATORS, hub_verify_extract

from penal_hub.orchestration.publish.extract import (
    MANIFEST_FILE,
    PARQUET_FILE,
    XML_GZ_FILE,
    describe,
    gzipped,
    manifest,
    to_parquet,
)
from penal_hub.orchestration.publish.extract_xml import XML_FILE, XSD_FILE, XSD_PATH, to_xml
from penal_hub.orchestration.publish.outbox import publish

DELIVERIES = ["pj_resoluciones:2024-12-29", "inpe_registro:2024-12-31"]


def extract_files(xml: bytes, records: int) -> dict[str, bytes]:
    """The files of a publication, as the extract asset builds them, for `xml`."""
    description = describe(CUTOFF, 1, DELIVERIES)
    files = {XML_FILE: xml, XML_GZ_FILE: gzipped(xml),
             PARQUET_FILE: to_parquet(rows(subject()), description),
             XSD_FILE: XSD_PATH.read_bytes()}
    files[MANIFEST_FILE] = manifest(files, records, "run-1", description, {})
    return files


@pytest.fixture
def folder(tmp_path) -> Path:
    """A published folder of one row."""
    return publish(tmp_path / "outbox", CUTOFF, extract_files(to_xml(rows(subject()), CUTOFF), 1), 1)


def test_a_published_folder_checks_out_and_its_gzip_is_the_xml(folder):
    checked = hub_verify_extract(folder)
    assert checked.returncode == 0, checked.stderr
    assert "revision 1" in checked.stdout and XML_GZ_FILE in checked.stdout
    xml = (folder / XML_FILE).read_bytes()
    assert gzip.decompress((folder / XML_GZ_FILE).read_bytes()) == xml
    assert gzipped(xml) == (folder / XML_GZ_FILE).read_bytes()  # no time stamp: same bytes
    for name, validate in VALIDATORS.items():  # receivers validate the gzip as it is
        outcome = validate(folder / XSD_FILE, folder / XML_GZ_FILE)
        assert outcome.returncode == 0, (name, outcome.stderr)


def edit_manifest(folder: Path, change) -> None:
    path = folder / MANIFEST_FILE
    content = json.loads(path.read_text())
    change(content)
    path.write_text(json.dumps(content))


def count_one_more(content: dict) -> None:
    content["files"][0]["records"] += 1


def flip_a_byte(path: Path) -> None:
    content = bytearray(path.read_bytes())
    content[len(content) // 2] ^= 1
    path.write_bytes(bytes(content))


@pytest.mark.parametrize("spoil, problem", [
    (lambda f: flip_a_byte(f / PARQUET_FILE), f"{PARQUET_FILE}: sha256 differs"),
    (lambda f: (f / XML_GZ_FILE).write_bytes(b""), f"{XML_GZ_FILE}: 0 bytes, the manifest says"),
    (lambda f: (f / XML_FILE).unlink(), f"{XML_FILE}: listed in {MANIFEST_FILE}, missing"),
    (lambda f: (f / "notas.txt").write_text("x"), "notas.txt: in the folder, not in"),
    (lambda f: edit_manifest(f, count_one_more), f"{XML_FILE}: 1 records, the manifest says 2"),
    (lambda f: (f / XSD_FILE).unlink(), "nothing validated"),
    (lambda f: (f / MANIFEST_FILE).write_text("{"), "not a readable extract manifest"),
], ids=["changed", "truncated", "missing", "unlisted", "miscounted", "no-xsd", "bad-manifest"])
def test_a_spoilt_folder_is_refused_with_what_is_wrong(folder, spoil, problem):
    spoil(folder)
    checked = hub_verify_extract(folder)
    assert checked.returncode == 6 and problem in checked.stderr, checked.stderr


def test_a_document_the_shipped_xsd_refuses_is_refused(tmp_path):
    """sha256s and counts agree, but the XML says what its own XSD does not allow."""
    xml = to_xml(rows(subject()), CUTOFF).replace(b">PROCESADO<", b">LIBRE<")
    folder = publish(tmp_path / "outbox", CUTOFF, extract_files(xml, 1), 1)
    checked = hub_verify_extract(folder)
    assert checked.returncode == 6, checked.stderr
    assert f"{XML_FILE}: does not validate against {XSD_FILE}" in checked.stderr
    assert f"{XML_GZ_FILE}: does not validate" in checked.stderr and "LIBRE" in checked.stderr
