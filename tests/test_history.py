"""The time dimension on the simulated year: the alert history and how long court orders
wait (marts.alertas_historial, marts.ejecucion_ordenes, marts.ejecucion_indicadores),
against the simulator's truth."""

from __future__ import annotations

import subprocess

import pyarrow.parquet as pq
import pytest
from lxml import etree
from truth_check import persons_by_key

from penal_hub.core.pseudonyms import extract_person_ids
from penal_hub.core.warehouse import connect
from penal_hub.orchestration.publish.extract import PARQUET_FILE
from penal_hub.orchestration.publish.extract_xml import NAMESPACE, XML_FILE, XSD_PATH


@pytest.fixture
def person_of(con, simulated):
    keys = persons_by_key(con, simulated / "truth")
    return lambda key: keys.get(key, key)


def iso(value) -> str | None:
    return None if value is None else str(value)


@pytest.fixture
def episodes(con, person_of) -> dict[tuple, dict]:
    rows = con.rows("""
        select codigo_alerta, persona_key, expediente, fecha_primer_corte, fecha_ultimo_corte_abierta,
               fecha_corte_cierre, abierta, cortes_abierta, dias_abierta, fecha_referencia, cod_ep
        from marts.alertas_historial""")
    return {
        (code, person_of(key), expediente, iso(first)): {
            "fecha_ultimo_corte_abierta": iso(last), "fecha_corte_cierre": iso(closed), "abierta": is_open,
            "cortes_abierta": n, "dias_abierta": days, "fecha_referencia": iso(ref), "cod_ep": cod_ep}
        for code, key, expediente, first, last, closed, is_open, n, days, ref, cod_ep in rows
    }


def test_open_episodes_on_the_last_cutoff_are_the_current_alerts(con):
    columns = "codigo_alerta, persona_key, expediente, cod_ep, fecha_referencia, dias_abierta, detalle"
    history = con.rows(f"select {columns} from marts.alertas_historial where abierta")
    current = con.rows(f"select {columns} from marts.alertas_interoperabilidad")
    assert sorted(history, key=repr) == sorted(current, key=repr)
    assert current, "the simulated year plants alerts on the last cut-off"
    last = con.rows("select max(fecha_corte) from interop.situacion_juridica_historial")[0][0]
    assert con.rows("select distinct fecha_ultimo_corte_abierta from marts.alertas_historial "
                    "where abierta") == [(last,)]


def test_alert_history_equals_the_truth(episodes, truth):
    expected = {
        (e["codigo_alerta"], e["person_id"], e["expediente"], e["fecha_primer_corte"]): {
            "fecha_ultimo_corte_abierta": e["fecha_ultimo_corte_abierta"],
            "fecha_corte_cierre": e["fecha_corte_cierre"], "abierta": e["fecha_corte_cierre"] is None,
            "cortes_abierta": e["cortes_abierta"], "dias_abierta": e["dias_abierta"],
            "fecha_referencia": e["fecha_referencia"], "cod_ep": e["cod_ep"]}
        for e in truth["alert_history"]
    }
    assert episodes == expected
    # The year has alerts that closed (e.g. an admission ordered at the end of a month,
    # executed in the next), not only the ones planted on the last cut-off.
    assert any(not e["abierta"] for e in episodes.values())


def test_every_planted_alert_starts_on_the_cutoff_its_order_made_it_visible(episodes, truth):
    open_starts = {(code, person, expediente): first
                   for (code, person, expediente, first), e in episodes.items() if e["abierta"]}
    planted = {(p["codigo_alerta"], p["person_id"], p["expediente"]): p["fecha_primer_corte"]
               for p in truth["planted_alerts"]}
    assert {identity: open_starts.get(identity) for identity in planted} == planted
    assert len(set(planted.values())) > 1, "planted alerts start on different cut-offs"


def test_order_executions_equal_the_truth(con, truth, person_of):
    columns = ("fecha_emision", "fecha_referencia", "fecha_ejecucion", "motivo_movimiento", "dias_ejecucion",
               "motivo_no_ejecutada", "en_espera", "dias_espera", "cod_ep", "distrito_judicial")
    rows = con.rows(f"select resolucion_id, tipo_orden, persona_key, {', '.join(columns)} "
                    "from marts.ejecucion_ordenes")
    found = {(rid, kind): (person_of(key), *(iso(v) if "fecha" in c else v for c, v in zip(columns, values, strict=True)))
             for rid, kind, key, *values in rows}
    expected = {(e["resolucion_id"], e["tipo_orden"]): (e["person_id"], *(e[c] for c in columns))
                for e in truth["order_executions"]}
    assert found == expected
    reasons = {e["motivo_no_ejecutada"] for e in truth["order_executions"]}
    assert {None, "SIN_MOVIMIENTO", "PERSONA_FUERA_DEL_REGISTRO", "MOVIMIENTO_ANTERIOR_A_LA_ORDEN"} <= reasons
    assert {kind for _, kind in expected} == {"LIBERTAD", "INGRESO", "FIN_PRISION_PREVENTIVA"}


def test_execution_indicators_equal_the_truth(con, truth):
    names = ("ordenes", "ejecutadas", "mediana_dias", "p90_dias", "ejecutadas_en_un_dia",
             "pct_ejecutadas_en_un_dia", "en_espera")
    rows = con.rows(f"select mes, tipo_orden, ambito, codigo_ambito, {', '.join(names)} "
                    "from marts.ejecucion_indicadores")
    found = {
        f"{mes}|{tipo}|{ambito}|{codigo}": {
            n: (float(v) if n.startswith("pct") and v is not None else v) for n, v in zip(names, values, strict=True)}
        for mes, tipo, ambito, codigo, *values in rows
    }
    assert found == truth["execution_indicators"]
    # The simulated releases wait from 0 to 30 days: the figures are not all the same day.
    national = [v for k, v in found.items() if "|LIBERTAD|NACIONAL|" in k]
    assert len(national) == 12 and max(v["p90_dias"] for v in national) > 1


def test_the_extract_shows_every_waiting_order_of_the_truth(built_warehouse, hub_settings,
                                                            simulated, truth):
    """The Poder Judicial's extract lists, under each person, every order the truth says
    still waits on the cut-off (which order, what for, since when, days waiting), the XML
    as the Parquet file, valid against the XSD shipped beside them (xmllint and lxml)."""
    [folder] = sorted(hub_settings.outbox_dir.glob("[0-9]*"))[-1:]
    with connect(str(built_warehouse), read_only=True) as warehouse:
        person_of_key = persons_by_key(warehouse, simulated / "truth")
    ids = extract_person_ids(person_of_key, hub_settings.pseudonym_key.encode())
    person_of = {ids[key]: person for key, person in person_of_key.items()}
    executed_by = {"LIBERTAD": "EGRESO", "INGRESO": "INGRESO",
                   "FIN_PRISION_PREVENTIVA": "EGRESO_O_SENTENCIA"}
    expected = {
        (e["person_id"], e["resolucion_id"], e["tipo_orden"]):
            (executed_by[e["tipo_orden"]], e["fecha_referencia"], e["dias_espera"], e["cod_ep"])
        for e in truth["order_executions"] if e["en_espera"]}
    assert {kind for _, _, kind in expected} == set(executed_by), "every kind of order waits"

    in_parquet = {
        (person_of.get(row["id_persona"]), o["resolucion_id"], o["tipo_orden"]):
            (o["espera"], iso(o["fecha_referencia"]), o["dias_espera"], o["cod_ep"])
        for row in pq.read_table(folder / PARQUET_FILE).to_pylist()
        for o in row["ordenes_en_espera"]}
    assert in_parquet == expected

    schema = etree.XMLSchema(etree.parse(str(folder / XSD_PATH.name)))
    document = etree.parse(str(folder / XML_FILE))
    assert schema.validate(document), schema.error_log
    xmllint = subprocess.run(["xmllint", "--noout", "--schema", XSD_PATH.name, XML_FILE],
                             cwd=folder, capture_output=True, text=True, check=False)
    assert xmllint.returncode == 0, xmllint.stderr
    ns = {"e": NAMESPACE}
    in_xml = {
        (person_of.get(subject.get("idPersona")), order.get("resolucion"), order.get("tipoOrden")):
            (order.findtext("e:Espera", namespaces=ns),
             order.findtext("e:FechaReferencia", namespaces=ns),
             int(order.findtext("e:DiasEspera", namespaces=ns)),
             order.findtext("e:Establecimiento", namespaces=ns))
        for subject in document.iterfind("e:Expediente/e:Sujeto", ns)
        for order in subject.iterfind("e:OrdenEnEspera", ns)}
    assert in_xml == expected
