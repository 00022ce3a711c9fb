"""Deliveries after the simulated year, as senders make them: a new one, a corrected one.

Used by the benchmark (the cost of one new delivery) and by the tests of the
incremental path (a later delivery stages exactly as a rebuild would).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from penal_hub.contracts import feeds


def repeat_last_court_delivery(landing: Path, fecha_corte: str) -> Path:
    """A new court delivery: the last week's resolutions again, under a later cut-off."""
    base = landing / feeds.SOURCES["pj_resoluciones"][0]
    manifests = {d: json.loads((d / feeds.MANIFEST_NAME).read_text())
                 for d in base.iterdir() if (d / feeds.MANIFEST_NAME).exists()}
    last = max(d for d, manifest in manifests.items()
               if sum(f["registros"] for f in manifest["archivos"]) > 0)
    target = base / fecha_corte
    shutil.copytree(last, target)
    manifest = manifests[last]
    manifest["fecha_corte"] = fecha_corte
    (target / feeds.MANIFEST_NAME).write_text(json.dumps(manifest, indent=2))
    return target


def correct_delivery(folder: Path, file_name: str) -> None:
    """A corrected re-delivery of a line-based file (CSV, JSONL): its last record withdrawn.

    The sender rewrites the file and its manifest entry (sha256 and record count), so the
    folder's content differs from the delivery already landed.
    """
    path = folder / file_name
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:-1]))
    manifest_path = folder / feeds.MANIFEST_NAME
    manifest = json.loads(manifest_path.read_text())
    entry = next(f for f in manifest["archivos"] if f["nombre"] == file_name)
    entry["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    entry["registros"] -= 1
    manifest_path.write_text(json.dumps(manifest, indent=2))
