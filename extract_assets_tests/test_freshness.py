"""`freshness:` in the YAML: Dagster's own daemon, running against the code location, reports
the asset unknown before it was ever materialized, fresh after, and stale once its window has
passed.

A real `dagster-daemon run` on a DAGSTER_HOME of the repo's dagster.yaml; the freshness daemon
evaluates every second here (its default is 30 s). Dagster's shortest window is one minute, so
this test waits a little over one.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from extract_assets.build import definitions_from_config
from extract_assets.emulator import EmulatorServer
from extract_assets_tests.production.dagster_home import new_home

pytestmark = pytest.mark.slow

ASSET = dg.AssetKey("team_members")
CONFIG = """
linkup:
  extracts:
    - name: team_members
      q: All engineering team members with their name and role
      url: https://example.com/team
      freshness: {fail_after: 1m}
"""
CODE = """
from extract_assets import definitions_from_config

defs = definitions_from_config("extract-assets.yaml")
"""
# A daemon on a loaded machine may need a workspace reload (every 60 s) to reach its code server.
READY_WITHIN_SECONDS = 240.0
# The window, plus time for the daemon to evaluate and record.
STALE_WITHIN_SECONDS = 150.0


def freshness_state(instance: dg.DagsterInstance) -> str | None:
    record = instance.get_freshness_state_records([ASSET]).get(ASSET)
    return None if record is None else record.freshness_state.value


def states_until(
    instance: dg.DagsterInstance, last: str, within: float, seen: list[str | None]
) -> None:
    """Append each state the instance reports, once per change, until `last` or the deadline."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline and (not seen or seen[-1] != last):
        state = freshness_state(instance)
        if not seen or seen[-1] != state:
            seen.append(state)
        time.sleep(1.0)


def daemon_log(folder: Path) -> str:
    """The daemon's first traceback onwards, else its end: why a daemon never evaluated."""
    log = (folder / "daemon.log").read_text(errors="replace")
    start = log.find("Traceback")
    return log[start : start + 4000] if start >= 0 else log[-4000:]


@pytest.fixture
def project(tmp_path: Path, emulator: EmulatorServer) -> Iterator[tuple[Path, dict[str, str]]]:
    (tmp_path / "extract-assets.yaml").write_text(CONFIG)
    (tmp_path / "definitions.py").write_text(CODE)
    (tmp_path / "workspace.yaml").write_text(
        "load_from:\n  - python_file: {relative_path: definitions.py, working_directory: .}\n"
    )
    home = new_home(tmp_path / "dagster_home")
    # Storage is created before the daemon starts: a daemon's code server and this test creating
    # one SQLite schedule database at once can both stamp its alembic version, and an instance
    # with two version rows no longer opens.
    dg.DagsterInstance.from_config(str(home)).dispose()
    environment = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "EXTRACT_ASSETS_OUTPUT": str(tmp_path / "data"),
        "LINKUP_BASE_URL": emulator.base_url("linkup"),
        "LINKUP_API_KEY": "demo-linkup-key",
        "FRESHNESS_DAEMON_INTERVAL_SECONDS": "1",
    }
    environment.pop("EXTRACT_ASSETS_CONFIG", None)
    yield tmp_path, environment


@pytest.fixture
def daemon(project: tuple[Path, dict[str, str]]) -> Iterator[subprocess.Popen[bytes]]:
    folder, environment = project
    command = [str(Path(sys.executable).with_name("dagster-daemon")), "run", "-w", "workspace.yaml"]
    with (folder / "daemon.log").open("wb") as log:
        process = subprocess.Popen(
            command, cwd=folder, env=environment, stdout=log, stderr=log, start_new_session=True
        )
    try:
        yield process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_the_instance_reports_a_materialized_asset_fresh_then_stale_after_its_window(
    project: tuple[Path, dict[str, str]],
    daemon: subprocess.Popen[bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder, environment = project
    for name in ("DAGSTER_HOME", "EXTRACT_ASSETS_OUTPUT", "LINKUP_BASE_URL", "LINKUP_API_KEY"):
        monkeypatch.setenv(name, environment[name])
    monkeypatch.chdir(folder)
    defs = definitions_from_config(folder / "extract-assets.yaml")
    before: list[str | None] = []
    seen: list[str | None] = []
    with dg.DagsterInstance.get() as instance:
        # The daemon records "unknown" for an asset never materialized: it has loaded the code.
        states_until(instance, "UNKNOWN", READY_WITHIN_SECONDS, before)
        assert before[-1] == "UNKNOWN", (before, daemon.poll(), daemon_log(folder))
        job = defs.resolve_implicit_job_def_def_for_assets([ASSET])
        assert job is not None
        assert job.execute_in_process(instance=instance, asset_selection=[ASSET]).success
        # The window starts at the materialization's event, which the run logs before it ends.
        event = instance.get_latest_materialization_event(ASSET)
        assert event is not None
        materialized_at = event.timestamp
        states_until(instance, "FAIL", STALE_WITHIN_SECONDS, seen)
        stale_at = time.time()
    assert daemon.poll() is None, daemon_log(folder)
    assert "PASS" in seen, (seen, daemon_log(folder))
    assert seen[-1] == "FAIL", (seen, daemon_log(folder))
    assert stale_at - materialized_at >= 60
