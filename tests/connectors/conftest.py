"""Fixtures for the connector tests: a landing root, a delivery builder and a DuckDB file."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest
from feedfiles import count_records

from penal_hub.connectors import Delivery
from penal_hub.contracts import feeds


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    root = tmp_path / "landing"
    root.mkdir()
    return root


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(tmp_path / "hub.duckdb"))
    yield connection
    connection.close()




MakeDelivery = Callable[..., Delivery]


@pytest.fixture
def make_delivery(landing: Path) -> MakeDelivery:
    """Write a delivery folder and (unless `manifest=False`) its correct manifest.

    `files` maps names to contents (str is encoded with `encoding`); `records` overrides
    counts per file; `archivos` patches the manifest's entries per file; `manifest`
    replaces or patches the manifest (dict: keys override; bytes: written as is).
    """

    def make(source: str, files: dict[str, str | bytes], fecha: str = "2024-12-31", *,
             encoding: str = "UTF-8", records: dict[str, int] | None = None,
             archivos: dict[str, dict] | None = None,
             manifest: dict | bytes | bool = True) -> Delivery:
        folder, fuente = feeds.SOURCES[source]
        path = landing / folder / fecha
        path.mkdir(parents=True, exist_ok=True)
        for old in path.iterdir():  # a re-delivery replaces the folder's content
            old.unlink()
        entries = []
        for name, content in files.items():
            data = content.encode(encoding) if isinstance(content, str) else content
            (path / name).write_bytes(data)
            entries.append({"nombre": name, "sha256": hashlib.sha256(data).hexdigest(),
                            "registros": (records or {}).get(name, count_records(name, data)),
                            "codificacion": encoding, **(archivos or {}).get(name, {})})
        if manifest is not False:
            doc = {"fuente": fuente, "fecha_corte": fecha, "generado_en": f"{fecha}T23:00:00-05:00",
                   "archivos": entries}
            if isinstance(manifest, dict):
                doc.update(manifest)
            data = manifest if isinstance(manifest, bytes) else json.dumps(doc).encode()
            (path / feeds.MANIFEST_NAME).write_bytes(data)
        return Delivery(source, fecha, path, landing)

    return make


@pytest.fixture
def rows(con: duckdb.DuckDBPyConnection) -> Callable[[str], list[dict]]:
    """Query the warehouse: a list of rows as dicts."""

    def query(sql: str) -> list[dict]:
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    return query
