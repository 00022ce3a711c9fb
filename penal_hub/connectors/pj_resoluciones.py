"""Poder Judicial resolution feed (XML) -> raw.pj_resoluciones, one row per `Resolucion`.

Streaming: lxml's pull parser yields each finished `Resolucion`, which is flattened
into a row and cleared with its earlier siblings, and anything else outside a
Resolucion is dropped as it ends, so memory stays flat whatever the file holds; rows go to DuckDB as Arrow batches. DuckDB inserts a batch (hashing,
compressing) without holding the GIL, so one batch is inserted on a second thread
while the next one is parsed.

Parsing is the costly part, and it is plain Python: when many files are landed in a
row, worker processes (`penal_hub.connectors.workers`) run `parse_here` on the next
files while the current one is inserted, and `land_file` reads its rows from there.

Hardened: a batch never carries a DTD (spec), so a file with a DOCTYPE or an entity
declaration is refused before the parser sees it, and the parser itself neither
expands entities, loads DTDs nor touches the network (defence in depth). A file whose
encoding (its byte order mark, its declaration, else UTF-8) is not the manifest's is
refused. Malformed or truncated XML refuses the file, naming the line where the parser
stopped.

Structure, not luck: a Resolucion lands only with the spec's children, each once
(`Delito` as often as needed) and exactly one `Sujeto`; otherwise it is quarantined with
the reason and its line. Comments and processing instructions are dropped by the
parser, so they never cut a text (`4012<!--x-->3456` is `40123456`). Its values are
then checked against `penal_hub.contracts.feeds.PJ_FIELDS` (`penal_hub.connectors.row_rules`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from json.encoder import encode_basestring  # C-accelerated JSON string quoting
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
from lxml import etree

from penal_hub.connectors import row_rules
from penal_hub.connectors.delivery import (
    DeliveryRefused,
    FileCounts,
    Landing,
    ManifestFile,
    check_sha256,
    open_regular,
    shown,
)
from penal_hub.connectors.warehouse import PJ_COLUMNS, SCHEMA
from penal_hub.contracts import feeds

BATCH_ROWS = 10_000  # the insert of one overlaps the parse of the next; fewer, cheaper inserts
_NS = f"{{{feeds.PJ_NAMESPACE}}}"
_ROOT, _RESOLUCION = f"{_NS}LoteResoluciones", f"{_NS}Resolucion"
_SUJETO, _DELITOS, _DELITO = f"{_NS}Sujeto", f"{_NS}Delitos", f"{_NS}Delito"
_COL = {c: i for i, c in enumerate(PJ_COLUMNS)}
# Elements below Resolucion whose text is a column.
_TEXTS: dict[str, int] = {f"{_NS}{tag}": _COL[col] for tag, col in (
    ("Expediente", "expediente"),
    ("OrganoJurisdiccional", "organo"),
    ("FechaEmision", "fecha_emision"),
    ("Tipo", "tipo"),
    ("Documento", "documento_numero"),
    ("ApellidoPaterno", "apellido_paterno"),
    ("ApellidoMaterno", "apellido_materno"),
    ("Nombres", "nombres"),
    ("FechaNacimiento", "fecha_nacimiento"),
    ("Sexo", "sexo"),
)}
# Elements below Resolucion whose attributes are columns: {attribute: column}.
_ATTRIBUTES: dict[str, dict[str, int]] = {
    f"{_NS}{tag}": {attr: _COL[col] for attr, col in attrs.items()} for tag, attrs in {
        "OrganoJurisdiccional": {"codigo": "organo_codigo",
                                 "distritoJudicial": "distrito_judicial"},
        "Documento": {"tipo": "documento_tipo"},
        "PrisionPreventiva": {"plazoMeses": "prision_preventiva_plazo_meses",
                              "fechaInicio": "prision_preventiva_fecha_inicio"},
        "Pena": {"clase": "pena_clase", "anios": "pena_anios", "meses": "pena_meses",
                 "dias": "pena_dias", "jornadas": "pena_jornadas",
                 "fechaInicio": "pena_fecha_inicio", "fechaVencimiento": "pena_fecha_vencimiento"},
        "Beneficio": {"clase": "beneficio_clase"},
    }.items()
}
# The spec's children of a Resolucion and of its Sujeto (each at most once); the rest of
# the elements with columns are these, with Delitos holding Delito elements only.
_SUBJECT_CHILDREN = {f"{_NS}{tag}" for tag in (
    "Documento", "ApellidoPaterno", "ApellidoMaterno", "Nombres", "FechaNacimiento", "Sexo")}
_RESOLUTION_CHILDREN = ({*_TEXTS, *_ATTRIBUTES} - _SUBJECT_CHILDREN) | {_SUJETO, _DELITOS}
_KNOWN_TAGS = _RESOLUTION_CHILDREN | _SUBJECT_CHILDREN | {_DELITO}
_ID, _VERSION, _DELITOS_COL, _ID_LOTE, _FECHA_CORTE = (
    _COL[c] for c in ("id", "version", "delitos", "id_lote", "fecha_corte"))
_HOSTILE = (b"<!DOCTYPE", b"<!ENTITY")
_STAGED = "_pj_batch"
# A Resolucion's `_record_hash` is the sha256 of its flattened row as a JSON array (which
# keeps a NULL apart from ""), hashed by DuckDB, vectorised: cheaper than JSON-encoding
# each row in Python.
_RELATION = (f"(SELECT *, unhex(sha256(to_json([{', '.join(PJ_COLUMNS)}]))) AS _record_hash "
             f"FROM {_STAGED} WHERE _rejected IS NULL)")
_REJECTED = (f"(SELECT _record_ordinal AS record_ordinal, _element AS raw_text, "
             f"_rejected AS reason FROM {_STAGED} WHERE _rejected IS NOT NULL)")
_VALUES = row_rules.table_values(PJ_COLUMNS, feeds.PJ_FIELDS)
_FIRST_FAILURE = row_rules.first_failure(
    _VALUES, row_rules.record_checks(_VALUES, feeds.PJ_RECORD_RULES))
# A quarantined row's text: the flattened Resolucion as JSON (the element is not kept).
_ROW_AS_JSON = f"CAST(to_json(struct_pack({', '.join(PJ_COLUMNS)})) AS VARCHAR)"
_ENCODING_DECLARATION = re.compile(rb"""<\?xml[^>]*?encoding\s*=\s*["']([^"']*)["']""")
_BOMS = ((b"\x00\x00\xfe\xff", "UTF-32"), (b"\xff\xfe\x00\x00", "UTF-32"),
         (b"\xef\xbb\xbf", "UTF-8"), (b"\xfe\xff", "UTF-16"), (b"\xff\xfe", "UTF-16"),
         (b"\x00<", "UTF-16"), (b"<\x00", "UTF-16"))  # the last two: UTF-16 without a BOM
_ENCODING_NAMES = {"UTF8": "UTF-8", "ISO88591": "ISO-8859-1", "LATIN1": "ISO-8859-1"}


def land_file(landing: Landing, entry: ManifestFile, batches: Iterator[pa.Table]) -> FileCounts:
    """Land one batch file's rows (`parse_here`): a malformed or hostile file is refused
    whole (the transaction drops what it added); a Resolucion out of structure, or with a
    value that breaks its rule, is quarantined."""
    landed = quarantined = 0
    # One batch in flight: the connection is only ever used by the writer thread meanwhile.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pj-insert") as writer:
        pending: Future[FileCounts] | None = None
        for batch in batches:
            if pending is not None:
                landed, quarantined = map(sum, zip((landed, quarantined), pending.result(), strict=True))
            pending = writer.submit(_insert, landing, batch, entry.name)
        if pending is not None:
            landed, quarantined = map(sum, zip((landed, quarantined), pending.result(), strict=True))
    invalid = row_rules.quarantine_invalid(landing, "pj_resoluciones", entry.name,
                                           f"{SCHEMA}.pj_resoluciones", _FIRST_FAILURE,
                                           raw_text=_ROW_AS_JSON)
    return FileCounts(landed - invalid, quarantined + invalid)


def parse_here(path: Path, entry: ManifestFile) -> Iterator[pa.Table]:
    """The file's rows, batch by batch, parsed in this process as it streams by."""
    refuse_other_encoding(path, entry.name, entry.encoding)
    return _batches(path, entry)


def _insert(landing: Landing, batch: pa.Table, name: str) -> FileCounts:
    with landing.staged(_STAGED, batch):
        return FileCounts(landing.insert("pj_resoluciones", PJ_COLUMNS, _RELATION, name),
                          landing.quarantine(name, _REJECTED))


def refuse_other_encoding(path: Path, name: str, encoding: str) -> None:
    """The file's encoding is its byte order mark's, else its declaration's, else UTF-8
    (XML's default): refuse it if that is not the manifest's `codificacion`."""
    with open_regular(path, name) as stream:
        head = stream.read(1024)
    bom = next((bom_encoding for bom, bom_encoding in _BOMS if head.startswith(bom)), None)
    declaration = _ENCODING_DECLARATION.match(head.removeprefix(b"\xef\xbb\xbf"))
    declared = None
    if declaration:
        text = declaration.group(1).decode("ascii", errors="backslashreplace")
        declared = _ENCODING_NAMES.get(re.sub(r"[^A-Z0-9]", "", text.upper()), text)
    found = bom if bom not in (None, "UTF-8") else declared or "UTF-8"
    if bom == "UTF-8" and found != "UTF-8":
        found = f"UTF-8 by its byte order mark, {found} by its declaration"
    if found != encoding:
        raise DeliveryRefused(f"{name} line 1: the XML is {shown(found)} (by its byte order "
                              f"mark or declaration) but the manifest says {encoding}: "
                              "refused unread")


class _CheckedStream:
    """The file as the parser reads it, read once: each chunk is scanned for a DTD or an
    entity declaration before the parser sees it, and hashed, so that the rows parsed
    are those of the bytes whose sha256 `check_sha256` compares with the manifest's."""

    def __init__(self, stream: BinaryIO, entry: ManifestFile):
        self._stream, self._entry = stream, entry
        self._sha256 = hashlib.sha256()
        self._line, self._tail = 1, b""

    def read(self, size: int = -1) -> bytes:
        chunk = self._stream.read(size)
        self._sha256.update(chunk)
        buf = self._tail + chunk
        found = [(pos, token) for token in _HOSTILE if (pos := buf.find(token)) != -1]
        if found:
            pos, token = min(found)
            line = self._line + buf.count(b"\n", 0, pos)
            raise DeliveryRefused(
                f"{self._entry.name} line {line}: "
                f"{token.decode()} found: a batch never carries a DTD or entities, the file "
                "is refused before the parser sees it")
        cut = max(0, len(buf) - (len(_HOSTILE[0]) - 1))  # a token may straddle two chunks
        self._line += buf.count(b"\n", 0, cut)
        self._tail = buf[cut:]
        return chunk

    def check_sha256(self) -> None:
        """Read what the parser left (after the root element, or after a syntax error),
        then refuse the file unless its bytes are the manifest's."""
        while self.read(1 << 22):
            pass
        check_sha256(self._entry, self._sha256.hexdigest())


def _batches(path: Path, entry: ManifestFile) -> Iterator[pa.Table]:
    """Arrow batches of rows (PJ_COLUMNS, _rejected, _element, _record_ordinal) as the file
    streams by; a Resolucion out of structure is a row with only its reason and text. The
    file is refused at its end if its bytes are not those of its sha256."""
    name = entry.name
    rows: list[list[str | None]] = []
    batch_start, lote, root = 1, None, None
    with open_regular(path, name) as stream:
        source = _CheckedStream(stream, entry)
        resolutions = _Resolutions(source)
        try:
            for ordinal, elem in enumerate(resolutions, 1):
                if lote is None:
                    root = elem.getroottree().getroot()
                    lote = _lote(root, name)
                rows.append(_row(elem, lote, root))
                elem.clear(keep_tail=False)
                parent = elem.getparent()
                while elem.getprevious() is not None:
                    del parent[0]
                if len(rows) == BATCH_ROWS:
                    yield _table(rows, batch_start)
                    batch_start, rows = ordinal + 1, []
        except etree.XMLSyntaxError as e:
            source.check_sha256()  # other bytes than the manifest's: that is the refusal
            raise DeliveryRefused(f"{name} line {e.lineno}: malformed XML ({e.msg})") from None
        if lote is None:  # no Resolucion at all: the document still has to be a batch
            _lote(resolutions.root, name)
        source.check_sha256()
    if rows:
        yield _table(rows, batch_start)


class _Resolutions:
    """The file's Resolucion elements as each ends, parsed a chunk at a time; `root` once
    the file is read. Elements outside any Resolucion are dropped as soon as they end
    (`_prune`), so memory stays bounded whatever unknown content a file holds."""

    def __init__(self, stream: _CheckedStream):
        self.stream, self.root = stream, None

    def __iter__(self) -> Iterator[etree._Element]:
        parser = etree.XMLPullParser(
            events=("start", "end"), tag=(_ROOT, _RESOLUCION), resolve_entities=False,
            no_network=True, load_dtd=False, huge_tree=False, remove_comments=True,
            remove_pis=True)
        top = None
        for chunk in iter(lambda: self.stream.read(_CHUNK), b""):
            parser.feed(chunk)
            for event, elem in parser.read_events():
                if top is None:
                    top = elem.getroottree().getroot()
                if event == "end" and elem.tag == _RESOLUCION:
                    yield elem
            if top is not None:
                _prune(top)
        self.root = parser.close()
        for event, elem in parser.read_events():
            if event == "end" and elem.tag == _RESOLUCION:
                yield elem


_CHUNK = 1 << 16


def _prune(root: etree._Element) -> None:
    """Drop what has ended outside any Resolucion: down the chain of elements still open
    (each one's last child), every earlier sibling that is not a Resolucion (those are
    cleared as they end)."""
    node = root
    while len(node):
        last = node[-1]
        for done in [child for child in node[:-1] if child.tag != _RESOLUCION]:
            node.remove(done)
        if last.tag == _RESOLUCION:
            return
        node = last


def _lote(root: etree._Element, name: str) -> tuple[str | None, str | None]:
    """Check the document is a LoteResoluciones without DTD; return (idLote, fechaCorte)."""
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise DeliveryRefused(f"{name} line 1: document has a DOCTYPE: refused")
    if root.tag != _ROOT:
        raise DeliveryRefused(f"{name} line {root.sourceline}: root element is {root.tag}, "
                              f"expected {_ROOT}")
    return root.get("idLote"), root.get("fechaCorte")


def _row(elem: etree._Element, lote: tuple[str | None, str | None],
         root: etree._Element) -> list[str | None]:
    """Flatten one Resolucion by _TEXTS and _ATTRIBUTES; the Delito list becomes JSON text.
    Out of structure, the row holds only why (`_rejected`) and the element (`_element`).

    The hot loop of the connector: one pass over the descendants, one `tag` read each; the
    structure is then checked by counting (`_in_structure`), and explained only when wrong.
    """
    row: list[str | None] = [None] * (len(PJ_COLUMNS) + 2)
    row[_ID], row[_VERSION] = elem.get("id"), elem.get("version")
    row[_ID_LOTE], row[_FECHA_CORTE] = lote
    delitos = []
    tags = []
    subject = listed = None
    for e in elem.iterdescendants():
        tag = e.tag
        tags.append(tag)
        col = _TEXTS.get(tag)
        if col is not None:
            row[col] = e.text
        attributes = _ATTRIBUTES.get(tag)
        if attributes is not None:
            for attr, value in e.items():
                col = attributes.get(attr)
                if col is not None:
                    row[col] = value
        elif tag == _DELITO:
            delitos.append(f'{{"articulo": {_json(e.get("articulo"))}, '
                           f'"descripcion": {_json(e.get("descripcion"))}}}')
        elif tag == _SUJETO:
            subject = e
        elif tag == _DELITOS:
            listed = e
    if (elem.getparent() is not root
            or not _in_structure(elem, tags, subject, listed, len(delitos))):
        rejected: list[str | None] = [None] * (len(PJ_COLUMNS) + 2)
        rejected[-2] = f"structure: {_structure_problem(elem, root)}"
        rejected[-1] = etree.tostring(elem, encoding="unicode", with_tail=False)
        return rejected
    row[_DELITOS_COL] = f"[{', '.join(delitos)}]"
    return row


def _in_structure(elem: etree._Element, tags: list[str], subject: etree._Element | None,
                  listed: etree._Element | None, delitos: int) -> bool:
    """The spec's children, each once, exactly one Sujeto with its own children each once,
    Delitos holding Delito elements only, nothing deeper: every descendant (`tags`)
    accounted for, by counting (each tag has one place)."""
    if subject is None:
        return False
    listed_count = 0 if listed is None else len(listed)
    distinct = set(tags)
    return (len(distinct) + delitos - (delitos > 0) == len(tags)  # only Delito repeats
            and _KNOWN_TAGS.issuperset(distinct)
            and len(elem) == len(distinct & _RESOLUTION_CHILDREN)
            and len(subject) == len(distinct & _SUBJECT_CHILDREN)
            and listed_count == delitos
            and len(tags) == len(elem) + len(subject) + listed_count)


def _structure_problem(elem: etree._Element, root: etree._Element) -> str:
    """What breaks a Resolucion's structure (`_in_structure` said something does), with its
    line."""
    if elem.getparent() is not root:
        return (f"line {elem.sourceline}: a Resolucion inside "
                f"{etree.QName(elem.getparent()).localname}, not directly in LoteResoluciones")
    seen: set[str] = set()
    for child in elem:
        if child.tag not in _RESOLUTION_CHILDREN or child.tag in seen:
            return _unexpected(child, "Resolucion", child.tag in seen)
        seen.add(child.tag)
        allowed = {_SUJETO: _SUBJECT_CHILDREN, _DELITOS: {_DELITO}}.get(child.tag, set())
        parts: set[str] = set()
        for part in child:
            repeated = part.tag in parts and child.tag == _SUJETO
            if part.tag not in allowed or repeated:
                return _unexpected(part, etree.QName(child).localname, repeated)
            parts.add(part.tag)
            if len(part):
                return _unexpected(part[0], etree.QName(part).localname)
    return f"line {elem.sourceline}: a Resolucion without its Sujeto"


def _unexpected(e: etree._Element, parent: str, repeated: bool = False) -> str:
    what = "a second" if repeated else "an unexpected element"
    return f"line {e.sourceline}: {what} {shown(e.tag)} in {parent}"


def _json(value: str | None) -> str:
    return "null" if value is None else encode_basestring(value)


_SCHEMA = pa.schema([*((c, pa.string()) for c in (*PJ_COLUMNS, "_rejected", "_element")),
                     ("_record_ordinal", pa.int64())])


def _table(rows: list[list[str | None]], first_ordinal: int) -> pa.Table:
    arrays = [pa.array(values, pa.string()) for values in zip(*rows, strict=True)]
    arrays.append(pa.array(np.arange(first_ordinal, first_ordinal + len(rows), dtype=np.int64)))
    return pa.Table.from_arrays(arrays, schema=_SCHEMA)
