"""What `hub run` checks before any work, so that a problem is one line naming the path and
the fix rather than a traceback after minutes of work (README, "When `hub run` refuses").

In order: the pseudonym key, the landing zone, the warehouse's path, and the warehouse
itself (free of other writers' and readers' locks, waiting a bounded time, and keyed with
the same key).
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from penal_hub.core.permissions import private_dir
from penal_hub.core.pseudonyms import DEMO_PSEUDONYM_KEY, key_problem, pseudonym
from penal_hub.core.settings import Settings

LOCK_WAIT_VARIABLE = "HUB_LOCK_WAIT_SECONDS"
DEFAULT_LOCK_WAIT_SECONDS = 60.0
LOCK_RETRY_SECONDS = 0.5
# DuckDB's lock error names the process: "Conflicting lock is held in /usr/bin/python3 (PID 42)".
LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")
# Documented persons whose key is checked against the current key: their identity is
# `DOC:<tipo>:<numero>` (dbt_project/models/intermediate/int_person_crosswalk.sql).
KEYED_PERSONS_SQL = """
SELECT persona_key, tipo_documento, numero_documento FROM interop.persona
WHERE tipo_documento IS NOT NULL AND numero_documento IS NOT NULL
ORDER BY persona_key LIMIT 20
"""


class OperatorError(Exception):
    """Something the operator must fix before the hub can work: one line, path and fix."""


def check_run(settings: Settings, rekey: bool = False, say: Callable[[str], None] = print) -> None:
    """Every check of `hub run`; raises OperatorError at the first problem."""
    check_key(settings, say)
    check_landing(settings.landing_dir)
    if settings.postgres_url:
        prepare_data_dir(settings)
        check_postgres(settings, rekey)
    else:
        check_warehouse_path(settings.warehouse, settings.data_dir)
        wait_seconds = lock_wait_seconds()
        prepare_data_dir(settings)
        check_duckdb_warehouse(settings.warehouse, settings.pseudonym_key, wait_seconds, rekey,
                               say)


def prepare_data_dir(settings: Settings) -> None:
    """The data folder and Dagster's storage in it, owner-only (core/permissions.py). The data
    folder's parent must exist: a mistyped path creates no tree of folders."""
    data = settings.data_dir
    if not data.exists() and not data.parent.is_dir():
        raise OperatorError(f"data folder {data} cannot be created: {data.parent} does not "
                            "exist; create it, or set HUB_DATA_DIR to a folder that does")
    try:
        private_dir(data)
        private_dir(settings.dagster_storage)
    except OSError as e:
        raise OperatorError(f"data folder {data} cannot be made private to this user "
                            f"({e.strerror}): run hub as its owner, or set HUB_DATA_DIR to a "
                            "folder of your own") from None


def check_key(settings: Settings, say: Callable[[str], None]) -> None:
    """A key that resists guessing; on a simulated landing zone, the demo key may stand in
    (Settings.pseudonym_key is the demo key there when no key is set)."""
    key = settings.pseudonym_key
    if settings.simulated and key == DEMO_PSEUDONYM_KEY:
        say(f"pseudonym key: the demo key, for the simulated landing zone {settings.landing_dir}")
        return
    if problem := key_problem(key):
        raise OperatorError(problem)


def check_landing(landing: Path) -> None:
    if not landing.exists():
        raise OperatorError(f"landing zone {landing} does not exist: set HUB_LANDING_DIR to the "
                            "folder the institutions deliver to (or HUB_DATA_DIR to its parent)")
    if not landing.is_dir():
        raise OperatorError(f"landing zone {landing} is not a folder: set HUB_LANDING_DIR to the "
                            "folder the institutions deliver to")
    if not os.access(landing, os.R_OK | os.X_OK):
        raise OperatorError(f"landing zone {landing} is not readable by this user: grant read "
                            "access (chmod/chgrp) or run hub as a user who can read it")


def check_warehouse_path(warehouse: Path, data_dir: Path) -> None:
    """A file (or none yet) in an existing folder this user can write to. Only the data
    folder itself is created (by `hub`), never a path of folders."""
    folder = warehouse.parent
    fix = "set HUB_WAREHOUSE to a file path in a folder you can write to"
    if warehouse.is_dir():
        raise OperatorError(f"warehouse {warehouse} is a folder, not a file: {fix}")
    if not folder.is_dir() and folder != data_dir:
        raise OperatorError(f"warehouse folder {folder} does not exist: create it, or {fix}")
    if folder.is_dir():
        try:  # access() says yes to root on a read-only mount: only writing tells
            with tempfile.TemporaryFile(dir=folder):
                pass
        except OSError as e:
            raise OperatorError(f"warehouse folder {folder} accepts no new file ({e.strerror}): "
                                f"{fix}") from None
    if warehouse.exists() and not os.access(warehouse, os.R_OK | os.W_OK):
        raise OperatorError(f"warehouse {warehouse} is not writable by this user: run hub as "
                            "its owner, or fix its permissions")


def lock_wait_seconds() -> float:
    text = os.environ.get(LOCK_WAIT_VARIABLE, "")
    try:
        seconds = float(text) if text else DEFAULT_LOCK_WAIT_SECONDS
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        raise OperatorError(f"{LOCK_WAIT_VARIABLE}={text} is not a number of seconds: set it to "
                            "how long hub run may wait for the warehouse (e.g. 60), or unset it")
    return seconds


def check_duckdb_warehouse(warehouse: Path, key: str, wait_seconds: float, rekey: bool,
                           say: Callable[[str], None]) -> None:
    """Open the warehouse as its writer, waiting up to `wait_seconds` for other sessions
    (an analyst's read-only session holds a lock too), and check its key."""
    import duckdb

    deadline = time.monotonic() + wait_seconds
    told = False
    while True:
        try:
            con = duckdb.connect(str(warehouse))
            break
        except duckdb.IOException as e:
            holder = LOCK_HOLDER.search(str(e))
            if holder is None:
                raise OperatorError(f"warehouse {warehouse} cannot be opened "
                                    f"({_first_line(e)}): {_open_fix(e)}") from None
            if time.monotonic() >= deadline:
                raise OperatorError(
                    f"warehouse {warehouse} is locked by PID {holder['pid']} "
                    f"({holder['program']}) after waiting {wait_seconds:g} s: close that "
                    f"session, or wait longer with {LOCK_WAIT_VARIABLE}") from None
            if not told:
                say(f"warehouse {warehouse} is in use by PID {holder['pid']}; waiting up to "
                    f"{wait_seconds:g} s ({LOCK_WAIT_VARIABLE})")
                told = True
            time.sleep(LOCK_RETRY_SECONDS)
    try:
        keyed = con.execute(KEYED_PERSONS_SQL).fetchall() if _has_persons(con) else []
    finally:
        con.close()
    check_same_key(keyed, str(warehouse), key, rekey)


def check_postgres(settings: Settings, rekey: bool) -> None:
    import adbc_driver_manager

    from penal_hub.core.warehouse import connect

    try:
        with connect(settings.postgres_url) as con:
            found = con.rows("SELECT count(*) FROM information_schema.tables "
                             "WHERE table_schema = 'interop' AND table_name = 'persona'")
            keyed = con.rows(KEYED_PERSONS_SQL) if found[0][0] else []
    except adbc_driver_manager.Error as e:
        raise OperatorError(f"warehouse {settings.warehouse_display} cannot be reached "
                            f"({_first_line(e)}): check HUB_POSTGRES_URL and that the server "
                            "accepts this user") from None
    check_same_key(keyed, settings.warehouse_display, settings.pseudonym_key, rekey)


def check_same_key(keyed: list[tuple[str, str, str]], where: str, key: str, rekey: bool) -> None:
    """Refuse a run that would re-key every person by accident (a mistyped or rotated key):
    only `hub run --rekey` may."""
    if rekey or not keyed:
        return
    encoded = key.encode("utf-8")
    if not any(pseudonym(f"DOC:{tipo}:{numero}", encoded) == persona_key
               for persona_key, tipo, numero in keyed):
        raise OperatorError(f"warehouse {where} was keyed with another HUB_PSEUDONYM_KEY: set "
                            "the key it was built with, or rotate keys on purpose with "
                            "`hub run --rekey`")


def _has_persons(con) -> bool:
    return con.execute("SELECT count(*) FROM information_schema.tables WHERE "
                       "table_schema = 'interop' AND table_name = 'persona'").fetchone()[0] > 0


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _open_fix(error: Exception) -> str:
    if "not a valid DuckDB database" in str(error):
        return "point HUB_WAREHOUSE at the hub's DuckDB file, or at a path where none exists yet"
    return "set HUB_WAREHOUSE to a file path in a folder you can write to"
