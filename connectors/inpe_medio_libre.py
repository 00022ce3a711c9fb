"""INPE medio libre case records (JSON Lines) -> raw.inpe_medio_libre.

Each physical line is one record and counts towards the manifest's `registros`.
Lines that are not JSON (or not UTF-8) are quarantined as `invalid_json`, JSON
without an `id_caso` as `missing_id_caso`; repeated lines land as sent (the
staging layer deduplicates by id_caso and version).

Speed: Python only splits the file into lines and hashes them (C-level calls) and
hands them to DuckDB as Arrow; DuckDB decodes and parses them vectorised, one JSON
parse per line (`try` turns a malformed line into NULL instead of an error). The
classification keeps no text, so each line's text is written once, into raw.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from connectors.delivery import FileCounts, Landing, ManifestFile, record_hash
from connectors.warehouse import MEDIO_LIBRE_COLUMNS

_LINES = "_medio_libre_lines"
_CLASSIFY = f"""
    CREATE OR REPLACE TEMP TABLE _medio_libre AS
    SELECT _record_ordinal, fields[1] AS id_caso, fields[2] AS version,
           fields[3] AS fecha_actualizacion,
           CASE WHEN fields IS NULL THEN 'invalid_json'
                WHEN coalesce(trim(fields[1]), '') = '' THEN 'missing_id_caso' END AS reason
    FROM (SELECT _record_ordinal, try(json_extract_string(try(decode(raw)),
                     ['$.id_caso', '$.version', '$.fecha_actualizacion'])) AS fields
          FROM {_LINES})"""


def land_file(landing: Landing, path: Path, entry: ManifestFile) -> FileCounts:
    """Land one JSONL file: every line either lands or is quarantined, with its line number."""
    data = path.read_bytes()
    if entry.encoding != "UTF-8":  # the spec says UTF-8; honour a manifest that says otherwise
        data = data.decode(entry.encoding).encode()
    lines = data.replace(b"\r\n", b"\n").split(b"\n")
    if lines[-1] == b"":  # the final newline ends the last line, it does not start one
        lines.pop()
    con = landing.con
    con.register(_LINES, pa.table({
        "_record_ordinal": pa.array(range(1, len(lines) + 1), pa.int64()),
        "raw": pa.array(lines, pa.binary()),
        "_record_hash": pa.array([record_hash(line) for line in lines], pa.string()),
    }))
    try:
        con.execute(_CLASSIFY)
        landed = landing.insert(
            "inpe_medio_libre", MEDIO_LIBRE_COLUMNS,
            f"(SELECT *, decode(raw) AS record FROM {_LINES} JOIN _medio_libre USING (_record_ordinal) "
            "WHERE reason IS NULL)", entry.name)
        # A line that is not UTF-8 keeps its bytes, escaped as \\xNN, in raw_text.
        quarantined = landing.quarantine(
            entry.name, f"(SELECT _record_ordinal AS record_ordinal, coalesce(try(decode(raw)), "
                        f"raw::VARCHAR) AS raw_text, reason FROM {_LINES} "
                        "JOIN _medio_libre USING (_record_ordinal) WHERE reason IS NOT NULL)")
    finally:
        con.unregister(_LINES)
    con.execute("DROP TABLE _medio_libre")
    return FileCounts(landed, quarantined)
