import logging
from pathlib import Path

import dagster as dg
import pytest
import yaml

from extract_assets.core.progress import Progress

LOGGER = "extract_assets.test_progress"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger=LOGGER)
    return caplog


def progress(
    clock: Clock,
    *,
    total_rows: int | None = None,
    total_bytes: int | None = None,
    total_steps: int | None = None,
    step_unit: str = "pages",
) -> Progress:
    return Progress(
        "download",
        logger=logging.getLogger(LOGGER),
        every=5.0,
        step_unit=step_unit,
        total_rows=total_rows,
        total_bytes=total_bytes,
        total_steps=total_steps,
        clock=clock,
    )


def test_nothing_is_logged_before_an_interval_has_passed(
    clock: Clock, log: pytest.LogCaptureFixture
) -> None:
    work = progress(clock)
    for _ in range(10):
        clock.now += 0.4
        work.add(rows=10)
    assert log.messages == []


def test_one_line_is_logged_per_interval_however_often_work_is_counted(
    clock: Clock, log: pytest.LogCaptureFixture
) -> None:
    work = progress(clock)
    for _ in range(100):
        clock.now += 0.5
        work.add(rows=10, nbytes=1000)
    assert len(log.messages) == 10


def test_finish_always_logs_a_final_line_with_the_totals(
    clock: Clock, log: pytest.LogCaptureFixture
) -> None:
    work = progress(clock)
    clock.now += 1.0
    work.add(rows=300, nbytes=2_500_000)
    work.finish()
    assert log.messages == [
        ("download: done, 300 rows, 2.5 MB (2,500,000 bytes) in 1.0 s (300 rows/s, 2.50 MB/s)")
    ]


def test_finish_logs_once(clock: Clock, log: pytest.LogCaptureFixture) -> None:
    work = progress(clock)
    work.finish()
    work.finish()
    assert len(log.messages) == 1


def test_a_line_says_rows_bytes_rates_and_elapsed_time(
    clock: Clock, log: pytest.LogCaptureFixture
) -> None:
    work = progress(clock)
    clock.now += 8.0
    work.add(rows=40_000, nbytes=16_000_000)
    assert log.messages == ["download: 40,000 rows, 16.0 MB in 8.0 s (5,000 rows/s, 2.00 MB/s)"]


def test_a_known_byte_total_gives_percent_and_eta(
    clock: Clock, log: pytest.LogCaptureFixture
) -> None:
    work = progress(clock, total_bytes=40_000_000)
    clock.now += 5.0
    work.add(rows=1_000, nbytes=10_000_000)
    assert log.messages[-1].endswith("; 25% of 40.0 MB, ETA 15 s")


def test_a_known_row_total_gives_percent_when_bytes_are_unknown(
    clock: Clock, log: pytest.LogCaptureFixture
) -> None:
    work = progress(clock, total_rows=2_000)
    clock.now += 6.0
    work.add(rows=1_500)
    assert log.messages[-1].endswith("; 75% of 2,000 rows, ETA 2 s")


def test_steps_are_counted_against_their_total_with_a_note(
    clock: Clock, log: pytest.LogCaptureFixture
) -> None:
    work = progress(clock, step_unit="days", total_steps=7)
    clock.now += 10.0
    work.add(rows=500, steps=2, note="at 2026-11-03")
    assert log.messages == [
        "download: 500 rows, 2 of 7 days in 10.0 s (50 rows/s); 29% of 7 days, ETA 25 s; "
        "at 2026-11-03"
    ]


def test_the_unit_of_rows_can_be_named(clock: Clock, log: pytest.LogCaptureFixture) -> None:
    work = Progress("listing", logger=logging.getLogger(LOGGER), unit="datasets", clock=clock)
    clock.now += 2.0
    work.add(rows=50, steps=1)
    work.finish()
    assert log.messages == ["listing: done, 50 datasets, 1 pages in 2.0 s (25 datasets/s)"]


def test_the_final_line_gives_no_eta(clock: Clock, log: pytest.LogCaptureFixture) -> None:
    work = progress(clock, total_rows=10)
    clock.now += 1.0
    work.add(rows=10)
    work.finish()
    assert "ETA" not in log.messages[-1] and "%" not in log.messages[-1]


def test_lines_logged_during_a_run_land_in_its_event_log_with_the_projects_settings() -> None:
    settings = yaml.safe_load((Path(__file__).parents[2] / "dagster.yaml").read_text())

    @dg.asset
    def counted() -> None:
        work = Progress("counting", logger=logging.getLogger("extract_assets.counting"))
        work.add(rows=3)
        work.finish()

    with dg.instance_for_test(overrides={"python_logs": settings["python_logs"]}) as instance:
        result = dg.materialize([counted], instance=instance)
        messages = [entry.user_message for entry in instance.all_logs(result.run_id)]
    assert any(message.startswith("counting: done, 3 rows in ") for message in messages)
