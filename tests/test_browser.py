"""The Dagster UI in a real browser: the asset graph, and one delivery landed from the UI;
and the reports people open from disk (the analysts' report, the validation index).

`dagster-webserver` serves `penal_hub.orchestration.definitions` on a copy of the simulated data,
with its own DAGSTER_HOME (the project's dagster.yaml, storage in a temporary folder).
Headless Chromium (Debian's, driven by Playwright) opens the asset graph, then on the
medio libre raw asset adds the first cut-off as a partition in the launch dialog and
launches one run; the run must succeed in the Runs page and the asset's check
`landed_plus_quarantined_equals_manifest` must pass. Screenshots go to
`artifacts/browser/` (with the webserver's log), for a person to look at.

No dagster-daemon runs here, so the test's dagster.yaml adds the DefaultRunCoordinator:
the webserver launches the run itself, and no sensor, schedule or automation ticks
start other runs behind the test's back.

Needs Chromium (`apt-get install -y chromium`) and the `playwright` package.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from hub_env import settings_for

from penal_hub.contracts import feeds
from penal_hub.core.settings import DEMO_PSEUDONYM_KEY, PACKAGE_DIR
from penal_hub.orchestration.ingest.assets import RECONCILED_CHECK

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts" / "browser"
SERVER_START_TIMEOUT_S = 120
RUN_TIMEOUT_S = 240
UI_TIMEOUT_MS = 30_000
LAUNCH_TIMEOUT_MS = 90_000

SOURCE, ASSET_PATH = "inpe_medio_libre", "raw/inpe_medio_libre"
GROUPS = ("raw", "staging", "interop", "marts")
# The launch dialog and the nudge Dagster shows on a first visit: seen as dismissed.
NUX_SEEN = "window.localStorage.setItem('communityNux', JSON.stringify('1'))"
# Without the daemon, the webserver itself must launch runs (see the module docstring).
RUN_COORDINATOR = """
# Added by tests/test_browser.py: no daemon in the test, the webserver launches runs.
run_coordinator:
  module: dagster._core.run_coordinator
  class: DefaultRunCoordinator
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def graphql(base: str, query: str, variables: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"{base}/graphql", data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        doc = json.loads(response.read())
    assert "errors" not in doc, doc["errors"]
    return doc["data"]


def log_tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


@pytest.fixture(scope="module")
def hub_copy(simulated, tmp_path_factory) -> dict[str, Path]:
    """A private data folder: a copy of the simulated landing zone, an empty warehouse."""
    data = tmp_path_factory.mktemp("browser") / "data"
    shutil.copytree(simulated / "landing", data / "landing")
    home = data.parent / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text((PACKAGE_DIR / "dagster.yaml").read_text() + RUN_COORDINATOR)
    return {"data": data, "landing": data / "landing", "warehouse": data / "warehouse.duckdb",
            "outbox": data / "outbox", "dagster_home": home, "storage": data / "dagster"}


@pytest.fixture(scope="module")
def webserver(hub_copy) -> Iterator[str]:
    """dagster-webserver on a free port; its base URL once the code location has loaded."""
    from penal_hub.orchestration.transform.project import prepare_manifest

    # The definitions load dbt's manifest at import time.
    prepare_manifest(settings_for(hub_copy["data"], hub_copy["landing"]))
    env = {
        **os.environ,
        "HUB_DATA_DIR": str(hub_copy["data"]),
        "HUB_LANDING_DIR": str(hub_copy["landing"]),
        "HUB_WAREHOUSE": str(hub_copy["warehouse"]),
        "HUB_OUTBOX_DIR": str(hub_copy["outbox"]),
        "DAGSTER_HOME": str(hub_copy["dagster_home"]),
        "HUB_DAGSTER_STORAGE": str(hub_copy["storage"]),
        "HUB_DAGSTER_COMPUTE_LOGS": str(hub_copy["storage"] / "logs"),
        "HUB_PSEUDONYM_KEY": os.environ.get("HUB_PSEUDONYM_KEY", DEMO_PSEUDONYM_KEY),
        "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
    }
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = hub_copy["data"].parent / "webserver.log"
    started = time.monotonic()
    with open(log, "wb") as out:
        # Its own process group: the code server and run workers it starts go with it.
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "dagster-webserver"), "-m",
             "penal_hub.orchestration.definitions", "-h", "127.0.0.1", "-p", str(port)],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)
    try:
        wait_until_loaded(base, server, log, started)
        print(f"webserver ready in {time.monotonic() - started:.1f} s")
        yield base
    finally:
        stop(server)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(log, ARTIFACTS / "webserver.log")


def wait_until_loaded(base: str, server: subprocess.Popen, log: Path, started: float) -> None:
    """/server_info answers and the code location is LOADED, within SERVER_START_TIMEOUT_S."""
    query = ("{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus "
             "locationOrLoadError { __typename ... on PythonError { message } } } } } }")
    while True:
        if server.poll() is not None:
            pytest.fail(f"dagster-webserver exited with {server.returncode}:\n{log_tail(log)}")
        if time.monotonic() - started > SERVER_START_TIMEOUT_S:
            pytest.fail(f"dagster-webserver not ready after {SERVER_START_TIMEOUT_S} s:\n"
                        f"{log_tail(log)}")
        try:
            urllib.request.urlopen(f"{base}/server_info", timeout=5).read()
            entries = graphql(base, query)["workspaceOrError"]["locationEntries"]
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(1)
            continue
        if entries and all(e["loadStatus"] == "LOADED" for e in entries):
            errors = [e["locationOrLoadError"] for e in entries
                      if e["locationOrLoadError"]["__typename"] == "PythonError"]
            assert not errors, f"the code location did not load: {errors}"
            return
        time.sleep(1)


def stop(server: subprocess.Popen) -> None:
    """SIGTERM to the server's process group, then SIGKILL if it is still there after 20 s."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
    try:  # run workers and the code server share the group
        os.killpg(server.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory):
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium)")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        pytest.fail("the playwright package is not installed (dev dependency group)")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS, headless=True, viewport={"width": 1600, "height": 1000})
        context.set_default_timeout(UI_TIMEOUT_MS)
        expect.set_options(timeout=UI_TIMEOUT_MS)
        context.add_init_script(NUX_SEEN)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(browser_context):
    page = browser_context.new_page()
    yield page
    page.close()


def shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def dismiss_nux(page) -> None:
    """If the first-visit 'Join the Dagster community' dialog shows anyway, skip it."""
    skip = page.get_by_role("button", name="Skip")
    if skip.is_visible():
        skip.click()


def test_asset_graph_shows_the_layers(webserver, page):
    from playwright.sync_api import expect

    page.goto(f"{webserver}/asset-groups")
    dismiss_nux(page)
    try:
        for group in GROUPS:
            expect(page.get_by_text(group, exact=True).first).to_be_visible()
        page.wait_for_timeout(1500)  # let the graph lay out before the screenshot
    finally:
        shot(page, "01_asset_graph")


def test_land_one_delivery_from_the_ui(webserver, page, hub_copy):
    from playwright.sync_api import expect

    cutoff = first_cutoff(hub_copy["landing"])
    started = time.monotonic()
    try:
        # The asset page, Materialize…, and the first cut-off added as a partition.
        page.goto(f"{webserver}/assets/{ASSET_PATH}")
        dismiss_nux(page)
        page.get_by_role("button", name="Materialize…").click()
        launch = page.get_by_role("dialog").filter(has_text="Launch runs to materialize")
        expect(launch).to_be_visible()
        launch.get_by_text("Add a partition").click()
        add = page.get_by_role("dialog").filter(has_text=f"Add a partition for {SOURCE}_deliveries")
        add.get_by_placeholder("name").fill(cutoff)
        add.get_by_role("button", name="Save").click()
        expect(add).to_be_hidden()
        expect(launch.get_by_text("1 partition", exact=True)).to_be_visible()
        expect(launch.get_by_text(cutoff).first).to_be_visible()
        shot(page, "02_launch_dialog")
        launch.get_by_role("button", name="Launch 1 run").click()
        # The webserver answers once it has started the run's process.
        expect(launch).to_be_hidden(timeout=LAUNCH_TIMEOUT_MS)
        print(f"launch dialog closed {time.monotonic() - started:.1f} s after opening the asset")

        run_id, status = wait_for_run(webserver, cutoff)
        print(f"run {run_id} {status} {time.monotonic() - started:.1f} s after the launch click")
        assert status == "SUCCESS", f"run {run_id} ended {status}"

        # The Runs page lists it as a success, for this partition.
        page.goto(f"{webserver}/runs")
        link = page.locator(f'a[href="/runs/{run_id}"]').first
        expect(link).to_be_visible()
        # The innermost element holding both the run's link and a status: its row.
        row = page.locator("tr, div").filter(has=link).filter(has_text="Success").last
        expect(row).to_be_visible()
        expect(row.get_by_text(f"partition: {cutoff}").first).to_be_visible()
        shot(page, "03_runs")

        page.goto(f"{webserver}/runs/{run_id}")
        expect(page.get_by_text("Success").first).to_be_visible()
        expect(page.get_by_text(f"Check {RECONCILED_CHECK} succeeded")).to_be_visible()
        shot(page, "04_run")

        # The asset's check tab: the blocking reconciliation check passed.
        page.goto(f"{webserver}/assets/{ASSET_PATH}?view=checks")
        # MiddleTruncate renders hidden copies of the name to measure it: take a visible one.
        expect(page.get_by_text(RECONCILED_CHECK).locator("visible=true").first).to_be_visible()
        expect(page.get_by_text("Passed", exact=True)).to_be_visible()
        shot(page, "05_check_passed")
    except Exception:
        shot(page, "failure_land_one_delivery")
        raise

    # And the warehouse agrees: the delivery landed, every record landed or quarantined.
    with duckdb.connect(str(hub_copy["warehouse"]), read_only=True) as con:
        rows = con.execute("SELECT status, manifest_records, landed_records, quarantined_records "
                           "FROM raw.deliveries WHERE source = ? AND fecha_corte = ?",
                           [SOURCE, cutoff]).fetchall()
    assert len(rows) == 1 and rows[0][0] == "landed", rows
    assert rows[0][1] == rows[0][2] + rows[0][3] > 0, rows


def first_cutoff(landing: Path) -> str:
    folder = landing / feeds.SOURCES[SOURCE][0]
    return min(d.name for d in folder.iterdir() if (d / feeds.MANIFEST_NAME).exists())


def wait_for_run(base: str, cutoff: str) -> tuple[str, str]:
    """The run the UI launched for this partition, once it has finished (bounded)."""
    query = """query ($filter: RunsFilter) { runsOrError(filter: $filter) {
        ... on Runs { results { runId status } } } }"""
    variables = {"filter": {"tags": [{"key": "dagster/partition", "value": cutoff}]}}
    deadline = time.monotonic() + RUN_TIMEOUT_S
    run_id = status = None
    while time.monotonic() < deadline:
        results = graphql(base, query, variables)["runsOrError"]["results"]
        if results:
            run_id, status = results[0]["runId"], results[0]["status"]
            if status in ("SUCCESS", "FAILURE", "CANCELED"):
                return run_id, status
        time.sleep(2)
    pytest.fail(f"no finished run for partition {cutoff} after {RUN_TIMEOUT_S} s "
                f"(last seen: {run_id} {status})")


def test_the_reports_open_offline_with_names_not_codes(built_warehouse, hub_settings, page):
    """The analysts' report (latest.html) and the validation index, opened from disk as a
    reader would: nothing is fetched from the network, the report names indicators by
    marts.dim_indicador's names, and the index leads to the newest run's page."""
    from playwright.sync_api import expect

    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    reports = hub_settings.data_dir / "reports"
    with duckdb.connect(str(hub_settings.analyst_db), read_only=True) as con:
        names = [row[0] for row in con.execute(
            "SELECT d.indicador FROM marts.dim_indicador AS d JOIN marts.indicadores_politica "
            "AS i ON i.codigo_indicador = d.codigo_indicador GROUP BY d.indicador").fetchall()]
    assert names

    page.goto((reports / "analyst" / "latest.html").as_uri())
    try:
        expect(page.get_by_role("heading", name="Hub de interoperabilidad penal")).to_be_visible()
        expect(page.get_by_text(names[0]).first).to_be_visible()
    finally:
        shot(page, "10_analyst_report")

    page.goto((reports / "validation" / "index.html").as_uri())
    try:
        expect(page.get_by_role("heading", name="Validaciones")).to_be_visible()
        newest = page.locator("tbody tr").first
        # The session's run passed its blocking gates; warnings may remain.
        expect(newest.locator("[data-veredicto]")).to_have_text(re.compile("^(aprobado|con avisos)$"))
    finally:
        shot(page, "11_validation_index")
    newest.get_by_role("link").click()
    try:
        expect(page.get_by_role("heading", name="Validación de los datos")).to_be_visible()
    finally:
        shot(page, "12_validation_run")
    assert all(url.startswith("file://") for url in fetched), fetched
