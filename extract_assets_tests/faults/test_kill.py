"""A run killed (SIGKILL) while writing its Parquet: readers never see a partial file, and
re-executing the run succeeds without paying for a second task."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
import httpx
import polars as pl
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from extract_assets.emulator import EmulatorServer

from .conftest import stray_files
from .kill_target import BIG, big_extract_job

KEY = "lk-KILL-0f1e2d3c4b5a69788796"
RUN_IN_CHILD = (
    "import dagster as dg\n"
    "from extract_assets_tests.faults.kill_target import big_extract_job\n"
    "dg.execute_job(dg.reconstructable(big_extract_job), instance=dg.DagsterInstance.get())\n"
)
FIRST_ROWS = 2_000
# About 27 MB of NDJSON: the download breaks after a 131,072-row group went to the temp file.
BIG_ROWS = 220_000
BREAK_AFTER_BYTES = 24 << 20


@pytest.fixture
def output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emulator: EmulatorServer) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("LINKUP_BASE_URL", emulator.base_url("linkup"))
    monkeypatch.setenv("LINKUP_API_KEY", KEY)
    monkeypatch.setenv("TEST_OUTPUT_DIR", str(tmp_path / "out"))
    return tmp_path / "out"


@pytest.fixture
def instance(output: Path) -> Iterator[dg.DagsterInstance]:
    with dg.DagsterInstance.get() as shared:
        yield shared


def prepare(emulator: EmulatorServer, rows: int) -> None:
    emulator.control.add_linkup_key(key=KEY)
    emulator.control.add_linkup_scenario("big result", rows=rows)


def skip_a_task_id(emulator: EmulatorServer) -> None:
    """A reset restarts the emulator's seeded task ids; one task of another query keeps the
    next run's task apart from the one the first run materialized."""
    httpx.post(
        f"{emulator.base_url('linkup')}/v1/extract",
        json={"q": "another query", "url": "https://example.com/w"},
        headers={"Authorization": f"Bearer {KEY}"},
    ).raise_for_status()


def big_tasks(emulator: EmulatorServer) -> list[str]:
    return [t["id"] for t in emulator.control.linkup_tasks() if t["input"]["q"] == BIG.q]


def temp_files(output: Path) -> list[Path]:
    return [path for path in output.rglob("*.tmp") if path.is_file()]


def kill_while_writing(output: Path) -> None:
    """Start the run in a child process and SIGKILL it once its sink has a temp file."""
    child = subprocess.Popen(
        [sys.executable, "-c", RUN_IN_CHILD],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        give_up = time.monotonic() + 120
        while not temp_files(output):
            assert child.poll() is None, "the run ended before it began writing"
            assert time.monotonic() < give_up, "the run never began writing its Parquet"
            time.sleep(0.05)
    finally:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()


def rows_seen_by_readers(folder: Path) -> dict[str, int]:
    """The rows each common reader finds when given the asset's folder or a glob of it."""
    glob = f"{folder}/**/*.parquet"
    ((duck,),) = duckdb.execute(f"SELECT count(*) FROM read_parquet('{glob}')").fetchall()
    return {
        "pyarrow.dataset": ds.dataset(folder, format="parquet").count_rows(),
        "polars folder": pl.scan_parquet(folder).select(pl.len()).collect().item(),
        "polars glob": pl.scan_parquet(glob).select(pl.len()).collect().item(),
        "duckdb glob": int(duck),
    }


def test_a_run_killed_mid_write_leaves_the_old_file_and_its_re_execution_succeeds(
    emulator: EmulatorServer, output: Path, instance: dg.DagsterInstance
) -> None:
    folder = output / "linkup" / "big"
    prepare(emulator, FIRST_ROWS)
    assert dg.execute_job(dg.reconstructable(big_extract_job), instance=instance).success
    before = pq.read_table(folder / "part-0.parquet")
    emulator.control.reset()
    prepare(emulator, BIG_ROWS)
    skip_a_task_id(emulator)
    # The result breaks off mid-body; the resumed download then hangs until the run is killed.
    emulator.control.add_fault("drop", path="^/files/", after_bytes=BREAK_AFTER_BYTES, times=1)
    emulator.control.add_fault("slow", path="^/files/", delay=600, times=1)

    kill_while_writing(output)

    assert [p.relative_to(output).as_posix() for p in output.rglob("*.parquet")] == [
        "linkup/big/part-0.parquet"
    ]
    assert pq.read_table(folder / "part-0.parquet").equals(before)
    assert set(rows_seen_by_readers(folder).values()) == {FIRST_ROWS}
    assert temp_files(output) and stray_files(folder) == []

    emulator.control.clear_faults()
    killed = instance.get_runs(limit=1)[0]
    instance.report_run_failed(killed)
    result = dg.execute_job(
        dg.reconstructable(big_extract_job),
        instance=instance,
        reexecution_options=dg.ReexecutionOptions.from_failure(killed.run_id, instance),
    )

    assert result.success
    assert len(big_tasks(emulator)) == 1
    assert stray_files(folder) == []
    assert temp_files(output) == [], "the dead run's temp file beside the table was not removed"
    assert set(rows_seen_by_readers(folder).values()) == {BIG_ROWS}
