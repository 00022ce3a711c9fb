"""What every connector shares: finding deliveries, trusting a manifest, landing with lineage.

A delivery is published whole or not at all (docs/feeds.md): the manifest
and the files' presence are checked before anything is read, each file's sha256 on
the very bytes its connector parses (read once), each delivery lands in one DuckDB
transaction, and a refusal leaves nothing but one `refused` row in `raw.deliveries`
whose reason names the file, what was expected and what was found.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

import duckdb
import pyarrow as pa

from penal_hub.connectors.ahead import IN_PLACE, Prefetcher
from penal_hub.connectors.warehouse import SCHEMA, ensure_schema
from penal_hub.contracts import feeds
from penal_hub.contracts.feeds import SOURCE_TABLES

MANIFEST_FIELDS = ("fuente", "fecha_corte", "generado_en", "archivos")
FILE_FIELDS = ("nombre", "sha256", "registros", "codificacion")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_DATE_FOLDER = re.compile(r"\d{4}-\d{2}-\d{2}")
SHOWN_CHARACTERS = 80  # of a value quoted in a reason


def shown(text: object) -> str:
    """A value from a sender as a reason or a log shows it: quoted, with line breaks, control
    and format characters (a right-to-left override) escaped, cut to SHOWN_CHARACTERS."""
    quoted = repr(text)
    if len(quoted) > SHOWN_CHARACTERS:
        quoted = quoted[:SHOWN_CHARACTERS - 3] + "..."
    return quoted


class DeliveryRefused(Exception):
    """The delivery must not be published; the message says which file and why.

    `result` is the logged `refused` LandingResult, set once the refusal is recorded.
    """

    result: LandingResult | None = None


@dataclass(frozen=True)
class Delivery:
    """One `<root>/<source folder>/<fecha_corte>/` folder of the landing zone."""

    source: str
    fecha_corte: str
    path: Path
    root: Path

    @property
    def complete(self) -> bool:
        """Senders write the manifest last: without it the folder is still being written."""
        return (self.path / feeds.MANIFEST_NAME).exists()


@dataclass(frozen=True)
class ManifestFile:
    name: str
    sha256: str
    records: int
    encoding: str


@dataclass(frozen=True)
class Manifest:
    files: tuple[ManifestFile, ...]
    fingerprint: str  # sha256 over the listed files' names, hashes, counts and encodings

    @property
    def records(self) -> int:
        return sum(f.records for f in self.files)


@dataclass(frozen=True)
class LandingResult:
    delivery_id: str
    source: str
    fecha_corte: str
    status: str  # landed / refused / superseded / incomplete
    landed: int
    quarantined: int
    manifest_records: int | None
    reason: str | None


# The reason of a landing that found its delivery already landed and did nothing.
ALREADY_LANDED = "already landed: nothing done"


class FileCounts(NamedTuple):
    landed: int
    quarantined: int


def find_deliveries(landing_root: Path | str) -> list[Delivery]:
    """Every dated delivery folder, per source (in `feeds.SOURCES` order) in date order."""
    root = Path(landing_root)
    found = []
    for source, (folder, _) in feeds.SOURCES.items():
        base = root / folder
        if base.is_dir():
            found += [Delivery(source, d.name, d, root) for d in sorted(base.iterdir())
                      if d.is_dir() and _is_date(d.name)]
    return found


def _is_date(name: str) -> bool:
    if not _DATE_FOLDER.fullmatch(name):
        return False
    try:
        date.fromisoformat(name)
    except ValueError:
        return False
    return True


def parse_manifest(delivery: Delivery, raw: bytes) -> Manifest:
    """Validate the manifest against the spec and its folder; refuse with the first problem."""
    name = feeds.MANIFEST_NAME
    try:
        doc = json.loads(raw.decode("utf-8-sig"), object_pairs_hook=_without_duplicate_keys)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise DeliveryRefused(f"{name}: not valid JSON ({e})") from None
    except _DuplicateKey as e:
        raise DeliveryRefused(f"{name}: the key {shown(e.key)} appears twice in one object "
                              "(which value is meant is ambiguous)") from None
    if not isinstance(doc, dict):
        raise DeliveryRefused(f"{name}: expected a JSON object, found {type(doc).__name__}")
    missing = [f for f in MANIFEST_FIELDS if f not in doc]
    if missing:
        raise DeliveryRefused(f"{name}: missing required field(s) {', '.join(missing)}")
    folder, fuente = feeds.SOURCES[delivery.source]
    if doc["fuente"] != fuente:
        raise DeliveryRefused(f"{name}: fuente is {doc['fuente']!r}, expected {fuente!r} "
                              f"in {folder}")
    if doc["fecha_corte"] != delivery.fecha_corte:
        raise DeliveryRefused(f"{name}: fecha_corte is {doc['fecha_corte']!r}, "
                              f"expected {delivery.fecha_corte!r} (the folder name)")
    archivos = doc["archivos"]
    if not isinstance(archivos, list) or not archivos:
        raise DeliveryRefused(f"{name}: archivos must be a non-empty list, found {archivos!r}")
    files = tuple(_manifest_file(i, entry) for i, entry in enumerate(archivos))
    names = [f.name for f in files]
    if len(set(names)) != len(names):
        raise DeliveryRefused(f"{name}: a file is listed twice in archivos: {names}")
    if delivery.source == "inpe_registro":
        if set(names) != set(feeds.REGISTRY_FILES):
            raise DeliveryRefused(f"{name}: a registry extract lists exactly "
                                  f"{sorted(feeds.REGISTRY_FILES)}, found {sorted(names)}")
        # Landed in the spec's order: the establishments first, which the others refer to.
        files = tuple(sorted(files, key=lambda f: list(feeds.REGISTRY_FILES).index(f.name)))
    canonical = json.dumps(sorted((f.name, f.sha256, f.records, f.encoding) for f in files))
    return Manifest(files, hashlib.sha256(canonical.encode()).hexdigest())


class _DuplicateKey(Exception):
    def __init__(self, key: str):
        self.key = key


def _without_duplicate_keys(pairs: list[tuple[str, object]]) -> dict:
    found = dict(pairs)
    if len(found) != len(pairs):
        raise _DuplicateKey(next(k for i, (k, _) in enumerate(pairs)
                                 if k in dict(pairs[:i])))
    return found


def _manifest_file(i: int, entry: object) -> ManifestFile:
    where = f"{feeds.MANIFEST_NAME}: archivos[{i}]"
    if not isinstance(entry, dict):
        raise DeliveryRefused(f"{where}: expected an object, found {entry!r}")
    missing = [k for k in FILE_FIELDS if k not in entry]
    if missing:
        raise DeliveryRefused(f"{where}: missing field(s) {', '.join(missing)}")
    name, digest, records, encoding = (entry[k] for k in FILE_FIELDS)
    # Files must stay inside the delivery folder: a plain name, no path of any kind; and
    # printable, since names are shown in reasons and logs (no line break, no control or
    # format character such as a right-to-left override).
    if (not isinstance(name, str) or not name or ".." in name or "/" in name or "\\" in name
            or not name.isprintable() or Path(name).is_absolute()
            or name == feeds.MANIFEST_NAME):
        raise DeliveryRefused(f"{where}: nombre {shown(name)} is not a plain file name inside "
                              "the folder (printable, without a path)")
    if not isinstance(digest, str) or not _SHA256.fullmatch(digest.lower()):
        raise DeliveryRefused(f"{where} ({name}): sha256 {digest!r} is not 64 hex digits")
    if not isinstance(records, int) or isinstance(records, bool) or records < 0:
        raise DeliveryRefused(f"{where} ({name}): registros {records!r} is not a count")
    if encoding not in feeds.ENCODINGS:
        raise DeliveryRefused(f"{where} ({name}): codificacion {encoding!r}, expected one of "
                              f"{', '.join(feeds.ENCODINGS)}")
    return ManifestFile(name, digest.lower(), records, encoding)


def verify_files(delivery: Delivery, manifest: Manifest) -> dict[str, Path]:
    """Every listed file exists inside the landing root, as a regular file. (Its sha256 is
    checked on the bytes its connector parses: `read_checked`.)"""
    root = delivery.root.resolve()
    paths = {}
    for f in manifest.files:
        path = delivery.path / f.name
        if not path.exists():
            raise DeliveryRefused(f"{f.name}: listed in {feeds.MANIFEST_NAME} but not found in "
                                  f"{delivery.path}")
        target = path.resolve()
        if not target.is_relative_to(root):
            raise DeliveryRefused(f"{f.name}: resolves to {shown(str(target))}, outside the "
                                  f"landing root {root}")
        open_regular(target, f.name).close()  # refuses a FIFO, device or socket unread
        paths[f.name] = target
    return paths


def read_checked(path: Path, entry: ManifestFile) -> bytes:
    """The file's bytes, read once, refused unless they are the ones whose sha256 the
    manifest gives: a connector parses exactly what was checked, even if the sender
    rewrites the file meanwhile."""
    with open_regular(path, entry.name) as stream:
        data = stream.read()
    check_sha256(entry, hashlib.sha256(data).hexdigest())
    return data


def check_sha256(entry: ManifestFile, digest: str) -> None:
    if digest != entry.sha256:
        raise DeliveryRefused(f"{entry.name}: sha256 mismatch: manifest says {entry.sha256}, "
                              f"file has {digest}")


class Landing:
    """One delivery's writes inside its transaction: lineage on every row, and quarantine."""

    def __init__(self, con: duckdb.DuckDBPyConnection, delivery_id: str, delivery: Delivery):
        self.con, self.delivery_id, self.delivery = con, delivery_id, delivery

    def insert(self, table: str, columns: Sequence[str], relation: str, file: str,
               relation_params: Sequence[object] = ()) -> int:
        """Land `relation`: a SQL FROM item with `columns`, `_record_ordinal`, `_record_hash`
        (and `?` placeholders bound to `relation_params`)."""
        cols = ", ".join(columns)
        sql = (f"INSERT INTO {SCHEMA}.{table} ({cols}, _delivery_id, _file, _record_ordinal, "
               f"_loaded_at, _record_hash) SELECT {cols}, ?, ?, _record_ordinal, "
               f"current_timestamp, _record_hash FROM {relation}")
        params = [self.delivery_id, file, *relation_params]
        return self.con.execute(sql, params).fetchall()[0][0]

    def quarantine(self, file: str, relation: str) -> int:
        """Append `relation` (record_ordinal, raw_text, reason) to raw.quarantine."""
        d = self.delivery
        sql = (f"INSERT INTO {SCHEMA}.quarantine SELECT ?, ?, ?, ?, record_ordinal, raw_text, "
               f"reason, current_timestamp FROM {relation}")
        params = [self.delivery_id, d.source, d.fecha_corte, file]
        return self.con.execute(sql, params).fetchall()[0][0]

    @contextmanager
    def staged(self, name: str, table: pa.Table) -> Iterator[None]:
        """Expose an Arrow table to SQL as `name` for the duration of the block."""
        self.con.register(name, table)
        try:
            yield
        finally:
            try:
                self.con.unregister(name)
            except duckdb.TransactionException:  # a failed statement aborted the transaction:
                pass  # its rollback drops the view with the rest


class Connector(NamedTuple):
    """A source's connector: `read` turns a file's checked bytes into what `land_file` lands
    (plain Python, no DuckDB: it may run ahead, on a thread or in a worker process)."""

    read: Callable[[Path, ManifestFile], Any]
    land_file: Callable[[Landing, ManifestFile, Any], FileCounts]


def land(con: duckdb.DuckDBPyConnection, delivery: Delivery, connector: Connector,
         prefetcher: Prefetcher = IN_PLACE) -> LandingResult:
    """Land a complete delivery with its source's `connector`, once, each file read through
    `prefetcher` (read here unless it was read ahead).

    Same fingerprint as a landed delivery: no-op. Different fingerprint for the same
    folder: the earlier delivery's rows are removed and it is marked `superseded`.
    Refusal: logged, then DeliveryRefused is raised with `result` set.
    """
    ensure_schema(con)
    raw, manifest = b"", None
    try:
        raw = _read_manifest(delivery)
        manifest = parse_manifest(delivery, raw)
        delivery_id = _delivery_id(delivery, manifest.fingerprint)
        done = con.execute(f"SELECT landed_records, quarantined_records FROM {SCHEMA}.deliveries "
                           "WHERE delivery_id = ? AND status = 'landed'", [delivery_id]).fetchall()
        if done:
            return LandingResult(delivery_id, delivery.source, delivery.fecha_corte, "landed",
                                 *done[0], manifest.records, ALREADY_LANDED)
        paths = verify_files(delivery, manifest)
        con.begin()
        try:
            result = _land_files(con, delivery, delivery_id, manifest, paths, connector,
                                 prefetcher)
            con.commit()
        except BaseException:
            con.rollback()
            raise
        return result
    except DeliveryRefused as refusal:
        # An unreadable manifest has no fingerprint: its bytes still identify the delivery.
        fingerprint = manifest.fingerprint if manifest else None
        delivery_id = _delivery_id(delivery, fingerprint or hashlib.sha256(raw).hexdigest())
        refusal.result = LandingResult(delivery_id, delivery.source, delivery.fecha_corte,
                                       "refused", 0, 0, manifest.records if manifest else None,
                                       str(refusal))
        con.begin()
        _log(con, delivery, fingerprint, refusal.result)
        con.commit()
        raise


def files_to_land(delivery: Delivery, landed: set[str]) -> list[tuple[Path, ManifestFile]]:
    """A complete delivery's files (path, manifest entry), or none if its delivery id is in
    `landed` or its manifest would refuse it: what landing it will read."""
    manifest = _current_manifest(delivery)
    if manifest is None or _delivery_id(delivery, manifest.fingerprint) in landed:
        return []
    return [(delivery.path / f.name, f) for f in manifest.files]


def current_delivery_id(delivery: Delivery) -> str:
    """The id raw.deliveries logs this folder under as it is now: still being written, or
    complete (a manifest that refuses it is identified by its bytes, as `land` logs it)."""
    if not delivery.complete:
        return f"{delivery.source}:{delivery.fecha_corte}:incomplete"
    try:
        raw = _read_manifest(delivery)
    except DeliveryRefused:
        raw = b""
    try:
        return _delivery_id(delivery, parse_manifest(delivery, raw).fingerprint)
    except DeliveryRefused:
        return _delivery_id(delivery, hashlib.sha256(raw).hexdigest())


def _current_manifest(delivery: Delivery) -> Manifest | None:
    try:
        return parse_manifest(delivery, _read_manifest(delivery))
    except DeliveryRefused:
        return None


def _read_manifest(delivery: Delivery) -> bytes:
    path = (delivery.path / feeds.MANIFEST_NAME).resolve()
    if not path.is_relative_to(delivery.root.resolve()):
        raise DeliveryRefused(f"{feeds.MANIFEST_NAME}: resolves to {shown(str(path))}, outside the landing "
                              "root")
    with open_regular(path, feeds.MANIFEST_NAME) as stream:
        return stream.read()


def open_regular(path: Path, name: str) -> BinaryIO:
    """Open a file for reading only if it is a regular file: a FIFO, a device or a socket
    is refused without blocking (a FIFO opened for reading would wait for a writer)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as e:
        raise DeliveryRefused(f"{name}: unreadable ({e.strerror})") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise DeliveryRefused(f"{name}: not a regular file (a {_file_kind(mode)}): refused "
                              "unread")
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def _file_kind(mode: int) -> str:
    kinds = ((stat.S_ISFIFO, "FIFO"), (stat.S_ISDIR, "directory"), (stat.S_ISSOCK, "socket"),
             (stat.S_ISCHR, "character device"), (stat.S_ISBLK, "block device"))
    return next((kind for test, kind in kinds if test(mode)), "special file")


def _delivery_id(delivery: Delivery, fingerprint: str) -> str:
    return f"{delivery.source}:{delivery.fecha_corte}:{fingerprint[:16]}"


def _land_files(con: duckdb.DuckDBPyConnection, delivery: Delivery, delivery_id: str,
                manifest: Manifest, paths: dict[str, Path], connector: Connector,
                prefetcher: Prefetcher) -> LandingResult:
    """Inside the transaction: retire what this delivery replaces, land every file, log it."""
    key = [delivery.source, delivery.fecha_corte]
    con.execute(f"DELETE FROM {SCHEMA}.deliveries WHERE source = ? AND fecha_corte = ? "
                "AND status = 'incomplete'", key)
    earlier = con.execute(f"SELECT delivery_id FROM {SCHEMA}.deliveries WHERE source = ? AND "
                          "fecha_corte = ? AND status = 'landed'", key).fetchall()
    for (old_id,) in earlier:
        for table in SOURCE_TABLES[delivery.source]:
            con.execute(f"DELETE FROM {SCHEMA}.{table} WHERE _delivery_id = ?", [old_id])
        con.execute(f"UPDATE {SCHEMA}.deliveries SET status = 'superseded', reason = ? "
                    "WHERE delivery_id = ?", [f"superseded by re-delivery {delivery_id}", old_id])
    # The quarantine keeps a superseded delivery's records; when that same delivery is sent
    # again (A, B, A), its records are quarantined anew, not a second time.
    con.execute(f"DELETE FROM {SCHEMA}.quarantine WHERE delivery_id = ?", [delivery_id])
    landing = Landing(con, delivery_id, delivery)
    landed = quarantined = 0
    for f in manifest.files:
        counts = connector.land_file(landing, f, prefetcher.prepared(paths[f.name], f,
                                                                     connector.read))
        if counts.landed + counts.quarantined != f.records:
            raise DeliveryRefused(
                f"{f.name}: record count mismatch: manifest says {f.records}, file has "
                f"{counts.landed + counts.quarantined} ({counts.landed} landed + "
                f"{counts.quarantined} quarantined)")
        landed += counts.landed
        quarantined += counts.quarantined
    result = LandingResult(delivery_id, delivery.source, delivery.fecha_corte, "landed", landed,
                           quarantined, manifest.records, None)
    _log(con, delivery, manifest.fingerprint, result)
    return result


def log_incomplete(con: duckdb.DuckDBPyConnection, delivery: Delivery) -> LandingResult:
    """Record that a folder has no manifest yet; its files are not read."""
    ensure_schema(con)
    result = LandingResult(current_delivery_id(delivery), delivery.source,
                           delivery.fecha_corte, "incomplete", 0, 0, None,
                           f"no {feeds.MANIFEST_NAME} yet: the sender is still writing")
    con.begin()
    _log(con, delivery, None, result)
    con.commit()
    return result


def _log(con: duckdb.DuckDBPyConnection, delivery: Delivery, fingerprint: str | None,
         r: LandingResult) -> None:
    """raw.deliveries keeps one row per delivery id: its latest status."""
    con.execute(f"DELETE FROM {SCHEMA}.deliveries WHERE delivery_id = ?", [r.delivery_id])
    con.execute(f"INSERT INTO {SCHEMA}.deliveries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                "current_timestamp)",
                [r.delivery_id, r.source, r.fecha_corte, str(delivery.path), fingerprint, r.status,
                 r.reason, r.manifest_records, r.landed, r.quarantined])
