"""Whatever order datasets show up in and whenever they finish, the polling sensor requests the
day of every dataset once it is final, and a day no more often than datasets of it finished."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

import dagster as dg
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from extract_assets.dataextractor.client import DataExtractorClient
from extract_assets.dataextractor.poll_cursor import created_day
from extract_assets.dataextractor.resource import DataExtractorResource
from extract_assets.dataextractor.sensors import build_dataextractor_polling_sensor
from extract_assets.emulator import EmulatorServer
from extract_assets_tests.dataextractor.conftest import ACCOUNT, API_KEY
from extract_assets_tests.dataextractor.test_sensors import SPEC, days_ago, requested, tick

PAGE_SIZE = 3
OVERLAP_SECONDS = 600
# Never a sum of the waits between ticks: no dataset finishes while a tick lists.
LONGEST_PROCESSING = 450.0


@dataclass(frozen=True)
class Arrival:
    """A dataset that shows up: created `seconds_ago` before now (or on a day `days_ago`),
    processing for `processing` more seconds (None: final already), failed or not."""

    seconds_ago: float | None
    days_ago: int | None
    processing: float | None
    failed: bool


arrivals = st.builds(
    Arrival,
    # Newest, behind newer ones within the overlap, or well below it.
    seconds_ago=st.one_of(
        st.none(),
        st.sampled_from([0.5, 30.0, 300.0, 550.0, 900.0, 5_000.0]),
    ),
    days_ago=st.integers(min_value=1, max_value=6),
    processing=st.sampled_from([None, 45.0, LONGEST_PROCESSING]),
    failed=st.booleans(),
)
# Each step: what shows up, then how long until the next tick.
steps = st.lists(
    st.tuples(st.lists(arrivals, max_size=3), st.sampled_from([20, 60, 300])),
    min_size=1,
    max_size=6,
)


def arrive(emulator: EmulatorServer, arrival: Arrival) -> str:
    """Create the dataset in the test's account; its id."""
    control = emulator.control
    shares = {
        "verified_share": 0.0,
        "failed_share": 0.0 if arrival.processing is not None else float(arrival.failed),
        "processing_share": 0.0 if arrival.processing is None else 1.0,
    }
    if arrival.seconds_ago is not None:
        [dataset_id] = control.seed_dataextractor_datasets(
            1,
            created_seconds_ago=arrival.seconds_ago,
            processing_seconds=arrival.processing,
            account=ACCOUNT,
            **shares,
        )
    else:
        day = days_ago(arrival.days_ago or 1)
        [dataset_id] = control.seed_dataextractor_datasets(
            1,
            date_from=day,
            date_to=day,
            processing_seconds=arrival.processing,
            account=ACCOUNT,
            **shares,
        )
    return dataset_id


def fresh_account(emulator: EmulatorServer) -> None:
    """An empty account read without pacing, on a clock that moves only when told: every
    example plays out the same."""
    emulator.control.reset()
    emulator.control.set_speed(0)
    emulator.control.add_dataextractor_key(key=API_KEY, account=ACCOUNT)
    emulator.control.dataextractor_settings(read_per_minute=100_000)


@dataclass
class Played:
    """The first tick after each dataset showed up, and each tick's emulator time and
    requested days."""

    first_tick: dict[str, int]
    ticks: list[tuple[float, list[str]]]


def play(
    emulator: EmulatorServer,
    instance: dg.DagsterInstance,
    resource: DataExtractorResource,
    before: list[Arrival],
    later: list[tuple[list[Arrival], int]],
) -> Played:
    """The arrivals, a tick after each step, then ticks until every sweep is done."""
    fresh_account(emulator)
    sensor = build_dataextractor_polling_sensor(
        SPEC,
        lookback_days=10,
        page_size=PAGE_SIZE,
        max_pages_per_tick=2,
        overlap_seconds=OVERLAP_SECONDS,
        time_budget_seconds=10,
    )
    played = Played({}, [])
    cursor: str | None = None

    def one_tick() -> None:
        nonlocal cursor
        at = emulator.control.now().timestamp()
        result = tick(sensor, instance, resource, cursor, from_ref=False)
        played.ticks.append((at, requested(result)))
        cursor = result.cursor

    for arrival in before:
        played.first_tick[arrive(emulator, arrival)] = 0
    one_tick()
    for step_arrivals, wait in later:
        for arrival in step_arrivals:
            played.first_tick[arrive(emulator, arrival)] = len(played.ticks)
        emulator.control.advance_clock(wait)
        one_tick()
    # Everything finishes; then long enough for the passes to catch up and two sweeps to go
    # over every page.
    emulator.control.advance_clock(LONGEST_PROCESSING + 1)
    for _ in range(2 * (len(played.first_tick) // PAGE_SIZE + 2) + len(later) + 2):
        emulator.control.advance_clock(1)
        one_tick()
    return played


@settings(
    max_examples=25,
    # An example plays a few dozen ticks against the emulator; shrinking one takes minutes.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(before=st.lists(arrivals, max_size=5), later=steps)
def test_every_dataset_is_requested_once_final_and_no_day_without_cause(
    emulator: EmulatorServer,
    instance: dg.DagsterInstance,
    resource: DataExtractorResource,
    before: list[Arrival],
    later: list[tuple[list[Arrival], int]],
) -> None:
    played = play(emulator, instance, resource, before, later)
    with DataExtractorClient(API_KEY, emulator.base_url("dataextractor")) as client:
        datasets = [dataset for page in client.iter_dataset_pages() for dataset in page]
    assert {dataset.id for dataset in datasets} == set(played.first_tick)
    day_of = {dataset.id: created_day(dataset).isoformat() for dataset in datasets}
    # A final dataset's `updated_at` is when it finished processing.
    finished_at = {
        dataset.id: dataset.updated_at.timestamp() for dataset in datasets if dataset.updated_at
    }
    today = datetime.now(UTC).date().isoformat()
    in_range = {key for key, day in day_of.items() if days_ago(10) <= day <= today}

    def final(key: str, index: int) -> bool:
        """Whether the listing of tick `index` shows the dataset final."""
        return played.first_tick[key] <= index and finished_at[key] < played.ticks[index][0]

    # Every dataset: its day requested at a tick when it was already final.
    for key in in_range:
        requests = [index for index, (_, days) in enumerate(played.ticks) if day_of[key] in days]
        assert any(final(key, index) for index in requests), f"{key} never requested once final"
    # Never twice for one dataset: the requests of a day, in order, can each be told apart by a
    # dataset of the day that was final by then (the k-th request needs k of them).
    requests_of: Counter[str] = Counter()
    for index, (_, days) in enumerate(played.ticks):
        assert len(days) == len(set(days))
        for day in days:
            requests_of[day] += 1
            final_then = sum(1 for key in in_range if day_of[key] == day and final(key, index))
            assert requests_of[day] <= final_then, f"{day} requested more often than it had news"
