"""INPE medio libre case records (JSON Lines) -> raw.inpe_medio_libre.

Each physical line is one record and counts towards the manifest's `registros`.
Lines that are not JSON (or not UTF-8) are quarantined as `invalid_json`, JSON
without an `id_caso` as `missing_id_caso`; repeated lines land as sent (the
staging layer deduplicates by id_caso and version).

Speed: Python decodes, splits and hashes the file (C-level calls) and hands the
lines to DuckDB as Arrow; DuckDB parses them vectorised, one JSON parse per line
(`try` turns a malformed line into NULL instead of an error). The classification
keeps the text of quarantined lines only, so a landed line's text is written once.
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
           fields[3] AS fecha_actualizacion, reason, if(reason IS NULL, NULL, text) AS raw_text
    FROM (SELECT *, CASE WHEN NOT decoded OR fields IS NULL THEN 'invalid_json'
                         WHEN coalesce(trim(fields[1]), '') = '' THEN 'missing_id_caso'
                    END AS reason
          FROM (SELECT _record_ordinal, text, decoded, try(json_extract_string(
                           text, ['$.id_caso', '$.version', '$.fecha_actualizacion'])) AS fields
                FROM {_LINES}))"""


def land_file(landing: Landing, path: Path, entry: ManifestFile) -> FileCounts:
    """Land one JSONL file: every line either lands or is quarantined, with its line number."""
    lines = path.read_bytes().replace(b"\r\n", b"\n").split(b"\n")
    if lines[-1] == b"":  # the final newline ends the last line, it does not start one
        lines.pop()
    texts, decoded = decode_lines(lines, entry.encoding)
    staged = pa.table({
        "_record_ordinal": pa.array(range(1, len(texts) + 1), pa.int64()),
        "text": pa.array(texts, pa.string()),
        "decoded": pa.array(decoded, pa.bool_()),
        "_record_hash": pa.array([record_hash(text.encode()) for text in texts], pa.string()),
    })
    with landing.staged(_LINES, staged):
        landing.con.execute(_CLASSIFY)
        landed = landing.insert(
            "inpe_medio_libre", MEDIO_LIBRE_COLUMNS,
            f"(SELECT *, text AS record FROM {_LINES} JOIN _medio_libre USING (_record_ordinal) "
            "WHERE reason IS NULL)", entry.name)
    quarantined = landing.quarantine(
        entry.name, "(SELECT _record_ordinal AS record_ordinal, raw_text, reason "
                    "FROM _medio_libre WHERE reason IS NOT NULL)")
    landing.con.execute("DROP TABLE _medio_libre")
    return FileCounts(landed, quarantined)


def decode_lines(lines: list[bytes], encoding: str) -> tuple[list[str], list[bool]]:
    """Each line's text, and whether it decoded: a line with bytes that are not valid in
    the encoding is invalid JSON; it keeps them visible as \\xNN escapes in raw_text."""
    texts, decoded = [], []
    for line in lines:
        try:
            texts.append(line.decode(encoding))
            decoded.append(True)
        except UnicodeDecodeError:
            texts.append(line.decode(encoding, errors="backslashreplace"))
            decoded.append(False)
    return texts, decoded
