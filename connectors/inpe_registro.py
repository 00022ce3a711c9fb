"""INPE penitentiary registry extract (pipe-delimited CSV) -> raw.inpe_<file>.

DuckDB's `read_csv` parses (explicit spec columns, all VARCHAR, no sniffing) and
sets aside unparseable rows (`store_rejects`), which go to raw.quarantine. The
header is checked here first: a header that differs from the spec refuses the
file, since a shifted column would land values under the wrong names.

Line numbers: DuckDB numbers records (a quoted field may span lines), so the
physical line where each record starts is worked out from the bytes: newlines
inside quoted fields do not start a record, and blank lines are skipped by DuckDB
but still counted in its numbering.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pyarrow as pa

from connectors.delivery import DeliveryRefused, FileCounts, Landing, ManifestFile, record_hash
from connectors.warehouse import REGISTRY_COLUMNS, REGISTRY_TABLES
from contracts import feeds

DUCKDB_ENCODINGS = {"UTF-8": "utf-8", "ISO-8859-1": "latin-1"}
_DELIM, _QUOTE = feeds.CSV_DELIMITER.encode(), feeds.CSV_QUOTE.encode()
_BOM = b"\xef\xbb\xbf"


def land_file(landing: Landing, path: Path, entry: ManifestFile) -> FileCounts:
    """Land one registry CSV: its rows land or are quarantined with their physical line."""
    records = read_records(path, entry.encoding)
    check_header(entry.name, records[0][1] if records else b"")
    con, columns = landing.con, REGISTRY_COLUMNS[entry.name]
    spec = ", ".join(f"'{c}': 'VARCHAR'" for c in columns)
    try:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _registry_rows AS SELECT * FROM read_csv(?,
                columns = {{{spec}}}, header = true, auto_detect = false, delim = ?, quote = ?,
                escape = ?, encoding = ?, strict_mode = true, store_rejects = true,
                rejects_table = '_registry_rejects', rejects_scan = '_registry_reject_scans')""",
            [str(path), feeds.CSV_DELIMITER, feeds.CSV_QUOTE, feeds.CSV_QUOTE,
             DUCKDB_ENCODINGS[entry.encoding]])
    except duckdb.InvalidInputException as e:  # e.g. mixed line endings: not one CSV dialect
        reason = str(e).splitlines()[0]
        raise DeliveryRefused(f"{entry.name}: not readable as one CSV file ({reason})") from None
    # DuckDB's `line` is the record number (header = 1, blank lines counted but skipped);
    # a record may fail on several columns but is quarantined once.
    rejects = dict(con.execute("SELECT line, lower(replace(min(error_type), ' ', '_')) FROM "
                               "_registry_rejects GROUP BY line").fetchall())
    accepted = [(line, raw) for number, (line, raw) in enumerate(records[1:], 2)
                if raw and number not in rejects]
    rows = con.execute("SELECT count(*) FROM _registry_rows").fetchall()[0][0]
    if rows != len(accepted):
        raise DeliveryRefused(f"{entry.name}: {rows} rows parsed but {len(accepted)} records "
                              "found in the file: cannot tell their line numbers")
    lines, raws = zip(*accepted) if accepted else ((), ())
    lineage = pa.table({"_record_ordinal": pa.array(lines, pa.int64()),
                        "_record_hash": pa.array(list(map(record_hash, raws)), pa.string())})
    with landing.staged("_registry_lineage", lineage):
        landed = landing.insert(
            REGISTRY_TABLES[entry.name], columns,
            "(SELECT * FROM _registry_rows POSITIONAL JOIN _registry_lineage)", entry.name)
    quarantined = 0
    if rejects:
        bad = pa.Table.from_pylist([
            {"record_ordinal": records[number - 1][0], "reason": reason,
             "raw_text": records[number - 1][1].decode(errors="backslashreplace")}
            for number, reason in sorted(rejects.items())])
        with landing.staged("_registry_bad", bad):
            quarantined = landing.quarantine(entry.name, "_registry_bad")
    con.execute("DROP TABLE _registry_rows; DROP TABLE _registry_rejects; "
                "DROP TABLE _registry_reject_scans")
    return FileCounts(landed, quarantined)


def read_records(path: Path, encoding: str) -> list[tuple[int, bytes]]:
    """(physical line where it starts, raw text) of each record, the header first.

    Our copy of the text, in UTF-8 without BOM or CRs, serves the header check, line
    numbers, raw text and hashes; DuckDB parses the file itself. A newline inside a
    quoted field does not end a record; only a line holding a quote can open or close a
    quoted field, so only those lines are scanned.
    """
    data = path.read_bytes()
    if encoding != "UTF-8":
        data = data.decode(encoding).encode()
    lines = data.removeprefix(_BOM).replace(b"\r\n", b"\n").split(b"\n")
    if lines[-1] == b"":  # the final newline ends the last line, it does not start one
        lines.pop()
    if _QUOTE not in data:
        return list(enumerate(lines, 1))
    records: list[tuple[int, bytes]] = []
    open_record: list[bytes] = []  # the lines of a record still inside a quoted field
    start = 0
    for number, line in enumerate(lines, 1):
        if open_record:
            open_record.append(line)
            if _QUOTE in line and not _quote_state(line, True):
                records.append((start, b"\n".join(open_record)))
                open_record = []
        elif _QUOTE in line and _quote_state(line, False):
            start, open_record = number, [line]
        else:
            records.append((number, line))
    if open_record:  # an unterminated quote runs to the end of the file
        records.append((start, b"\n".join(open_record)))
    return records


def check_header(name: str, first_line: bytes) -> None:
    """Refuse a file whose header is not exactly the spec's columns, in the spec's order."""
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
