"""INPE medio libre case records (JSON Lines) -> raw.inpe_medio_libre.

Each physical line is one record and counts towards the manifest's `registros`.
Lines that are not JSON (or not UTF-8) are quarantined as `invalid_json`, JSON
without an `id_caso` as `missing_id_caso`, and a line with a field that breaks its
rule (`penal_hub.contracts.feeds.MEDIO_LIBRE_FIELDS`: a version of 1.5, jornadas of "52 jornadas",
a NUL, a key twice) with that field and why (`penal_hub.connectors.row_rules`); repeated lines
land as sent (the staging layer deduplicates by id_caso and version).

`_record_hash` is the sha256 of the line's text in UTF-8, without its line end.

Speed: Python splits the file (C-level calls, on a thread reading ahead while the
previous file lands) and hands the lines to DuckDB as one Arrow array, decoded whole;
DuckDB parses them vectorised, one JSON parse per line (`try` turns a malformed line
into NULL instead of an error), and hashes them. The
classification keeps the text of quarantined lines only, so a landed line's text is
written once, compressed with zstd (`penal_hub.connectors.warehouse`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from penal_hub.connectors import row_rules
from penal_hub.connectors.delivery import FileCounts, Landing, ManifestFile, read_checked
from penal_hub.connectors.warehouse import MEDIO_LIBRE_COLUMNS, SCHEMA
from penal_hub.contracts import feeds

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


def land_file(landing: Landing, entry: ManifestFile, lines: pa.Table) -> FileCounts:
    """Land one JSONL file's lines (`read_lines`): every line either lands or is
    quarantined, with its line number."""
    with landing.staged(_LINES, lines):
        landing.con.execute(_CLASSIFY)
        landed = landing.insert(
            "inpe_medio_libre", MEDIO_LIBRE_COLUMNS,
            f"(SELECT *, text AS record, unhex(sha256(text)) AS _record_hash FROM {_LINES} "
            "JOIN _medio_libre USING (_record_ordinal) WHERE reason IS NULL)", entry.name)
    quarantined = landing.quarantine(
        entry.name, "(SELECT _record_ordinal AS record_ordinal, raw_text, reason "
                    "FROM _medio_libre WHERE reason IS NOT NULL)")
    landing.con.execute("DROP TABLE _medio_libre")
    invalid = row_rules.quarantine_invalid(landing, "inpe_medio_libre", entry.name, _FIELDS,
                                           _FIRST_FAILURE, raw_text="record")
    return FileCounts(landed - invalid, quarantined + invalid)


def _json_path(dotted: str) -> str:
    return "$" + "".join(f".{key}" for key in dotted.split(".") if key)


# Each landed line's fields as text and their JSON types, one column each (each list is
# one parse of the line), and the keys of its objects.
_PATHS = ", ".join(f"'{_json_path(p)}'" for p in [*feeds.MEDIO_LIBRE_FIELDS,
                                                 *feeds.MEDIO_LIBRE_OBJECTS])
_COLUMNS = ", ".join(f"_texts[{i}] AS _text_{i}, _types[{i}] AS _type_{i}"
                     for i in range(1, len(feeds.MEDIO_LIBRE_FIELDS)
                                    + len(feeds.MEDIO_LIBRE_OBJECTS) + 1))
_OBJECT_PATHS = ", ".join(f"'{_json_path(p)}'" for p in feeds.MEDIO_LIBRE_OBJECTS)
_FIELDS = (f"(SELECT *, {_COLUMNS} FROM (SELECT *, json_extract_string(record, [{_PATHS}]) AS "
           f"_texts, json_type(record, [{_PATHS}]) AS _types, json_keys(record, "
           f"[{_OBJECT_PATHS}]) AS _keys FROM {SCHEMA}.inpe_medio_libre))")


def _first_failure() -> str:
    values = [row_rules.Value(name, f"_text_{i}", field, json_type=f"_type_{i}")
              for i, (name, field) in enumerate(feeds.MEDIO_LIBRE_FIELDS.items(), 1)]
    objects = []
    for j, name in enumerate(feeds.MEDIO_LIBRE_OBJECTS, 1):
        i = len(feeds.MEDIO_LIBRE_FIELDS) + j
        shown_as = name or "the record"
        objects.append((f"len(_keys[{j}]) <> len(list_distinct(_keys[{j}]))", shown_as, "NULL",
                        "duplicate_key"))
        if name:
            objects.append((f"NOT list_contains(['OBJECT', 'NULL'], _type_{i})", shown_as,
                            f"_type_{i} || ' ' || json_extract(record, '{_json_path(name)}')",
                            "wrong_json_type"))
    return row_rules.first_failure(
        values, [*objects, *row_rules.record_checks(values, feeds.MEDIO_LIBRE_RECORD_RULES)])


_FIRST_FAILURE = _first_failure()


def read_lines(path: Path, entry: ManifestFile) -> pa.Table:
    """The file's lines (_record_ordinal, text, decoded): what `land_file` hands to DuckDB.

    Plain Python and Arrow, no DuckDB: it may run on a thread reading ahead."""
    lines = read_checked(path, entry).replace(b"\r\n", b"\n").split(b"\n")
    if lines[-1] == b"":  # the final newline ends the last line, it does not start one
        lines.pop()
    texts, decoded = decode_lines(lines, entry.encoding)
    return pa.table({
        "_record_ordinal": pa.array(np.arange(1, len(lines) + 1, dtype=np.int64)),
        "text": texts,
        "decoded": decoded,
    })


def decode_lines(lines: list[bytes], encoding: str) -> tuple[pa.Array, pa.Array]:
    """Each line's text, and whether it decoded: a line with bytes that are not valid in
    the encoding is invalid JSON; it keeps them visible as \\xNN escapes in raw_text.

    Valid UTF-8 (the spec's encoding) is checked and converted for the whole file at
    once by Arrow, which accepts exactly what Python's decoder does; anything else is
    decoded line by line.
    """
    if encoding == "UTF-8":
        try:
            return (pa.array(lines, pa.binary()).cast(pa.string()),
                    pa.array(np.ones(len(lines), dtype=bool)))
        except pa.ArrowInvalid:  # some line is not UTF-8
            pass
    texts, decoded = [], []
    for line in lines:
        try:
            texts.append(line.decode(encoding))
            decoded.append(True)
        except UnicodeDecodeError:
            texts.append(line.decode(encoding, errors="backslashreplace"))
            decoded.append(False)
    return pa.array(texts, pa.string()), pa.array(decoded, pa.bool_())
