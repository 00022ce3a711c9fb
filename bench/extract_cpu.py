"""CPU seconds of the extract's steps, this checkout's against a base revision's, on a built warehouse.

    uv run --frozen python bench/extract_cpu.py /path/to/warehouse.duckdb [--base main] [--repeat 3]

Loads penal_hub/orchestration/publish/extract.py (and extract_xml.py, the XML writer, where
it exists) as of the base revision (`git archive`) beside this checkout's, and runs each
step of the extract of the latest registry cut-off in turn, base then new, `--repeat`
times, in one process: the rows
(build_rows: the queries, the persons' ids, the nested alerts and waiting orders), the
XML (to_xml, its XSD validation included), its gzip, the Parquet. Reports the median CPU
seconds (user + system, DuckDB's threads included) per step and asserts that both give
the same bytes. pandas, which any conversion of Python values to Arrow imports, is
imported before measuring, so neither side pays for it.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import tempfile
from pathlib import Path

import pyarrow as pa
from revisions import cpu_seconds, files_at

from penal_hub.core.warehouse import connect
from penal_hub.orchestration.publish import extract

MODULE = "penal_hub/orchestration/publish/extract.py"
# The XML writer, in extract.py itself before it had a module of its own.
XML_MODULE = "penal_hub/orchestration/publish/extract_xml.py"
XSD = "penal_hub/contracts/extract/estado_ejecucion.xsd"


def load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def base_module(rev: str, into: Path):
    """extract.py as of `rev`, loaded from `into`, with that revision's XML writer beside
    that revision's XSD (it validates against the XSD found relative to itself)."""
    files_at(rev, into, MODULE, XSD)
    module = load("extract_base", into / MODULE)
    if not hasattr(module, "ExtractInvalid"):  # its XML writer is a module of its own
        files_at(rev, into, XML_MODULE)
        module.to_xml = load("extract_xml_base", into / XML_MODULE).to_xml
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warehouse", type=Path)
    parser.add_argument("--base", default="main", help="git revision to compare against")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory()
    modules = {"base": base_module(args.base, Path(tmp.name)), "new": extract}
    pa.array([0])  # imports pandas

    cpu: dict[tuple[str, str], list[float]] = {}
    output: dict[str, dict[str, bytes]] = {}

    def step(variant: str, label: str, call):
        """call(), its CPU seconds added to those of (label, variant)."""
        start = cpu_seconds()
        result = call()
        cpu.setdefault((label, variant), []).append(cpu_seconds() - start)
        return result

    with connect(str(args.warehouse), read_only=True) as con:
        cutoff = con.rows("SELECT max(fecha_corte) FROM interop.situacion_juridica_historial")[0][0]
        for _ in range(args.repeat):
            for name, m in modules.items():
                rows = step(name, "build_rows", lambda m=m: m.build_rows(con, cutoff, b"bench"))
                xml = step(name, "to_xml", lambda m=m, rows=rows: m.to_xml(rows, cutoff))
                output[name] = {
                    "xml": xml,
                    "xml.gz": step(name, "gzip", lambda m=m, xml=xml: m.gzipped(xml)),
                    "parquet": step(name, "parquet", lambda m=m, rows=rows: m.to_parquet(
                        rows, m.describe(cutoff, 1, ["bench"]))),
                }
    tmp.cleanup()
    same = output["base"] == output["new"]
    print(f"extract of {cutoff}: {'the same bytes' if same else 'BYTES DIFFER'} "
          f"(median CPU s of {args.repeat})")
    for label in ("build_rows", "to_xml", "gzip", "parquet"):
        print(f"  {label:10}  base {statistics.median(cpu[label, 'base']):6.2f}   "
              f"new {statistics.median(cpu[label, 'new']):6.2f}")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
