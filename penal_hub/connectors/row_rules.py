"""Row rules at landing: a record with a field that cannot be typed is quarantined, not landed.

Landing is the first layer that can tell: each file's rows, once inserted into their raw
table (inside the delivery's transaction), are checked in DuckDB against the feed's field
rules (`penal_hub.contracts.feeds.PJ_FIELDS`, `REGISTRY_FIELDS`, `MEDIO_LIBRE_FIELDS`). A row that
breaks one is moved to raw.quarantine, its reason naming the field, its value (escaped)
and why; the rest of the delivery lands, and landed + quarantined still equals the
manifest's count. So staging can type every landed value, and no text that reaches the
extract holds a character XML 1.0 cannot carry.

Landing always runs in DuckDB (on PostgreSQL, in an in-memory DuckDB first), so these
checks are DuckDB SQL only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pyarrow as pa

from penal_hub.connectors.delivery import Landing, shown
from penal_hub.connectors.warehouse import SCHEMA
from penal_hub.contracts import feeds

# What XML 1.0 cannot carry (C0 controls but tab, LF, CR; U+FFFE, U+FFFF), and DEL and the
# C1 controls, which it can but no sender means: in a file declared ISO-8859-1 they are
# Windows-1252 bytes (0x93 is a typographic quote there).
# The same class in DuckDB's (RE2) and Python's syntax.
CONTROL_CHARACTERS = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\x{fffe}\x{ffff}]"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")

# The JSON types a JSON field of each kind may have (besides null).
JSON_TYPES = {"integer": ("UBIGINT", "BIGINT"), "boolean": ("BOOLEAN",)}
JSON_TEXT = ("VARCHAR",)

DETAILS = {
    "missing_value": "is empty",
    "too_long": "is longer than the spec allows",
    "not_an_integer": "is not a whole number from 0 to 999999999",
    "not_a_date": "is not a date (DD/MM/YYYY or YYYY-MM-DD)",
    "not_a_boolean": "is not true or false",
    "not_in_code_list": "is not one of the spec's codes",
    "malformed_case_number": "is not a case number NNNNN-YYYY-I-CCCC-OO-MM-JJ",
    "malformed_court_code": "is not a court code CCCC-OO-PE-JJ with a known organ type",
    "malformed_document_number": "does not fit its document type (DNI 1-8 digits, CE 1-12 "
                                 "and PASAPORTE 5-15 letters or digits)",
    "wrong_json_type": "has the wrong JSON type",
    "duplicate_key": "holds a key twice (which value is meant is ambiguous)",
    "duplicate_record": "identifies more than one record of the file (which one is meant is "
                        "ambiguous)",
}


@dataclass(frozen=True)
class Value:
    """One checked value of a row: its name in the sender's terms, its text as SQL, and,
    for a JSON field, its JSON type as SQL."""

    name: str
    sql: str
    field: feeds.Field = feeds.TEXT
    json_type: str | None = None


def table_values(columns: Sequence[str], fields: dict[str, feeds.Field],
                 name: Callable[[str], str] = str) -> list[Value]:
    """Every column of a raw table, with its rule (text if it has none); `name` gives the
    sender's name of a column (the registry's header is upper case)."""
    by_column = {column: name(column) for column in columns}
    return [Value(shown_as, column, fields.get(shown_as, feeds.TEXT))
            for column, shown_as in by_column.items()]


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _not_one_of(sql: str, values: Sequence[str]) -> str:
    """A function, not `NOT IN`: DuckDB plans an IN list as a join, evaluated for every row
    whatever the CASE around it."""
    return f"NOT list_contains([{', '.join(map(_literal, values))}], {sql})"


def _kind_breaks(value: Value, values: dict[str, Value]) -> tuple[str, str] | None:
    """(SQL true when a non-empty value breaks its kind, the failure's code), if checked."""
    field, v = value.field, f"trim({value.sql})"
    if field.kind == "integer":
        return f"NOT regexp_full_match({v}, '[0-9]{{1,9}}')", "not_an_integer"
    if field.kind == "date":
        return (f"coalesce(try_strptime({v}, '%d/%m/%Y'), try_strptime({v}, '%Y-%m-%d')) IS NULL",
                "not_a_date")
    if field.kind == "boolean":
        return _not_one_of(f"lower({v})", ("true", "false")), "not_a_boolean"
    if field.kind == "code":
        return _not_one_of(f"upper({v})", field.codes), "not_in_code_list"
    if field.kind == "case_number":
        compact = f"regexp_replace(upper({value.sql}), '[ \\t\\n\\r\\f]', '', 'g')"
        return (f"NOT regexp_full_match({compact}, '{feeds.CASE_NUMBER_PATTERN}')",
                "malformed_case_number")
    if field.kind == "court_code":
        return (_not_one_of(f"split_part(upper({v}), '-', 2)", feeds.TIPOS_ORGANO),
                "malformed_court_code")
    if field.kind == "document_number":
        tipo = f"upper(trim({values[field.document_type].sql}))"
        return ((f"CASE {tipo} WHEN 'DNI' THEN NOT regexp_full_match({v}, '[0-9]{{1,8}}') "
                f"WHEN 'CE' THEN NOT regexp_full_match(upper({v}), '[0-9A-Z]{{1,12}}') "
                f"WHEN 'PASAPORTE' THEN NOT regexp_full_match(upper({v}), '[0-9A-Z]{{5,15}}') "
                "ELSE false END"), "malformed_document_number")
    return None


def _date(sql: str) -> str:
    return f"coalesce(try_strptime(trim({sql}), '%d/%m/%Y'), try_strptime(trim({sql}), '%Y-%m-%d'))"


def copies_column(field: str) -> str:
    """The column of the checked relation that counts the records of the file holding a
    unique field's value (a window in the relation: inside the check it costs twice all
    the rest)."""
    return f"_copies_{field.lower()}"


def copies(field: str, column: str) -> str:
    """SQL for `copies_column(field)`, over a raw table with lineage."""
    return (f"count(*) OVER (PARTITION BY _delivery_id, _file, trim({column})) AS "
            f"{copies_column(field)}")


def listed_column(rule: feeds.Listed) -> str:
    """The column of the checked relation that holds the codes `rule`'s file lists."""
    return f"_listed_{rule.file.split('.')[0]}_{rule.column.lower()}"


def record_checks(values: Sequence[Value], rules: Sequence[object]
                  ) -> list[tuple[str, str, str, str, str]]:
    """The record rules (`penal_hub.contracts.feeds` OnlyWhen, RequiredWhen, Listed, NotBefore) as
    `first_failure` checks (their values already checked). A Listed rule reads the list
    of codes from the relation's column `listed_column(rule)`."""
    by_name = {v.name: v for v in values}
    checks = []
    for rule in rules:
        field = by_name[rule.field]
        text = f"CAST({field.sql} AS VARCHAR)"
        given = f"nullif(trim({text}), '') IS NOT NULL"
        if isinstance(rule, feeds.NotBefore):
            start = by_name[rule.start].sql
            checks.append((f"{given} AND {_date(field.sql)} < {_date(start)}", rule.field, text,
                           "inconsistent", f"is before {rule.start}"))
            continue
        if isinstance(rule, feeds.Listed):
            checks.append(((f"{given} AND NOT list_contains({listed_column(rule)}, "
                           f"upper(trim({text})))"), rule.field, text, "unknown_code",
                           f"is not listed in the delivery's {rule.file}"))
            continue
        applies = "NOT " + _not_one_of(
            f"coalesce(upper(trim(CAST({by_name[rule.when].sql} AS VARCHAR))), '')", rule.values)
        if isinstance(rule, feeds.RequiredWhen):
            condition, needed = f"NOT {given} AND {applies}", "is required"
        elif rule.required:
            condition, needed = f"{given} <> {applies}", "is given exactly"
        else:
            condition, needed = f"{given} AND NOT {applies}", "is given only"
        checks.append((condition, rule.field, text, "inconsistent",
                       f"{needed} when {rule.when} is {' or '.join(rule.values)}"))
    return checks


def first_failure(values: Sequence[Value], extra: Sequence[tuple[str, ...]] = ()) -> str:
    """SQL: a row's first broken rule as {field, value, why, detail}, or NULL. `extra`: more
    (condition, field, value as SQL, why[, detail]) checks, tried after the values'.

    Control characters and lengths are looked for field by field only in the rows where
    all the fields' text together holds one, or is longer than a field may be: one regular
    expression a row instead of one a field."""
    by_name = {v.name: v for v in values}
    texts = {v.name: f"CAST({v.sql} AS VARCHAR)" for v in values}
    together = f"concat({', '.join(texts.values())})"
    control = [(f"regexp_matches({texts[v.name]}, '{CONTROL_CHARACTERS}')", v.name,
                texts[v.name], "control_character") for v in values]
    too_long = [(f"length({texts[v.name]}) > {v.field.max_length}", v.name, texts[v.name],
                 "too_long") for v in values]
    branches = []
    for value in values:
        text = texts[value.name]
        if value.json_type is not None:
            allowed = JSON_TYPES.get(value.field.kind, JSON_TEXT) + ("NULL",)
            branches.append((_not_one_of(value.json_type, allowed),
                             value.name, f"{value.json_type} || ' ' || {text}", "wrong_json_type"))
        if value.field.required:
            branches.append((f"nullif(trim({text}), '') IS NULL", value.name, text,
                             "missing_value"))
        if value.field.unique:
            branches.append((f"{copies_column(value.name)} > 1", value.name, text,
                             "duplicate_record"))
        kind = _kind_breaks(value, by_name)
        if kind is not None:
            condition, why = kind
            branches.append((f"nullif(trim({text}), '') IS NOT NULL AND ({condition})",
                             value.name, text, why))
    shortest = min(v.field.max_length for v in values)
    return (f"coalesce(CASE WHEN regexp_matches({together}, '{CONTROL_CHARACTERS}') THEN "
            f"{_case(control)} END,\n CASE WHEN length({together}) > {shortest} THEN "
            f"{_case(too_long)} END,\n {_case([*branches, *extra])})")


def _case(branches: Sequence[tuple[str, ...]]) -> str:
    whens = "\n".join(
        f"  WHEN {condition} THEN {{'field': {_literal(name)}, 'value': {shown_value}, "
        f"'why': '{why}', 'detail': {_literal(detail[0]) if detail else 'NULL'}}}"
        for condition, name, shown_value, why, *detail in branches)
    return f"CASE\n{whens}\nEND"


def reason(field: str, value: str | None, why: str, detail: str | None = None) -> str:
    """The quarantine reason: code, field, the value escaped (never raw control characters,
    line breaks or bidirectional overrides), and what is wrong with it."""
    if why == "control_character":
        char = _CONTROL.search(value).group()
        return (f"control_character: {field} {shown(value)} holds U+{ord(char):04X}, a control "
                "character (XML 1.0 cannot carry it; 0x80-0x9F in an ISO-8859-1 file are "
                "Windows-1252 bytes)")
    if why == "wrong_json_type":
        json_type, _, text = (value or "").partition(" ")
        return f"{why}: {field} {shown(text)} is a JSON {json_type.lower()}"
    shown_value = "" if value is None else f" {shown(value)}"
    if why == "too_long":
        shown_value += f" ({len(value)} characters)"
    return f"{why}: {field}{shown_value} {detail or DETAILS[why]}"


def quarantine_invalid(landing: Landing, table: str, file: str, relation: str,
                       failure_sql: str, raw_text: str | Callable[[list[int]], list[str]]
                       ) -> int:
    """Move the rows of `file` just landed in raw.`table` whose `failure_sql` (over
    `relation`, a FROM item over that table's rows) is not NULL to raw.quarantine; return
    how many. `raw_text`: the quarantined record's text, as SQL or from its ordinals."""
    text_sql = raw_text if isinstance(raw_text, str) else "NULL"
    # Materialized: a filter on `failure` would otherwise evaluate it twice.
    failed = landing.con.execute(
        f"WITH checked AS MATERIALIZED (SELECT *, {failure_sql} AS failure FROM {relation} "
        "      WHERE _delivery_id = ? AND _file = ?) "
        f"SELECT _record_ordinal, failure.field, failure.value, failure.why, {text_sql}, "
        "failure.detail FROM checked WHERE failure IS NOT NULL ORDER BY _record_ordinal",
        [landing.delivery_id, file]).fetchall()
    if not failed:
        return 0
    ordinals = [row[0] for row in failed]
    texts = [row[4] for row in failed] if isinstance(raw_text, str) else raw_text(ordinals)
    bad = pa.table({"record_ordinal": pa.array(ordinals, pa.int64()), "raw_text": texts,
                    "reason": [reason(f, v, why, detail) for _, f, v, why, _, detail in failed]})
    with landing.staged("_invalid_rows", bad):
        landing.con.execute(
            f"DELETE FROM {SCHEMA}.{table} WHERE _delivery_id = ? AND _file = ? AND "
            "_record_ordinal IN (SELECT record_ordinal FROM _invalid_rows)",
            [landing.delivery_id, file])
        return landing.quarantine(file, "_invalid_rows")
