"""Reading ahead: the next files of a landing prepared in the background.

Landing a file is mostly DuckDB work (parse, hash, compress, commit), done without the
GIL and often on one core. Meanwhile the second core can prepare the next file: read
and split it (registry, medio libre) or parse it whole (court files, in worker
processes). `land_each` makes a `Prefetcher` over the files it will land and passes it to
`land`, which gets each file through `prepared(path, entry, read)`: the file as the
connector's reader made it, read here when it was not read ahead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # delivery.py hands a Prefetcher to the connectors
    from penal_hub.connectors.delivery import ManifestFile

Prepare = Callable[[Path, "ManifestFile"], Any]


class ReadingAhead:
    """Files prepared by `prepare(path, entry)` on background threads, in landing order,
    up to `lookahead` of them ahead of the one being landed.

    A failure while preparing (a refusal) is raised when its file is taken. Files that are
    never taken (their delivery was already landed, or refused before its files were read)
    are passed over when a later one is taken.
    """

    def __init__(self, files: Sequence[tuple[Path, ManifestFile]], prepare: Prepare,
                 threads: int = 1, lookahead: int = 1):
        self._files = [(path.resolve(), entry) for path, entry in files]
        self._order = {path: i for i, (path, _) in enumerate(self._files)}
        self._entries = dict(self._files)
        self._prepare, self._next, self._lookahead = prepare, 0, lookahead
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="read-ahead")
        self._preparing: dict[Path, Future] = {}
        self.taken = 0  # files prepared and taken
        self._top_up()

    def _top_up(self) -> None:
        while len(self._preparing) < self._lookahead and self._next < len(self._files):
            path, entry = self._files[self._next]
            self._preparing[path] = self._pool.submit(self._prepare, path, entry)
            self._next += 1

    def holds(self, path: Path, entry: ManifestFile) -> bool:
        """Whether this reading ahead prepares the file as `entry` describes it now: a
        folder re-delivered since (a new manifest entry) is prepared again by the caller."""
        return path in self._order and self._entries[path] == entry

    def take(self, path: Path) -> Any | None:
        """What `prepare` made of the file (None: it is behind the window, prepare it here)."""
        position = self._order[path]
        if position < self._next and path not in self._preparing:
            return None
        if path not in self._preparing:  # further on than the window: restart it there
            self._next = position
        for skipped in [p for p in self._preparing if self._order[p] < position]:
            self._preparing.pop(skipped).cancel()
        self._top_up()
        future = self._preparing.pop(path)
        self._top_up()  # the next file is prepared while this one is landed
        prepared = future.result()
        self.taken += 1
        return prepared

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class Prefetcher:
    """The reading aheads of one landing (whoever made them closes them), handed to `land`
    explicitly, which reads each file through `prepared`. One without reading aheads
    prepares every file in place."""

    def __init__(self, *aheads: ReadingAhead):
        self.aheads = aheads

    def prepared(self, path: Path, entry: ManifestFile, prepare: Prepare) -> Any:
        """`prepare(path, entry)`: taken from the reading ahead that holds the file with this
        manifest entry, or, when none does (or the file is behind its window), done here.
        `prepare` checks the sha256 of the bytes it reads (`delivery.read_checked`)."""
        resolved = path.resolve()
        for ahead in self.aheads:
            if ahead.holds(resolved, entry):
                taken = ahead.take(resolved)
                if taken is not None:
                    return taken
        return prepare(path, entry)

    @property
    def taken(self) -> int:
        """Files prepared ahead and taken (for tests and benchmarks)."""
        return sum(ahead.taken for ahead in self.aheads)


IN_PLACE = Prefetcher()  # no reading ahead: every file read where it is landed
