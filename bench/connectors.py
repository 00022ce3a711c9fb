"""Benchmark each connector against the floor it is built on, on the same files, same run.

    python bench/connectors.py --landing /tmp/sim1/landing [--json out.json] [--repeat 2]

Per source, every complete delivery lands into a fresh DuckDB file: the connector's whole
job (manifest, sha256, parse, quarantine, lineage, one transaction per delivery), as
`hub run` does it (court files parsed ahead by two worker processes). Beside it, on the
same files: the floors, a bare lxml iterparse loop (parse, touch nothing) for the court
files and DuckDB's own read_csv (all_varchar) and read_json into a table for the registry
and medio libre files; and the naive peer, pandas (read_xml, read_csv, json_normalize of
json.loads) with `to_sql` into a DuckDB file (SQLAlchemy, duckdb_engine), on a sample of
the files. Ratios are connector MB/s over the other's MB/s (>1: the connector is faster).
With --repeat, each keeps its best wall time, which tames a busy machine; CPU seconds (all
threads and worker processes) are shown beside wall seconds.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd  # imported up front: pyarrow imports it on first use, a one-off ~2 s
import sqlalchemy
from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from penal_hub.connectors import find_deliveries, land_each
from penal_hub.connectors.delivery import Delivery, parse_manifest
from penal_hub.connectors.inpe_registro import DUCKDB_ENCODINGS
from penal_hub.contracts import feeds

# The naive peer is slow (to_sql inserts row by row): it reads a sample of about this many
# MB, spread over the deliveries, and is compared per MB.
PANDAS_SAMPLE_MB = 5

PEER_XML, PEER_CSV = "pandas.read_xml + to_sql", "pandas.read_csv + to_sql"
PEER_JSON = "json.loads + pandas.json_normalize + to_sql"
NOT_FLOORS = ("connector", PEER_XML, PEER_CSV, PEER_JSON)

File = tuple[Path, str, int]  # path, manifest encoding, manifest record count


def measure(label: str, files: list[File], run: Callable[[Path], int], repeat: int,
            note: str = "") -> dict:
    """Best of `repeat` runs, each in a fresh working directory."""
    best = None
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix="bench-connectors-") as work:
            wall, cpu = time.perf_counter(), cpu_seconds()
            rows = run(Path(work))
            wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
        if best is None or wall < best[0]:
            best = (wall, cpu, rows)
    wall, cpu, rows = best
    mb = sum(p.stat().st_size for p, _, _ in files) / 1e6
    return {"what": label, "files": len(files), "mb": mb, "rows": rows, "seconds": wall,
            "cpu_seconds": cpu, "mb_s": mb / wall, "rows_s": rows / wall, "note": note}


def cpu_seconds() -> float:
    """This process's CPU time and that of its children that have ended (the workers)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def source_files(deliveries: list[Delivery]) -> list[File]:
    """Every file of these deliveries, in landing order."""
    out = []
    for d in deliveries:
        manifest = parse_manifest(d, (d.path / feeds.MANIFEST_NAME).read_bytes())
        out += [(d.path / f.name, f.encoding, f.records) for f in manifest.files]
    return out


def connector(deliveries: list[Delivery]) -> Callable[[Path], int]:
    """Landing as `hub run` does: one delivery after the other, court files parsed ahead."""
    def run(work: Path) -> int:
        with duckdb.connect(str(work / "hub.duckdb")) as con:
            results = list(land_each(con, deliveries))
        return sum(r.landed + r.quarantined for r in results)
    return run


def duckdb_reader(files: list[File], reader: Callable[[Path, str], str]) -> Callable[[Path], int]:
    """DuckDB loading each file into its own table with `reader(path, encoding)`."""
    def run(work: Path) -> int:
        rows = 0
        with duckdb.connect(str(work / "floor.duckdb")) as con:
            for i, (path, encoding, _) in enumerate(files):
                con.execute(f"CREATE TABLE t{i} AS SELECT * FROM {reader(path, encoding)}")
                rows += con.execute(f"SELECT count(*) FROM t{i}").fetchall()[0][0]
        return rows
    return run


def bare_iterparse(files: list[File]) -> Callable[[Path], int]:
    def run(_: Path) -> int:
        for path, _, _ in files:
            for _ in etree.iterparse(str(path)):
                pass
        return sum(records for _, _, records in files)
    return run


def pandas_to_duckdb(files: list[File],
                     read: Callable[[Path, str], pd.DataFrame]) -> Callable[[Path], int]:
    """The naive peer: each file read with pandas, then `DataFrame.to_sql` into DuckDB."""
    def run(work: Path) -> int:
        engine = sqlalchemy.create_engine(f"duckdb:///{work / 'pandas.duckdb'}")
        rows = 0
        for i, (path, encoding, _) in enumerate(files):
            frame = read(path, encoding)
            if len(frame):
                frame.to_sql(f"t{i}", engine, index=False)
                rows += len(frame)
        engine.dispose()
        return rows
    return run


def read_xml(path: Path, encoding: str) -> pd.DataFrame:
    if b"Resolucion " not in path.read_bytes():  # read_xml refuses a batch with none
        return pd.DataFrame()
    return pd.read_xml(str(path), xpath="//r:Resolucion", parser="lxml", dtype=str,
                       namespaces={"r": feeds.PJ_NAMESPACE}, encoding=encoding)


def read_csv(path: Path, encoding: str) -> pd.DataFrame:
    return pd.read_csv(path, sep="|", dtype=str, encoding=encoding)


def read_jsonl(path: Path, encoding: str) -> pd.DataFrame:
    """Each line parsed and flattened; a line that is not JSON is dropped (naive: no quarantine)."""
    records = []
    with open(path, encoding=encoding, errors="replace") as lines:
        for line in lines:
            try:
                records.append(json.loads(line))
            except ValueError:
                pass
    return pd.json_normalize(records)


def csv_head(files: list[File], mb: float, folder: Path) -> list[File]:
    """The first `mb` MB of records of the largest file, as a file of its own.

    Whole files would not do: one registry extract alone takes minutes through to_sql.
    """
    path, encoding, _ = max(files, key=lambda f: f[0].stat().st_size)
    out = folder / path.name
    with open(path, encoding=encoding, newline="") as src, \
            open(out, "w", encoding=encoding, newline="") as dst:
        writer, written = csv.writer(dst, delimiter="|", lineterminator="\n"), 0
        for record in csv.reader(src, delimiter="|"):
            writer.writerow(record)
            written += sum(len(field) + 1 for field in record)
            if written >= mb * 1e6:
                break
    return [(out, encoding, 0)]


def spread_sample(files: list[File], mb: float) -> list[File]:
    """Every k-th file, so that the sample holds about `mb` MB."""
    total = sum(p.stat().st_size for p, _, _ in files) / 1e6
    return files[::max(1, round(total / mb))]


def bench_source(source: str, deliveries: list[Delivery], repeat: int) -> list[dict]:
    files = source_files(deliveries)
    for path, _, _ in files:  # the same page-cache state for every contender
        path.read_bytes()
    runs = [measure("connector", files, connector(deliveries), repeat)]
    if source == "pj_resoluciones":
        sample = spread_sample(files, PANDAS_SAMPLE_MB)
        runs += [measure("lxml iterparse (bare loop)", files, bare_iterparse(files), repeat),
                 measure(PEER_XML, sample, pandas_to_duckdb(sample, read_xml), repeat,
                         f"sample: {len(sample)} of {len(files)} files")]
    elif source == "inpe_registro":
        runs.append(measure("duckdb read_csv (all_varchar)", files, duckdb_reader(
            files, lambda p, e: f"read_csv('{p}', delim='|', quote='\"', header=true, "
                                f"all_varchar=true, encoding='{DUCKDB_ENCODINGS[e]}')"), repeat))
        with tempfile.TemporaryDirectory(prefix="bench-sample-") as folder:
            sample = csv_head(files, PANDAS_SAMPLE_MB, Path(folder))
            runs.append(measure(PEER_CSV, sample, pandas_to_duckdb(sample, read_csv), repeat,
                                f"sample: the first {PANDAS_SAMPLE_MB} MB of the largest file"))
    else:
        sample = spread_sample(files, PANDAS_SAMPLE_MB)
        runs += [measure("duckdb read_json", files, duckdb_reader(
                     files, lambda p, _: f"read_json('{p}', format='newline_delimited', "
                                         "ignore_errors=true)"), repeat),
                 measure(PEER_JSON, sample, pandas_to_duckdb(sample, read_jsonl), repeat,
                         f"sample: {len(sample)} of {len(files)} files")]
    for r in runs[1:]:
        r["connector_vs_this"] = runs[0]["mb_s"] / r["mb_s"]
    return runs


def markdown(results: dict[str, list[dict]], load: tuple[float, float]) -> str:
    out = [("| source | what | files | MB | rows | wall s | cpu s | MB/s | rows/s "
            "| connector ÷ this (MB/s) | note |"),
           "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for source, runs in results.items():
        for r in runs:
            ratio = f"{r['connector_vs_this']:.2f}" if "connector_vs_this" in r else ""
            out.append(f"| {source} | {r['what']} | {r['files']} | {r['mb']:.1f} | {r['rows']:,} "
                       f"| {r['seconds']:.2f} | {r['cpu_seconds']:.2f} | {r['mb_s']:.1f} "
                       f"| {r['rows_s']:,.0f} | {ratio} | {r['note']} |")
    out.append(f"\n{os.cpu_count()} CPUs; 1-minute load average {load[0]:.2f} at start, "
               f"{load[1]:.2f} at end.")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--landing", type=Path, required=True, help="landing root")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--repeat", type=int, default=1, help="runs per contender (best kept)")
    args = parser.parse_args()
    start_load = os.getloadavg()[0]
    deliveries = [d for d in find_deliveries(args.landing) if d.complete]
    results = {source: bench_source(source, [d for d in deliveries if d.source == source],
                                    args.repeat) for source in feeds.SOURCES}
    load = (start_load, os.getloadavg()[0])
    print(markdown(results, load))
    if args.json:
        args.json.write_text(json.dumps({"results": results, "load_average": load}, indent=1))


if __name__ == "__main__":
    main()
