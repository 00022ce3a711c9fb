"""Delivery-level rules shared by every source: manifest, files, transactions, re-deliveries."""

from __future__ import annotations

import hashlib
import json
import os

import duckdb
import pytest
from feedfiles import INTERNO, case, csv_file, lote, registry, resolucion

from penal_hub import connectors
from penal_hub.connectors import DeliveryRefused, land_all, land_delivery
from penal_hub.connectors.warehouse import ensure_schema
from penal_hub.contracts.feeds import SOURCE_TABLES

JSONL = {"casos-0001.jsonl": case() + "\n" + case("ML-2024-0000002") + "\n"}


def landed_rows(con) -> int:
    ensure_schema(con)
    tables = {t for ts in SOURCE_TABLES.values() for t in ts}
    return sum(con.execute(f"SELECT count(*) FROM raw.{t}").fetchall()[0][0] for t in tables)


def assert_refused(con, delivery, match: str) -> str:
    """Land, expect a refusal whose reason matches, and check only the log row remains."""
    with pytest.raises(DeliveryRefused, match=match) as raised:
        land_delivery(con, delivery)
    reason = str(raised.value)
    assert raised.value.result.status == "refused" and raised.value.result.reason == reason
    assert landed_rows(con) == 0
    assert con.execute("SELECT count(*) FROM raw.quarantine").fetchall()[0][0] == 0
    log = con.execute("SELECT status, reason FROM raw.deliveries").fetchall()
    assert log == [("refused", reason)]
    return reason


def test_a_good_delivery_lands_with_lineage(con, make_delivery, rows):
    delivery = make_delivery("inpe_medio_libre", JSONL)
    result = land_delivery(con, delivery)
    assert (result.status, result.landed, result.quarantined, result.manifest_records) == (
        "landed", 2, 0, 2)
    landed = rows("SELECT * FROM raw.inpe_medio_libre ORDER BY _record_ordinal")
    assert [r["_record_ordinal"] for r in landed] == [1, 2]
    assert {(r["_delivery_id"], r["_file"]) for r in landed} == {
        (result.delivery_id, "casos-0001.jsonl")}
    assert all(r["_loaded_at"] is not None and len(r["_record_hash"]) == 32 for r in landed)
    [log] = rows("SELECT * FROM raw.deliveries")
    assert (log["status"], log["path"], log["fingerprint"][:16]) == (
        "landed", str(delivery.path), result.delivery_id[-16:])
    assert (log["manifest_records"], log["landed_records"], log["quarantined_records"]) == (2, 2, 0)


def test_folder_without_manifest_is_logged_incomplete_and_never_read(con, landing, make_delivery,
                                                                        rows):
    make_delivery("pj_resoluciones", {"lote-0001.xml": "<LoteResoluciones"}, manifest=False)
    results = land_all(con, landing)
    assert [(r.status, r.fecha_corte) for r in results] == [("incomplete", "2024-12-31")]
    land_all(con, landing)  # seen again: still one row
    assert [r["status"] for r in rows("SELECT status FROM raw.deliveries")] == ["incomplete"]
    assert landed_rows(con) == 0


def test_an_incomplete_folder_lands_once_its_manifest_arrives(con, landing, make_delivery, rows):
    make_delivery("inpe_medio_libre", JSONL, manifest=False)
    land_all(con, landing)
    make_delivery("inpe_medio_libre", JSONL)
    assert [r.status for r in land_all(con, landing)] == ["landed"]
    assert [r["status"] for r in rows("SELECT status FROM raw.deliveries")] == ["landed"]


def test_sha256_mismatch_refuses_the_whole_delivery(con, make_delivery):
    delivery = make_delivery("inpe_medio_libre", {**JSONL, "casos-0002.jsonl": case("ML-3") + "\n"},
                             archivos={"casos-0002.jsonl": {"sha256": "0" * 64}})
    reason = assert_refused(con, delivery, "casos-0002.jsonl: sha256 mismatch")
    assert "0" * 64 in reason  # what was expected, and what was found
    assert "casos-0001.jsonl" not in reason


@pytest.mark.parametrize("truncated", [False, True])
def test_a_court_file_that_is_not_its_manifests_bytes_is_refused_for_that(con, make_delivery,
                                                                          truncated):
    """The court parser streams the file: its sha256 is known at the end, and a file cut
    short (so also malformed) is refused for its sha256, what is wrong with it."""
    good = lote(resolucion("RES-1"), resolucion("RES-2"))
    sent = good[:len(good) // 2] if truncated else good.replace("RES-2", "RES-3")
    delivery = make_delivery("pj_resoluciones", {"lote-0001.xml": sent},
                             archivos={"lote-0001.xml": {
                                 "sha256": hashlib.sha256(good.encode()).hexdigest()}})
    assert_refused(con, delivery, "lote-0001.xml: sha256 mismatch")


def test_record_count_mismatch_refuses_the_whole_delivery(con, make_delivery):
    delivery = make_delivery("inpe_medio_libre", JSONL, records={"casos-0001.jsonl": 3})
    assert_refused(con, delivery, r"casos-0001.jsonl: record count mismatch: manifest says 3, "
                                  r"file has 2 \(2 landed \+ 0 quarantined\)")


def test_a_listed_file_that_is_missing_refuses(con, make_delivery):
    delivery = make_delivery("inpe_medio_libre", JSONL)
    (delivery.path / "casos-0001.jsonl").unlink()
    assert_refused(con, delivery, "casos-0001.jsonl: listed in manifest.json but not found")


@pytest.mark.parametrize("name", ["../casos.jsonl", "/etc/passwd", "sub/casos.jsonl",
                                  "sub\\casos.jsonl", ".."])
def test_a_file_name_that_leaves_the_folder_refuses(con, make_delivery, name):
    delivery = make_delivery("inpe_medio_libre", JSONL,
                             archivos={"casos-0001.jsonl": {"nombre": name}})
    assert_refused(con, delivery, "is not a plain file name inside the folder")


@pytest.mark.parametrize(("name", "shown"), [("casos\n-0001.jsonl", r"'casos\\n-0001.jsonl'"),
                                             ("casos-\u202elnosj.jsonl", r"'casos-\\u202elnosj.jsonl'")])
def test_a_file_name_with_a_line_break_or_bidi_override_refuses_shown_escaped(
        con, make_delivery, name, shown):
    delivery = make_delivery("inpe_medio_libre", JSONL,
                             archivos={"casos-0001.jsonl": {"nombre": name}})
    reason = assert_refused(con, delivery, f"nombre {shown} is not a plain file name")
    assert "\n" not in reason and "\u202e" not in reason


@pytest.mark.parametrize("special", ["manifest.json", "casos-0001.jsonl"])
def test_a_fifo_is_refused_without_blocking(con, make_delivery, special):
    """A FIFO opened for reading would wait for a writer forever: it is refused unread."""
    delivery = make_delivery("inpe_medio_libre", JSONL)
    path = delivery.path / special
    path.unlink()
    os.mkfifo(path)
    assert_refused(con, delivery, f"{special}: not a regular file \\(a FIFO\\)")


def test_a_manifest_with_a_key_twice_refuses(con, make_delivery):
    delivery = make_delivery("inpe_medio_libre", JSONL)
    manifest = delivery.path / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"fecha_corte"',
                                                     '"fecha_corte": "2024-12-30", "fecha_corte"'))
    assert_refused(con, delivery, "manifest.json: the key 'fecha_corte' appears twice")


def test_a_symlink_pointing_outside_the_landing_root_refuses(con, tmp_path, make_delivery):
    outside = tmp_path / "outside.jsonl"
    outside.write_text(JSONL["casos-0001.jsonl"])
    delivery = make_delivery("inpe_medio_libre", JSONL)
    (delivery.path / "casos-0001.jsonl").unlink()
    (delivery.path / "casos-0001.jsonl").symlink_to(outside)
    assert_refused(con, delivery, "casos-0001.jsonl: resolves to .*outside.jsonl', outside the "
                                  "landing root")


def test_manifest_that_is_not_json_refuses(con, make_delivery):
    delivery = make_delivery("inpe_medio_libre", JSONL, manifest=b'{"fuente": "INPE-MEDIO-LIBRE",')
    assert_refused(con, delivery, r"manifest.json: not valid JSON \(")


@pytest.mark.parametrize("patch, match", [
    ({"archivos": None}, "archivos must be a non-empty list"),
    ({"fuente": "PJ-RESOLUCIONES"}, "fuente is 'PJ-RESOLUCIONES', expected 'INPE-MEDIO-LIBRE'"),
    ({"fecha_corte": "2024-12-30"}, "fecha_corte is '2024-12-30', expected '2024-12-31'"),
])
def test_manifest_with_wrong_fields_refuses(con, make_delivery, patch, match):
    delivery = make_delivery("inpe_medio_libre", JSONL, manifest=patch)
    assert_refused(con, delivery, match)


def test_manifest_missing_fields_refuses(con, make_delivery):
    delivery = make_delivery("inpe_medio_libre", JSONL)
    manifest = delivery.path / "manifest.json"
    doc = json.loads(manifest.read_text())
    del doc["generado_en"], doc["fecha_corte"]
    manifest.write_text(json.dumps(doc))
    assert_refused(con, delivery, "missing required field.* fecha_corte, generado_en")


@pytest.mark.parametrize("entry, match", [
    ({"codificacion": "UTF-16"}, "codificacion 'UTF-16', expected one of UTF-8, ISO-8859-1"),
    ({"registros": "2"}, "registros '2' is not a count"),
    ({"sha256": "abc"}, "sha256 'abc' is not 64 hex digits"),
])
def test_manifest_file_entry_with_bad_values_refuses(con, make_delivery, entry, match):
    delivery = make_delivery("inpe_medio_libre", JSONL, archivos={"casos-0001.jsonl": entry})
    assert_refused(con, delivery, match)


def test_registry_delivery_must_list_all_four_files(con, make_delivery):
    files = registry()
    del files["movimientos.csv"]
    assert_refused(con, make_delivery("inpe_registro", files), "lists exactly")


def test_a_refusal_midway_rolls_back_the_files_already_landed(con, make_delivery):
    # lote-0001 is fine and lands first; lote-0002 is truncated: nothing of either remains.
    files = {"lote-0001.xml": lote(resolucion()), "lote-0002.xml": lote(resolucion())[:-40]}
    delivery = make_delivery("pj_resoluciones", files, records={"lote-0002.xml": 1})
    assert_refused(con, delivery, "lote-0002.xml line")


def test_a_crash_midway_leaves_nothing_and_is_raised(con, make_delivery, monkeypatch):
    connector = connectors.CONNECTORS["inpe_medio_libre"]

    def crash_on_second_file(landing, entry, lines):
        if entry.name == "casos-0002.jsonl":
            raise RuntimeError("disk full")
        return connector.land_file(landing, entry, lines)

    monkeypatch.setitem(connectors.CONNECTORS, "inpe_medio_libre",
                        connector._replace(land_file=crash_on_second_file))
    files = {**JSONL, "casos-0002.jsonl": case("ML-3") + "\n"}
    with pytest.raises(RuntimeError, match="disk full"):
        land_delivery(con, make_delivery("inpe_medio_libre", files))
    assert landed_rows(con) == 0
    assert con.execute("SELECT count(*) FROM raw.deliveries").fetchall() == [(0,)]


def test_land_all_logs_a_refusal_and_goes_on(con, landing, make_delivery):
    make_delivery("inpe_medio_libre", JSONL, "2024-12-30", records={"casos-0001.jsonl": 9})
    make_delivery("inpe_medio_libre", JSONL, "2024-12-31")
    results = land_all(con, landing)
    assert [(r.fecha_corte, r.status) for r in results] == [("2024-12-30", "refused"),
                                                            ("2024-12-31", "landed")]
    assert "manifest says 9" in results[0].reason


def test_landing_the_same_delivery_twice_keeps_one_copy(con, make_delivery, rows):
    delivery = make_delivery("inpe_medio_libre", JSONL)
    first = land_delivery(con, delivery)
    loaded_at = rows("SELECT DISTINCT _loaded_at FROM raw.inpe_medio_libre")
    second = land_delivery(con, delivery)
    assert second.delivery_id == first.delivery_id
    assert second.reason == "already landed: nothing done"
    assert landed_rows(con) == 2
    assert rows("SELECT DISTINCT _loaded_at FROM raw.inpe_medio_libre") == loaded_at
    assert len(rows("SELECT * FROM raw.deliveries")) == 1


def test_a_corrected_redelivery_supersedes_the_earlier_one(con, landing, make_delivery, rows):
    make_delivery("inpe_medio_libre", JSONL)
    [first] = land_all(con, landing)
    corrected = {"casos-0001.jsonl": case("ML-2024-0000009", version=2) + "\n"}
    make_delivery("inpe_medio_libre", corrected)  # same folder, new content
    [second] = land_all(con, landing)
    assert second.status == "landed" and second.delivery_id != first.delivery_id
    assert rows("SELECT id_caso, version, _delivery_id FROM raw.inpe_medio_libre") == [
        {"id_caso": "ML-2024-0000009", "version": "2", "_delivery_id": second.delivery_id}]
    log = {r["delivery_id"]: r for r in rows("SELECT * FROM raw.deliveries")}
    assert log[first.delivery_id]["status"] == "superseded"
    assert second.delivery_id in log[first.delivery_id]["reason"]
    assert log[second.delivery_id]["status"] == "landed"


def test_a_delivery_sent_again_after_its_correction_lands_and_quarantines_once(
        con, landing, make_delivery, rows):
    """A, B (a correction), then A again: the ledger holds A's records once, landed or
    quarantined, and reconciles with A's manifest."""
    a = {"casos-0001.jsonl": case() + "\nnot json\n" + case("ML-2024-0000002") + "\n"}
    b = {"casos-0001.jsonl": case("ML-2024-0000009", version=2) + "\n{}\n"}
    sent = []
    for files in (a, b, a):
        make_delivery("inpe_medio_libre", files)
        [result] = land_all(con, landing)
        assert result.status == "landed"
        sent.append(result)
    first, second, again = sent
    assert again.delivery_id == first.delivery_id
    assert rows("SELECT id_caso, _delivery_id FROM raw.inpe_medio_libre ORDER BY id_caso") == [
        {"id_caso": "ML-2024-0000001", "_delivery_id": first.delivery_id},
        {"id_caso": "ML-2024-0000002", "_delivery_id": first.delivery_id}]
    # The correction's rejected record stays visible, under its superseded delivery.
    assert rows("SELECT delivery_id, record_ordinal, reason FROM raw.quarantine "
                f"ORDER BY delivery_id = '{second.delivery_id}'") == [
        {"delivery_id": first.delivery_id, "record_ordinal": 2, "reason": "invalid_json"},
        {"delivery_id": second.delivery_id, "record_ordinal": 2, "reason": "missing_id_caso"}]
    log = {r["delivery_id"]: r for r in rows("SELECT * FROM raw.deliveries")}
    assert {k: v["status"] for k, v in log.items()} == {
        first.delivery_id: "landed", second.delivery_id: "superseded"}
    landed = log[first.delivery_id]
    assert (landed["landed_records"], landed["quarantined_records"],
            landed["manifest_records"]) == (2, 1, 3)


def test_a_refused_redelivery_leaves_the_earlier_one_published(con, landing, make_delivery, rows):
    make_delivery("inpe_medio_libre", JSONL)
    [first] = land_all(con, landing)
    make_delivery("inpe_medio_libre", JSONL, records={"casos-0001.jsonl": 5})
    [second] = land_all(con, landing)
    assert second.status == "refused"
    assert landed_rows(con) == 2
    statuses = {r["delivery_id"]: r["status"] for r in rows("SELECT * FROM raw.deliveries")}
    assert statuses == {first.delivery_id: "landed", second.delivery_id: "refused"}


def _court(i: int, refused: bool) -> dict[str, str]:
    files = {f"lote-000{k}.xml": lote(*(resolucion(f"RES-{i}-{k}-{n}", paterno=f"P{n}")
                                        for n in range(3 + k))) for k in (1, 2)}
    if refused:  # refused by the worker parsing it, raised when its file is taken
        files["lote-0002.xml"] = lote(resolucion(paterno="QUISPE & HIJOS"))
    return files


def _registry(i: int, refused: bool) -> dict[str, str]:
    internos = [INTERNO.replace("INT0000001", f"INT{i}{n}") for n in range(4)]
    return registry(internos=csv_file("internos.csv", *internos))


def _medio_libre(i: int, refused: bool) -> dict[str, str]:
    return {f"casos-000{k}.jsonl": "".join(f"{case(f'ML-{i}-{k}-{n}')}\n" for n in range(2 + k))
            for k in (1, 2)}


# source -> (files of delivery i, the files whose count a refused delivery's manifest
# gets wrong, how many files are prepared ahead and taken)
READ_AHEAD_CASES = {
    "pj_resoluciones": (_court, {}, 5),  # 2 + 1 (the second is refused) + 2
    "inpe_registro": (_registry, {"actividades.csv": 7}, 12),  # the last file: all taken
    "inpe_medio_libre": (_medio_libre, {"casos-0002.jsonl": 7}, 6),
}


@pytest.mark.parametrize("source", READ_AHEAD_CASES)
def test_files_read_ahead_land_as_read_in_process(source, con, make_delivery, landing, tmp_path):
    """Deliveries landed with `land_each` (the next files prepared ahead: court files by
    worker processes, the others on a thread) give the same rows, refusals and log as
    landing each in-process; an already landed one is skipped, its files never read."""
    files, wrong_counts, taken = READ_AHEAD_CASES[source]
    for i, fecha in enumerate(["2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30"]):
        refused = fecha == "2024-03-31"
        make_delivery(source, files(i, refused), fecha=fecha,
                      records=wrong_counts if refused else None)
    deliveries = connectors.find_deliveries(landing)

    def landed(target) -> list:
        return [target.execute(f"SELECT * EXCLUDE (_loaded_at) FROM raw.{table} ORDER BY ALL")
                .fetchall() for table in SOURCE_TABLES[source]]

    with duckdb.connect(str(tmp_path / "in_process.duckdb")) as reference:
        land_delivery(reference, deliveries[1])  # landed before: its files are not read again
        expected = []
        for delivery in deliveries:
            try:
                expected.append(land_delivery(reference, delivery))
            except DeliveryRefused as refusal:
                expected.append(refusal.result)
        expected_rows = landed(reference)
    land_delivery(con, deliveries[1])
    with connectors.prefetching(con, deliveries) as prefetcher:
        results = list(connectors.land_each(con, deliveries, prefetcher))
    assert prefetcher.taken == taken
    assert results == expected
    assert landed(con) == expected_rows
    assert [r.status for r in expected] == ["landed", "landed", "refused", "landed"]
    assert expected[1].reason == "already landed: nothing done"
    assert all(expected_rows)


def test_landing_many_deliveries_checkpoints_once_at_the_end(con, make_delivery, landing,
                                                              tmp_path):
    """`land_each` lets the write-ahead log grow while it lands, then checkpoints: the
    landed rows are in the database file and the connection's setting is as it was."""
    for fecha in ("2024-11-30", "2024-12-31"):
        make_delivery("inpe_registro", registry(), fecha=fecha)
    con.execute("SET checkpoint_threshold = '1MB'")
    threshold = con.execute("SELECT current_setting('checkpoint_threshold')").fetchall()
    results = list(connectors.land_each(con, connectors.find_deliveries(landing)))
    assert [r.status for r in results] == ["landed", "landed"]
    assert con.execute("SELECT current_setting('checkpoint_threshold')").fetchall() == threshold
    wal = tmp_path / "hub.duckdb.wal"
    assert not wal.exists() or wal.stat().st_size == 0


@pytest.mark.parametrize("source", READ_AHEAD_CASES)
def test_a_folder_redelivered_after_it_was_read_ahead_lands_its_new_bytes(
        source, con, make_delivery, landing):
    """The next delivery's files are read ahead while the current one lands; then its
    sender replaces the folder (new files, new manifest). What lands is the new content,
    under the new delivery id: the bytes parsed are the bytes whose sha256 was checked."""
    files = READ_AHEAD_CASES[source][0]
    make_delivery(source, files(1, False), fecha="2024-11-30")
    make_delivery(source, files(2, False), fecha="2024-12-31")
    deliveries = connectors.find_deliveries(landing)
    with connectors.prefetching(con, deliveries) as prefetcher:
        landing_each = connectors.land_each(con, deliveries, prefetcher)
        first = next(landing_each)
        assert first.status == "landed"
        [reading] = prefetcher.aheads
        # The files of 2024-12-31 are read: wait for the read-ahead (its futures) to finish.
        for future in list(reading._preparing.values()):
            future.exception(timeout=60)
        assert reading._preparing  # it did read them before the folder changed
        redelivered = make_delivery(source, files(3, False), fecha="2024-12-31")
        [second] = list(landing_each)

    assert (second.status, second.delivery_id) == (
        "landed", connectors.current_delivery_id(redelivered))
    with duckdb.connect(":memory:") as reference:
        expected = land_delivery(reference, redelivered)
        for table in SOURCE_TABLES[source]:
            query = (f"SELECT * EXCLUDE (_loaded_at, _delivery_id) FROM raw.{table} "
                     "WHERE _delivery_id = ? ORDER BY ALL")
            assert (con.execute(query, [second.delivery_id]).fetchall()
                    == reference.execute(query, [expected.delivery_id]).fetchall())
    assert second.landed == expected.landed > 0
