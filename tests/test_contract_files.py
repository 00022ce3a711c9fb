"""The contract files (penal_hub/contracts/feeds/) describe what the simulator delivers,
refuse what the spec does not allow, agree with each other and with docs/feeds.md, and are
what penal_hub.contracts.feeds says: the files are read here on their own, as a reader in
another language would, not through feeds.py."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from lxml import etree

from penal_hub.connectors import delivery
from penal_hub.contracts import feeds

SPEC = Path(__file__).resolve().parents[1] / "docs" / "feeds.md"
XS = {"xs": "http://www.w3.org/2001/XMLSchema"}
XSD_DOC = etree.parse(str(feeds.PJ_SCHEMA))
XSD = etree.XMLSchema(XSD_DOC)
LAYOUT = json.loads(feeds.REGISTRY_LAYOUT.read_text("utf-8"))
MEDIO_LIBRE = json.loads(feeds.MEDIO_LIBRE_SCHEMA.read_text("utf-8"))
MANIFEST = json.loads(feeds.MANIFEST_SCHEMA.read_text("utf-8"))


def validator(schema: dict) -> Draft202012Validator:
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def enumeration(type_name: str) -> tuple[str, ...]:
    return tuple(XSD_DOC.xpath(f"//xs:simpleType[@name='{type_name}']//xs:enumeration/@value",
                               namespaces=XS))


def xsd_pattern(type_name: str) -> str:
    (pattern,) = XSD_DOC.xpath(f"//xs:simpleType[@name='{type_name}']//xs:pattern/@value",
                               namespaces=XS)
    return pattern


def complete_deliveries(landing: Path, source: str) -> list[Path]:
    """The delivery folders the sender finished (the manifest is written last)."""
    return sorted(folder for folder in (landing / feeds.SOURCES[source][0]).iterdir()
                  if (folder / feeds.MANIFEST_NAME).exists())


def manifest_entries(folder: Path) -> list[dict]:
    return json.loads((folder / feeds.MANIFEST_NAME).read_text("utf-8"))["archivos"]


# --- What the registry layout says of one CSV row ------------------------------------

def registry_errors(name: str, row: dict[str, str]) -> list[str]:
    """Every column of `row` that breaks its rule in the layout (inpe_registro.json)."""
    errors = []
    for column in LAYOUT["files"][name]["columns"]:
        label, value = column["name"], row[column["name"]]
        if value == "":
            if column.get("required"):
                errors.append(f"{label} missing")
            continue
        kind, spec = column["type"], LAYOUT["types"][column["type"]]
        if len(value) > LAYOUT["max_length"]:
            errors.append(f"{label} too long")
        if "pattern" in spec and not re.fullmatch(spec["pattern"], value):
            errors.append(f"{label}={value!r} does not match {kind}")
        elif kind == "date":
            try:
                datetime.strptime(value, "%d/%m/%Y")
            except ValueError:
                errors.append(f"{label}={value!r} is not a day")
        if kind == "code":
            codes = LAYOUT["code_lists"][column["codes"]]
            if "by" in column:
                codes = codes.get(row[column["by"]], [])
            if value not in codes:
                errors.append(f"{label}={value!r} not in {column['codes']}")
        if kind == "document_number":
            pattern = spec["patterns"].get(row[column["document_type"]])
            if pattern is None or not re.fullmatch(pattern, value):
                errors.append(f"{label}={value!r} does not fit {row[column['document_type']]}")
    return errors


def read_csv(data: bytes, encoding: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode(encoding)), delimiter=LAYOUT["delimiter"],
                           quotechar=LAYOUT["quote"]))


# --- The simulator's deliveries follow the files -------------------------------------

def test_court_batches_validate_against_the_xsd(simulated):
    batches = 0
    for folder in complete_deliveries(simulated / "landing", "pj_resoluciones"):
        for entry in manifest_entries(folder):
            document = etree.parse(str(folder / entry["nombre"]))
            assert XSD.validate(document), (folder.name, entry["nombre"], XSD.error_log)
            batches += 1
    assert batches > 50


def test_registry_files_follow_the_layout(simulated):
    files = 0
    for folder in complete_deliveries(simulated / "landing", "inpe_registro"):
        entries = manifest_entries(folder)
        assert [e["nombre"] for e in entries] == list(LAYOUT["files"])
        for entry in entries:
            assert entry["codificacion"] in LAYOUT["encodings"]
            header, *rows = read_csv((folder / entry["nombre"]).read_bytes(), entry["codificacion"])
            layout = [column["name"] for column in LAYOUT["files"][entry["nombre"]]["columns"]]
            assert header == layout, entry["nombre"]
            for row in rows:
                assert registry_errors(entry["nombre"], dict(zip(header, row, strict=True))) == []
            files += 1
    assert files == 4 * 12


def test_medio_libre_lines_validate_against_the_json_schema(simulated, truth):
    """Every line but those the sender spoilt on purpose (truth: not JSON, no id_caso),
    which the schema refuses too."""
    schema = validator(MEDIO_LIBRE)
    spoilt = {(q["fecha_corte"], q["file"], q["line"]) for q in truth["quarantine"]}
    valid = refused = 0
    for folder in complete_deliveries(simulated / "landing", "inpe_medio_libre"):
        for entry in manifest_entries(folder):
            lines = (folder / entry["nombre"]).read_text("utf-8").splitlines()
            for number, line in enumerate(lines, start=1):
                if (folder.name, entry["nombre"], number) in spoilt:
                    try:
                        assert not schema.is_valid(json.loads(line)), line
                    except json.JSONDecodeError:
                        pass
                    refused += 1
                    continue
                errors = [e.message for e in schema.iter_errors(json.loads(line))]
                assert errors == [], (folder.name, entry["nombre"], number, errors)
                valid += 1
    assert valid > 1000 and refused == len(spoilt) > 0


def test_manifests_validate_against_their_schema(simulated):
    schema = validator(MANIFEST)
    for source in feeds.SOURCES:
        for folder in complete_deliveries(simulated / "landing", source):
            manifest = json.loads((folder / feeds.MANIFEST_NAME).read_text("utf-8"))
            assert [e.message for e in schema.iter_errors(manifest)] == [], folder


# --- ... and refuse what the spec does not allow --------------------------------------

RESOLUCION = (
    '<Resolucion id="RES-1" version="1"><Expediente>00012-2024-0-1801-JR-PE-03</Expediente>'
    '<OrganoJurisdiccional codigo="1801-JR-PE-03" distritoJudicial="LIMA">3 JUZGADO'
    '</OrganoJurisdiccional><FechaEmision>2024-03-01</FechaEmision>'
    "<Tipo>SENTENCIA_CONDENATORIA</Tipo><Sujeto><Documento tipo=\"DNI\">01234567</Documento>"
    "<ApellidoPaterno>QUISPE</ApellidoPaterno><Nombres>ANA</Nombres>"
    "<FechaNacimiento>1990-01-31</FechaNacimiento><Sexo>F</Sexo></Sujeto>"
    '<Delitos><Delito articulo="189" descripcion="ROBO AGRAVADO"/></Delitos>'
    '<Pena clase="PRIVATIVA_EFECTIVA" anios="4"/></Resolucion>'
)


def court_batch(resolucion: str) -> etree._ElementTree:
    return etree.ElementTree(etree.fromstring(
        f'<LoteResoluciones xmlns="{feeds.PJ_NAMESPACE}" idLote="PJ-1" fechaCorte="2024-03-03">'
        f"{resolucion}</LoteResoluciones>"))


@pytest.mark.parametrize("original, hostile", [
    ("<Tipo>SENTENCIA_CONDENATORIA</Tipo>", "<Tipo>SENTENCIA_CONDENADORA</Tipo>"),
    ('clase="PRIVATIVA_EFECTIVA"', 'clase="CADENA_PERPETUA"'),
    ('tipo="DNI"', 'tipo="LIBRETA_MILITAR"'),
    ("<FechaEmision>2024-03-01</FechaEmision>", "<FechaEmision>2024-02-30</FechaEmision>"),
    ("<FechaEmision>2024-03-01</FechaEmision>", "<FechaEmision>01/03/2024</FechaEmision>"),
    ("<FechaEmision>2024-03-01</FechaEmision>", ""),  # a required element missing
    ("<Sexo>F</Sexo>", "<Sexo>F</Sexo><Sexo>F</Sexo>"),  # twice
    ("<Expediente>00012-2024-0-1801-JR-PE-03</Expediente>",
     "<Expediente>00012-2024-0-1801-XX-PE-03</Expediente>"),  # no such organ type
    ('codigo="1801-JR-PE-03"', 'codigo="1801-XX-PE-03"'),
    ('anios="4"', 'anios="-4"'),
    ('anios="4"', 'anios="1.5"'),
    ('version="1"', 'version="uno"'),
    ("<Nombres>ANA</Nombres>", "<Nombres>ANA\u0093</Nombres>"),  # a C1 control character
    ("<Nombres>ANA</Nombres>", f"<Nombres>{'A' * 1001}</Nombres>"),
    ("</Resolucion>", "<Observacion>?</Observacion></Resolucion>"),  # not in the spec
])
def test_the_xsd_refuses_what_the_spec_does_not_allow(original, hostile):
    assert XSD.validate(court_batch(RESOLUCION)), XSD.error_log
    assert original in RESOLUCION
    assert not XSD.validate(court_batch(RESOLUCION.replace(original, hostile)))


@pytest.mark.parametrize("loose", ["12-2024-0-1801-JR-PE-3", "00012-2024-0-1801-jr-pe-03",
                                   "00012 - 2024 - 0 - 1801 - JR - PE - 03"])
def test_the_xsd_takes_case_numbers_as_senders_write_them(loose):
    """docs/feeds.md: senders drop leading zeros, add spaces, write lower case; the hub reads
    each of these once upper-cased and without blanks (feeds.CASE_NUMBER_PATTERN)."""
    original = "<Expediente>00012-2024-0-1801-JR-PE-03</Expediente>"
    assert XSD.validate(court_batch(RESOLUCION.replace(original, f"<Expediente>{loose}</Expediente>")))
    assert re.fullmatch(feeds.CASE_NUMBER_PATTERN, re.sub(r"\s", "", loose.upper()))


CASO = {
    "id_caso": "ML-2024-0000001", "version": 2, "fecha_actualizacion": "2024-05-02",
    "persona": {"tipo_documento": "DNI", "numero_documento": "01234567",
                "apellido_paterno": "QUISPE", "apellido_materno": None, "nombres": "ANA",
                "fecha_nacimiento": "1990-01-31", "sexo": "F"},
    "expediente": "12-2024-0-1801-jr-pe-3", "organo_jurisdiccional": "1801-JU-PE-03",
    "tipo_medida": "PRESTACION_SERVICIOS_COMUNIDAD", "establecimiento_medio_libre": "EMA-LIMA",
    "fecha_inicio": "2024-03-01", "jornadas_impuestas": 52, "jornadas_cumplidas": 10,
    "estado": "PASIVO", "motivo_estado": "ABANDONO",
    "programa_tratamiento": {"programa": "FOCOS", "evaluacion": "EN_CURSO"},
    "vigilancia_electronica": None,
}


@pytest.mark.parametrize("change", [
    {"tipo_medida": "CADENA_PERPETUA"},
    {"estado": "activo"},
    {"fecha_inicio": "2024-02-30"},
    {"fecha_inicio": "01/03/2024"},
    {"version": "2"},  # a number as text
    {"jornadas_cumplidas": 1.5},
    {"jornadas_cumplidas": -1},
    {"motivo_estado": None},  # PASIVO needs its motive
    {"estado": "ACTIVO"},  # ... and ACTIVO has none
    {"expediente": "00012-2024-0-1801-XX-PE-03"},
    {"persona": {**CASO["persona"], "sexo": "X"}},
    {"vigilancia_electronica": {"dispositivo": "GPS-1", "activo": "si"}},
    {"id_caso": None},
    {"id_caso": " "},
    {"organo_jurisdiccional": "SALA\u0093"},
])
def test_the_json_schema_refuses_what_the_spec_does_not_allow(change):
    schema = validator(MEDIO_LIBRE)
    assert schema.is_valid(CASO)
    assert not schema.is_valid({**CASO, **change})


@pytest.mark.parametrize("field", ["id_caso", "version", "tipo_medida", "estado"])
def test_the_json_schema_requires_the_identity_and_the_state(field):
    case = {key: value for key, value in CASO.items() if key != field}
    assert not validator(MEDIO_LIBRE).is_valid(case)


INTERNO = {
    "ID_INTERNO": "I-1", "TIPO_DOCUMENTO": "DNI", "NUMERO_DOCUMENTO": "1234567",
    "APELLIDO_PATERNO": "QUISPE", "APELLIDO_MATERNO": "", "NOMBRES": "ANA", "SEXO": "F",
    "FECHA_NACIMIENTO": "31/01/1990", "NACIONALIDAD": "PERUANA", "COD_EP": "EP-01",
    "SITUACION_JURIDICA": "SENTENCIADO", "FECHA_INGRESO": "01/03/2024",
    "NUMERO_EXPEDIENTE": "12 - 2024 - 0 - 1801 - JR - PE - 3", "DELITO_GENERICO": "PATRIMONIO",
    "DELITO_ESPECIFICO": "ROBO", "ARTICULO_CP": "189", "PENA_ANIOS": "4", "PENA_MESES": "0",
    "FECHA_SENTENCIA": "01/04/2024", "FECHA_VENCIMIENTO_PENA": "28/02/2028",
}


@pytest.mark.parametrize("change", [
    {"SITUACION_JURIDICA": "CONDENADO"},
    {"SEXO": "X"},
    {"FECHA_INGRESO": "31/02/2024"},
    {"FECHA_INGRESO": "2024-03-01"},
    {"FECHA_INGRESO": ""},  # required
    {"ID_INTERNO": ""},
    {"PENA_ANIOS": "4.5"},
    {"NUMERO_DOCUMENTO": "123456789"},  # a DNI has at most 8 digits
    {"TIPO_DOCUMENTO": "CE", "NUMERO_DOCUMENTO": "AB-12"},
    {"NUMERO_EXPEDIENTE": "12-2024-0-1801-XX-PE-3"},
    {"NOMBRES": "A" * 1001},
])
def test_the_registry_layout_refuses_what_the_spec_does_not_allow(change):
    assert registry_errors("internos.csv", INTERNO) == []
    assert registry_errors("internos.csv", {**INTERNO, **change}) != []


def test_the_registry_layout_picks_the_motive_list_by_movement_type():
    movimiento = {"ID_INTERNO": "I-1", "TIPO_MOVIMIENTO": "EGRESO", "FECHA_MOVIMIENTO": "02/05/2024",
                  "COD_EP_ORIGEN": "EP-01", "COD_EP_DESTINO": "", "MOTIVO": "PENA_CUMPLIDA",
                  "DOCUMENTO_SUSTENTO": ""}
    assert registry_errors("movimientos.csv", movimiento) == []
    assert registry_errors("movimientos.csv", {**movimiento, "MOTIVO": "RECAPTURA"}) != []


# --- feeds.py says what the files say, and the files agree -----------------------------

def test_feeds_reads_the_court_schema():
    assert XSD_DOC.getroot().get("targetNamespace") == feeds.PJ_NAMESPACE
    for type_name, constant in [
        ("TipoResolucion", feeds.TIPOS_RESOLUCION), ("ClasePena", feeds.CLASES_PENA),
        ("ClaseBeneficio", feeds.CLASES_BENEFICIO), ("TipoDocumento", feeds.TIPOS_DOCUMENTO_PJ),
        ("TipoOrgano", feeds.TIPOS_ORGANO), ("Sexo", feeds.SEXOS),
    ]:
        assert enumeration(type_name) == constant, type_name
    assert feeds.PJ_FIELDS["tipo"].codes == feeds.TIPOS_RESOLUCION
    # The pattern the hub reads, on the normalised case number, is the schema's.
    assert feeds.CASE_NUMBER_PATTERN == \
        "[0-9]{1,5}-[0-9]{4}-[0-9]+-[0-9]{1,4}-(JR|SP|JP|JU|JC)-PE-[0-9]{1,2}"
    organs = "(" + "|".join(feeds.TIPOS_ORGANO) + ")"
    assert organs in xsd_pattern("CodigoOrgano") and organs in feeds.CASE_NUMBER_PATTERN


def test_feeds_reads_the_registry_layout():
    assert (feeds.CSV_DELIMITER, feeds.CSV_QUOTE) == (LAYOUT["delimiter"], LAYOUT["quote"])
    assert {name: [c["name"] for c in f["columns"]] for name, f in LAYOUT["files"].items()} == \
        {name: list(header) for name, header in feeds.REGISTRY_FILES.items()}
    codes = LAYOUT["code_lists"]
    assert list(feeds.TIPOS_DOCUMENTO_INPE) == codes["tipo_documento"]
    assert list(feeds.SITUACIONES_JURIDICAS) == codes["situacion_juridica"]
    assert list(feeds.TIPOS_MOVIMIENTO) == codes["tipo_movimiento"] == list(codes["motivo_movimiento"])
    assert {k: list(v) for k, v in feeds.MOTIVOS_MOVIMIENTO.items()} == codes["motivo_movimiento"]
    assert list(feeds.TIPOS_ACTIVIDAD) == codes["tipo_actividad"]
    assert sorted(feeds.TIPOS_ACTIVIDAD) == sorted(codes["programa_actividad"])
    assert {k: list(v) for k, v in feeds.PROGRAMAS_ACTIVIDAD.items()} == codes["programa_actividad"]
    assert list(feeds.CERTIFICADO_VALUES) == codes["certificado"]
    # Column rules: what the connectors check at landing.
    for name, layout in LAYOUT["files"].items():
        fields = feeds.REGISTRY_FIELDS[name]
        for column in layout["columns"]:
            field = fields.get(column["name"], feeds.TEXT)
            assert (field.kind, field.required, field.unique, field.document_type) == (
                column["type"], column.get("required", False), column.get("unique", False),
                column.get("document_type")), (name, column)
            if column["type"] == "code":
                listed = codes[column["codes"]]
                listed = {c for cs in listed.values() for c in cs} if "by" in column else listed
                assert sorted(field.codes) == sorted(listed), (name, column)
        rules = [{"rule": re.sub(r"(?<!^)([A-Z])", r"_\1", type(r).__name__).lower(),
                  **{k: list(v) if isinstance(v, tuple) else v for k, v in vars(r).items()
                     if not (k == "required" and v is False)}}
                 for r in feeds.REGISTRY_RECORD_RULES.get(name, ())]
        assert rules == layout["rules"], name


def test_feeds_reads_the_medio_libre_schema():
    defs = MEDIO_LIBRE["$defs"]
    for name, constant in [("tipo_medida", feeds.TIPOS_MEDIDA), ("estado", feeds.ESTADOS_CASO),
                           ("motivo_estado", feeds.MOTIVOS_ESTADO),
                           ("programa", feeds.PROGRAMAS_MEDIO_LIBRE),
                           ("evaluacion", feeds.EVALUACIONES)]:
        assert tuple(defs[name]["enum"]) == constant, name
    fields = feeds.MEDIO_LIBRE_FIELDS
    assert fields["persona.tipo_documento"].codes == tuple(defs["tipo_documento"]["enum"])
    assert fields["persona.sexo"].codes == tuple(defs["sexo"]["enum"])
    assert [name for name, field in fields.items() if field.required] == MEDIO_LIBRE["required"]
    # Every field the hub checks is one the schema describes.
    for path in fields:
        node = MEDIO_LIBRE
        for key in path.split("."):
            node = node["properties"][key]
        assert node, path


def test_feeds_reads_the_manifest_schema():
    assert tuple(MANIFEST["$defs"]["codificacion"]["enum"]) == feeds.ENCODINGS
    assert MANIFEST["properties"]["fuente"]["enum"] == [f for _, f in feeds.SOURCES.values()]
    # The connector refuses a manifest without what the schema requires, and only then.
    assert list(delivery.MANIFEST_FIELDS) == MANIFEST["required"]
    assert list(delivery.FILE_FIELDS) == MANIFEST["properties"]["archivos"]["items"]["required"]


def test_the_files_agree_with_each_other():
    """What each file must repeat to stand alone, it repeats alike."""
    defs = MEDIO_LIBRE["$defs"]
    codes = LAYOUT["code_lists"]
    assert list(enumeration("Sexo")) == codes["sexo"] == defs["sexo"]["enum"]
    assert list(enumeration("TipoDocumento")) == codes["tipo_documento"] == \
        defs["tipo_documento"]["enum"]
    case_number = xsd_pattern("NumeroExpediente")
    assert LAYOUT["types"]["case_number"]["pattern"] == case_number
    assert defs["numero_expediente"]["pattern"] == f"^{case_number}$"
    texto = XSD_DOC.xpath("//xs:simpleType[@name='Texto']//xs:maxLength/@value", namespaces=XS)
    assert [int(v) for v in texto] == [feeds.MAX_TEXT_LENGTH]
    assert LAYOUT["max_length"] == defs["texto"]["maxLength"] == feeds.MAX_TEXT_LENGTH
    assert LAYOUT["encodings"] == list(feeds.ENCODINGS)
    assert LAYOUT["fuente"] == feeds.SOURCES["inpe_registro"][1]


def test_the_files_name_the_spec_codes():
    """docs/feeds.md is the authority: every code it lists is in a file, and back."""
    spec = SPEC.read_text("utf-8")
    listed = [*enumeration("TipoResolucion"), *enumeration("ClasePena"),
              *enumeration("ClaseBeneficio"), *enumeration("TipoDocumento"),
              *enumeration("TipoOrgano"), *LAYOUT["code_lists"]["situacion_juridica"],
              *LAYOUT["code_lists"]["tipo_movimiento"],
              *(m for ms in LAYOUT["code_lists"]["motivo_movimiento"].values() for m in ms),
              *LAYOUT["code_lists"]["certificado"], *MEDIO_LIBRE["$defs"]["tipo_medida"]["enum"],
              *MEDIO_LIBRE["$defs"]["estado"]["enum"],
              *MEDIO_LIBRE["$defs"]["motivo_estado"]["enum"],
              *MANIFEST["$defs"]["codificacion"]["enum"], *MANIFEST["properties"]["fuente"]["enum"]]
    assert [code for code in listed if f"`{code}`" not in spec] == []
    for name, layout in LAYOUT["files"].items():
        assert f"{name}  " in spec and LAYOUT["delimiter"].join(
            c["name"] for c in layout["columns"]) in spec, name
    assert feeds.PJ_NAMESPACE in spec


# --- The expectation suites as data ------------------------------------------------------

def test_every_suite_file_is_a_gx_suite_the_hub_runs():
    """Each expectations/<name>.json is GX's suite JSON (GX reads it as it stands, suite
    parameters and notes included), one of the suites the quality gates run, with its
    value sets filled in from the feed contract."""
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    from penal_hub.contracts.expectations import suites
    from penal_hub.orchestration.quality.checks import CHECKS

    files = sorted(suites.EXPECTATIONS_DIR.glob("*.json"))
    run = {suite.description: suite for suite in CHECKS.values()}
    assert len(files) == len(run)
    for path in files:
        doc = json.loads(path.read_text("utf-8"))
        assert doc["name"] == path.stem
        for expectation in doc["expectations"]:
            ExpectationConfiguration(**expectation).to_domain_obj()
        suite = run[doc["meta"]["description"]]
        assert (list(suite.asset), suite.kind) == (doc["meta"]["asset"], doc["meta"]["kind"])
        assert [e["type"] for e in suite.expectations] == [e["type"] for e in doc["expectations"]]
        for ran, written in zip(suite.expectations, doc["expectations"], strict=True):
            parameter = written["kwargs"].get("value_set", {}).get("$PARAMETER")
            if parameter is not None:
                assert ran["kwargs"]["value_set"] == list(suites.PARAMETERS[parameter])
    assert suites.PARAMETERS["TIPOS_RESOLUCION"] == enumeration("TipoResolucion")
    assert suites.PARAMETERS["ESTADOS_CASO"] == tuple(MEDIO_LIBRE["$defs"]["estado"]["enum"])


def test_the_extract_schema_uses_the_feed_code_lists():
    """The output (extract/estado_ejecucion.xsd) repeats the inputs' code lists it carries,
    to stand alone: alike."""
    extract = etree.parse(str(feeds.CONTRACT_DIR.parent / "extract" / "estado_ejecucion.xsd"))

    def listed(type_name: str) -> tuple[str, ...]:
        return tuple(extract.xpath(f"//xs:simpleType[@name='{type_name}']//xs:enumeration/@value",
                                   namespaces=XS))

    assert listed("TipoResolucion") == feeds.TIPOS_RESOLUCION
    assert listed("SituacionJuridica") == feeds.SITUACIONES_JURIDICAS
    assert listed("MotivoEgreso") == feeds.MOTIVOS_MOVIMIENTO["EGRESO"]
    assert listed("TipoMedida") == feeds.TIPOS_MEDIDA
    assert listed("EstadoCaso") == feeds.ESTADOS_CASO
    # A person's document, when there is one.
    assert listed("TipoDocumento") == tuple(t for t in feeds.TIPOS_DOCUMENTO_PJ
                                            if t != "NO_IDENTIFICADO")
    (pattern,) = extract.xpath("//xs:simpleType[@name='NumeroExpediente']//xs:pattern/@value",
                               namespaces=XS)
    organs = "(" + "|".join(feeds.TIPOS_ORGANO) + ")"
    assert organs in pattern


# A typed column held to a sender's code list by a dbt accepted_values test, by column
# name: dbt's test spells the values out, these are the feed contract's.
SENDER_CODE_LISTS = {
    "tipo": feeds.TIPOS_RESOLUCION, "organo_tipo": feeds.TIPOS_ORGANO,
    "pena_clase": feeds.CLASES_PENA, "beneficio_clase": feeds.CLASES_BENEFICIO,
    "tipo_documento": feeds.TIPOS_DOCUMENTO_PJ, "doc_tipo": feeds.TIPOS_DOCUMENTO_INPE,
    "sexo": feeds.SEXOS, "situacion_juridica": feeds.SITUACIONES_JURIDICAS,
    "tipo_movimiento": feeds.TIPOS_MOVIMIENTO, "tipo_actividad": feeds.TIPOS_ACTIVIDAD,
    "certificado": feeds.CERTIFICADO_VALUES, "tipo_medida": feeds.TIPOS_MEDIDA,
    "estado": feeds.ESTADOS_CASO, "motivo_estado": feeds.MOTIVOS_ESTADO,
    "programa_tratamiento": feeds.PROGRAMAS_MEDIO_LIBRE,
    "evaluacion_tratamiento": feeds.EVALUACIONES,
}


def test_the_dbt_tests_hold_typed_columns_to_the_feed_code_lists():
    """Staging and the interop schema keep a sender's codes as sent: every accepted_values
    test on such a column lists exactly the contract's codes (the court's NO_IDENTIFICADO
    is staged as no document, so its staged list may leave it out)."""
    from penal_hub.orchestration.transform.project import dbt_project

    manifest = json.loads(dbt_project.manifest_path.read_text())
    checked, differ = 0, []
    for test in manifest["nodes"].values():
        if (test.get("test_metadata") or {}).get("name") != "accepted_values":
            continue
        model = manifest["nodes"][test["attached_node"]]
        column = test["test_metadata"]["kwargs"]["column_name"]
        if model["fqn"][1] not in ("staging", "interop") or column not in SENDER_CODE_LISTS:
            continue
        checked += 1
        listed, codes = set(test["test_metadata"]["kwargs"]["values"]), set(SENDER_CODE_LISTS[column])
        if listed not in (codes, codes - {"NO_IDENTIFICADO"}):
            differ.append((model["name"], column, sorted(listed ^ codes)))
    assert differ == []
    assert checked >= 30
