"""Run a command; report its wall time and peak memory over its whole process tree (Linux).

    uv run python bench/peak_memory.py -- uv run hub run

`/usr/bin/time -v` reports the largest single process; the hub runs dbt and the court
parsing workers as child processes beside itself, so what the machine must hold is the
sum. This samples /proc every 0.2 s and reports both: the peak of the tree's summed
resident memory (a sample may miss a short spike) and the largest single process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Self

PAGE = os.sysconf("SC_PAGE_SIZE")


def tree(root: int) -> list[int]:
    """`root` and all its descendants, from each process's parent in /proc/<pid>/stat."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def rss(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    except OSError:
        return 0


class TreeMemory:
    """Samples, on a thread, the resident memory of process `root` and its descendants."""

    def __init__(self, root: int, every_s: float = 0.2):
        self.root, self.every_s = root, every_s
        self.peak_sum = self.peak_single = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            sizes = [rss(pid) for pid in tree(self.root)]
            self.peak_sum = max(self.peak_sum, sum(sizes))
            self.peak_single = max(self.peak_single, max(sizes))
            self._stop.wait(self.every_s)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *_) -> None:
        self._stop.set()
        self._thread.join()


def main() -> None:
    command = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else sys.argv[1:]
    started = time.perf_counter()
    process = subprocess.Popen(command)
    with TreeMemory(process.pid) as memory:
        process.wait()
    wall = time.perf_counter() - started
    print(f"exit {process.returncode}; wall {wall:.0f} s ({wall / 60:.1f} min); peak memory "
          f"{memory.peak_sum / 2**30:.2f} GiB summed over the process tree, "
          f"{memory.peak_single / 2**30:.2f} GiB in one process", file=sys.stderr)
    sys.exit(process.returncode)


if __name__ == "__main__":
    main()
