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
but still counted in its numbering. DuckDB parses the bytes read and hashed (not the file
again), each record prefixed with its line as a first field, so every row carries its
line from the parse. Its hash is paired by position (POSITIONAL JOIN: DuckDB's rows come
in file order); only a file where DuckDB rejected a record before others is landed
again with each row joined to its record's hash by its line.

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
_LINE = "_line"  # the first field of `Records.numbered`


def land_file(landing: Landing, entry: ManifestFile, records: Records) -> FileCounts:
    """Land one registry CSV (`Records.read`): its rows land or are quarantined with their
    physical line."""
    check_header(entry.name, records.text(0) if records.count else b"")
    table = REGISTRY_TABLES[entry.name]
    try:
        with tempfile.NamedTemporaryFile(prefix="registry-", suffix=".csv") as numbered:
            numbered.write(records.numbered)
            numbered.flush()
            landed, rejects = _insert(landing, entry, records, numbered.name, _BY_POSITION)
            _refuse_unless_records_match(entry, records, landed, rejects)
            kept = records.accepted(rejects)
            if not np.array_equal(kept, records.accepted({})[:len(kept)]):
                # DuckDB's rows after a rejected record were paired with the records after
                # theirs: the file lands again, each row joined to its record by the line it
                # carries (a join that makes the insert twice as costly, so only then).
                landing.con.execute(f"DELETE FROM {SCHEMA}.{table} WHERE _delivery_id = ? "
                                    "AND _file = ?", [landing.delivery_id, entry.name])
                landed, rejects = _insert(landing, entry, records, numbered.name, _BY_LINE)
    except duckdb.InvalidInputException as e:  # e.g. mixed line endings: not one CSV dialect
        reason = str(e).splitlines()[0]
        raise DeliveryRefused(f"{entry.name}: not readable as one CSV file ({reason})") from None
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


# Each row DuckDB parses carries the physical line its record starts on (`Records.numbered`);
# its hash is its record's, paired by position (the n-th row DuckDB keeps with the n-th
# record it is expected to keep: right unless it rejected one) or joined by that line.
# A row DuckDB sees that starts no record found in the bytes (e.g. after a lone CR it reads
# as a line end) gets no line (0) nor hash, and refuses the file
# (`_refuse_unless_records_match`).
_READ = """read_csv(?, columns = {columns}, header = true, auto_detect = false, delim = ?,
                    quote = ?, escape = ?, encoding = ?, strict_mode = true,
                    store_rejects = true, rejects_table = '_registry_rejects',
                    rejects_scan = '_registry_reject_scans')"""
_BY_POSITION = ("(SELECT *, true AS _parsed FROM {read}) POSITIONAL JOIN _registry_lineage "
                "WHERE _parsed")
_BY_LINE = f"{{read}} LEFT JOIN _registry_lineage ON line = try_cast({_LINE} AS BIGINT)"


def _insert(landing: Landing, entry: ManifestFile, records: Records, numbered: str,
            pairing: str) -> tuple[int, dict[int, str]]:
    """Land the file's rows, each with its line and hash as `pairing` finds them; return how
    many, and the reasons DuckDB rejected records for, by record number."""
    columns = REGISTRY_COLUMNS[entry.name]
    spec = ", ".join(f"'{c}': 'VARCHAR'" for c in (_LINE, *columns))
    kept = records.accepted({}) if pairing == _BY_POSITION else np.arange(records.count)
    lineage = pa.table({"line": records.lines(kept), "hash": records.hashes.take(kept)})
    read = _READ.format(columns=f"{{{spec}}}")
    relation = f"""(SELECT * EXCLUDE ({_LINE}, line, hash),
                           coalesce(try_cast({_LINE} AS BIGINT), 0) AS _record_ordinal,
                           coalesce(hash, ''::BYTEA) AS _record_hash
                    FROM {pairing.format(read=read)})"""
    with landing.staged("_registry_lineage", lineage):
        landed = landing.insert(REGISTRY_TABLES[entry.name], columns, relation, entry.name, [
            numbered, feeds.CSV_DELIMITER, feeds.CSV_QUOTE, feeds.CSV_QUOTE,
            records.duckdb_encoding])
    # DuckDB's `line` is the record number (header = 1, blank lines counted but skipped);
    # a record may fail on several columns but is quarantined once.
    rejects = dict(landing.con.execute(
        "SELECT line, lower(replace(min(error_type), ' ', '_')) FROM _registry_rejects "
        "GROUP BY line").fetchall())
    landing.con.execute("DROP TABLE _registry_rejects; DROP TABLE _registry_reject_scans")
    return landed, rejects


def _refuse_unless_records_match(entry: ManifestFile, records: Records, landed: int,
                                 rejects: dict[int, str]) -> None:
    """DuckDB may see more records than the bytes show (e.g. a lone CR it reads as a line
    end): then its rows or its rejected record numbers do not match the file's records."""
    if (landed != len(records.accepted(rejects))
            or any(number > records.count for number in rejects)):
        raise DeliveryRefused(f"{entry.name}: DuckDB parsed {landed} rows and rejected "
                              f"{len(rejects)}, but {len(records.accepted({}))} records are "
                              "found in the file: cannot tell their line numbers")


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


@dataclass(frozen=True)
class Records:
    """Where each record of a CSV file starts and ends, found on its bytes, the header first.

    `data` is the file in UTF-8 (an ISO-8859-1 file transcoded), without BOM and with LF
    line ends: delimiter, quote and newline are single ASCII bytes in both encodings, so
    only the header and rejected records are ever decoded. Line bounds are offsets in
    `data`. `hashes` holds each record's `_record_hash`: the sha256 of its text there.
    `numbered` is what DuckDB parses: the file's bytes with each record (but a blank line)
    prefixed with the physical line it starts on and a delimiter, in `duckdb_encoding`.
    """

    data: bytes
    line_starts: np.ndarray
    line_ends: np.ndarray
    first_lines: np.ndarray  # per record, the index of the physical line where it starts
    starts: np.ndarray  # per record, its span in `data`, its inner newlines included
    ends: np.ndarray
    hashes: pa.Array
    numbered: np.ndarray  # bytes
    duckdb_encoding: str

    @classmethod
    def read(cls, path: Path, entry: ManifestFile) -> Records:
        """Plain Python and numpy, no DuckDB: it may run on a thread reading ahead while
        the previous file lands."""
        sent = read_checked(path, entry)
        duckdb_encoding = DUCKDB_ENCODINGS[entry.encoding]
        if entry.encoding == "UTF-8":
            parsed = data = sent.removeprefix(_BOM)
        else:  # the same record hashes alike whichever encoding it was sent in
            parsed, data = sent, sent.decode(duckdb_encoding).encode("utf-8")
            # DuckDB refuses a whole ISO-8859-1 file for one byte 0x80-0x9F; such a file is
            # parsed in UTF-8, where those bytes are C1 control characters, which quarantine
            # their records (`row_rules`).
            if _C1_BYTES.search(sent) is not None:
                parsed, duckdb_encoding = data, "utf-8"
        data = data.replace(b"\r\n", b"\n")
        newlines = np.flatnonzero(np.frombuffer(data, np.uint8) == ord("\n"))
        line_ends = newlines if data.endswith(b"\n") else np.append(newlines, len(data))
        line_starts = np.concatenate(([0], newlines + 1))[:len(line_ends)]
        first_lines = np.flatnonzero(~_inside_quoted_fields(data, line_starts, line_ends))
        last_lines = np.append(first_lines[1:], len(line_starts)) - 1
        starts, ends = line_starts[first_lines], line_ends[last_lines]
        blank = _blank(first_lines, line_starts, line_ends)
        # Its lines start where `data`'s do unless transcoding or CRLF shifted them.
        parsed_starts = line_starts if len(parsed) == len(data) else _line_starts(parsed)
        return cls(data, line_starts, line_ends, first_lines, starts, ends,
                   _hashes(data, starts, ends),
                   _numbered(parsed, parsed_starts[first_lines[~blank]], first_lines[~blank]),
                   duckdb_encoding)

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
        keep = ~_blank(self.first_lines, self.line_starts, self.line_ends)
        keep[:1] = False
        # DuckDB may number past the records found here: land_file refuses the file then.
        keep[[number - 1 for number in rejects if number <= self.count]] = False
        return np.flatnonzero(keep)


def _blank(first_lines: np.ndarray, line_starts: np.ndarray, line_ends: np.ndarray
           ) -> np.ndarray:
    """Per record, whether it is a blank line (which DuckDB skips)."""
    one_line = np.diff(first_lines, append=len(line_starts)) == 1
    return one_line & (line_ends == line_starts)[first_lines]


def _line_starts(parsed: bytes) -> np.ndarray:
    newlines = np.flatnonzero(np.frombuffer(parsed, np.uint8) == ord("\n"))
    return np.concatenate(([0], newlines + 1))


def _numbered(parsed: bytes, starts: np.ndarray, first_lines: np.ndarray) -> np.ndarray:
    """`parsed` with `<line>|` at each of `starts`, the offsets of these lines (0-based):
    the first field DuckDB reads is then the physical line (1-based) its record starts on.

    Vectorised (a Python loop over the records would cost more than finding them): every
    line number is written zero-padded to the same width, so each prefix takes as many
    bytes, and the file's bytes fill the rest of the output in order."""
    source = np.frombuffer(parsed, np.uint8)
    numbers = first_lines + 1
    width = len(str(numbers[-1])) if len(numbers) else 1
    prefixes = np.empty((len(numbers), width + 1), np.uint8)
    prefixes[:, :width] = numbers[:, None] // 10 ** np.arange(width - 1, -1, -1) % 10 + ord("0")
    prefixes[:, width] = _DELIM[0]
    at = ((starts + np.arange(len(starts)) * (width + 1))[:, None]
          + np.arange(width + 1)).ravel()  # where each prefix byte goes
    out = np.empty(len(source) + prefixes.size, np.uint8)
    from_source = np.ones(len(out), bool)
    from_source[at] = False
    out[at] = prefixes.ravel()
    out[from_source] = source
    return out


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
