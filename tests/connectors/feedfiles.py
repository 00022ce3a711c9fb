"""Small hand-made feed files, written the way docs/feeds.md says senders write them."""

from __future__ import annotations

import json

from penal_hub.contracts import feeds


def resolucion(rid: str = "RES-1801-2024-0000001", version: str = "1",
               documento: str = '<Documento tipo="DNI">40123456</Documento>',
               paterno: str = "QUISPE", extra: str = "") -> str:
    return (
        f'<Resolucion id="{rid}" version="{version}">'
        "<Expediente>00123-2023-0-1801-JR-PE-01</Expediente>"
        '<OrganoJurisdiccional codigo="1801-JR-PE-01" distritoJudicial="LIMA">'
        "1° JUZGADO DE INVESTIGACION PREPARATORIA DE LIMA</OrganoJurisdiccional>"
        "<FechaEmision>2024-12-03</FechaEmision><Tipo>PRISION_PREVENTIVA</Tipo>"
        f"<Sujeto>{documento}<ApellidoPaterno>{paterno}</ApellidoPaterno>"
        "<ApellidoMaterno>MAMANI</ApellidoMaterno><Nombres>JUAN CARLOS</Nombres>"
        "<FechaNacimiento>1990-05-17</FechaNacimiento><Sexo>M</Sexo></Sujeto>"
        '<Delitos><Delito articulo="189" descripcion="ROBO AGRAVADO"/></Delitos>'
        f'<PrisionPreventiva plazoMeses="9" fechaInicio="2024-12-03"/>{extra}</Resolucion>'
    )


def lote(*resoluciones: str, encoding: str = "UTF-8", namespace: str = feeds.PJ_NAMESPACE,
         before_root: str = "") -> str:
    """A LoteResoluciones document; `before_root` goes between the prolog and the root."""
    return (f'<?xml version="1.0" encoding="{encoding}"?>\n{before_root}'
            f'<LoteResoluciones xmlns="{namespace}" idLote="PJ-20241231-0001" '
            f'fechaCorte="2024-12-31">\n' + "\n".join(resoluciones) + "\n</LoteResoluciones>\n")


def csv_file(name: str, *rows: str, header: str | None = None) -> str:
    """A registry file: the spec's header (or `header`) and `rows`, newline-terminated."""
    first = feeds.CSV_DELIMITER.join(feeds.REGISTRY_FILES[name]) if header is None else header
    return "".join(f"{line}\n" for line in (first, *rows))


INTERNO = ("INT0000001|DNI|40123456|QUISPE|MAMANI|JUAN CARLOS|M|17/05/1990|PERUANA|EP0101|"
           "PROCESADO|03/12/2024|00123-2023-0-1801-JR-PE-01|CONTRA EL PATRIMONIO|ROBO AGRAVADO|"
           "189||||")


def registry(**files: str) -> dict[str, str]:
    """The four registry files, one plain row each, with `files` (by stem) replacing defaults."""
    default = {
        "establecimientos": csv_file("establecimientos.csv", "EP0101|EP LIMA|LIMA|LIMA|1200"),
        "internos": csv_file("internos.csv", INTERNO),
        "movimientos": csv_file("movimientos.csv",
                                "INT0000001|INGRESO|03/12/2024||EP0101|MANDATO_DETENCION|"),
        "actividades": csv_file("actividades.csv",
                                "INT0000001|EP0101|LABORAL|PANADERIA|05/12/2024||CARCELES|N"),
    }
    default.update(files)
    return {f"{stem}.csv": text for stem, text in default.items()}


def case(id_caso: str | None = "ML-2024-0000001", version: int = 1, **fields: object) -> str:
    """One medio libre JSON line (without id_caso when `id_caso` is None)."""
    record = {"id_caso": id_caso, "version": version, "fecha_actualizacion": "2024-12-02",
              "tipo_medida": "PRESTACION_SERVICIOS_COMUNIDAD", "estado": "ACTIVO", **fields}
    if id_caso is None:
        del record["id_caso"]
    return json.dumps(record, ensure_ascii=False)


def count_records(name: str, data: bytes) -> int:
    """The manifest count a correct sender writes, for simple files (no quirks)."""
    if name.endswith(".xml"):
        return data.count(b"<Resolucion ")
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    return max(len(lines) - 1, 0) if name.endswith(".csv") else len(lines)
