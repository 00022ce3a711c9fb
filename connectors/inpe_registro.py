"""INPE penitentiary registry extract (pipe-delimited CSV) -> raw.inpe_<file>.

DuckDB's `read_csv` parses (explicit spec columns, all VARCHAR, no sniffing) straight
into the raw table, one pass, and sets aside unparseable rows (`store_rejects`),
which go to raw.quarantine. The header is checked here first: a header that differs
from the spec refuses the file, since a shifted column would land values under the
wrong names.

`_record_hash` is the sha256 of the record's fields as a JSON array (which keeps a
NULL apart from an empty string), computed by DuckDB during the insert: the whole
parsed content.

Line numbers: DuckDB numbers records (a quoted field may span lines), so the
physical line where each record starts is worked out from the bytes (`Records`, read
ahead on a thread while the previous file lands when `land_each` lands many): newlines
inside quoted fields do not start a record, and blank lines are skipped by DuckDB
but still counted in its numbering. Rows land numbered as if every record were one
line (the n-th row, in file order, on line n + 1); the rows after a blank line, a
multi-line record or a rejected record are then renumbered to their physical line.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from connectors.ahead import take_prepared
from connectors.delivery import (
    DeliveryRefused,
    FileCounts,
    Landing,
    ManifestFile,
    fields_hash_sql,
)
from connectors.warehouse import REGISTRY_COLUMNS, REGISTRY_TABLES, SCHEMA
from contracts import feeds

DUCKDB_ENCODINGS = {"UTF-8": "utf-8", "ISO-8859-1": "latin-1"}
_DELIM, _QUOTE = feeds.CSV_DELIMITER.encode(), feeds.CSV_QUOTE.encode()
_BOM = b"\xef\xbb\xbf"


def land_file(landing: Landing, path: Path, entry: ManifestFile) -> FileCounts:
    """Land one registry CSV: its rows land or are quarantined with their physical line."""
    encoding = DUCKDB_ENCODINGS[entry.encoding]
    records = take_prepared(path)
    if records is None:
        records = read_records(path, entry)
    check_header(entry.name, records.text(0) if records.count else b"", encoding)
    con, columns = landing.con, REGISTRY_COLUMNS[entry.name]
    spec = ", ".join(f"'{c}': 'VARCHAR'" for c in columns)
    # row_number() OVER () is the row's position in the file (DuckDB preserves the order).
    parsed = f"""(SELECT *, row_number() OVER () + 1 AS _record_ordinal,
                         {fields_hash_sql(columns)} AS _record_hash
                  FROM read_csv(?, columns = {{{spec}}}, header = true, auto_detect = false,
                      delim = ?, quote = ?, escape = ?, encoding = ?, strict_mode = true,
                      store_rejects = true, rejects_table = '_registry_rejects',
                      rejects_scan = '_registry_reject_scans'))"""
    try:
        landed = landing.insert(REGISTRY_TABLES[entry.name], columns, parsed, entry.name, [
            str(path), feeds.CSV_DELIMITER, feeds.CSV_QUOTE, feeds.CSV_QUOTE, encoding])
    except duckdb.InvalidInputException as e:  # e.g. mixed line endings: not one CSV dialect
        reason = str(e).splitlines()[0]
        raise DeliveryRefused(f"{entry.name}: not readable as one CSV file ({reason})") from None
    # DuckDB's `line` is the record number (header = 1, blank lines counted but skipped);
    # a record may fail on several columns but is quarantined once.
    rejects = dict(con.execute("SELECT line, lower(replace(min(error_type), ' ', '_')) FROM "
                               "_registry_rejects GROUP BY line").fetchall())
    con.execute("DROP TABLE _registry_rejects; DROP TABLE _registry_reject_scans")
    accepted = records.accepted_lines(rejects)
    # DuckDB may see more records than the bytes show (e.g. a lone CR it reads as a line
    # end): then its rows or its rejected record numbers do not match the file's records.
    if landed != len(accepted) or any(number > records.count for number in rejects):
        found = len(records.accepted_lines({}))
        raise DeliveryRefused(f"{entry.name}: DuckDB parsed {landed} rows and rejected "
                              f"{len(rejects)}, but {found} records are found in the file: "
                              "cannot tell their line numbers")
    _renumber(landing, REGISTRY_TABLES[entry.name], entry.name, accepted)
    quarantined = 0
    if rejects:
        bad = pa.Table.from_pylist([
            {"record_ordinal": records.line(number - 1), "reason": reason,
             "raw_text": records.text(number - 1).decode(encoding, errors="backslashreplace")}
            for number, reason in sorted(rejects.items())])
        with landing.staged("_registry_bad", bad):
            quarantined = landing.quarantine(entry.name, "_registry_bad")
    return FileCounts(landed, quarantined)


def read_records(path: Path, entry: ManifestFile) -> Records:
    """Where the file's records start and end (plain Python and numpy, no DuckDB: it may
    run on a thread reading ahead while the previous file lands)."""
    return Records.read(path, entry.encoding)


@dataclass(frozen=True)
class Records:
    """Where each record of a CSV file starts and ends, found on its bytes, the header first.

    `data` is the file without BOM (UTF-8) and with LF line ends, in the file's encoding:
    delimiter, quote and newline are the same byte in both encodings, so only the header
    and rejected records are ever decoded. Line bounds are offsets in `data`.
    """

    data: bytes
    line_starts: np.ndarray
    line_ends: np.ndarray
    first_lines: np.ndarray  # per record, the index of the physical line where it starts

    @classmethod
    def read(cls, path: Path, encoding: str) -> Records:
        data = path.read_bytes()
        if encoding == "UTF-8":
            data = data.removeprefix(_BOM)
        data = data.replace(b"\r\n", b"\n")
        newlines = np.flatnonzero(np.frombuffer(data, np.uint8) == ord("\n"))
        line_ends = newlines if data.endswith(b"\n") else np.append(newlines, len(data))
        line_starts = np.concatenate(([0], newlines + 1))[:len(line_ends)]
        inside = _inside_quoted_fields(data, line_starts, line_ends)
        return cls(data, line_starts, line_ends, np.flatnonzero(~inside))

    @property
    def count(self) -> int:
        return len(self.first_lines)

    def line(self, record: int) -> int:
        """The physical line (1-based) where record `record` (0-based) starts."""
        return int(self.first_lines[record]) + 1

    def text(self, record: int) -> bytes:
        """The raw text of record `record` (0-based), its inner newlines included."""
        last = (self.first_lines[record + 1] if record + 1 < self.count
                else len(self.line_starts)) - 1
        return self.data[self.line_starts[self.first_lines[record]]:self.line_ends[last]]

    def accepted_lines(self, rejects: dict[int, str]) -> np.ndarray:
        """The physical line of each record DuckDB lands, in file order: every record but
        the header, blank ones and the `rejects` (by record number, the header being 1)."""
        one_line = np.diff(self.first_lines, append=len(self.line_starts)) == 1
        empty = (self.line_ends == self.line_starts)[self.first_lines]
        keep = ~(one_line & empty)
        keep[:1] = False
        # DuckDB may number past the records found here: land_file refuses the file then.
        keep[[number - 1 for number in rejects if number <= self.count]] = False
        return self.first_lines[keep] + 1


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


def _renumber(landing: Landing, table: str, file: str, lines: np.ndarray) -> None:
    """Give the landed rows whose record is not on line n + 1 their physical line."""
    provisional = np.arange(2, len(lines) + 2)
    moved = lines != provisional
    if not moved.any():
        return
    shifts = pa.table({"provisional": provisional[moved], "line": lines[moved]})
    with landing.staged("_registry_renumbered", shifts):
        landing.con.execute(
            f"UPDATE {SCHEMA}.{table} SET _record_ordinal = r.line FROM _registry_renumbered r "
            "WHERE _delivery_id = ? AND _file = ? AND _record_ordinal = r.provisional",
            [landing.delivery_id, file])


def check_header(name: str, first_line: bytes, encoding: str) -> None:
    """Refuse a file whose header is not exactly the spec's columns, in the spec's order."""
    expected = list(feeds.REGISTRY_FILES[name])
    text = first_line.decode(encoding, errors="replace")
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
