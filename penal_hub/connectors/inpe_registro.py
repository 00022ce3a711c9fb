"""INPE penitentiary registry extract (pipe-delimited CSV) -> raw.inpe_<file>.

DuckDB's `read_csv` parses (explicit spec columns, all VARCHAR, no sniffing) straight
into the raw table, one pass, and sets aside unparseable rows (`store_rejects`),
which go to raw.quarantine. The header is checked here first: a header that differs
from the spec refuses the file, since a shifted column would land values under the
wrong names.

`_record_hash` is the sha256 of the record's text as sent, in UTF-8 (an ISO-8859-1
file is transcoded, so the same record hashes alike in either encoding) with LF line
ends. Python hashes the records (OpenSSL, several times faster than DuckDB's sha256)
while finding where they start, on a thread reading ahead when `land_each` lands many.

Line numbers: DuckDB numbers records (a quoted field may span lines), so the
physical line where each record starts is worked out from the bytes (`Records`): newlines
inside quoted fields do not start a record, and blank lines are skipped by DuckDB
but still counted in its numbering. DuckDB's rows come in file order, so each is paired
with its record's line and hash by position (POSITIONAL JOIN); after a rejected record,
the rows that follow are then given their own record's line and hash.

A landed record with a field that breaks its rule (`penal_hub.contracts.feeds.REGISTRY_FIELDS`, and
no control character anywhere) is then quarantined with its line, the field and why
(`penal_hub.connectors.row_rules`). A byte 0x80-0x9F in a file declared ISO-8859-1 (a C1 control
there; in practice a Windows-1252 character such as the quote 0x93) quarantines its
record the same way: the rest of the file lands.
"""

from __future__ import annotations

import csv
import hashlib
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from penal_hub.connectors import row_rules
from penal_hub.connectors.delivery import (
    DeliveryRefused,
    FileCounts,
    Landing,
    ManifestFile,
    read_checked,
)
from penal_hub.connectors.warehouse import REGISTRY_COLUMNS, SCHEMA
from penal_hub.contracts import feeds
from penal_hub.contracts.feeds import REGISTRY_TABLES

DUCKDB_ENCODINGS = {"UTF-8": "utf-8", "ISO-8859-1": "latin-1"}
_DELIM, _QUOTE = feeds.CSV_DELIMITER.encode(), feeds.CSV_QUOTE.encode()
_BOM = b"\xef\xbb\xbf"
_C1_BYTES = re.compile(rb"[\x80-\x9f]")


def land_file(landing: Landing, entry: ManifestFile, records: Records) -> FileCounts:
    """Land one registry CSV (`Records.read`): its rows land or are quarantined with their
    physical line."""
    check_header(entry.name, records.text(0) if records.count else b"")
    con, columns, table = landing.con, REGISTRY_COLUMNS[entry.name], REGISTRY_TABLES[entry.name]
    spec = ", ".join(f"'{c}': 'VARCHAR'" for c in columns)
    # DuckDB keeps the file's order: its n-th row is the n-th record it does not reject,
    # which POSITIONAL JOIN pairs with the n-th record found in the bytes (its line and
    # hash). `_parsed` tells DuckDB's rows from the padding of a shorter side; a row
    # DuckDB sees beyond the records found gets no line (0), and refuses the file below.
    expected = records.accepted({})
    lineage = pa.table({"line": records.lines(expected), "hash": records.hashes.take(expected)})
    parsed = f"""(SELECT * EXCLUDE (_parsed, line, hash), coalesce(line, 0) AS _record_ordinal,
                         coalesce(hash, ''::BYTEA) AS _record_hash
                  FROM (SELECT *, true AS _parsed FROM read_csv(
                            ?, columns = {{{spec}}}, header = true, auto_detect = false,
                            delim = ?, quote = ?, escape = ?, encoding = ?, strict_mode = true,
                            store_rejects = true, rejects_table = '_registry_rejects',
                            rejects_scan = '_registry_reject_scans'))
                  POSITIONAL JOIN _registry_lineage WHERE _parsed)"""
    try:
        with (landing.staged("_registry_lineage", lineage),
              _readable_by_duckdb(entry, records) as (readable, encoding)):
            landed = landing.insert(table, columns, parsed, entry.name, [
                str(readable), feeds.CSV_DELIMITER, feeds.CSV_QUOTE, feeds.CSV_QUOTE, encoding])
    except duckdb.InvalidInputException as e:  # e.g. mixed line endings: not one CSV dialect
        reason = str(e).splitlines()[0]
        raise DeliveryRefused(f"{entry.name}: not readable as one CSV file ({reason})") from None
    # DuckDB's `line` is the record number (header = 1, blank lines counted but skipped);
    # a record may fail on several columns but is quarantined once.
    rejects = dict(con.execute("SELECT line, lower(replace(min(error_type), ' ', '_')) FROM "
                               "_registry_rejects GROUP BY line").fetchall())
    con.execute("DROP TABLE _registry_rejects; DROP TABLE _registry_reject_scans")
    accepted = records.accepted(rejects)
    # DuckDB may see more records than the bytes show (e.g. a lone CR it reads as a line
    # end): then its rows or its rejected record numbers do not match the file's records.
    if landed != len(accepted) or any(number > records.count for number in rejects):
        raise DeliveryRefused(f"{entry.name}: DuckDB parsed {landed} rows and rejected "
                              f"{len(rejects)}, but {len(expected)} records are found in the "
                              "file: cannot tell their line numbers")
    _realign(landing, table, entry.name, records, expected[:len(accepted)], accepted)
    quarantined = 0
    if rejects:
        numbers, reasons = zip(*sorted(rejects.items()), strict=True)
        bad = pa.table({
            "record_ordinal": records.lines(np.array(numbers) - 1), "reason": reasons,
            "raw_text": [records.text(number - 1).decode(errors="backslashreplace")
                         for number in numbers]})
        with landing.staged("_registry_bad", bad):
            quarantined = landing.quarantine(entry.name, "_registry_bad")
    invalid = row_rules.quarantine_invalid(
        landing, table, entry.name, _relation(entry.name), _FIRST_FAILURE[entry.name],
        raw_text=lambda lines: [records.text(i).decode() for i in records.at_lines(lines)])
    return FileCounts(landed - invalid, quarantined + invalid)


def _first_failure(name: str) -> str:
    values = row_rules.table_values(REGISTRY_COLUMNS[name], feeds.REGISTRY_FIELDS[name],
                                    str.upper)
    rules = feeds.REGISTRY_RECORD_RULES.get(name, ())
    return row_rules.first_failure(values, row_rules.record_checks(values, rules))


_FIRST_FAILURE = {name: _first_failure(name) for name in feeds.REGISTRY_FILES}


def _relation(name: str) -> str:
    """The file's landed rows, with the codes that the delivery's other files list (those
    land first: `feeds.REGISTRY_FILES` order) and the copies of each unique field's value."""
    listed = [rule for rule in feeds.REGISTRY_RECORD_RULES.get(name, ())
              if isinstance(rule, feeds.Listed)]
    lists = "".join(
        f", (SELECT list(DISTINCT upper(trim({rule.column.lower()}))) FROM "
        f"{SCHEMA}.{REGISTRY_TABLES[rule.file]} AS listing WHERE listing._delivery_id = "
        f"landed._delivery_id) AS {row_rules.listed_column(rule)}"
        for rule in {row_rules.listed_column(rule): rule for rule in listed}.values())
    counted = "".join(f", {row_rules.copies(column, column.lower())}"
                      for column, field in feeds.REGISTRY_FIELDS[name].items() if field.unique)
    return f"(SELECT *{lists}{counted} FROM {SCHEMA}.{REGISTRY_TABLES[name]} AS landed)"


@contextmanager
def _readable_by_duckdb(entry: ManifestFile, records: Records
                        ) -> Iterator[tuple[Path, str]]:
    """The bytes read and checked (not the file again, which its sender may have rewritten
    since) as a file for DuckDB, and the encoding it reads them in. DuckDB refuses a whole
    ISO-8859-1 file for one byte 0x80-0x9F; such a file is read in UTF-8, where those
    bytes are C1 control characters, which quarantine their records (`row_rules`)."""
    sent, encoding = records.sent, DUCKDB_ENCODINGS[entry.encoding]
    if records.c1_controls:
        sent, encoding = sent.decode(encoding).encode(), "utf-8"
    with tempfile.NamedTemporaryFile(prefix="registry-", suffix=".csv") as copy:
        copy.write(sent)
        copy.flush()
        yield Path(copy.name), encoding


@dataclass(frozen=True)
class Records:
    """Where each record of a CSV file starts and ends, found on its bytes, the header first.

    `data` is the file in UTF-8 (an ISO-8859-1 file transcoded), without BOM and with LF
    line ends: delimiter, quote and newline are single ASCII bytes in both encodings, so
    only the header and rejected records are ever decoded. Line bounds are offsets in
    `data`. `hashes` holds each record's `_record_hash`: the sha256 of its text there.
    """

    sent: bytes  # the file as read and checked: what DuckDB parses
    data: bytes
    line_starts: np.ndarray
    line_ends: np.ndarray
    first_lines: np.ndarray  # per record, the index of the physical line where it starts
    starts: np.ndarray  # per record, its span in `data`, its inner newlines included
    ends: np.ndarray
    hashes: pa.Array
    c1_controls: bool  # an ISO-8859-1 file with bytes 0x80-0x9F

    @classmethod
    def read(cls, path: Path, entry: ManifestFile) -> Records:
        """Plain Python and numpy, no DuckDB: it may run on a thread reading ahead while
        the previous file lands."""
        sent = data = read_checked(path, entry)
        c1_controls = False
        if entry.encoding == "UTF-8":
            data = data.removeprefix(_BOM)
        else:  # the same record hashes alike whichever encoding it was sent in
            c1_controls = _C1_BYTES.search(data) is not None
            data = data.decode(DUCKDB_ENCODINGS[entry.encoding]).encode("utf-8")
        data = data.replace(b"\r\n", b"\n")
        newlines = np.flatnonzero(np.frombuffer(data, np.uint8) == ord("\n"))
        line_ends = newlines if data.endswith(b"\n") else np.append(newlines, len(data))
        line_starts = np.concatenate(([0], newlines + 1))[:len(line_ends)]
        first_lines = np.flatnonzero(~_inside_quoted_fields(data, line_starts, line_ends))
        last_lines = np.append(first_lines[1:], len(line_starts)) - 1
        starts, ends = line_starts[first_lines], line_ends[last_lines]
        return cls(sent, data, line_starts, line_ends, first_lines, starts, ends,
                   _hashes(data, starts, ends), c1_controls)

    @property
    def count(self) -> int:
        return len(self.first_lines)

    def lines(self, records: np.ndarray) -> np.ndarray:
        """The physical line (1-based) where each of `records` (0-based) starts."""
        return self.first_lines[records] + 1

    def at_lines(self, lines: list[int]) -> np.ndarray:
        """The records (0-based) that start at these physical lines (1-based)."""
        return np.searchsorted(self.first_lines, np.array(lines) - 1)

    def text(self, record: int) -> bytes:
        """The raw text of record `record` (0-based), its inner newlines included."""
        return self.data[self.starts[record]:self.ends[record]]

    def accepted(self, rejects: dict[int, str]) -> np.ndarray:
        """The records DuckDB lands, in file order: every record but the header, blank ones
        and the `rejects` (by record number, the header being 1)."""
        one_line = np.diff(self.first_lines, append=len(self.line_starts)) == 1
        empty = (self.line_ends == self.line_starts)[self.first_lines]
        keep = ~(one_line & empty)
        keep[:1] = False
        # DuckDB may number past the records found here: land_file refuses the file then.
        keep[[number - 1 for number in rejects if number <= self.count]] = False
        return np.flatnonzero(keep)


def _hashes(data: bytes, starts: np.ndarray, ends: np.ndarray) -> pa.Array:
    """The sha256 of each span of `data`."""
    view, sha256 = memoryview(data), hashlib.sha256
    return pa.array([sha256(view[start:end]).digest()
                     for start, end in zip(starts.tolist(), ends.tolist(), strict=True)], pa.binary())


def _inside_quoted_fields(data: bytes, line_starts: np.ndarray, line_ends: np.ndarray
                          ) -> np.ndarray:
    """Per physical line, whether it continues a record whose quoted field holds a newline.

    Only a line holding a quote can open or close a quoted field, so only those lines
    are scanned; the lines after an opening one, up to the closing one, continue it.
    """
    inside = np.zeros(len(line_starts) + 1, np.int64)  # +1 where a span starts, -1 after
    quotes = np.flatnonzero(np.frombuffer(data, np.uint8) == _QUOTE[0])
    in_quotes, opened = False, 0
    for number in np.unique(np.searchsorted(line_ends, quotes)).tolist():
        was_in_quotes = in_quotes
        in_quotes = _quote_state(data[line_starts[number]:line_ends[number]], in_quotes)
        if in_quotes and not was_in_quotes:
            opened = number
        elif was_in_quotes and not in_quotes:
            inside[opened + 1] += 1
            inside[number + 1] -= 1
    if in_quotes:  # an unterminated quote runs to the end of the file
        inside[opened + 1] += 1
    return np.cumsum(inside[:-1]) > 0


def _realign(landing: Landing, table: str, file: str, records: Records,
             assumed: np.ndarray, accepted: np.ndarray) -> None:
    """After a rejected record, DuckDB's rows were paired with the records after theirs:
    give each the line and hash of its own record (`accepted`) instead (`assumed`)."""
    moved = assumed != accepted
    if not moved.any():
        return
    fix = pa.table({"provisional": records.lines(assumed[moved]),
                    "line": records.lines(accepted[moved]),
                    "hash": records.hashes.take(accepted[moved])})
    with landing.staged("_registry_realigned", fix):
        landing.con.execute(
            f"UPDATE {SCHEMA}.{table} SET _record_ordinal = r.line, _record_hash = r.hash "
            "FROM _registry_realigned r WHERE _delivery_id = ? AND _file = ? "
            "AND _record_ordinal = r.provisional", [landing.delivery_id, file])


def check_header(name: str, first_line: bytes) -> None:
    """Refuse a file whose header (UTF-8) is not exactly the spec's columns, in order."""
    expected = list(feeds.REGISTRY_FILES[name])
    text = first_line.decode(errors="replace")
    if not text.strip():
        raise DeliveryRefused(f"{name} line 1: empty file, expected the header "
                              f"{feeds.CSV_DELIMITER.join(expected)}")
    try:
        found = [c.strip() for c in next(csv.reader([text], delimiter=feeds.CSV_DELIMITER,
                                                    quotechar=feeds.CSV_QUOTE))]
    except csv.Error as e:  # e.g. a stray carriage return
        raise DeliveryRefused(f"{name} line 1: header is not readable CSV ({e}): {text!r}") from None
    if found == expected:
        return
    missing = [c for c in expected if c not in found]
    extra = [c for c in found if c not in expected]
    problems = [f"missing {', '.join(missing)}"] if missing else []
    problems += [f"unexpected {', '.join(extra)}"] if extra else []
    if not problems:
        problems = ["columns out of order"]
    raise DeliveryRefused(f"{name} line 1: header differs from the spec ({'; '.join(problems)}): "
                          f"expected {feeds.CSV_DELIMITER.join(expected)}, found "
                          f"{feeds.CSV_DELIMITER.join(found)}")


def _quote_state(line: bytes, in_quotes: bool) -> bool:
    """Whether a line ends inside a quoted field (RFC 4180 quoting, as DuckDB reads it).

    A quote opens a field only at its start; elsewhere outside quotes it is a literal
    character; inside quotes, a doubled quote is an escaped one.
    """
    pos = line.find(_QUOTE)
    while pos != -1:
        if in_quotes:
            if line[pos + 1:pos + 2] == _QUOTE:
                pos = line.find(_QUOTE, pos + 2)
                continue
            in_quotes = False
        elif pos == 0 or line[pos - 1:pos] == _DELIM:
            in_quotes = True
        pos = line.find(_QUOTE, pos + 1)
    return in_quotes
