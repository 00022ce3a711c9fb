"""What an operator sees when something is wrong: `hub` through its console script, each
problem refused before any work in one line naming the path and the fix, with its exit code
(README, "Exit codes"). None of these runs reaches the pipeline: each takes about a second."""

from __future__ import annotations

import grp
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from hub_env import TEST_PSEUDONYM_KEY

from penal_hub.cli.main import Exit, exit_code
from penal_hub.core import permissions
from penal_hub.core.pseudonyms import DEMO_PSEUDONYM_KEY, pseudonym

PROJECT = Path(__file__).resolve().parents[1]
HUB = Path(sys.executable).parent / "hub"


def hub(*args: str, data: Path, timeout: float = 60, **variables: str) -> subprocess.CompletedProcess:
    """`hub` as an operator runs it: the console script, the environment given and no other
    HUB_ variable (so nothing of the test session's leaks in)."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("HUB_", "DAGSTER_"))}
    env.update({"HUB_DATA_DIR": str(data), **variables})
    return subprocess.run([str(HUB), *args], cwd=PROJECT, env=env, capture_output=True,
                          text=True, timeout=timeout, check=False)


def refused(done: subprocess.CompletedProcess, code: Exit, *words: str) -> str:
    """The one line on stderr, checked for its exit code and words; returned for more checks."""
    assert done.returncode == code, (done.returncode, done.stdout[-2000:], done.stderr[-2000:])
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def real_landing(tmp_path) -> Path:
    """A landing zone no simulator wrote (no truth beside it): keys are for real."""
    landing = tmp_path / "data" / "landing"
    landing.mkdir(parents=True)
    return landing


@pytest.mark.parametrize("key, words", [
    (None, ["HUB_PSEUDONYM_KEY is not set", "secrets.token_urlsafe"]),
    ("", ["HUB_PSEUDONYM_KEY is empty"]),
    ("   ", ["HUB_PSEUDONYM_KEY is empty"]),
    (DEMO_PSEUDONYM_KEY, ["public demo key"]),
    ("s3cret-but-short", ["16 characters, too few"]),
    ("ab" * 20, ["repeats 2 characters"]),
])
def test_run_outside_the_demo_refuses_a_missing_or_weak_key(real_landing, key, words):
    variables = {} if key is None else {"HUB_PSEUDONYM_KEY": key}
    refused(hub("run", data=real_landing.parent, **variables), Exit.OPERATOR, *words)
    assert not (real_landing.parent / "warehouse.duckdb").exists()  # before any work


def test_ui_outside_the_demo_refuses_a_missing_key(real_landing):
    """The runs the UI launches key persons too: it does not start without a key."""
    refused(hub("ui", data=real_landing.parent), Exit.OPERATOR, "HUB_PSEUDONYM_KEY is not set")


def test_run_refuses_a_missing_landing_zone_or_a_file_in_its_place(tmp_path):
    data = tmp_path / "data"
    line = refused(hub("run", data=data, HUB_PSEUDONYM_KEY=TEST_PSEUDONYM_KEY),
                   Exit.OPERATOR, str(data / "landing"), "does not exist", "HUB_LANDING_DIR")
    assert line.startswith("hub: landing zone")
    assert not data.exists()  # nothing written
    (tmp_path / "landing.zip").write_bytes(b"PK")
    refused(hub("run", data=data, HUB_PSEUDONYM_KEY=TEST_PSEUDONYM_KEY,
                HUB_LANDING_DIR=str(tmp_path / "landing.zip")),
            Exit.OPERATOR, "landing.zip is not a folder")


@pytest.mark.parametrize("where, words", [
    ("a folder", ["is a folder, not a file", "HUB_WAREHOUSE"]),
    ("/proc/wh.duckdb", ["/proc accepts no new file", "HUB_WAREHOUSE"]),
    ("/nonexistent/dir/wh.duckdb", ["/nonexistent/dir does not exist", "create it"]),
    ("not a DuckDB file", ["not a valid DuckDB database", "point HUB_WAREHOUSE"]),
])
def test_run_refuses_a_warehouse_path_it_cannot_use(real_landing, tmp_path, where, words):
    if where == "a folder":
        where = str(tmp_path)
    elif where == "not a DuckDB file":
        where = str(tmp_path / "notes.txt")
        Path(where).write_text("not a database")
    done = hub("run", data=real_landing.parent, HUB_PSEUDONYM_KEY=TEST_PSEUDONYM_KEY,
               HUB_WAREHOUSE=where)
    refused(done, Exit.OPERATOR, "warehouse", *words)
    assert not Path("/nonexistent").exists()


def test_run_creates_the_data_folder_but_no_path_of_folders(real_landing, tmp_path):
    data = Path("/nonexistent/hub/data")
    refused(hub("run", data=data, HUB_PSEUDONYM_KEY=TEST_PSEUDONYM_KEY,
                HUB_LANDING_DIR=str(real_landing)),
            Exit.OPERATOR, f"data folder {data} cannot be created", "/nonexistent/hub does not exist")
    assert not Path("/nonexistent").exists()
    fresh = tmp_path / "fresh"
    refused(hub("run", data=fresh, HUB_PSEUDONYM_KEY=TEST_PSEUDONYM_KEY,
                HUB_LANDING_DIR=str(real_landing), HUB_LOCK_WAIT_SECONDS="x"), Exit.OPERATOR)
    assert not fresh.exists()  # a setting refused before the data folder is made


def test_run_waits_for_a_reader_then_names_who_holds_the_lock(real_landing):
    warehouse = real_landing.parent / "warehouse.duckdb"
    duckdb.connect(str(warehouse)).close()
    reader = subprocess.Popen(  # an analyst's read-only session
        [sys.executable, "-c", (f"import duckdb, sys; c = duckdb.connect({str(warehouse)!r}, "
                                "read_only=True); print('open', flush=True); sys.stdin.read()")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline().strip() == "open"
        started = time.monotonic()
        done = hub("run", data=real_landing.parent, HUB_PSEUDONYM_KEY=TEST_PSEUDONYM_KEY,
                   HUB_LOCK_WAIT_SECONDS="2")
        waited = time.monotonic() - started
    finally:
        reader.stdin.close()
        reader.wait(timeout=30)
    refused(done, Exit.OPERATOR, str(warehouse), f"locked by PID {reader.pid}",
            "after waiting 2 s", "HUB_LOCK_WAIT_SECONDS")
    assert "waiting up to 2 s" in done.stdout
    assert 2 <= waited < 30


def test_run_refuses_a_key_other_than_the_warehouse_was_built_with(real_landing):
    """A mistyped or rotated key would re-key every person: only `hub run --rekey` may."""
    warehouse = real_landing.parent / "warehouse.duckdb"
    built_with = TEST_PSEUDONYM_KEY.encode()
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema interop; create table interop.persona as select "
                    "? as persona_key, 'DNI' as tipo_documento, '04012345' as numero_documento",
                    [pseudonym("DOC:DNI:04012345", built_with)])
    other = "another-key-of-enough-length-7d1e9a44c0"
    refused(hub("run", data=real_landing.parent, HUB_PSEUDONYM_KEY=other), Exit.OPERATOR,
            str(warehouse), "keyed with another HUB_PSEUDONYM_KEY", "hub run --rekey")


@pytest.mark.parametrize("variables, words", [
    ({"HUB_LOCK_WAIT_SECONDS": "soon"}, ["HUB_LOCK_WAIT_SECONDS=soon is not a number"]),
    ({"HUB_SHARE_GROUP": "no-such-group-hub"}, ["HUB_SHARE_GROUP=no-such-group-hub is not a group"]),
])
def test_run_refuses_a_bad_setting(real_landing, variables, words):
    refused(hub("run", data=real_landing.parent, HUB_PSEUDONYM_KEY=TEST_PSEUDONYM_KEY,
                **variables), Exit.OPERATOR, *words)


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "ten"])
def test_simulate_refuses_a_scale_before_writing_anything(tmp_path, value):
    data = tmp_path / "data"
    done = hub("simulate", "--scale", value, data=data)
    assert done.returncode == Exit.USAGE, done.stderr
    assert f"argument --scale: '{value}' is not a scale" in done.stderr
    assert "Traceback" not in done.stderr
    assert not data.exists()


def test_version_and_verbosity_options(tmp_path):
    done = hub("--version", data=tmp_path)
    assert done.returncode == 0 and done.stdout.strip() == "hub 0.1.0"
    done = hub("run", "-q", "-v", data=tmp_path)
    assert done.returncode == Exit.USAGE and "not allowed with argument" in done.stderr


@pytest.mark.parametrize("report, code", [
    ({"outcomes": {"land x": True, "downstream": True}}, Exit.OK),
    ({"outcomes": {"downstream": True}, "waiting": ["inpe_registro"]}, Exit.OK),
    ({"outcomes": {"downstream": False}}, Exit.UNEXPECTED),
    ({"outcomes": {"downstream": False}, "blocked": ["deliveries_reconciled"]}, Exit.GATE_FAILED),
    ({"outcomes": {"downstream": False}, "blocked": ["x"], "refused": ["y"]}, Exit.GATE_FAILED),
    ({"outcomes": {"downstream": True}, "refused": ["pj_resoluciones 2024-03-03"]},
     Exit.DELIVERY_REFUSED),
])
def test_exit_code_of_a_finished_run(report, code):
    assert exit_code(report) == code


def other_group() -> int:
    """A group this process is not in by default, to share with."""
    return next(g.gr_gid for g in grp.getgrall() if g.gr_gid != os.getegid())


def test_files_are_owner_only_or_shared_with_the_named_group(tmp_path, monkeypatch):
    from datetime import date

    from penal_hub.orchestration.publish.outbox import publish

    monkeypatch.delenv(permissions.SHARE_GROUP_VARIABLE, raising=False)
    folder = publish(tmp_path / "a" / "outbox", date(2024, 12, 31), {"x.xml": b"<x/>"}, "run1")
    for path in (tmp_path / "a", tmp_path / "a" / "outbox", folder):
        assert path.stat().st_mode & 0o7777 == 0o700, path
    assert (folder / "x.xml").stat().st_mode & 0o777 == 0o600

    gid = other_group()
    monkeypatch.setenv(permissions.SHARE_GROUP_VARIABLE, str(gid))
    folder = publish(tmp_path / "b" / "outbox", date(2024, 12, 31), {"x.xml": b"<x/>"}, "run1")
    for path in (tmp_path / "b", tmp_path / "b" / "outbox", folder):
        assert (path.stat().st_mode & 0o7777, path.stat().st_gid) == (0o2750, gid), path
    assert ((folder / "x.xml").stat().st_mode & 0o777, (folder / "x.xml").stat().st_gid) == (
        0o640, gid)
    assert permissions.umask() == 0o027
