"""Worker processes that read files ahead, for a reader whose work is plain Python.

A reader is a module-level function `(path, entry) -> Iterator[pa.Table]` that raises
DeliveryRefused for a file it refuses. `ProcessReaders(reader)` runs it in worker
processes, one per calling thread (the thread waits on its worker's pipe, the GIL free
meanwhile): each file is read exactly as in-process, its tables written to an Arrow IPC
file in a temporary folder, which the caller reads back batch by batch; a refusal is
raised again in the caller.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.abc
import json
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa

from penal_hub.connectors.delivery import DeliveryRefused, ManifestFile

Reader = Callable[[Path, ManifestFile], Iterator[pa.Table]]


class ProcessReaders:
    """`reader` run by worker processes: `ReadingAhead`'s prepare."""

    def __init__(self, reader: Reader):
        self._reader = (reader.__module__, reader.__qualname__)
        self._folder = tempfile.TemporaryDirectory(prefix="read-ahead-")
        self._local = threading.local()
        self._workers: list[_Worker] = []

    def __call__(self, path: Path, entry: ManifestFile) -> Iterator[pa.Table]:
        worker = getattr(self._local, "worker", None)
        if worker is None:
            worker = self._local.worker = _Worker(*self._reader)
            self._workers.append(worker)
        with tempfile.NamedTemporaryFile(dir=self._folder.name, suffix=".arrow",
                                         delete=False) as out:
            return _read_ipc(worker.read(path, entry, Path(out.name)))

    def close(self) -> None:
        for worker in self._workers:
            worker.close()
        self._folder.cleanup()


class _Worker:
    """A Python process reading files on request: a JSON line in, a JSON line out.

    A plain subprocess rather than multiprocessing: nothing of the parent is copied
    (a fork would inherit DuckDB's threads and locks) or re-imported (spawn re-runs the
    parent's main script).
    """

    def __init__(self, module: str, name: str):
        self._process = subprocess.Popen(
            [sys.executable, "-c",
             f"from penal_hub.connectors.workers import serve; serve({module!r}, {name!r})"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def read(self, path: Path, entry: ManifestFile, out: Path) -> Path:
        request = [str(path), dataclasses.asdict(entry), str(out)]
        self._process.stdin.write(json.dumps(request).encode() + b"\n")
        self._process.stdin.flush()
        reply = self._process.stdout.readline()
        if not reply:
            raise RuntimeError(f"the reading worker exited (code {self._process.wait()}) "
                               f"while reading {entry.name}")
        refused = json.loads(reply)["refused"]
        if refused:
            raise DeliveryRefused(refused)
        return out

    def close(self) -> None:
        self._process.stdin.close()  # end of requests: the worker exits
        self._process.wait()


# A worker never needs pandas, but pyarrow imports it (a second of CPU) the first time it
# builds an array from a list, to tell whether the list is a pandas object; in a worker,
# pandas is made unimportable once the reader's module is imported.
class _WithoutPandas(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.partition(".")[0] == "pandas":
            raise ImportError("pandas is not used in a reading worker")


def serve(module: str, name: str) -> None:
    """A worker's loop (`_Worker`): read each requested file with `module.name` into an
    Arrow IPC file, reply with its refusal if any."""
    reader = getattr(importlib.import_module(module), name)
    if "pandas" not in sys.modules:
        sys.meta_path.insert(0, _WithoutPandas())
    for request in sys.stdin.buffer:
        path, entry, out = json.loads(request)
        try:
            _write_ipc(reader(Path(path), ManifestFile(**entry)), Path(out))
            refused = None
        except DeliveryRefused as refusal:
            refused = str(refusal)
        sys.stdout.buffer.write(json.dumps({"refused": refused}).encode() + b"\n")
        sys.stdout.buffer.flush()


def _write_ipc(tables: Iterator[pa.Table], out: Path) -> None:
    """The tables as one Arrow IPC stream; none at all leaves the file empty."""
    writer = None
    with pa.OSFile(str(out), "wb") as sink:
        try:
            for table in tables:
                if writer is None:
                    writer = pa.ipc.new_stream(sink, table.schema)
                writer.write_table(table)
        finally:
            if writer is not None:
                writer.close()


def _read_ipc(path: Path) -> Iterator[pa.Table]:
    """The tables, batch by batch, read into memory (not mapped: a batch may still be
    being inserted when the file is closed); the file is removed once read."""
    if path.stat().st_size:
        with pa.OSFile(str(path)) as source:
            for batch in pa.ipc.open_stream(source):
                yield pa.Table.from_batches([batch])
    path.unlink()
