"""INPE medio libre (JSON Lines): every line lands or is quarantined with its line number."""

from __future__ import annotations

import json

from feedfiles import case

from penal_hub.connectors import land_delivery


def land_lines(con, make_delivery, *lines: str | bytes, **kwargs):
    data = b"".join((line.encode() if isinstance(line, str) else line) + b"\n" for line in lines)
    delivery = make_delivery("inpe_medio_libre", {"casos-0001.jsonl": data}, **kwargs)
    return land_delivery(con, delivery)


def test_a_case_lands_with_its_whole_line(con, make_delivery, rows):
    line = case("ML-2024-0004512", 3, persona={"nombres": "ROSA ELENA"}, motivo_estado=None)
    land_lines(con, make_delivery, line)
    [row] = rows("SELECT * FROM raw.inpe_medio_libre")
    assert (row["id_caso"], row["version"], row["fecha_actualizacion"]) == (
        "ML-2024-0004512", "3", "2024-12-02")
    assert row["record"] == line and json.loads(row["record"])["persona"]["nombres"] == "ROSA ELENA"


def test_repeated_lines_land_as_sent(con, make_delivery, rows):
    result = land_lines(con, make_delivery, case(), case(), case())
    assert (result.landed, result.quarantined) == (3, 0)
    landed = rows("SELECT _record_ordinal, _record_hash FROM raw.inpe_medio_libre ORDER BY 1")
    assert [r["_record_ordinal"] for r in landed] == [1, 2, 3]
    assert len({r["_record_hash"] for r in landed}) == 1


def test_invalid_and_id_less_lines_are_quarantined_with_their_line(con, make_delivery, rows):
    null_id = case(None, estado="PASIVO").replace("{", '{"id_caso": null, ', 1)
    bad = {2: (case("ML-2")[:25], "invalid_json"), 3: (case(None), "missing_id_caso"),
           4: ("", "invalid_json"), 6: ("[1, 2]", "missing_id_caso"),
           7: (null_id, "missing_id_caso"), 8: (case("   "), "missing_id_caso")}
    lines = [case("ML-1"), *(bad[n][0] for n in (2, 3, 4)), case("ML-5"),
             *(bad[n][0] for n in (6, 7, 8))]
    result = land_lines(con, make_delivery, *lines)
    assert (result.landed, result.quarantined, result.manifest_records) == (2, 6, 8)
    assert rows("SELECT id_caso, _record_ordinal FROM raw.inpe_medio_libre ORDER BY 2") == [
        {"id_caso": "ML-1", "_record_ordinal": 1}, {"id_caso": "ML-5", "_record_ordinal": 5}]
    quarantined = rows("SELECT * FROM raw.quarantine ORDER BY record_ordinal")
    assert [(q["record_ordinal"], q["raw_text"], q["reason"]) for q in quarantined] == [
        (n, text, reason) for n, (text, reason) in bad.items()]
    assert {(q["source"], q["fecha_corte"], q["file"], q["delivery_id"]) for q in quarantined} == {
        ("inpe_medio_libre", "2024-12-31", "casos-0001.jsonl", result.delivery_id)}


def test_lines_that_are_not_utf8_are_invalid_json_with_their_bytes_kept(con, make_delivery, rows):
    # The second line would read as valid JSON if its bad byte were simply escaped.
    result = land_lines(con, make_delivery, b'{"id_caso": "\xff"}', b'{"id_caso": "ML\\\xff"}',
                        case("ML-3"))
    assert (result.landed, result.quarantined) == (1, 2)
    assert rows("SELECT record_ordinal, raw_text, reason FROM raw.quarantine ORDER BY 1") == [
        {"record_ordinal": 1, "raw_text": '{"id_caso": "\\xff"}', "reason": "invalid_json"},
        {"record_ordinal": 2, "raw_text": '{"id_caso": "ML\\\\xff"}', "reason": "invalid_json"}]


def test_a_file_without_final_newline_counts_its_last_line(con, make_delivery, rows):
    data = (case("ML-1") + "\n" + case("ML-2")).encode()
    result = land_delivery(con, make_delivery("inpe_medio_libre", {"casos-0001.jsonl": data},
                                              records={"casos-0001.jsonl": 2}))
    assert result.landed == 2


def test_an_empty_file_lands_nothing(con, make_delivery):
    result = land_delivery(con, make_delivery("inpe_medio_libre", {"casos-0001.jsonl": b""}))
    assert (result.status, result.landed, result.manifest_records) == ("landed", 0, 0)


def test_crlf_line_ends_are_not_part_of_the_record(con, make_delivery, rows):
    result = land_lines(con, make_delivery, case("ML-1") + "\r")
    assert result.landed == 1
    assert rows("SELECT record FROM raw.inpe_medio_libre") == [{"record": case("ML-1")}]


def test_whole_lines_are_stored_with_zstd(con, make_delivery):
    """The raw line text is kept compressed with zstd (smaller and faster than DuckDB's default)."""
    land_lines(con, make_delivery, *(case(f"ML-{n}", observaciones="x" * n) for n in range(300)))
    con.execute("CHECKPOINT")
    assert con.execute("SELECT DISTINCT compression FROM pragma_storage_info('raw.inpe_medio_libre') "
                       "WHERE column_name = 'record' AND segment_type = 'VARCHAR'").fetchall() == [
        ("ZSTD",)]


def test_a_field_that_cannot_be_typed_quarantines_its_line_alone(con, make_delivery, rows):
    """Valid JSON, wrong value: the line is quarantined naming the field, the value (escaped)
    and why; the other lines land."""
    bad = {
        2: (case(jornadas_impuestas="52 jornadas"), "wrong_json_type: jornadas_impuestas"),
        3: (case(version=1.5), "wrong_json_type: version '1.5'"),
        4: (case().replace('"version": 1', '"version": NaN'), "wrong_json_type: version"),
        5: (case(jornadas_cumplidas=1e400), "wrong_json_type: jornadas_cumplidas"),
        6: (case(jornadas_impuestas=[1]), "wrong_json_type: jornadas_impuestas '[1]'"),
        7: (case(persona={"nombres": "ANA\u0000MARIA"}),
            "control_character: persona.nombres 'ANA\\x00MARIA' holds U+0000"),
        8: (case(jornadas_impuestas=10**12), "not_an_integer: jornadas_impuestas '1000000000000'"),
        9: (case(estado="VIGENTE"), "not_in_code_list: estado 'VIGENTE'"),
        10: (case(fecha_inicio="2024-02-30"), "not_a_date: fecha_inicio '2024-02-30'"),
        11: (case(expediente="EXP 123/2024"), "malformed_case_number: expediente 'EXP 123/2024'"),
        12: (case(persona={"tipo_documento": "DNI", "numero_documento": "4012A456"}),
             "malformed_document_number: persona.numero_documento '4012A456'"),
        13: (case().replace('"estado": "ACTIVO"', '"estado": "ACTIVO", "estado": "PASIVO"'),
             "duplicate_key: the record"),
        14: (case(persona="QUISPE"), "wrong_json_type: persona '\"QUISPE\"' is a JSON varchar"),
        15: (case(estado=None), "missing_value: estado"),
        16: (case(persona={"nombres": "A" * 1001}), "too_long: persona.nombres 'AAA"),
    }
    lines = [case("ML-1"), *(bad[n][0] for n in sorted(bad)), case("ML-16")]
    result = land_lines(con, make_delivery, *lines)
    assert (result.landed, result.quarantined) == (2, len(bad))
    assert [r["id_caso"] for r in rows("SELECT id_caso FROM raw.inpe_medio_libre ORDER BY "
                                       "_record_ordinal")] == ["ML-1", "ML-16"]
    quarantined = rows("SELECT record_ordinal, raw_text, reason FROM raw.quarantine ORDER BY 1")
    assert [q["record_ordinal"] for q in quarantined] == sorted(bad)
    for q in quarantined:
        text, reason = bad[q["record_ordinal"]]
        assert q["reason"].startswith(reason), (q["reason"], reason)
        assert q["raw_text"] == text


def test_a_record_that_contradicts_itself_is_quarantined(con, make_delivery, rows):
    result = land_lines(con, make_delivery, case("ML-1", estado="PASIVO"),
                        case("ML-2", motivo_estado="CUMPLIMIENTO"),
                        case("ML-3", estado="PASIVO", motivo_estado="CUMPLIMIENTO"))
    assert (result.landed, result.quarantined) == (1, 2)
    assert rows("SELECT record_ordinal, reason FROM raw.quarantine ORDER BY 1") == [
        {"record_ordinal": 1, "reason": "inconsistent: motivo_estado is given exactly when estado "
                                        "is PASIVO"},
        {"record_ordinal": 2, "reason": "inconsistent: motivo_estado 'CUMPLIMIENTO' is given "
                                        "exactly when estado is PASIVO"}]
