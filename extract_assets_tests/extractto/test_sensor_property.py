"""The Extract.to sensor over generated sync histories, ticked for real against the emulator:
syncs Extract.to runs on its own schedule over days of the look-back, runs of our own asset
(which sync their day), ticks between them or not, reads of rows refused mid-tick (429, 503),
under the contract's answers and under the real-world profile's (`last_sync` stamped as a sync
starts, `__insert_date` without an offset, statuses in other cases).

Whatever the history: every day an outside sync wrote is requested at a tick after that sync
(or our run synced it again since, and read what that wrote over it); a day is requested no
more often than outside syncs wrote it (so never for our run's sync alone, nor for the sync
before); and the cursor stays small."""

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from extract_assets.emulator import EmulatorServer
from extract_assets.extractto.assets import build_extractto_assets
from extract_assets.extractto.resource import ExtractToResource
from extract_assets.extractto.sensors import build_extractto_sensor
from extract_assets.extractto.spec import ExtractToExtractSpec

from .conftest import SECRET_KEY
from .test_sensors import RANGE_END, RANGE_START, Tick

# A sync's rows are stamped at least a second after it began; our own runs wait it out.
SYNC_SECONDS = 2
CURSOR_LIMIT = 1_000


@dataclass(frozen=True)
class Outside:
    """Extract.to syncs `length` days from `days_ago` on its own schedule."""

    days_ago: int
    length: int


@dataclass(frozen=True)
class Ours:
    """Our asset materializes the day `days_ago`, syncing it; a tick follows. (Without one,
    an outside sync after it would find our sync's rows among those stamped since the tick
    before, and request their days once more.)"""

    days_ago: int


@dataclass(frozen=True)
class Tick_:
    """A tick; `refused` answers its first read of rows with that status."""

    refused: int | None


Step = Outside | Ours | Tick_

steps = st.lists(
    st.one_of(
        st.builds(Outside, st.integers(1, 6), st.integers(1, 3)),
        st.builds(Ours, st.integers(1, 6)),
        st.builds(Tick_, st.sampled_from([None, None, 429, 503])),
    ),
    max_size=7,
).filter(lambda history: sum(isinstance(step, Ours) for step in history) <= 2)


@dataclass
class Played:
    """Each outside sync's days with the index of the first tick after it, the same of our
    runs' days, and each tick's requested days and cursor."""

    written: list[tuple[int, list[str]]]
    ours: list[tuple[int, str]]
    ticks: list[list[str]]
    cursors: list[str]


def fresh(emulator: EmulatorServer, profile: str) -> tuple[dict[str, str], date]:
    """A reset emulator whose demo extract syncs in `SYNC_SECONDS`; its ids and today."""
    control = emulator.control
    control.reset()
    control.extractto_settings(sync_seconds=0.05, run_queued_seconds=0.0, run_running_seconds=0.05)
    control.add_extractto_key(key=SECRET_KEY, role="admin", billing=True)
    control.set_profile("default" if profile == "default" else "real-world", seed=3)
    demo = control.extractto_demo()
    control.set_extractto_extract_scenario(demo["extract_id"], sync_seconds=SYNC_SECONDS)
    return demo, control.now().date()


def days_of(request: dg.RunRequest) -> list[str]:
    first = date.fromisoformat(request.tags[RANGE_START])
    last = date.fromisoformat(request.tags[RANGE_END])
    return [(first + timedelta(n)).isoformat() for n in range((last - first).days + 1)]


def play(
    emulator: EmulatorServer,
    resource: ExtractToResource,
    output: Path,
    profile: str,
    history: list[Step],
) -> Played:
    demo, today = fresh(emulator, profile)
    spec = ExtractToExtractSpec(
        name="ads", extract_id=demo["extract_id"], start_date=today - timedelta(days=60)
    )
    assets = build_extractto_assets([spec], output_dir=str(output))
    sensor = build_extractto_sensor([spec], time_budget_seconds=10)
    played = Played([], [], [], [])
    with dg.instance_for_test() as instance:
        tick = Tick(assets, sensor, instance, resource, from_ref=False)

        def one_tick(refused: int | None = None) -> None:
            if refused is not None:
                emulator.control.add_fault(
                    "status",
                    provider="extractto",
                    path="/rows$",
                    status=refused,
                    retry_after="120",
                    times=1,
                )
            played.ticks.append([day for request in tick() for day in days_of(request)])
            played.cursors.append(tick.cursor or "")
            emulator.control.clear_faults()

        one_tick()
        for step in history:
            if isinstance(step, Tick_):
                one_tick(step.refused)
            elif isinstance(step, Outside):
                first = today - timedelta(step.days_ago)
                last = min(first + timedelta(step.length - 1), today - timedelta(1))
                emulator.control.sync_extractto_extract(
                    demo["extract_id"], first.isoformat(), last.isoformat()
                )
                emulator.control.advance_clock(SYNC_SECONDS + 1)
                days = [(first + timedelta(n)).isoformat() for n in range((last - first).days + 1)]
                played.written.append((len(played.ticks), days))
            else:
                day = (today - timedelta(step.days_ago)).isoformat()
                result = dg.materialize(
                    assets,
                    resources={"extractto": resource},
                    instance=instance,
                    partition_key=day,
                )
                assert result.success
                played.ours.append((len(played.ticks), day))
                one_tick()
        for _ in range(2):
            one_tick()
    return played


@pytest.fixture
def resource(emulator: EmulatorServer) -> ExtractToResource:
    return ExtractToResource(
        api_key=SECRET_KEY,
        base_url=emulator.base_url("extractto"),
        poll_initial_seconds=0.1,
        poll_max_seconds=0.3,
        poll_timeout_seconds=60,
        retry_deadline_seconds=30,
        requests_per_minute=None,
    )


@pytest.mark.slow  # tens of seconds: handed out first, so no worker waits on it last
@settings(
    max_examples=8,
    # An example plays up to a dozen ticks and two runs against the emulator; shrinking one
    # takes minutes.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(profile=st.sampled_from(["default", "real-world"]), history=steps)
@example(profile="real-world", history=[Outside(4, 1), Tick_(None), Outside(2, 1)])
@example(profile="real-world", history=[Outside(5, 1), Ours(2), Tick_(429), Outside(5, 2)])
@example(profile="default", history=[Outside(5, 1), Ours(2)])
def test_every_outside_sync_s_days_are_requested_after_it_and_no_day_without_one(
    emulator: EmulatorServer,
    resource: ExtractToResource,
    tmp_path_factory: pytest.TempPathFactory,
    profile: str,
    history: list[Step],
) -> None:
    played = play(emulator, resource, tmp_path_factory.mktemp("out"), profile, history)
    for after, days in played.written:
        for day in days:
            # Our run syncing the day again after it read what that sync wrote over.
            read = any(when >= after and ours == day for when, ours in played.ours)
            requested = any(day in days for days in played.ticks[after:])
            assert read or requested, f"{day}, written by an outside sync, was never requested"
    writes = Counter(day for _, days in played.written for day in days)
    requests = Counter(day for days in played.ticks for day in days)
    for day, count in requests.items():
        assert count <= writes[day], f"{day} requested {count} times for {writes[day]} syncs"
    assert max(map(len, played.cursors)) < CURSOR_LIMIT
