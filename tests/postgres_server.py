"""A throwaway PostgreSQL server from Debian's packages, for the tests that need one.

`initdb` a cluster in a temporary folder, start it on a free loopback port with
trust authentication, stop it at the end. PostgreSQL refuses to run as root, so
as root the server runs as the `postgres` user the Debian package creates.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError("PostgreSQL server binaries not found under /usr/lib/postgresql: "
                           "install Debian's postgresql package (scripts/test does)")
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@contextmanager
def postgres_server(folder: Path, database: str = "hub") -> Iterator[str]:
    """Yield the URL of a fresh server with `database` (unaccent and pgcrypto installed)."""
    bin_dir, port = _bin_dir(), _free_port()
    data = folder / "pgdata"
    data.mkdir(parents=True)
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
        shutil.chown(data, "postgres")
    run = lambda *args: subprocess.run(_as_server_user(list(args)), check=True,
                                       capture_output=True, text=True)
    run(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
        "-E", "UTF8", "--locale=C.UTF-8")
    run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(data / "server.log"), "-w", "start",
        "-o", f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off "
              "-c synchronous_commit=off -c full_page_writes=off")
    try:
        admin = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        run("psql", admin, "-v", "ON_ERROR_STOP=1", "-c", f"CREATE DATABASE {database}")
        url = f"postgresql://postgres@127.0.0.1:{port}/{database}"
        run("psql", url, "-v", "ON_ERROR_STOP=1",
            "-c", "CREATE EXTENSION unaccent", "-c", "CREATE EXTENSION pgcrypto")
        yield url
    finally:
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
