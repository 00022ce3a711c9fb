"""INPE medio libre (JSON Lines): every line lands or is quarantined with its line number."""

from __future__ import annotations

import json

from feedfiles import case

from connectors import land_delivery


def land_lines(con, make_delivery, *lines: str | bytes, **kwargs):
    data = b"".join((line.encode() if isinstance(line, str) else line) + b"\n" for line in lines)
    return land_delivery(con, make_delivery("inpe_medio_libre", {"casos-0001.jsonl": data}, **kwargs))


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
    truncated = case("ML-2")[:25]
    no_id, null_id = case(None), case(None, estado="PASIVO").replace("{", '{"id_caso": null, ', 1)
    lines = [case("ML-1"), truncated, no_id, "", case("ML-5"), "[1, 2]", null_id, b"{\"id_caso\": \"\xff\"}"]
    result = land_lines(con, make_delivery, *lines)
    assert (result.landed, result.quarantined, result.manifest_records) == (2, 6, 8)
    assert rows("SELECT id_caso, _record_ordinal FROM raw.inpe_medio_libre ORDER BY 2") == [
        {"id_caso": "ML-1", "_record_ordinal": 1}, {"id_caso": "ML-5", "_record_ordinal": 5}]
    assert rows("SELECT file, record_ordinal, raw_text, reason FROM raw.quarantine "
                "ORDER BY record_ordinal") == [
        {"file": "casos-0001.jsonl", "record_ordinal": 2, "raw_text": truncated,
         "reason": "invalid_json"},
        {"file": "casos-0001.jsonl", "record_ordinal": 3, "raw_text": no_id,
         "reason": "missing_id_caso"},
        {"file": "casos-0001.jsonl", "record_ordinal": 4, "raw_text": "", "reason": "invalid_json"},
        {"file": "casos-0001.jsonl", "record_ordinal": 6, "raw_text": "[1, 2]",
         "reason": "missing_id_caso"},
        {"file": "casos-0001.jsonl", "record_ordinal": 7, "raw_text": null_id,
         "reason": "missing_id_caso"},
        {"file": "casos-0001.jsonl", "record_ordinal": 8,
         "raw_text": "{\\x22id_caso\\x22: \\x22\\xFF\\x22}", "reason": "invalid_json"},
    ]


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
