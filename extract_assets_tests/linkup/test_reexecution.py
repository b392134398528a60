import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from extract_assets.emulator import EmulatorServer
from extract_assets.linkup.assets import task_tag

from .reexecution_target import slow_extract_job

RUN_IN_CHILD = (
    "import dagster as dg\n"
    "from extract_assets_tests.linkup.reexecution_target import slow_extract_job\n"
    "dg.execute_job(dg.reconstructable(slow_extract_job), instance=dg.DagsterInstance.get())\n"
)


@pytest.fixture
def shared_instance(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, linkup_url: str, secret_key: str
) -> Iterator[dg.DagsterInstance]:
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("LINKUP_BASE_URL", linkup_url)
    monkeypatch.setenv("LINKUP_API_KEY", secret_key)
    monkeypatch.setenv("TEST_OUTPUT_DIR", str(tmp_path / "out"))
    with dg.DagsterInstance.get() as instance:
        yield instance


def wait_for_polls(emulator: EmulatorServer, task_id_polls: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        polls = [
            r
            for r in emulator.control.requests("linkup")
            if r["method"] == "GET" and str(r["path"]).startswith("/v1/extract/")
        ]
        if len(polls) >= task_id_polls:
            return
        time.sleep(0.2)
    raise AssertionError("the run never started polling its task")


def test_a_run_killed_mid_poll_and_re_executed_creates_no_second_task(
    emulator: EmulatorServer, shared_instance: dg.DagsterInstance
) -> None:
    emulator.control.add_linkup_scenario(match="slow extract", processing_seconds=3600)
    child = subprocess.Popen([sys.executable, "-c", RUN_IN_CHILD], start_new_session=True)
    try:
        wait_for_polls(emulator, 3, time.monotonic() + 120)
    finally:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
    (killed,) = shared_instance.get_runs()
    created = emulator.control.linkup_tasks()
    assert len(created) == 1
    assert killed.tags[task_tag("slow_extract")] == created[0]["id"]

    shared_instance.report_run_failed(killed)
    emulator.control.advance_clock(7200)
    result = dg.execute_job(
        dg.reconstructable(slow_extract_job),
        instance=shared_instance,
        reexecution_options=dg.ReexecutionOptions.from_failure(killed.run_id, shared_instance),
    )

    assert result.success
    assert len(emulator.control.linkup_tasks()) == 1
    metadata = result.asset_materializations_for_node("slow_extract")[0].metadata
    assert metadata["linkup/task_id"].value == created[0]["id"]
