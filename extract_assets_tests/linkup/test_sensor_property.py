"""The Linkup sensor over generated histories of a listing, served on loopback and ticked for
real: tasks created and finished between ticks and between two page reads of a tick, up to a
page at once (so the listing shifts under the scan), `updatedAt` in other spellings and to the
second (ties), statuses in other cases, pages throttled, pages left short or empty by tasks
filtered out after paging, fewer tasks a page than asked, counts missing, wrong or stale (as of
the tick's start), and an old backlog that takes many ticks.

Whatever the history: every task that completes is requested exactly once (one RunRequest,
one run key), within a bounded number of ticks of its completion; and the cursor keeps none of
the backlog its scans have gone past: it holds at most the versions completed after the
backlog, plus two (the newest and oldest of a running scan)."""

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from functools import partial
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from extract_assets.linkup.resource import LinkupResource
from extract_assets.linkup.sensors import build_linkup_sensor, build_linkup_task_outputs_asset
from extract_assets_tests.linkup.listing import Listing
from extract_assets_tests.linkup.test_sensors import OURS, tick
from extract_assets_tests.security.servers import serving

OVERLAP_SECONDS = 60
BASE = datetime.now(UTC) - timedelta(days=1)
FINAL = ["completed", "COMPLETED", "Completed"]
RUNNING = ["pending", "processing", "PROCESSING"]
SPELLINGS = ["milliseconds", "seconds", "offset", "naive"]


def spell(moment: datetime, spelling: str) -> str:
    """`moment` as a service may write it; "seconds" drops the fraction, as real ones do."""
    if spelling == "milliseconds":
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    if spelling == "seconds":
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    if spelling == "offset":
        return moment.astimezone(timezone(timedelta(hours=2))).isoformat()
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


@dataclass(frozen=True)
class Change:
    """After `gap` seconds: a new task (`finish` None) in `status`, or the `finish`-th task
    still running (counted round) moves to `status`."""

    gap: float
    status: str
    spelling: str
    finish: int | None


@dataclass(frozen=True)
class Tick:
    before: list[Change]
    # After the nth read of the tick: up to a page of tasks at once, as new ones push the same
    # tasks down a page between two reads.
    between_reads: dict[int, list[Change]]
    throttled: frozenset[int]


@dataclass(frozen=True)
class Service:
    """How the listing pages, for the whole history."""

    page_size: int
    page_cap: int | None
    counts: str
    max_tasks_per_tick: int
    backlog: int
    filtered: frozenset[int]


changes = st.builds(
    Change,
    gap=st.sampled_from([0.0, 0.3, 1.0, 7.0, 61.0, 200.0]),
    status=st.sampled_from(FINAL + RUNNING),
    spelling=st.sampled_from(SPELLINGS),
    finish=st.none() | st.integers(0, 5),
)
ticks = st.builds(
    Tick,
    before=st.lists(changes, max_size=3),
    between_reads=st.dictionaries(
        st.integers(1, 3), st.lists(changes, min_size=1, max_size=3), max_size=3
    ),
    throttled=st.frozensets(st.integers(1, 3), max_size=1),
)
services = st.builds(
    Service,
    page_size=st.sampled_from([2, 3]),
    page_cap=st.sampled_from([None, 1, 2]),
    counts=st.sampled_from(["right", "missing", "one page", "pages as asked", "stale"]),
    max_tasks_per_tick=st.sampled_from([2, 3]),
    backlog=st.integers(0, 12),
    filtered=st.frozensets(st.integers(0, 11)),
)


@dataclass
class History:
    """The listing as the history unfolds: which task completed at which tick."""

    listing: Listing
    service: Service
    clock: datetime
    running: list[str] = field(default_factory=list)
    completed_at: dict[str, int] = field(default_factory=dict)
    tick: int = 0
    # The listing's size as a cache of its counts last saw it: at the start of a tick.
    counted: int = 0

    def apply(self, change: Change) -> None:
        self.clock += timedelta(seconds=change.gap)
        if change.finish is None or not self.running:
            task_id = f"task_{len(self.listing.tasks)}"
        else:
            task_id = self.running.pop(change.finish % len(self.running))
        self.listing.show(task_id, spell(self.clock, change.spelling), change.status)
        if change.status in FINAL:
            self.completed_at[task_id] = self.tick
        else:
            self.running.append(task_id)

    def apply_all(self, changes: list[Change]) -> None:
        for change in changes:
            self.apply(change)

    def created_after_backlog(self) -> int:
        return sum(1 for task in self.listing.tasks if task["id"].startswith("task_"))

    def counts(self, metadata: dict[str, Any]) -> dict[str, Any] | None:
        asked = self.service.page_size
        if self.service.counts == "missing":
            return None
        if self.service.counts == "one page":
            return {**metadata, "totalPages": 1}
        if self.service.counts == "pages as asked":
            return {**metadata, "pageSize": asked, "totalPages": -(-metadata["total"] // asked)}
        if self.service.counts == "stale":
            size = metadata["pageSize"]
            return {**metadata, "total": self.counted, "totalPages": -(-self.counted // size)}
        return metadata


class Served:
    """One loopback server whose listing each generated history replaces."""

    def __init__(self) -> None:
        self.listing = Listing()

    async def page(self, request: Request) -> JSONResponse:
        return await self.listing.page(request)


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Served, LinkupResource]]:
    holder = Served()
    with serving(Starlette(routes=[Route("/v1/extract", holder.page)])) as url:
        yield holder, LinkupResource(api_key="key", base_url=url, requests_per_minute=None)


@pytest.fixture(scope="module")
def module_instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as instance:
        yield instance


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dg.AssetsDefinition:
    folder: Path = tmp_path_factory.mktemp("outputs")
    return build_linkup_task_outputs_asset(output_dir=str(folder))


def start(served: Served, service: Service) -> History:
    listing = Listing()
    listing.page_cap = service.page_cap
    served.listing = listing
    history = History(listing, service, BASE)
    for number in range(service.backlog):
        moment = BASE + timedelta(minutes=3 * number)
        listing.complete(f"old_{number}", spell(moment, "seconds"))
        history.completed_at[f"old_{number}"] = 0
        # Tasks filtered out after paging, never two side by side: two empty pages in a row
        # end a scan, as the end of a listing whose counts are too high.
        if number in service.filtered and service.counts == "right":
            listing.complete(f"filtered_{number}", spell(moment + timedelta(minutes=1), "seconds"))
            listing.hidden.add(f"filtered_{number}")
    history.clock = BASE + timedelta(minutes=3 * service.backlog)
    listing.counts = history.counts
    return history


def prepare(history: History, plan: Tick) -> None:
    """The changes before the tick, and those to make between its page reads."""
    listing = history.listing
    for change in plan.before:
        history.apply(change)
    history.counted = len(listing.tasks)
    read = len(listing.pages)
    listing.throttled = {read + number for number in plan.throttled}
    listing.after_read = {
        read + number: partial(history.apply_all, changes)
        for number, changes in plan.between_reads.items()
    }


def versions_in(cursor: str) -> int:
    saved = json.loads(cursor)
    return len(saved.get("recent", [])) + len(saved.get("scan", []))


@pytest.mark.slow  # tens of seconds: handed out first, so no worker waits on it last
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(service=services, plan=st.lists(ticks, min_size=1, max_size=6))
def test_every_completed_task_is_requested_once_soon_and_the_cursor_stays_small(
    served: tuple[Served, LinkupResource],
    module_instance: dg.DagsterInstance,
    outputs: dg.AssetsDefinition,
    service: Service,
    plan: list[Tick],
) -> None:
    holder, resource = served
    history = start(holder, service)
    sensor = build_linkup_sensor(
        [OURS],
        outputs,
        time_budget_seconds=30,
        page_size=service.page_size,
        max_tasks_per_tick=service.max_tasks_per_tick,
        overlap_seconds=OVERLAP_SECONDS,
    )
    throttled_ticks = sum(1 for step in plan if step.throttled)
    most = len(plan) * 7 + service.backlog
    bound = 2 * math.ceil(most / service.max_tasks_per_tick) + throttled_ticks + 3
    requested_at: dict[str, list[int]] = {}
    run_keys: list[str] = []
    cursor = None
    quiet = 0  # ticks after the history with every completed task requested
    for number in range(len(plan) + bound):
        if quiet > 2:
            break
        history.tick = number
        if number < len(plan):
            prepare(history, plan[number])
        else:
            history.listing.throttled = set()
            quiet += set(requested_at) == set(history.completed_at)
        result = tick(sensor, module_instance, resource, cursor, from_ref=False)
        cursor = result.cursor
        assert cursor is not None
        for request in result.run_requests or []:
            requested_at.setdefault(str(request.partition_key), []).append(number)
            run_keys.append(str(request.run_key))
        assert versions_in(cursor) <= history.created_after_backlog() + 2
    assert sorted(requested_at) == sorted(history.completed_at)
    assert all(len(numbers) == 1 for numbers in requested_at.values()), requested_at
    assert len(set(run_keys)) == len(run_keys)
    for task_id, (number,) in requested_at.items():
        assert number - history.completed_at[task_id] <= bound, task_id
