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
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

SETUP_SQL = Path(__file__).resolve().parents[1] / "deploy" / "postgres" / "setup.sql"


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


def _run(args: list[str], as_server_user: bool = False) -> None:
    done = subprocess.run(_as_server_user(args) if as_server_user else args,
                          capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")


@contextmanager
def postgres_server(database: str = "hub") -> Iterator[str]:
    """Yield the URL of a fresh server with `database`, set up as deploy/postgres/setup.sql says
    (with the hub_analyst role a DBA would create)."""
    bin_dir, port = _bin_dir(), _free_port()
    # Its own folder, not pytest's: the server's user must be able to reach it.
    data = Path(tempfile.mkdtemp(prefix="hub-postgres-"))
    if os.geteuid() == 0:
        shutil.chown(data, "postgres")
    _run([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
          "-E", "UTF8", "--locale=C.UTF-8"], as_server_user=True)
    # Durability off: a test server, thrown away at the end.
    _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(data / "server.log"), "-w",
          "start", "-o", (f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off "
                         "-c synchronous_commit=off -c full_page_writes=off")],
         as_server_user=True)
    try:
        admin = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        _run(["psql", admin, "-v", "ON_ERROR_STOP=1", "-c", f"CREATE DATABASE {database}",
              "-c", "CREATE ROLE hub_analyst NOLOGIN"])
        url = f"postgresql://postgres@127.0.0.1:{port}/{database}"
        _run(["psql", url, "-v", "ON_ERROR_STOP=1", "-f", str(SETUP_SQL)])
        yield url
    finally:
        _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
             as_server_user=True)
        shutil.rmtree(data, ignore_errors=True)


def clone_database(url: str, name: str) -> str:
    """A copy of `url`'s database, named `name`, on the same server; returns its URL. A
    template must have no session: those left on it are ended first."""
    source = urlsplit(url)
    admin = source._replace(path="/postgres").geturl()
    sessions = (f"select pg_terminate_backend(pid) from pg_stat_activity "
                f"where datname = '{source.path[1:]}' and pid != pg_backend_pid()")
    _run(["psql", admin, "-v", "ON_ERROR_STOP=1", "-c", sessions,
          "-c", f"CREATE DATABASE {name} TEMPLATE {source.path[1:]}"])
    return source._replace(path=f"/{name}").geturl()


def drop_database(url: str) -> None:
    """Drop `url`'s database, ending its sessions."""
    database = urlsplit(url)
    admin = database._replace(path="/postgres").geturl()
    _run(["psql", admin, "-v", "ON_ERROR_STOP=1",
          "-c", f"DROP DATABASE IF EXISTS {database.path[1:]} WITH (FORCE)"])


def login_url(url: str, role: str, member_of: str) -> str:
    """`url` for a login `role` in the role `member_of` (created if it does not exist yet:
    roles belong to the server, not to a database)."""
    server = urlsplit(url)
    create = (f"DO $$ BEGIN CREATE ROLE {role} LOGIN IN ROLE {member_of}; "
              "EXCEPTION WHEN duplicate_object THEN NULL; END $$")
    _run(["psql", url, "-v", "ON_ERROR_STOP=1", "-c", create])
    return server._replace(netloc=f"{role}@{server.hostname}:{server.port}").geturl()
