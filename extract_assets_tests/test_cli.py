import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import httpx
import pyarrow.parquet as pq
import pytest

from extract_assets.pools import POOL_LIMITS
from extract_assets_tests.ports import free_port
from extract_assets_tests.readers import describe_difference, read_with_all
from extract_assets_tests.security.test_binding import started, wait_for_port

pytestmark = pytest.mark.slow

PROJECT = Path(__file__).resolve().parents[1]
DEMO = [sys.executable, "-m", "extract_assets.cli", "demo", "--headless"]
# Asset partitions the headless demo materializes: 5 unpartitioned assets, and 3 days of the
# Extract.to extract and of the 5 dataextractor.io tables.
DEMO_PARTITIONS = 5 + 3 * (1 + 5)


def demo_env(tmp_path: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "DAGSTER_HOME": str(tmp_path / "home"),
        "EXTRACT_ASSETS_OUTPUT": str(tmp_path / "data"),
    }
    env.pop("EXTRACT_ASSETS_CONFIG", None)
    return env


def run_on_a_terminal(command: list[str], env: dict[str, str], timeout: float) -> tuple[int, str]:
    """Run `command` with its stdout on a pseudo-terminal; its exit code and what it showed."""
    main, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))
    process = subprocess.Popen(
        command, cwd=PROJECT, env=env, stdout=terminal, stderr=subprocess.DEVNULL
    )
    os.close(terminal)
    shown = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if select.select([main], [], [], 1.0)[0]:
                try:
                    chunk = os.read(main, 65536)
                except OSError:  # the terminal closed: every writer has exited
                    break
                if not chunk:
                    break
                shown += chunk
        return process.wait(timeout=30), shown.decode(errors="replace").replace("\r\n", "\n")
    finally:
        process.kill()
        os.close(main)


@dataclass(frozen=True)
class DemoRun:
    """What one headless demo, its output piped, printed and wrote."""

    stdout: str
    data: Path
    home: Path


@pytest.fixture(scope="module")
def piped_demo(
    tmp_path_factory: pytest.TempPathFactory,
    terminal_demo_started: tuple[Path, Future[tuple[int, str]]],
) -> DemoRun:
    """The headless demo, run once for the tests of what it prints off a terminal (while the
    terminal one runs)."""
    tmp_path = tmp_path_factory.mktemp("piped_demo")
    done = subprocess.run(
        DEMO, cwd=PROJECT, env=demo_env(tmp_path), capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return DemoRun(done.stdout, tmp_path / "data", tmp_path / "home")


def test_the_headless_demo_materializes_every_asset_and_says_where(piped_demo: DemoRun) -> None:
    stdout, data = piped_demo.stdout, piped_demo.data
    for name in ("team_members", "pricing_plans", "job_postings"):
        path = data / "linkup" / name / "part-0.parquet"
        assert f"{name}: {pq.ParquetFile(path).metadata.num_rows} rows -> {path}" in stdout
    days = sorted((data / "extractto" / "google_ads_campaigns").glob("date=*"))
    assert len(days) == 3
    for day in days:
        rows = pq.ParquetFile(day / "part-0.parquet").metadata.num_rows
        partition = day.name.removeprefix("date=")
        assert f"google_ads_campaigns[{partition}]: {rows} rows -> {day}" in stdout
    assert "hubspot_to_warehouse: run " in stdout
    assert "documents_inbox: 3 extracted, 0 skipped, 0 refused, 0 uncertain, 0 failed" in stdout
    for table in ("datasets", "fields", "line_items", "ground_truth", "accuracy"):
        folder = data / "dataextractor" / f"documents_{table}"
        assert len(list(folder.glob("date=*/part-0.parquet"))) == 3


def test_the_demo_instance_has_the_provider_pool_limits(piped_demo: DemoRun) -> None:
    with dg.DagsterInstance.from_config(str(piped_demo.home)) as instance:
        limits = {
            pool: instance.event_log_storage.get_concurrency_info(pool).slot_count
            for pool in POOL_LIMITS
        }
    assert limits == POOL_LIMITS


def test_the_headless_demo_off_a_terminal_shows_progress_as_plain_lines(
    piped_demo: DemoRun,
) -> None:
    assert "\r" not in piped_demo.stdout
    steps = re.findall(r"^\[(\d+)/(\d+)\] materializing (\S+)$", piped_demo.stdout, re.MULTILINE)
    assert steps[0][:2] == ("0", str(DEMO_PARTITIONS))
    counts = [int(step[0]) for step in steps]
    assert counts == sorted(counts) and len(set(counts)) == len(counts)
    assert "team_members" in [label for _, _, label in steps]
    assert any(label.startswith("google_ads_campaigns[") for _, _, label in steps)
    last = piped_demo.stdout.strip().splitlines()[-1]
    assert re.fullmatch(
        rf"{DEMO_PARTITIONS} of {DEMO_PARTITIONS} asset partitions materialized in \d+ s", last
    )


@pytest.fixture(scope="module")
def terminal_demo_started(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Path, Future[tuple[int, str]]]]:
    """The headless demo on a terminal, under the real-world profile, started as the piped one
    is: each demo spends most of its ~40 s waiting on the emulator's processing times and the
    documented write limit, so the two run side by side."""
    tmp_path = tmp_path_factory.mktemp("terminal_demo")
    command = [*DEMO, "--profile", "real-world", "--profile-seed", "3"]
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="terminal-demo") as pool:
        yield tmp_path, pool.submit(run_on_a_terminal, command, demo_env(tmp_path), 240)


@pytest.fixture(scope="module")
def terminal_demo(terminal_demo_started: tuple[Path, Future[tuple[int, str]]]) -> DemoRun:
    """The terminal demo, run once for the tests of its progress bar and of the tables
    real-world answers make."""
    tmp_path, started = terminal_demo_started
    code, shown = started.result()
    assert code == 0, shown[-3000:]
    return DemoRun(shown, tmp_path / "data", tmp_path / "home")


def test_the_headless_demo_on_a_terminal_shows_a_progress_bar(terminal_demo: DemoRun) -> None:
    shown = terminal_demo.stdout
    bars = re.findall(rf"\|\s*(\d+)/{DEMO_PARTITIONS} \[", shown)
    assert bars[0] == "0" and bars[-1] == str(DEMO_PARTITIONS)
    assert len(set(bars)) > 3
    assert "\r" in shown
    path = terminal_demo.data / "linkup" / "team_members" / "part-0.parquet"
    rows = pq.ParquetFile(path).metadata.num_rows
    # Printed above the bar, which is cleared first and drawn again below.
    assert f"\rteam_members: {rows} rows -> {path}\n" in shown
    assert "materializing" not in shown
    assert f"\n{DEMO_PARTITIONS} of {DEMO_PARTITIONS} asset partitions materialized in " in shown


def test_the_emulator_refuses_a_public_address_unless_told() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "extract_assets.cli", "emulate", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "loopback" in done.stderr


def test_the_emulator_starts_with_the_profile_it_is_given(tmp_path: Path) -> None:
    port = free_port()
    command = [*DEMO[:3], "emulate", "--port", str(port), "--profile", "real-world"]
    with started([*command, "--profile-seed", "4"], demo_env(tmp_path)) as process:
        wait_for_port(process, port, "extract-assets emulate")
        profile = httpx.get(f"http://127.0.0.1:{port}/_emulator/profile").json()
    assert profile == {"name": "real-world", "seed": 4}


def test_the_headless_demo_lands_whole_under_the_real_world_profile(
    terminal_demo: DemoRun,
) -> None:
    assert "(real-world profile, seed 3)" in terminal_demo.stdout
    assert (
        f"{DEMO_PARTITIONS} of {DEMO_PARTITIONS} asset partitions materialized"
        in terminal_demo.stdout
    )
    tables = [p.parent for p in terminal_demo.data.glob("*/*/**/part-0.parquet")]
    folders = {t.parent if t.name.startswith("date=") else t for t in tables}
    assert len(folders) == 9  # 3 Linkup tables, 1 Extract.to table, 5 dataextractor.io tables
    for folder in sorted(folders):
        partition = "date" if any(folder.glob("date=*")) else None
        rows = read_with_all(folder, partition, ("pyarrow", "duckdb", "polars", "pandas"))
        problems = [describe_difference(rows["pyarrow"], got) for got in rows.values()]
        assert rows["pyarrow"] and not any(problems), (folder, problems)


def test_the_demo_with_a_broken_config_file_says_what_is_wrong_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from extract_assets.cli import main

    (tmp_path / "workspace.yaml").write_text("load_from: []\n")
    (tmp_path / "dagster.yaml").write_text("telemetry: {enabled: false}\n")
    (tmp_path / "assets.yaml").write_text("linkup:\n  extarcts: []\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("EXTRACT_ASSETS_CONFIG", str(tmp_path / "assets.yaml"))

    assert main(["demo", "--headless"]) == 2
    assert capsys.readouterr().err.startswith(
        f"extract-assets demo: {tmp_path / 'assets.yaml'}: 1 problem(s)"
    )
