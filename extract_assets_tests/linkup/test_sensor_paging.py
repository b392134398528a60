"""The Linkup sensor over listings that page otherwise than the contract says, as real services
and the proxies in front of them do: one that ignores `page`, counts that are missing or wrong,
an empty page before the last, fewer tasks a page than asked. Every task shown is requested
once, and a listing that cannot be paged ends the scan instead of holding it for good."""

import math
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from extract_assets.linkup.resource import LinkupResource
from extract_assets.linkup.sensors import build_linkup_sensor, build_linkup_task_outputs_asset
from extract_assets_tests.linkup.listing import Counts, Listing, at
from extract_assets_tests.linkup.test_sensors import OURS, requested, requested_over_ticks, tick

PAGE_SIZE = 2
IDS = [f"task_{number}" for number in range(6)]


@pytest.fixture
def sensor(tmp_path: Path) -> dg.SensorDefinition:
    outputs = build_linkup_task_outputs_asset(output_dir=str(tmp_path))
    return build_linkup_sensor([OURS], outputs, time_budget_seconds=10, page_size=PAGE_SIZE)


@pytest.fixture
def six(listing: Listing) -> Listing:
    """Six completed tasks, three pages: task_5 newest."""
    for number, task_id in enumerate(IDS):
        listing.complete(task_id, at(number))
    return listing


def counting_a_million_pages(metadata: dict[str, Any]) -> dict[str, Any]:
    return {**metadata, "totalPages": 1_000_000}


def test_a_listing_that_ignores_page_ends_the_scan_at_the_page_that_repeats(
    six: Listing,
    sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: LinkupResource,
) -> None:
    six.ignores_page = True
    six.counts = counting_a_million_pages
    first = tick(sensor, instance, resource, None)
    assert requested(first) == ["task_5", "task_4"]
    assert six.pages == [1, 2]
    tick(sensor, instance, resource, first.cursor)
    assert six.pages[2:] == [1, 2]


def test_a_listing_that_ignores_page_still_has_every_task_it_shows_requested_once(
    six: Listing,
    sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: LinkupResource,
) -> None:
    six.ignores_page = True
    six.counts = counting_a_million_pages
    first = tick(sensor, instance, resource, None)
    six.complete("task_new", at(10))
    second = tick(sensor, instance, resource, first.cursor)
    assert requested(first) + requested(second) == ["task_5", "task_4", "task_new"]
    assert requested(tick(sensor, instance, resource, second.cursor)) == []


def test_a_listing_that_ignores_page_is_told_once_a_tick(
    six: Listing,
    sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: LinkupResource,
    capfd: pytest.CaptureFixture[str],
) -> None:
    six.ignores_page = True
    six.counts = counting_a_million_pages
    cursor = None
    for _ in range(2):
        cursor = tick(sensor, instance, resource, cursor).cursor
        logged = capfd.readouterr().err
        assert logged.count("Linkup answered page 2 with the tasks of page 1") == 1


def test_a_listing_that_ignores_page_but_says_it_served_the_page_asked_is_told_by_page_1_again(
    six: Listing,
    sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: LinkupResource,
) -> None:
    six.ignores_page = True
    six.counts = lambda metadata: {"totalPages": 1_000_000}
    assert requested(tick(sensor, instance, resource, None)) == ["task_5", "task_4"]
    assert six.pages == [1, 2, 1]


def test_a_listing_grown_by_a_page_between_two_reads_is_read_on(
    listing: Listing,
    sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: LinkupResource,
) -> None:
    """The second page then shows what the first did, as one that does not page would; the
    tasks below, older than the window, are requested all the same."""
    ids = [f"task_{number}" for number in range(6)]
    for number, task_id in enumerate(ids):
        listing.complete(task_id, at(number * 400))

    def two_new() -> None:
        for number in range(2):
            listing.complete(f"new_{number}", at(3000 + number))

    listing.after_read[1] = two_new
    first = tick(sensor, instance, resource, None)
    assert requested(first) == ids[::-1]
    assert requested(tick(sensor, instance, resource, first.cursor)) == ["new_1", "new_0"]


def test_an_empty_page_before_the_last_counted_is_passed_by(
    six: Listing,
    sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: LinkupResource,
) -> None:
    six.empty = {2}
    first = tick(sensor, instance, resource, None)
    assert requested(first) == IDS[::-1]
    assert six.pages == [1, 2, 3, 4, 5]


def test_empty_pages_apart_are_each_passed_by(
    six: Listing,
    sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: LinkupResource,
) -> None:
    for number in range(6, 10):
        six.complete(f"task_{number}", at(number))
    six.empty = {2, 4}
    first = tick(sensor, instance, resource, None)
    assert requested(first) == [f"task_{number}" for number in range(9, -1, -1)]
    assert six.pages == [1, 2, 3, 4, 5, 6, 7, 8]


def test_empty_pages_up_to_a_count_far_too_high_end_the_scan(
    six: Listing,
    sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: LinkupResource,
    capfd: pytest.CaptureFixture[str],
) -> None:
    six.counts = counting_a_million_pages
    first = tick(sensor, instance, resource, None)
    assert requested(first) == IDS[::-1]
    assert six.pages == [1, 2, 3, 4, 5, 6]
    assert "Linkup answered pages 5 and 6 with no tasks" in capfd.readouterr().err


def test_a_page_counted_as_the_last_is_not_when_the_total_says_more_follow(
    six: Listing,
    sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: LinkupResource,
) -> None:
    """A count taken on another page size than the one served, or before tasks were added."""
    six.counts = lambda metadata: {**metadata, "totalPages": 1}
    assert requested(tick(sensor, instance, resource, None)) == IDS[::-1]


def test_a_listing_without_counts_is_read_to_its_first_empty_page(
    six: Listing,
    sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: LinkupResource,
) -> None:
    six.complete("task_6", at(6))
    six.counts = lambda metadata: None
    assert requested(tick(sensor, instance, resource, None)) == ["task_6", *IDS[::-1]]
    assert six.pages == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("counts", ["unreadable", "null"])
def test_counts_that_are_not_numbers_are_read_as_missing(
    six: Listing,
    sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: LinkupResource,
    counts: str,
) -> None:
    value = None if counts == "null" else "many"
    six.counts = lambda metadata: {key: value for key in metadata}
    assert requested(tick(sensor, instance, resource, None)) == IDS[::-1]


def test_a_listing_serving_fewer_a_page_than_asked_but_counting_pages_as_asked_is_read_whole(
    six: Listing,
    instance: dg.DagsterInstance,
    resource: LinkupResource,
    tmp_path: Path,
) -> None:
    asked = 4
    six.page_cap = 2
    six.counts = lambda metadata: {
        **metadata,
        "pageSize": asked,
        "totalPages": math.ceil(metadata["total"] / asked),
    }
    outputs = build_linkup_task_outputs_asset(output_dir=str(tmp_path))
    sensor = build_linkup_sensor([OURS], outputs, time_budget_seconds=10, page_size=asked)
    assert requested(tick(sensor, instance, resource, None)) == IDS[::-1]


def test_a_tick_resumed_on_a_listing_serving_fewer_than_asked_reads_it_whole(
    listing: Listing,
    instance: dg.DagsterInstance,
    resource: LinkupResource,
    tmp_path: Path,
) -> None:
    """The tick resumes past the pages counted as asked, with no page of its own to tell what
    the service serves a page but the one it reads; tasks far apart, so none is found again."""
    asked = 4
    for number, task_id in enumerate(IDS):
        listing.complete(task_id, at(number * 400))
    listing.page_cap = 2
    listing.counts = lambda metadata: {
        **metadata,
        "pageSize": asked,
        "totalPages": math.ceil(metadata["total"] / asked),
    }
    outputs = build_linkup_task_outputs_asset(output_dir=str(tmp_path))
    sensor = build_linkup_sensor([OURS], outputs, page_size=asked, max_tasks_per_tick=2)
    assert requested_over_ticks(4, sensor, instance, resource) == IDS[::-1]


def test_a_task_finishing_between_two_page_reads_is_requested_once(
    six: Listing,
    sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: LinkupResource,
) -> None:
    """It moves from the last page to the first after the first was read: the pages between
    show again a task of the page before, and it is found by the next tick's scan."""
    six.process("task_slow", at(-1))
    six.after_read[1] = lambda: six.complete("task_slow", at(10))
    first = tick(sensor, instance, resource, None)
    assert requested(first) == IDS[::-1]
    assert requested(tick(sensor, instance, resource, first.cursor)) == ["task_slow"]


def test_a_page_of_filtered_tasks_shown_again_as_the_listing_grows_is_read_past(
    listing: Listing,
    instance: dg.DagsterInstance,
    resource: LinkupResource,
    tmp_path: Path,
) -> None:
    """A listing that filters its pages after cutting them answers a page of left-out tasks
    empty; a task added before the next read shows that page again, empty again."""
    for number, task_id in enumerate(IDS):
        listing.complete(task_id, at(number * 400))
    listing.complete("filtered", at(1000))
    listing.hidden.add("filtered")
    listing.after_read[4] = lambda: listing.complete("task_new", at(3000))
    outputs = build_linkup_task_outputs_asset(output_dir=str(tmp_path))
    sensor = build_linkup_sensor([OURS], outputs, time_budget_seconds=10, page_size=1)
    assert requested(tick(sensor, instance, resource, None)) == IDS[::-1]
    assert listing.pages == [1, 2, 3, 4, 5, 6, 7, 8, 9]


def without_total(metadata: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in metadata.items() if key != "total"}


@pytest.mark.parametrize("counts", [None, without_total], ids=["total", "no total"])
def test_a_listing_grown_by_a_page_before_each_of_three_reads_is_read_to_its_end(
    listing: Listing,
    sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: LinkupResource,
    counts: Counts | None,
) -> None:
    """New tasks push the same two down a page before each read: pages 1, 2 and 3 show them,
    as a listing that ignores `page` would (without a total to tell, page 1 is read again).
    The older tasks, below the window, are requested all the same, and the new ones on the
    next tick."""
    listing.counts = counts or listing.counts
    for number, task_id in enumerate(IDS):
        listing.complete(task_id, at(number * 400))

    def new_page(batch: int) -> None:
        for number in range(PAGE_SIZE):
            listing.complete(f"new_{batch}_{number}", at(3000 + batch * 10 + number))

    listing.after_read[1] = lambda: new_page(0)
    listing.after_read[2] = lambda: new_page(1)
    first = tick(sensor, instance, resource, None)
    assert requested(first) == IDS[::-1]
    second = tick(sensor, instance, resource, first.cursor)
    assert sorted(requested(second)) == [f"new_{b}_{n}" for b in range(2) for n in range(2)]


def test_a_full_last_page_by_stale_counts_is_read_past_so_no_task_below_is_lost(
    six: Listing,
    sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: LinkupResource,
) -> None:
    """`total` and `totalPages` counted before the two oldest tasks were listed (a cached
    count): the second page, full, is the last they count."""
    for number, task_id in enumerate(IDS):
        six.complete(task_id, at(number * 400))
    six.counts = lambda metadata: {**metadata, "total": 4, "totalPages": 2}
    assert requested_over_ticks(3, sensor, instance, resource) == IDS[::-1]


def test_a_short_page_counted_as_the_last_ends_the_scan(
    six: Listing,
    sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: LinkupResource,
) -> None:
    six.complete("task_6", at(6))
    assert requested(tick(sensor, instance, resource, None)) == ["task_6", *IDS[::-1]]
    assert six.pages == [1, 2, 3, 4]


def test_a_full_page_counted_as_the_last_is_followed_by_one_read_that_ends_the_scan(
    six: Listing,
    sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: LinkupResource,
) -> None:
    assert requested(tick(sensor, instance, resource, None)) == IDS[::-1]
    assert six.pages == [1, 2, 3, 4]


def test_a_tick_at_its_task_cap_on_a_full_last_page_still_reads_the_page_after(
    six: Listing, instance: dg.DagsterInstance, resource: LinkupResource, tmp_path: Path
) -> None:
    """The scan is over within the tick, so the next one lists from the newest task."""
    outputs = build_linkup_task_outputs_asset(output_dir=str(tmp_path))
    sensor = build_linkup_sensor([OURS], outputs, page_size=PAGE_SIZE, max_tasks_per_tick=6)
    first = tick(sensor, instance, resource, None)
    assert requested(first) == IDS[::-1]
    assert six.pages == [1, 2, 3, 4]
    six.complete("task_new", at(10))
    assert requested(tick(sensor, instance, resource, first.cursor)) == ["task_new"]


def test_page_1_read_again_and_throttled_ends_the_tick_with_what_it_found(
    six: Listing,
    sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    resource: LinkupResource,
) -> None:
    six.ignores_page = True
    six.counts = lambda metadata: {"totalPages": 1_000_000}
    six.throttled = {3}
    first = tick(sensor, instance, resource, None)
    assert requested(first) == ["task_5", "task_4"]
    assert six.pages == [1, 2, 1]
    assert requested(tick(sensor, instance, resource, first.cursor)) == []
