from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pytest

from extract_assets.emulator import EmulatorServer
from extract_assets.extractto.assets import build_extractto_assets
from extract_assets.extractto.resource import ExtractToResource
from extract_assets.extractto.schedules import build_extractto_schedule
from extract_assets.extractto.spec import ExtractToExtractSpec

from .conftest import run_requests


def asset_of(
    grain: str = "daily", output_dir: str | None = None, end_offset: int = 0
) -> dg.AssetsDefinition:
    spec = ExtractToExtractSpec.model_validate(
        {
            "name": "ads",
            "extract_id": "e-1",
            "grain": grain,
            "start_date": "2026-01-05",
            "end_offset": end_offset,
        }
    )
    (asset,) = build_extractto_assets([spec], output_dir=output_dir)
    return asset


def requested_partitions(schedule: dg.ScheduleDefinition, at: datetime) -> list[str | None]:
    with dg.build_schedule_context(scheduled_execution_time=at) as context:
        result = schedule.evaluate_tick(context)
    return [request.partition_key for request in result.run_requests or []]


def test_at_six_on_a_day_the_schedule_requests_the_previous_days_partition() -> None:
    schedule = build_extractto_schedule(asset_of())
    at = datetime(2026, 11, 5, 6, 0, tzinfo=UTC)
    assert requested_partitions(schedule, at) == ["2026-11-04"]


def test_on_the_first_of_a_month_the_schedule_requests_the_last_day_of_the_one_before() -> None:
    schedule = build_extractto_schedule(asset_of())
    at = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
    assert requested_partitions(schedule, at) == ["2026-02-28"]


@pytest.mark.parametrize(
    ("grain", "at", "partition"),
    [
        ("daily", datetime(2026, 11, 5, 6, 0, tzinfo=UTC), "2026-11-04"),
        ("weekly", datetime(2026, 11, 9, 6, 0, tzinfo=UTC), "2026-11-02"),
        ("monthly", datetime(2026, 12, 1, 6, 0, tzinfo=UTC), "2026-11-01"),
    ],
)
def test_with_the_open_period_added_the_schedule_still_requests_the_last_complete_one(
    grain: str, at: datetime, partition: str
) -> None:
    schedule = build_extractto_schedule(asset_of(grain, end_offset=1))
    assert requested_partitions(schedule, at) == [partition]


def test_the_schedule_runs_every_day_at_the_hour_and_minute_given() -> None:
    schedule = build_extractto_schedule(asset_of(), hour=5, minute=30)
    assert schedule.cron_schedule == "30 5 * * *"
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED


@pytest.mark.parametrize(
    ("grain", "at", "partition"),
    [
        ("weekly", datetime(2026, 11, 9, 6, 0, tzinfo=UTC), "2026-11-02"),
        ("monthly", datetime(2026, 12, 1, 6, 0, tzinfo=UTC), "2026-11-01"),
    ],
)
def test_weekly_and_monthly_schedules_request_the_last_complete_period(
    grain: str, at: datetime, partition: str
) -> None:
    schedule = build_extractto_schedule(asset_of(grain))
    assert requested_partitions(schedule, at) == [partition]


def test_the_run_the_schedule_requests_materializes_that_day(
    emulator: EmulatorServer,
    fast_resource: ExtractToResource,
    demo: dict[str, str],
    tmp_path: Path,
) -> None:
    spec = ExtractToExtractSpec(name="ads", extract_id=demo["extract_id"], start_date="2026-01-05")
    (asset,) = build_extractto_assets([spec], output_dir=str(tmp_path))
    schedule = build_extractto_schedule(asset)
    defs = dg.Definitions(
        assets=[asset], schedules=[schedule], resources={"extractto": fast_resource}
    )
    (partition,) = requested_partitions(schedule, datetime(2026, 11, 5, 6, 0, tzinfo=UTC))
    job = defs.resolve_job_def(schedule.job_name)
    assert job.execute_in_process(partition_key=partition).success
    assert (tmp_path / "extractto" / "ads" / "date=2026-11-04" / "part-0.parquet").exists()
    (sync,) = emulator.control.extractto_extracts()[0]["syncs"]
    assert (sync["date_from"], sync["date_to"]) == ("2026-11-04", "2026-11-04")
    assert len(run_requests(emulator, demo["extract_id"])) == 1
