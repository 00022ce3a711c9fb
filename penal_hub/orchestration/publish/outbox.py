"""The outbox's revisions: every publication of a cut-off is written whole into a folder
of its own, then `<outbox>/<cutoff>` is switched to it in one rename.
"""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

from penal_hub.core.permissions import fsync_dir, private_dir, write_private

REVISIONS_DIR = "revisions"  # <outbox>/revisions/<cutoff>/<n>/: every publication of a cut-off
KEEP_REVISIONS = 2  # the current one and the one before it


def revisions(outbox: Path, cutoff: date) -> list[int]:
    """The revision folders kept for `cutoff`, in order."""
    folder = outbox / REVISIONS_DIR / cutoff.isoformat()
    return sorted(int(p.name) for p in folder.iterdir() if p.name.isdigit()) if folder.is_dir() else []


def current_revision(outbox: Path, cutoff: date) -> int | None:
    """The revision `<outbox>/<cutoff>` points to: the one readers get (None: none yet)."""
    stable = outbox / cutoff.isoformat()
    return int(os.readlink(stable).rsplit("/", 1)[-1]) if stable.is_symlink() else None


def next_revision(outbox: Path, cutoff: date) -> int:
    return (current_revision(outbox, cutoff) or 0) + 1


def publish(outbox: Path, cutoff: date, files: dict[str, bytes], revision: int) -> Path:
    """Publish `files` as `revision` of `cutoff`; return the stable path `<outbox>/<cutoff>`.

    The files are written and synced into `revisions/<cutoff>/<revision>/`, then the
    symbolic link `<outbox>/<cutoff>` is switched to it with one rename. A reader finds the
    previous revision or the new one, whole, at every instant; a process killed between
    two steps leaves at most a folder that was never published, which the next
    publication removes.
    """
    versions = private_dir(outbox / REVISIONS_DIR / cutoff.isoformat())
    published = current_revision(outbox, cutoff) or 0
    for leftover in versions.iterdir():  # never published: an attempt killed before its switch
        if not leftover.name.isdigit() or int(leftover.name) > published:
            shutil.rmtree(leftover)
    staging = private_dir(versions / f".tmp-{revision}")
    for name, content in files.items():
        write_private(staging / name, content)
    fsync_dir(staging)
    os.rename(staging, versions / str(revision))
    fsync_dir(versions)

    stable = outbox / cutoff.isoformat()
    if stable.is_dir() and not stable.is_symlink():
        # An extract published before revisions existed becomes revision 0 (this one
        # switch leaves a moment without the folder; every later one does not).
        os.rename(stable, versions / "0")
    link = outbox / f".{cutoff.isoformat()}.link"
    link.unlink(missing_ok=True)
    link.symlink_to(Path(REVISIONS_DIR) / cutoff.isoformat() / str(revision))
    os.replace(link, stable)
    fsync_dir(outbox)
    for old in revisions(outbox, cutoff)[:-KEEP_REVISIONS]:
        shutil.rmtree(versions / str(old))
    return stable
