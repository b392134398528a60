import json
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Literal

import dagster as dg
import httpx
import pytest
from dagster._core.definitions.sensor_definition import SensorExecutionData
from dagster._core.test_utils import freeze_time

from extract_assets.dataextractor.assets import build_dataextractor_assets
from extract_assets.dataextractor.contract import SIGNATURE_HEADER
from extract_assets.dataextractor.models import WebhookEvent
from extract_assets.dataextractor.resource import DataExtractorResource
from extract_assets.dataextractor.sensors import (
    build_dataextractor_polling_sensor,
    build_dataextractor_webhook_sensor,
)
from extract_assets.dataextractor.spec import DataExtractorDatasetsSpec
from extract_assets.emulator import EmulatorServer
from extract_assets_tests.dataextractor.conftest import WEBHOOK_SECRET, Receiver, sign


def today() -> date:
    """The UTC day when the test asks, as the emulator and the sensors read the clock then
    (not when the module was imported, which may be the day before)."""
    return datetime.now(UTC).date()


# Its first day, a month before the module was imported, comes before every day a test asks
# for, on that day or a later one.
SPEC = DataExtractorDatasetsSpec(name="docs", start_date=today() - timedelta(days=30))


ASSETS = build_dataextractor_assets([SPEC])


def tick(
    sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: DataExtractorResource,
    cursor: str | None,
    *,
    from_ref: bool = True,
) -> SensorExecutionData:
    """One tick, evaluated the way the sensor daemon evaluates it: on the instance rebuilt from
    its ref, as a code server does; `from_ref=False` hands the tick the instance itself, for
    tests of many ticks, as rebuilding a SQLite instance costs 0.2 s a tick."""
    defs = dg.Definitions(assets=ASSETS, sensors=[sensor], resources={"dataextractor": resource})
    with dg.build_sensor_context(
        instance=None if from_ref else instance,
        instance_ref=instance.get_ref() if from_ref else None,
        cursor=cursor,
        definitions=defs,
        resources={"dataextractor": resource},
    ) as context:
        return sensor.evaluate_tick(context)


def requested(result: SensorExecutionData) -> list[str]:
    return [str(request.partition_key) for request in result.run_requests or []]


def days_ago(days: int) -> str:
    return (today() - timedelta(days=days)).isoformat()


def seed(
    emulator: EmulatorServer,
    account: str,
    day: str,
    count: int = 1,
    *,
    failed_share: float = 0.0,
    processing_share: float = 0.0,
    processing_seconds: float | None = None,
) -> list[str]:
    """Datasets created on `day` in the test's account (complete, unless shares say otherwise)."""
    return emulator.control.seed_dataextractor_datasets(
        count,
        date_from=day,
        date_to=day,
        verified_share=0,
        failed_share=failed_share,
        processing_share=processing_share,
        processing_seconds=processing_seconds,
        account=account,
    )


def completed(event_id: str, dataset_id: str) -> WebhookEvent:
    return WebhookEvent(
        event_id=event_id,
        event_type="extraction.completed",
        data={"dataset_id": dataset_id, "status": "complete"},
    )


@pytest.fixture
def webhook_sensor(receiver: Receiver) -> dg.SensorDefinition:
    return build_dataextractor_webhook_sensor(SPEC, receiver.store_path, time_budget_seconds=10)


@pytest.fixture
def polling_sensor() -> dg.SensorDefinition:
    return build_dataextractor_polling_sensor(SPEC, time_budget_seconds=10)


def test_a_stored_event_becomes_one_run_for_the_day_its_dataset_was_created(
    emulator: EmulatorServer,
    account: str,
    receiver: Receiver,
    webhook_sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: DataExtractorResource,
) -> None:
    [dataset_id] = seed(emulator, account, days_ago(2))
    receiver.store.add(completed("evt_1", dataset_id))
    result = tick(webhook_sensor, instance, resource, None)
    assert [(r.partition_key, r.run_key) for r in result.run_requests or []] == [
        (days_ago(2), f"webhook:{days_ago(2)}:1")
    ]


def test_an_event_delivered_three_times_is_still_one_run(
    emulator: EmulatorServer,
    account: str,
    receiver: Receiver,
    webhook_sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: DataExtractorResource,
) -> None:
    [dataset_id] = seed(emulator, account, days_ago(1))
    body = completed("evt_1", dataset_id).model_dump_json().encode()
    for _ in range(3):
        httpx.post(receiver.url, content=body, headers={SIGNATURE_HEADER: sign(body)})
    assert requested(tick(webhook_sensor, instance, resource, None)) == [days_ago(1)]


def test_later_ticks_request_nothing_until_new_events_arrive(
    emulator: EmulatorServer,
    account: str,
    receiver: Receiver,
    webhook_sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: DataExtractorResource,
) -> None:
    [dataset_id] = seed(emulator, account, days_ago(1))
    receiver.store.add(completed("evt_1", dataset_id))
    cursor = tick(webhook_sensor, instance, resource, None).cursor
    for _ in range(3):
        later = tick(webhook_sensor, instance, resource, cursor)
        assert not later.run_requests
        cursor = later.cursor
    receiver.store.add(completed("evt_2", dataset_id))
    assert requested(tick(webhook_sensor, instance, resource, cursor)) == [days_ago(1)]


def test_events_for_datasets_of_two_days_become_two_runs(
    emulator: EmulatorServer,
    account: str,
    receiver: Receiver,
    webhook_sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: DataExtractorResource,
) -> None:
    first, second = seed(emulator, account, days_ago(3), count=2)
    [other] = seed(emulator, account, days_ago(1))
    for number, dataset_id in enumerate([first, other, second], start=1):
        receiver.store.add(completed(f"evt_{number}", dataset_id))
    result = tick(webhook_sensor, instance, resource, None)
    assert [(r.partition_key, r.run_key) for r in result.run_requests or []] == [
        (days_ago(3), f"webhook:{days_ago(3)}:3"),
        (days_ago(1), f"webhook:{days_ago(1)}:2"),
    ]


def test_a_re_evaluated_tick_asks_with_the_same_run_keys(
    emulator: EmulatorServer,
    account: str,
    receiver: Receiver,
    webhook_sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: DataExtractorResource,
) -> None:
    # The daemon submits a run key once: the same keys from a repeated tick add no run.
    [dataset_id] = seed(emulator, account, days_ago(1))
    receiver.store.add(completed("evt_1", dataset_id))
    first = tick(webhook_sensor, instance, resource, None)
    again = tick(webhook_sensor, instance, resource, None)
    assert [r.run_key for r in again.run_requests or []] == [
        r.run_key for r in first.run_requests or []
    ]


def test_datasets_created_before_the_first_partition_are_not_requested(
    emulator: EmulatorServer,
    account: str,
    receiver: Receiver,
    webhook_sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: DataExtractorResource,
) -> None:
    [old] = seed(emulator, account, (SPEC.start_date - timedelta(days=1)).isoformat())
    receiver.store.add(completed("evt_1", old))
    result = tick(webhook_sensor, instance, resource, None)
    assert not result.run_requests
    assert not tick(webhook_sensor, instance, resource, result.cursor).run_requests


def test_an_event_for_a_dataset_not_found_for_ten_minutes_requests_nothing_and_is_passed(
    account: str,
    receiver: Receiver,
    webhook_sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: DataExtractorResource,
) -> None:
    receiver.store.add(completed("evt_1", "ds_gone"))
    first = tick(webhook_sensor, instance, resource, None)
    assert not first.run_requests
    # Ten minutes on: the sensor counts them from when it first did not find the dataset.
    waited = json.loads(first.cursor or "")
    waited["missing_since"] = (datetime.now(UTC) - timedelta(minutes=11)).isoformat()
    result = tick(webhook_sensor, instance, resource, json.dumps(waited))
    assert not result.run_requests
    assert json.loads(result.cursor or "") == {
        "seq": 1,
        "early": {},
        "missing_since": None,
        "version": 1,
    }


def test_an_event_whose_dataset_is_not_shown_yet_is_requested_once_it_is(
    emulator: EmulatorServer,
    account: str,
    receiver: Receiver,
    webhook_sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: DataExtractorResource,
) -> None:
    # The service sends a webhook a moment before its API shows the dataset (a replica behind).
    [dataset_id] = seed(emulator, account, days_ago(1))
    receiver.store.add(completed("evt_1", dataset_id))
    emulator.control.add_fault(
        kind="status",
        provider="dataextractor",
        method="GET",
        path="^/api/v1/datasets/",
        status=404,
        times=1,
    )
    runs: list[str] = []
    cursor = None
    for _ in range(3):
        result = tick(webhook_sensor, instance, resource, cursor)
        runs += requested(result)
        cursor = result.cursor
    assert runs == [days_ago(1)]


def test_a_tick_out_of_time_resumes_where_it_stopped(
    emulator: EmulatorServer,
    account: str,
    receiver: Receiver,
    instance: dg.DagsterInstance,
    resource: DataExtractorResource,
) -> None:
    days = [days_ago(n) for n in range(1, 6)]
    for number, day in enumerate(days):
        [dataset_id] = seed(emulator, account, day)
        receiver.store.add(completed(f"evt_{number}", dataset_id))
    emulator.control.add_fault(
        kind="slow", provider="dataextractor", method="GET", path="^/api/v1/datasets/", delay=0.3
    )
    sensor = build_dataextractor_webhook_sensor(SPEC, receiver.store_path, time_budget_seconds=1)
    runs: list[str] = []
    cursor = None
    ticks = 0
    while len(runs) < len(days) and ticks < len(days):
        ticks += 1
        result = tick(sensor, instance, resource, cursor)
        runs += requested(result)
        cursor = result.cursor
    assert ticks > 1
    assert sorted(runs) == sorted(days)


def test_an_outage_of_the_provider_keeps_the_events_for_a_later_tick(
    emulator: EmulatorServer,
    account: str,
    receiver: Receiver,
    instance: dg.DagsterInstance,
    resource: DataExtractorResource,
) -> None:
    [dataset_id] = seed(emulator, account, days_ago(1))
    receiver.store.add(completed("evt_1", dataset_id))
    emulator.control.add_fault(kind="status", provider="dataextractor", status=503)
    sensor = build_dataextractor_webhook_sensor(SPEC, receiver.store_path, time_budget_seconds=1)
    during = tick(sensor, instance, resource, None)
    assert not during.run_requests
    emulator.control.clear_faults()
    assert requested(tick(sensor, instance, resource, during.cursor)) == [days_ago(1)]


def test_an_outage_says_the_next_tick_tries_again_not_to_re_execute_a_run(
    emulator: EmulatorServer,
    account: str,
    receiver: Receiver,
    instance: dg.DagsterInstance,
    resource: DataExtractorResource,
    capfd: pytest.CaptureFixture[str],
) -> None:
    [dataset_id] = seed(emulator, account, days_ago(1))
    receiver.store.add(completed("evt_1", dataset_id))
    emulator.control.add_fault(kind="status", provider="dataextractor", status=503)
    sensor = build_dataextractor_webhook_sensor(SPEC, receiver.store_path, time_budget_seconds=1)
    tick(sensor, instance, resource, None)
    logged = capfd.readouterr().err
    assert "dataextractor.io unavailable" in logged
    assert "nothing is lost" in logged
    assert "re-execute" not in logged


def test_without_a_store_the_sensor_skips_saying_where(
    instance: dg.DagsterInstance, tmp_path: Path
) -> None:
    missing = f"{tmp_path}/nowhere.sqlite3"
    sensor = build_dataextractor_webhook_sensor(SPEC, missing)
    resource = DataExtractorResource(api_key="unused", base_url="http://127.0.0.1:9")
    result = tick(sensor, instance, resource, None)
    assert not result.run_requests
    assert missing in (result.skip_message or "")


def test_the_emulator_s_signed_deliveries_become_exactly_one_run(
    emulator: EmulatorServer,
    account: str,
    receiver: Receiver,
    webhook_sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: DataExtractorResource,
) -> None:
    emulator.control.subscribe_dataextractor_webhook(receiver.url, WEBHOOK_SECRET, account=account)
    emulator.control.dataextractor_settings(duplicate_deliveries=2)
    seed(emulator, account, days_ago(2), processing_share=1.0, processing_seconds=0.1)
    deadline = time.monotonic() + 10
    while len(emulator.control.dataextractor_deliveries()) < 3:
        assert time.monotonic() < deadline, "the emulator did not deliver the event"
        time.sleep(0.05)
    deliveries = emulator.control.dataextractor_deliveries()
    assert sorted(d["status"] for d in deliveries) == [200, 200, 202]
    assert requested(tick(webhook_sensor, instance, resource, None)) == [days_ago(2)]


def test_polling_requests_a_dataset_finishing_between_ticks_once(
    emulator: EmulatorServer,
    account: str,
    polling_sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: DataExtractorResource,
) -> None:
    seed(emulator, account, days_ago(1), processing_share=1.0, processing_seconds=600)
    first = tick(polling_sensor, instance, resource, None)
    assert not first.run_requests
    emulator.control.advance_clock(900)
    second = tick(polling_sensor, instance, resource, first.cursor)
    assert requested(second) == [days_ago(1)]
    assert not tick(polling_sensor, instance, resource, second.cursor).run_requests


def test_polling_requests_the_days_of_final_datasets_once_from_the_first_tick(
    emulator: EmulatorServer,
    account: str,
    polling_sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: DataExtractorResource,
) -> None:
    seed(emulator, account, days_ago(2), count=3)
    seed(emulator, account, days_ago(1), failed_share=1.0)
    first = tick(polling_sensor, instance, resource, None)
    assert requested(first) == [days_ago(2), days_ago(1)]
    assert not tick(polling_sensor, instance, resource, first.cursor).run_requests


def test_polling_leaves_out_datasets_older_than_the_lookback(
    emulator: EmulatorServer,
    account: str,
    polling_sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: DataExtractorResource,
) -> None:
    seed(emulator, account, days_ago(5))
    assert not tick(polling_sensor, instance, resource, None).run_requests


def test_polling_looks_up_a_watched_dataset_that_left_the_lookback(
    emulator: EmulatorServer,
    account: str,
    polling_sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: DataExtractorResource,
) -> None:
    seed(emulator, account, days_ago(3), processing_share=1.0, processing_seconds=600)
    first = tick(polling_sensor, instance, resource, None)
    emulator.control.advance_clock(900)
    # A shorter lookback stands in for the days passing until the listing no longer has it.
    shorter = build_dataextractor_polling_sensor(SPEC, lookback_days=1)
    assert requested(tick(shorter, instance, resource, first.cursor)) == [days_ago(3)]


def ticks(
    sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: DataExtractorResource,
    cursor: str | None,
    count: int,
) -> tuple[list[list[str]], str | None]:
    """The days each of `count` ticks requested, and the cursor after the last."""
    days = []
    for _ in range(count):
        result = tick(sensor, instance, resource, cursor)
        days.append(requested(result))
        cursor = result.cursor
    return days, cursor


def one_dataset_a_day(
    emulator: EmulatorServer, account: str, days: list[str], **shares: float
) -> None:
    """A dataset on each day: a day requested twice is a dataset noticed twice."""
    for day in days:
        seed(emulator, account, day, **shares)


def twelve_days() -> list[str]:
    return [days_ago(n) for n in range(1, 13)]


@pytest.fixture
def paging_sensor() -> dg.SensorDefinition:
    """Lists 5 datasets a page and one page a tick: a budget that 12 datasets outgrow."""
    return build_dataextractor_polling_sensor(
        SPEC, lookback_days=14, page_size=5, max_pages_per_tick=1, time_budget_seconds=10
    )


def test_polling_cut_short_by_the_budget_goes_on_where_it_stopped(
    emulator: EmulatorServer,
    account: str,
    paging_sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: DataExtractorResource,
) -> None:
    twelve = twelve_days()
    one_dataset_a_day(emulator, account, twelve)
    days, _ = ticks(paging_sensor, instance, resource, None, 3)
    assert days == [sorted(twelve[:5]), sorted(twelve[5:10]), sorted(twelve[10:])]


def test_polling_over_many_ticks_requests_each_dataset_that_completed_once(
    emulator: EmulatorServer,
    account: str,
    paging_sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: DataExtractorResource,
) -> None:
    twelve = twelve_days()
    one_dataset_a_day(emulator, account, twelve, processing_share=1.0, processing_seconds=600)
    # All complete while the first pass is two pages in: the third page lists them final,
    # the second pass finds the rest of them final.
    before, cursor = ticks(paging_sensor, instance, resource, None, 2)
    emulator.control.advance_clock(900)
    after, _ = ticks(paging_sensor, instance, resource, cursor, 6)
    requested_days = [day for days in before + after for day in days]
    assert Counter(requested_days) == Counter(twelve)


def test_polling_with_an_expired_cursor_lists_again_without_asking_twice(
    emulator: EmulatorServer,
    account: str,
    paging_sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: DataExtractorResource,
) -> None:
    emulator.control.dataextractor_settings(cursor_ttl=60)
    twelve = twelve_days()
    one_dataset_a_day(emulator, account, twelve)
    first, cursor = ticks(paging_sensor, instance, resource, None, 1)
    emulator.control.advance_clock(120)
    # Created while the pass is under way: newer than the pass, so the next pass has it.
    seed(emulator, account, days_ago(0))
    later, _ = ticks(paging_sensor, instance, resource, cursor, 6)
    requested_days = [day for days in first + later for day in days]
    assert Counter(requested_days) == Counter([*twelve, days_ago(0)])
    refused = [r for r in emulator.control.requests("dataextractor") if r["status"] == 400]
    assert len(refused) == 1


def test_polling_through_an_outage_keeps_its_place_in_the_pass(
    emulator: EmulatorServer,
    account: str,
    instance: dg.DagsterInstance,
    resource: DataExtractorResource,
) -> None:
    sensor = build_dataextractor_polling_sensor(
        SPEC, lookback_days=14, page_size=5, max_pages_per_tick=1, time_budget_seconds=1
    )
    twelve = twelve_days()
    one_dataset_a_day(emulator, account, twelve)
    first = tick(sensor, instance, resource, None)
    emulator.control.add_fault(kind="status", provider="dataextractor", status=503)
    during = tick(sensor, instance, resource, first.cursor)
    emulator.control.clear_faults()
    after = tick(sensor, instance, resource, during.cursor)
    assert [requested(first), requested(during), requested(after)] == [
        sorted(twelve[:5]),
        [],
        sorted(twelve[5:10]),
    ]


def test_polling_reads_a_version_1_cursor(
    emulator: EmulatorServer,
    account: str,
    polling_sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: DataExtractorResource,
) -> None:
    [watched] = seed(emulator, account, days_ago(1), processing_share=1.0, processing_seconds=600)
    [handled] = seed(emulator, account, days_ago(2))
    old = {"version": 1, "processing": {watched: days_ago(1)}, "handled": {handled: days_ago(2)}}
    emulator.control.advance_clock(900)
    result = tick(polling_sensor, instance, resource, json.dumps(old))
    assert requested(result) == [days_ago(1)]
    assert not tick(polling_sensor, instance, resource, result.cursor).run_requests


def test_polling_keeps_no_list_of_the_final_datasets_it_handled(
    emulator: EmulatorServer,
    account: str,
    polling_sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: DataExtractorResource,
) -> None:
    emulator.control.seed_dataextractor_datasets(
        1_000, date_from=days_ago(2), date_to=days_ago(1), processing_share=0, account=account
    )
    first = tick(polling_sensor, instance, resource, None)
    assert requested(first) == [days_ago(2), days_ago(1)]
    # Fingerprints of two days, a few ids listed in the last ten minutes, a sweep's position.
    assert len(first.cursor or "") < 1_500


def test_the_sensors_start_stopped(receiver: Receiver) -> None:
    sensors = [
        build_dataextractor_webhook_sensor(SPEC, receiver.store_path),
        build_dataextractor_polling_sensor(SPEC),
    ]
    assert {sensor.default_status for sensor in sensors} == {dg.DefaultSensorStatus.STOPPED}


def around_midnight(day: date) -> tuple[datetime, datetime]:
    """Dagster's clock (which says which day partitions exist) half a minute before and after
    the midnight that starts `day`, while the provider's clock is already in `day`."""
    midnight = datetime.combine(day, datetime.min.time(), UTC)
    return midnight - timedelta(seconds=30), midnight + timedelta(seconds=30)


@pytest.mark.parametrize("profile", ["default", "real-world"])
def test_polling_requests_a_day_found_before_its_partition_exists_once_it_exists(
    emulator: EmulatorServer,
    account: str,
    polling_sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: DataExtractorResource,
    profile: Literal["default", "real-world"],
) -> None:
    # Real-world: `created_at` with offsets (+05:30 writes the small hours as a later day) or
    # none, and datasets seeded on either side of midnight UTC.
    emulator.control.set_profile(profile, seed=2)
    day = today()
    seed(emulator, account, day.isoformat(), count=6)
    before_midnight, after_midnight = around_midnight(day)
    with freeze_time(before_midnight):
        early = tick(polling_sensor, instance, resource, None)
    assert not early.run_requests
    with freeze_time(after_midnight):
        caught_up = tick(polling_sensor, instance, resource, early.cursor)
        assert requested(caught_up) == [day.isoformat()]
        assert not tick(polling_sensor, instance, resource, caught_up.cursor).run_requests


def test_an_event_of_a_day_before_its_partition_exists_is_requested_once_it_exists(
    emulator: EmulatorServer,
    account: str,
    receiver: Receiver,
    webhook_sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: DataExtractorResource,
) -> None:
    day = today()
    [dataset_id] = seed(emulator, account, day.isoformat())
    receiver.store.add(completed("evt_1", dataset_id))
    before_midnight, after_midnight = around_midnight(day)
    with freeze_time(before_midnight):
        early = tick(webhook_sensor, instance, resource, None)
    assert not early.run_requests
    with freeze_time(after_midnight):
        caught_up = tick(webhook_sensor, instance, resource, early.cursor)
        runs = [(r.partition_key, r.run_key) for r in caught_up.run_requests or []]
        assert runs == [(day.isoformat(), f"webhook:{day.isoformat()}:1")]
        assert not tick(webhook_sensor, instance, resource, caught_up.cursor).run_requests
