"""What a tick of the polling sensor costs after its first pass, counted at the emulator, and
that the cheaper ticks still miss no dataset."""

from collections import Counter
from typing import Any

import dagster as dg
import pytest

from extract_assets.dataextractor.client import DataExtractorClient
from extract_assets.dataextractor.resource import DataExtractorResource
from extract_assets.dataextractor.sensors import build_dataextractor_polling_sensor
from extract_assets.emulator import EmulatorServer
from extract_assets_tests.dataextractor.conftest import API_KEY
from extract_assets_tests.dataextractor.test_sensors import SPEC, days_ago, requested, seed, tick

LIST_PATH = "/api/v1/datasets"


def requests_during(emulator: EmulatorServer, action: Any) -> tuple[Any, list[dict[str, Any]]]:
    """What `action()` returns and the dataextractor.io requests the emulator got meanwhile."""
    before = len(emulator.control.requests("dataextractor"))
    result = action()
    return result, emulator.control.requests("dataextractor")[before:]


def lookups(requests: list[dict[str, Any]]) -> Counter[str]:
    """How many times each dataset was looked up by id."""
    prefix = f"{LIST_PATH}/"
    return Counter(r["path"][len(prefix) :] for r in requests if r["path"].startswith(prefix))


def pages(requests: list[dict[str, Any]]) -> int:
    return sum(1 for r in requests if r["path"] == LIST_PATH)


@pytest.fixture
def sensor() -> dg.SensorDefinition:
    return build_dataextractor_polling_sensor(SPEC, time_budget_seconds=10)


@pytest.fixture
def after_first_pass(
    emulator: EmulatorServer,
    account: str,
    sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: DataExtractorResource,
) -> str:
    """1,000 complete datasets of the last two days, listed by a first pass: its cursor."""
    seed(emulator, account, days_ago(2), count=500)
    seed(emulator, account, days_ago(1), count=500)
    first = tick(sensor, instance, resource, None)
    assert requested(first) == [days_ago(2), days_ago(1)]
    assert first.cursor is not None
    return first.cursor


def test_an_idle_tick_after_the_first_pass_makes_two_requests(
    emulator: EmulatorServer,
    sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: DataExtractorResource,
    after_first_pass: str,
) -> None:
    emulator.control.advance_clock(60)
    result, made = requests_during(
        emulator, lambda: tick(sensor, instance, resource, after_first_pass)
    )
    assert not result.run_requests
    assert (len(made), pages(made)) == (2, 2)


def test_new_datasets_cost_a_page_per_hundred(
    emulator: EmulatorServer,
    account: str,
    sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: DataExtractorResource,
    after_first_pass: str,
) -> None:
    emulator.control.seed_dataextractor_datasets(
        300, created_seconds_ago=30, verified_share=0, account=account
    )
    result, made = requests_during(
        emulator, lambda: tick(sensor, instance, resource, after_first_pass)
    )
    assert requested(result) == [days_ago(0)]
    # Three pages of new datasets, the page that reaches the ones known, the sweep's page.
    assert (len(made), pages(made)) == (5, 5)


def test_a_dataset_that_shows_up_behind_newer_ones_is_requested_once(
    emulator: EmulatorServer,
    account: str,
    sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: DataExtractorResource,
    after_first_pass: str,
) -> None:
    emulator.control.seed_dataextractor_datasets(1, created_seconds_ago=10, account=account)
    newer = tick(sensor, instance, resource, after_first_pass)
    assert requested(newer) == [days_ago(0)]
    # Created before the one already listed, as a provider machine with a slow clock does.
    emulator.control.seed_dataextractor_datasets(1, created_seconds_ago=300, account=account)
    late = tick(sensor, instance, resource, newer.cursor)
    assert requested(late) == [days_ago(0)]
    assert not tick(sensor, instance, resource, late.cursor).run_requests


def days_over_ticks(
    sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: DataExtractorResource,
    cursor: str,
    count: int,
) -> list[str]:
    """The days requested over `count` ticks, in order."""
    days: list[str] = []
    for _ in range(count):
        result = tick(sensor, instance, resource, cursor, from_ref=False)
        days += requested(result)
        cursor = result.cursor or cursor
    return days


def test_a_dataset_that_shows_up_a_day_late_is_found_by_the_sweep_once(
    emulator: EmulatorServer,
    account: str,
    sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: DataExtractorResource,
    after_first_pass: str,
) -> None:
    seed(emulator, account, days_ago(2))
    # Two sweeps of eleven pages: found in the first, not again in the second.
    assert days_over_ticks(sensor, instance, resource, after_first_pass, 24) == [days_ago(2)]


def test_a_final_dataset_given_ground_truth_has_its_day_read_again_once(
    emulator: EmulatorServer,
    account: str,
    sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: DataExtractorResource,
) -> None:
    [old] = seed(emulator, account, days_ago(2))
    first = tick(sensor, instance, resource, None)
    assert first.cursor is not None
    with DataExtractorClient(API_KEY, emulator.base_url("dataextractor")) as client:
        client.write_ground_truth(old, {"invoice_number": "INV-1"})
    assert days_over_ticks(sensor, instance, resource, first.cursor, 4) == [days_ago(2)]


def test_a_straggler_is_looked_up_once_a_tick_and_requested_when_it_completes(
    emulator: EmulatorServer,
    account: str,
    sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: DataExtractorResource,
) -> None:
    # Deep in the listing: below the top pass's page and the sweep's first.
    stragglers = seed(
        emulator, account, days_ago(2), count=3, processing_share=1.0, processing_seconds=600
    )
    seed(emulator, account, days_ago(1), count=500)
    cursor = tick(sensor, instance, resource, None).cursor
    idle, made = requests_during(emulator, lambda: tick(sensor, instance, resource, cursor))
    assert not idle.run_requests
    assert lookups(made) == Counter(stragglers)
    emulator.control.advance_clock(900)
    done, made = requests_during(emulator, lambda: tick(sensor, instance, resource, idle.cursor))
    assert requested(done) == [days_ago(2)]
    assert lookups(made) == Counter(stragglers)
    _, made = requests_during(emulator, lambda: tick(sensor, instance, resource, done.cursor))
    assert not lookups(made)


def test_processing_datasets_in_a_row_are_listed_not_looked_up(
    emulator: EmulatorServer,
    account: str,
    sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: DataExtractorResource,
    after_first_pass: str,
) -> None:
    emulator.control.seed_dataextractor_datasets(
        150,
        created_seconds_ago=1_200,
        verified_share=0,
        processing_share=1.0,
        processing_seconds=3_600,
        account=account,
    )
    seen = tick(sensor, instance, resource, after_first_pass)
    # A newer one lifts the floor: the 150 still processing fall below it.
    emulator.control.seed_dataextractor_datasets(1, created_seconds_ago=1, account=account)
    result, made = requests_during(emulator, lambda: tick(sensor, instance, resource, seen.cursor))
    assert requested(result) == [days_ago(0)]
    assert not lookups(made)
    # Two pages take in the 150, the sweep one.
    assert pages(made) == 3
