"""INPE registry extract (pipe-delimited CSV): quirks land, broken rows are quarantined."""

from __future__ import annotations

import hashlib

import pytest
from feedfiles import INTERNO, csv_file, registry

from penal_hub.connectors import DeliveryRefused, land_delivery
from penal_hub.contracts.feeds import REGISTRY_FILES


def sha256(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def interno(id_interno: str, numero: str = "40123456", paterno: str = "QUISPE") -> str:
    fields = INTERNO.split("|")
    fields[0], fields[2], fields[3] = id_interno, numero, paterno
    return "|".join(fields)


def test_registry_lands_every_file_as_text(con, make_delivery, rows):
    result = land_delivery(con, make_delivery("inpe_registro", registry()))
    assert (result.landed, result.quarantined) == (4, 0)
    [row] = rows("SELECT * FROM raw.inpe_internos")
    assert (row["id_interno"], row["numero_documento"], row["_record_ordinal"]) == (
        "INT0000001", "40123456", 2)
    assert row["pena_anios"] is None  # empty for a PROCESADO
    assert rows("SELECT cod_ep, capacidad_albergue FROM raw.inpe_establecimientos") == [
        {"cod_ep": "EP0101", "capacidad_albergue": "1200"}]
    assert len(rows("SELECT * FROM raw.inpe_movimientos")) == 1
    assert len(rows("SELECT * FROM raw.inpe_actividades")) == 1


def test_dni_without_leading_zeros_lands_as_sent(con, make_delivery, rows):
    files = registry(internos=csv_file("internos.csv", interno("INT1", "0412345"),
                                       interno("INT2", "412345"), interno("INT3", "")))
    land_delivery(con, make_delivery("inpe_registro", files))
    assert [r["numero_documento"] for r in rows(
        "SELECT numero_documento FROM raw.inpe_internos ORDER BY id_interno")] == [
        "0412345", "412345", None]


def test_iso_8859_1_extract_is_decoded(con, make_delivery, rows):
    files = registry(internos=csv_file("internos.csv", interno("INT1", paterno="PEÑA ÑAUPARI")))
    delivery = make_delivery("inpe_registro", files, encoding="ISO-8859-1")
    assert "PEÑA".encode("latin-1") in (delivery.path / "internos.csv").read_bytes()
    land_delivery(con, delivery)
    assert rows("SELECT apellido_paterno FROM raw.inpe_internos") == [
        {"apellido_paterno": "PEÑA ÑAUPARI"}]


def test_a_record_hashes_alike_in_either_encoding(con, make_delivery, rows):
    """`_record_hash` is the sha256 of the record's text as sent, in UTF-8."""
    record = interno("INT1", paterno="PEÑA")
    files = registry(internos=csv_file("internos.csv", record))
    land_delivery(con, make_delivery("inpe_registro", files, fecha="2024-11-30",
                                     encoding="ISO-8859-1"))
    land_delivery(con, make_delivery("inpe_registro", files, fecha="2024-12-31"))
    assert rows("SELECT DISTINCT _record_hash FROM raw.inpe_internos") == [
        {"_record_hash": sha256(record)}]


def test_utf8_bom_is_tolerated(con, make_delivery, rows):
    files = registry(internos="\ufeff" + csv_file("internos.csv", interno("INT1")))
    land_delivery(con, make_delivery("inpe_registro", files))
    assert rows("SELECT id_interno, _record_ordinal FROM raw.inpe_internos") == [
        {"id_interno": "INT1", "_record_ordinal": 2}]


def test_quoted_delimiter_and_newline_stay_in_their_field(con, make_delivery, rows):
    tricky = interno("INT2", paterno='"DE LA|CRUZ\nY ""PEREZ"""')
    files = registry(internos=csv_file("internos.csv", interno("INT1"), tricky, interno("INT3")))
    result = land_delivery(con, make_delivery("inpe_registro", files,
                                              records={"internos.csv": 3}))
    assert result.quarantined == 0
    landed = rows("SELECT id_interno, apellido_paterno, _record_ordinal FROM raw.inpe_internos "
                  "ORDER BY _record_ordinal")
    assert landed == [
        {"id_interno": "INT1", "apellido_paterno": "QUISPE", "_record_ordinal": 2},
        {"id_interno": "INT2", "apellido_paterno": 'DE LA|CRUZ\nY "PEREZ"', "_record_ordinal": 3},
        {"id_interno": "INT3", "apellido_paterno": "QUISPE", "_record_ordinal": 5},  # physical line
    ]


def test_ragged_rows_are_quarantined_with_their_line(con, make_delivery, rows):
    short, long_ = "INT2|DNI|40123457|ROJAS", interno("INT3") + "|EXTRA"
    body = [interno("INT1"), short, interno("INT4", paterno='"A\nB"'), long_, interno("INT5")]
    files = registry(internos=csv_file("internos.csv", *body))
    result = land_delivery(con, make_delivery("inpe_registro", files,
                                              records={"internos.csv": 5}))
    assert (result.landed, result.quarantined, result.manifest_records) == (6, 2, 8)
    assert rows("SELECT id_interno, _record_ordinal FROM raw.inpe_internos ORDER BY 2") == [
        {"id_interno": "INT1", "_record_ordinal": 2}, {"id_interno": "INT4", "_record_ordinal": 4},
        {"id_interno": "INT5", "_record_ordinal": 7}]
    # The rows after a rejected record carry their own record's hash, not the next one's.
    assert rows("SELECT _record_hash FROM raw.inpe_internos ORDER BY _record_ordinal") == [
        {"_record_hash": sha256(text)} for text in (body[0], body[2], body[4])]
    assert rows("SELECT source, fecha_corte, file, record_ordinal, raw_text, reason "
                "FROM raw.quarantine ORDER BY record_ordinal") == [
        {"source": "inpe_registro", "fecha_corte": "2024-12-31", "file": "internos.csv",
         "record_ordinal": 3, "raw_text": short, "reason": "missing_columns"},
        {"source": "inpe_registro", "fecha_corte": "2024-12-31", "file": "internos.csv",
         "record_ordinal": 6, "raw_text": long_, "reason": "too_many_columns"}]


def test_a_row_that_is_not_utf8_is_quarantined(con, make_delivery, rows):
    data = csv_file("internos.csv", interno("INT1"), interno("INT2", paterno="PE\udcd1A")).encode(
        "utf-8", errors="surrogateescape")
    result = land_delivery(con, make_delivery("inpe_registro", registry(internos=data)))
    assert (result.landed, result.quarantined) == (4, 1)
    [bad] = rows("SELECT record_ordinal, raw_text, reason FROM raw.quarantine")
    assert (bad["record_ordinal"], bad["reason"]) == (3, "invalid_encoding")
    assert "PE\\xd1A" in bad["raw_text"]  # the byte is kept, escaped


def test_blank_lines_are_not_records(con, make_delivery, rows):
    text = csv_file("internos.csv", interno("INT1"), "", interno("INT2"))
    land_delivery(con, make_delivery("inpe_registro", registry(internos=text),
                                     records={"internos.csv": 2}))
    assert rows("SELECT id_interno, _record_ordinal FROM raw.inpe_internos ORDER BY 2") == [
        {"id_interno": "INT1", "_record_ordinal": 2}, {"id_interno": "INT2", "_record_ordinal": 4}]


@pytest.mark.parametrize("change, problem", [
    (lambda cols: [c for c in cols if c not in ("SEXO", "NOMBRES")], "missing NOMBRES, SEXO"),
    (lambda cols: [*cols, "OBSERVACIONES"], "unexpected OBSERVACIONES"),
    (lambda cols: [cols[0], cols[2], cols[1], *cols[3:]], "columns out of order"),
])
def test_header_drift_refuses_the_file(con, make_delivery, change, problem):
    header = "|".join(change(list(REGISTRY_FILES["internos.csv"])))
    files = registry(internos=csv_file("internos.csv", header=header))
    with pytest.raises(DeliveryRefused, match=rf"internos.csv line 1: header differs from the spec "
                                              rf"\({problem}\): expected ID_INTERNO\|.*, found "):
        land_delivery(con, make_delivery("inpe_registro", files))


def test_an_empty_file_refuses(con, make_delivery):
    files = registry(establecimientos="")
    with pytest.raises(DeliveryRefused, match="establecimientos.csv line 1: empty file"):
        land_delivery(con, make_delivery("inpe_registro", files,
                                         records={"establecimientos.csv": 0}))


def test_a_header_with_a_stray_carriage_return_refuses(con, make_delivery):
    files = registry(actividades="\r" + csv_file("actividades.csv"))
    with pytest.raises(DeliveryRefused, match="actividades.csv line 1: header is not readable CSV"):
        land_delivery(con, make_delivery("inpe_registro", files))


def test_mixed_line_endings_that_duckdb_cannot_read_refuse_the_file(con, make_delivery):
    text = csv_file("internos.csv", interno("INT1"), interno("INT2", paterno='"A|B"'))
    text = text.replace("\nINT1", "\nI\r\nNT1")  # one CRLF in a LF file, as a fuzzer found
    files = registry(internos=text)
    with pytest.raises(DeliveryRefused, match="internos.csv: not readable as one CSV file"):
        land_delivery(con, make_delivery("inpe_registro", files, records={"internos.csv": 3}))


def test_a_crlf_that_duckdb_reads_as_two_line_ends_refuses_the_file(con, make_delivery):
    # Found by fuzzing: DuckDB numbers a record past the last one found in the bytes.
    header = "|".join(REGISTRY_FILES["actividades.csv"])
    text = f"{header}\nINT0000001|EP0101|LABORAL|PANADERIA|05/12/2024|\r\n|CARCELES|N\n"
    with pytest.raises(DeliveryRefused, match="actividades.csv: DuckDB parsed 0 rows and "
                                              "rejected 2, but 2 records are found in the file"):
        land_delivery(con, make_delivery("inpe_registro", registry(actividades=text)))


def test_a_lone_carriage_return_that_duckdb_reads_as_a_line_end_refuses_the_file(
        con, make_delivery):
    # Found by fuzzing: DuckDB rejects a record numbered past the last one in the bytes.
    text = csv_file("internos.csv", interno("INT0000001"),
                    interno("INT0000002", paterno='\rQUISPE|MAMANI|"JUAN|CARLOS"'))
    with pytest.raises(DeliveryRefused, match="internos.csv: DuckDB parsed 1 rows and rejected "
                                              "2, but 2 records are found in the file: cannot "
                                              "tell their line numbers"):
        land_delivery(con, make_delivery("inpe_registro", registry(internos=text),
                                         records={"internos.csv": 2}))


def with_field(row: str, column: str, value: str) -> str:
    fields = row.split("|")
    fields[REGISTRY_FILES["internos.csv"].index(column)] = value
    return "|".join(fields)


def test_a_field_that_cannot_be_typed_quarantines_its_record_with_its_line(con, make_delivery,
                                                                            rows):
    bad = {  # physical line: (field, value, reason)
        3: ("PENA_ANIOS", "52 años", "not_an_integer: PENA_ANIOS '52 años'"),
        4: ("NOMBRES", "ANA\x0bMARIA", "control_character: NOMBRES 'ANA\\x0bMARIA' holds U+000B"),
        5: ("NOMBRES", "ANA\x00MARIA", "control_character: NOMBRES 'ANA\\x00MARIA' holds U+0000"),
        6: ("FECHA_INGRESO", "31/02/2024", "not_a_date: FECHA_INGRESO '31/02/2024'"),
        7: ("SITUACION_JURIDICA", "CONDENADO", "not_in_code_list: SITUACION_JURIDICA"),
        8: ("NUMERO_DOCUMENTO", "401234567", "malformed_document_number: NUMERO_DOCUMENTO"),
        9: ("NUMERO_EXPEDIENTE", "EXP 123/2024", "malformed_case_number: NUMERO_EXPEDIENTE"),
        10: ("ID_INTERNO", "", "missing_value: ID_INTERNO is empty"),
    }
    lines = [interno("INT1")] + [with_field(interno(f"INT{n}"), field, value)
                                 for n, (field, value, _) in sorted(bad.items())]
    lines.append(interno("INT11"))
    files = registry(internos=csv_file("internos.csv", *lines))
    result = land_delivery(con, make_delivery("inpe_registro", files))
    assert (result.landed, result.quarantined) == (5, len(bad))
    assert [r["id_interno"] for r in rows(
        "SELECT id_interno FROM raw.inpe_internos ORDER BY _record_ordinal")] == ["INT1", "INT11"]
    quarantined = rows("SELECT record_ordinal, raw_text, reason FROM raw.quarantine ORDER BY 1")
    assert [q["record_ordinal"] for q in quarantined] == sorted(bad)
    for q, line in zip(quarantined, lines[1:-1], strict=True):
        assert q["reason"].startswith(bad[q["record_ordinal"]][2]), q
        assert q["raw_text"] == line


def test_a_windows_1252_byte_in_an_iso_8859_1_file_quarantines_its_record_only(
        con, make_delivery, rows):
    """0x93 (a typographic quote in Windows-1252) is a C1 control in ISO-8859-1: that record
    is quarantined with its line; the file's other records land."""
    quoted = interno("INT2", paterno="PEÑA").encode("latin-1").replace(b"PE\xd1A",
                                                                       b"\x93PE\xd1A\x94")
    data = (csv_file("internos.csv", interno("INT1", paterno="ÑAUPARI")).encode("latin-1")
            + quoted + b"\n" + interno("INT3").encode("latin-1") + b"\n")
    files = {**{name: text.encode("latin-1") for name, text in registry().items()},
             "internos.csv": data}
    result = land_delivery(con, make_delivery("inpe_registro", files, encoding="ISO-8859-1"))
    assert result.status == "landed" and (result.landed, result.quarantined) == (5, 1)
    assert [r["apellido_paterno"] for r in rows(
        "SELECT apellido_paterno FROM raw.inpe_internos ORDER BY 1")] == ["QUISPE", "ÑAUPARI"]
    [q] = rows("SELECT file, record_ordinal, reason FROM raw.quarantine")
    assert (q["file"], q["record_ordinal"]) == ("internos.csv", 3)
    assert q["reason"].startswith("control_character: APELLIDO_PATERNO '\\x93PEÑA\\x94' holds "
                                  "U+0093"), q


def test_a_record_that_contradicts_itself_or_repeats_a_key_is_quarantined(con, make_delivery,
                                                                          rows):
    procesado_with_sentence = with_field(interno("INT2"), "PENA_ANIOS", "5")
    files = registry(
        internos=csv_file("internos.csv", interno("INT1"), procesado_with_sentence,
                          interno("INT3"), interno("INT3", paterno="ROJAS")),
        actividades=csv_file("actividades.csv",
                             "INT1|EP0101|LABORAL|PANADERIA|05/12/2024|04/12/2024|CARCELES|N",
                             "INT1|EP0101|LABORAL|PANADERIA|05/12/2024|05/12/2024|CARCELES|N"))
    result = land_delivery(con, make_delivery("inpe_registro", files))
    assert (result.landed, result.quarantined) == (4, 4)
    assert [(q["file"], q["record_ordinal"], q["reason"]) for q in rows(
        "SELECT file, record_ordinal, reason FROM raw.quarantine ORDER BY 1, 2")] == [
        ("actividades.csv", 2, "inconsistent: FECHA_FIN '04/12/2024' is before FECHA_INICIO"),
        ("internos.csv", 3, ("inconsistent: PENA_ANIOS '5' is given only when SITUACION_JURIDICA "
                            "is SENTENCIADO")),
        ("internos.csv", 4, ("duplicate_record: ID_INTERNO 'INT3' identifies more than one "
                            "record of the file (which one is meant is ambiguous)")),
        ("internos.csv", 5, ("duplicate_record: ID_INTERNO 'INT3' identifies more than one "
                            "record of the file (which one is meant is ambiguous)"))]


def test_an_establishment_the_extract_does_not_list_quarantines_its_record(con, make_delivery,
                                                                           rows):
    files = registry(
        internos=csv_file("internos.csv", interno("INT1"), with_field(interno("INT2"), "COD_EP",
                                                                       "EP9999")),
        movimientos=csv_file("movimientos.csv",
                             "INT1|INGRESO|03/12/2024||EP0101|MANDATO_DETENCION|",
                             "INT1|EGRESO|04/12/2024|||PENA_CUMPLIDA|",
                             "INT1|TRASLADO|04/12/2024|EP0101|EP0202|REORDENAMIENTO|"))
    # The manifest lists establecimientos.csv last: it still lands first.
    files = {name: files[name] for name in reversed(files)}
    result = land_delivery(con, make_delivery("inpe_registro", files))
    assert (result.landed, result.quarantined) == (4, 3)
    assert [(q["file"], q["record_ordinal"], q["reason"]) for q in rows(
        "SELECT file, record_ordinal, reason FROM raw.quarantine ORDER BY 1, 2")] == [
        ("internos.csv", 3, ("unknown_code: COD_EP 'EP9999' is not listed in the delivery's "
                            "establecimientos.csv")),
        ("movimientos.csv", 3, ("inconsistent: COD_EP_ORIGEN is required when TIPO_MOVIMIENTO is "
                               "EGRESO or TRASLADO")),
        ("movimientos.csv", 4, ("unknown_code: COD_EP_DESTINO 'EP0202' is not listed in the "
                               "delivery's establecimientos.csv"))]
