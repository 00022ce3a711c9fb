"""Property tests of the SQL normalisers (dbt_project/macros/normalize.sql) as they really run.

Each macro is compiled once by dbt (`dbt compile --inline`, the project's own macros and
adapter dispatch), then the compiled SQL runs in DuckDB with a prepared parameter per
hypothesis example.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

PROJECT = Path(__file__).resolve().parents[1]
DBT_DIR = PROJECT / "penal_hub" / "dbt_project"
EXAMPLES = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])

# name -> Jinja expression; $1 / $2 are DuckDB prepared parameters.
EXPRESSIONS = {
    "doc": "{{ normalize_document('$1', '$2') }}",
    "doc_valid": "{{ document_is_valid('$1', '$2') }}",
    "expediente": "{{ normalize_expediente('$1') }}",
    "name": "{{ normalize_name('$1') }}",
    "sorted_name": "{{ sorted_tokens(normalize_name('$1')) }}",
    "date": "{{ parse_date('$1') }}",
}
SEPARATOR = "\n-- @@next@@\n"
CANONICAL_EXPEDIENTE = re.compile(r"[0-9]{5}-[0-9]{4}-[0-9]+-[0-9]{4}-(JR|SP|JP|JU|JC)-PE-[0-9]{2}")


@pytest.fixture(scope="module")
def compiled(tmp_path_factory) -> dict[str, str]:
    """One `dbt compile --inline` of every normaliser; the compiled SQL per name."""
    tmp = tmp_path_factory.mktemp("dbt-compile")
    inline = SEPARATOR.join(f"select {expr} as v" for expr in EXPRESSIONS.values())
    env = {**os.environ, "HUB_WAREHOUSE": str(tmp / "compile.duckdb"),
           "HUB_DBT_TARGET": "duckdb", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    dbt = str(Path(sys.executable).parent / "dbt")
    proc = subprocess.run(
        [dbt, "compile", "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR),
         "--target-path", str(tmp / "target"), "--log-path", str(tmp / "logs"),
         "--inline", inline, "--output", "json", "--log-format", "json"],
        capture_output=True, text=True, env=env, cwd=PROJECT, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    text = None
    for line in proc.stdout.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if event.get("info", {}).get("name") == "CompiledNode":
            text = event["data"]["compiled"]
    assert text, f"no compiled SQL in dbt's output:\n{proc.stdout[-3000:]}"
    parts = text.split(SEPARATOR.strip())
    assert len(parts) == len(EXPRESSIONS), text
    sql = {name: part.strip() for name, part in zip(EXPRESSIONS, parts, strict=True)}
    for name, part in sql.items():
        assert "{{" not in part and "$1" in part, (name, part)
    return sql


@pytest.fixture(scope="module")
def run(compiled):
    con = duckdb.connect()

    def run(name: str, *params):
        return con.execute(compiled[name], list(params)).fetchone()[0]

    yield run
    con.close()


# --- documents ---------------------------------------------------------------------------

spaces = st.text(alphabet=" \t", max_size=3)
dni_digits = st.text(alphabet="0123456789", min_size=1, max_size=8).filter(
    lambda d: d.strip("0"))  # an all-zero DNI is invalid by design (tested below)


@EXAMPLES
@given(digits=dni_digits, pad=st.sampled_from(["as_is", "stripped", "padded"]),
       left=spaces, right=spaces, tipo=st.sampled_from(["DNI", "dni", " Dni "]))
def test_dni_of_1_to_8_digits_normalises_zero_padded_and_is_valid(run, digits, pad, left,
                                                                  right, tipo):
    written = {"as_is": digits, "stripped": digits.lstrip("0"), "padded": digits.zfill(8)}[pad]
    numero = f"{left}{written}{right}"
    assert run("doc", tipo, numero) == digits.zfill(8)
    assert run("doc_valid", tipo, numero) is True


@EXAMPLES
@given(digits=st.text(alphabet="0123456789", min_size=9, max_size=20), left=spaces, right=spaces)
def test_dni_of_9_or_more_digits_is_invalid(run, digits, left, right):
    assert run("doc_valid", "DNI", f"{left}{digits}{right}") is False


@EXAMPLES
@given(zeros=st.integers(1, 8), left=spaces)
def test_an_all_zero_dni_is_invalid(run, zeros, left):
    assert run("doc_valid", "DNI", left + "0" * zeros) is False


@EXAMPLES
@given(tipo=st.text(max_size=12), numero=st.one_of(st.none(), st.text(max_size=30)))
def test_document_normalisers_never_raise(run, tipo, numero):
    valid = run("doc_valid", tipo, numero)
    assert valid in (True, False, None)
    doc = run("doc", tipo, numero)
    assert doc is None or isinstance(doc, str)


# --- case numbers ------------------------------------------------------------------------

ORGANOS = ["JR", "SP", "JP", "JU", "JC"]


@st.composite
def expedientes(draw) -> tuple[str, list[str]]:
    parts = [
        draw(st.text(alphabet="0123456789", min_size=5, max_size=5)),
        draw(st.text(alphabet="0123456789", min_size=4, max_size=4)),
        str(draw(st.integers(0, 99))),
        draw(st.text(alphabet="0123456789", min_size=4, max_size=4)),
        draw(st.sampled_from(ORGANOS)),
        "PE",
        draw(st.text(alphabet="0123456789", min_size=2, max_size=2)),
    ]
    return "-".join(parts), parts


@EXAMPLES
@given(exp=expedientes(), strip_zeros=st.booleans(), lower=st.booleans(),
       gaps=st.lists(st.text(alphabet=" \t", max_size=2), min_size=14, max_size=14),
       outer=st.tuples(spaces, spaces))
def test_loosely_written_case_numbers_normalise_to_the_canonical(run, exp, strip_zeros, lower,
                                                                 gaps, outer):
    canonical, parts = exp
    written = list(parts)
    if strip_zeros:  # senders drop the leading zeros of the padded parts
        for i in (0, 3, 6):
            written[i] = str(int(written[i]))
    text = "".join(f"{gaps[2 * i]}-{gaps[2 * i + 1]}" + p if i else p
                   for i, p in enumerate(written))
    text = outer[0] + (text.lower() if lower else text) + outer[1]
    assert run("expediente", canonical) == canonical
    assert run("expediente", text) == canonical, text


@EXAMPLES
@given(garbage=st.one_of(
    st.none(), st.text(max_size=40),
    st.lists(st.text(alphabet="0123456789ABCJRSPEU -", max_size=6), min_size=1,
             max_size=9).map("-".join)))
def test_garbage_case_numbers_give_null_or_a_canonical_number_never_an_error(run, garbage):
    result = run("expediente", garbage)
    assert result is None or CANONICAL_EXPEDIENTE.fullmatch(result), (garbage, result)


@EXAMPLES
@given(garbage=st.text(alphabet=st.characters(blacklist_categories=["Nd", "Cs"]), max_size=40))
def test_a_case_number_without_digits_is_null(run, garbage):
    assert run("expediente", garbage) is None


def _numeric_parts(text: str) -> list:
    """The case number's parts with numeric ones as integers (leading zeros do not matter)."""
    parts = re.sub(r"\s", "", text.upper()).split("-")
    return [int(p) if p.isdigit() else p for p in parts]


@EXAMPLES
@given(exp=expedientes(), part=st.sampled_from([0, 3, 6]), extra=st.integers(1, 9))
def test_a_normalised_case_number_keeps_every_digit_it_was_given(run, exp, part, extra):
    _, parts = exp
    written = list(parts)
    written[part] = str(extra) + written[part]  # one digit too many: not a valid number
    text = "-".join(written)
    result = run("expediente", text)
    assert result is None or _numeric_parts(result) == _numeric_parts(text), (text, result)


# --- names -------------------------------------------------------------------------------

ACCENTED = {"A": "ÁÀÄÂ", "E": "ÉÈËÊ", "I": "ÍÌÏÎ", "O": "ÓÒÖÔ", "U": "ÚÙÜÛ", "N": "Ñ"}
tokens = st.lists(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=10),
                  min_size=1, max_size=5)


@st.composite
def decorate(draw, plain: str) -> str:
    """`plain` with random accents, case and extra spaces."""
    out = []
    for ch in plain:
        if ch in ACCENTED and draw(st.booleans()):
            ch = draw(st.sampled_from(ACCENTED[ch]))
        if draw(st.booleans()):
            ch = ch.lower()
        if ch == " ":
            ch = draw(st.text(alphabet=" \t", min_size=1, max_size=3).filter(lambda s: " " in s
                                                                              or s == "\t"))
        out.append(ch)
    return draw(spaces) + "".join(out) + draw(spaces)


@EXAMPLES
@given(data=st.data(), words=tokens)
def test_accents_case_and_spaces_do_not_change_a_name(run, data, words):
    plain = " ".join(words)
    written = data.draw(decorate(plain))
    assert run("name", plain) == plain
    assert run("name", written) == plain, written


@EXAMPLES
@given(data=st.data(), words=tokens)
def test_given_names_in_any_order_have_the_same_sorted_tokens(run, data, words):
    shuffled = data.draw(st.permutations(words))
    written = data.draw(decorate(" ".join(shuffled)))
    expected = " ".join(sorted(words))
    assert run("sorted_name", " ".join(words)) == expected
    assert run("sorted_name", written) == expected, written


@EXAMPLES
@given(text=st.one_of(st.none(), st.text(max_size=40)))
def test_a_normalised_name_is_null_or_single_spaced_capitals(run, text):
    result = run("name", text)
    assert result is None or re.fullmatch(r"[A-Z]+( [A-Z]+)*", result), (text, result)


# --- dates -------------------------------------------------------------------------------


@EXAMPLES
@given(day=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)),
       left=spaces, right=spaces)
def test_registry_and_iso_dates_of_the_same_day_parse_equal(run, day, left, right):
    registry = run("date", f"{left}{day:%d/%m/%Y}{right}")
    iso = run("date", f"{left}{day.isoformat()}{right}")
    assert registry == iso == day


@st.composite
def impossible_dates(draw) -> tuple[int, int, int]:
    year = draw(st.integers(1900, 2100))
    month = draw(st.sampled_from([2, 4, 6, 9, 11]))  # months shorter than 31 days
    first_bad = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day + 1
    day = draw(st.integers(first_bad, 31))
    return year, month, day


@EXAMPLES
@given(ymd=st.one_of(impossible_dates(),
                     st.tuples(st.integers(1900, 2100), st.integers(13, 99), st.integers(1, 28)),
                     st.tuples(st.integers(1900, 2100), st.integers(1, 12), st.integers(32, 99)),
                     st.tuples(st.integers(1900, 2100), st.just(0), st.integers(1, 28)),
                     st.tuples(st.integers(1900, 2100), st.integers(1, 12), st.just(0))),
       iso=st.booleans())
def test_impossible_dates_are_null_not_an_error(run, ymd, iso):
    year, month, day = ymd
    text = f"{year:04d}-{month:02d}-{day:02d}" if iso else f"{day:02d}/{month:02d}/{year:04d}"
    assert run("date", text) is None, text


@EXAMPLES
@given(text=st.one_of(st.none(), st.text(max_size=30),
                      st.text(alphabet="0123456789/- ", max_size=14)))
def test_any_text_parses_to_a_date_or_null_never_an_error(run, text):
    result = run("date", text)
    assert result is None or isinstance(result, dt.date), (text, result)
