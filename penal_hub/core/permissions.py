"""Who may read what the hub writes: its owner only, or also a group the operator names.

The warehouse, the outbox, the reports and Dagster's storage hold personal data. They are
created owner-only (files 0600, folders 0700); with HUB_SHARE_GROUP set, that group may
read them too (files 0640, folders 2750: the setgid bit makes what is created inside
belong to the group). `hub` sets the matching umask for everything it starts; the places
that create these files also set the mode explicitly, for processes started otherwise
(`dagster dev`, tests).
"""

from __future__ import annotations

import grp
import os
from pathlib import Path

SHARE_GROUP_VARIABLE = "HUB_SHARE_GROUP"


class UnknownGroup(ValueError):
    """HUB_SHARE_GROUP names no group of this machine."""


def share_group() -> int | None:
    """The gid of HUB_SHARE_GROUP (a name or a number), or None when it is not set."""
    name = os.environ.get(SHARE_GROUP_VARIABLE, "").strip()
    if not name:
        return None
    try:
        return int(name) if name.isdigit() else grp.getgrnam(name).gr_gid
    except KeyError:
        raise UnknownGroup(f"{SHARE_GROUP_VARIABLE}={name} is not a group on this machine: "
                           "name an existing group (getent group), or unset it") from None


def umask() -> int:
    return 0o077 if share_group() is None else 0o027


def restrict(path: Path) -> Path:
    """Give `path` the hub's mode (and group): owner-only, or group-readable when shared."""
    group = share_group()
    if path.is_dir():
        mode = 0o700 if group is None else 0o2750
    else:
        mode = 0o600 if group is None else 0o640
    if group is not None and path.stat().st_gid != group:
        os.chown(path, -1, group)
    os.chmod(path, mode)
    return path


def private_dir(path: Path) -> Path:
    """Create `path` and any missing parents with the hub's mode; an existing folder is
    given it too."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    path.mkdir(parents=True, exist_ok=True)
    for created in [*reversed(missing), path]:
        restrict(created)
    return path


def write_private(path: Path, content: bytes) -> None:
    """Write `content` to a new `path` that is never readable by others, not even briefly."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as stream:
        stream.write(content)
        stream.flush()
        os.fsync(stream.fileno())
    restrict(path)


def fsync_dir(path: Path) -> None:
    """Make the renames and creations inside the folder `path` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
