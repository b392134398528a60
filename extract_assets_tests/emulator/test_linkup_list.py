"""GET /v1/extract: pagination metadata, sorting, parameter validation, organization scope."""

from __future__ import annotations

import httpx
import pytest

from extract_assets.emulator import EmulatorControl
from extract_assets_tests.emulator.helpers import create_task, error_of


def test_pagination_metadata_counts_pages(linkup: httpx.Client) -> None:
    for index in range(7):
        create_task(linkup, q=f"query {index}")
    body = linkup.get("/v1/extract", params={"page": 3, "pageSize": 3}).json()
    assert body["metadata"] == {"page": 3, "pageSize": 3, "total": 7, "totalPages": 3}
    assert len(body["data"]) == 1


def test_defaults_are_page_1_and_page_size_10(linkup: httpx.Client) -> None:
    for index in range(11):
        create_task(linkup, q=f"query {index}")
    body = linkup.get("/v1/extract").json()
    assert body["metadata"] == {"page": 1, "pageSize": 10, "total": 11, "totalPages": 2}
    assert len(body["data"]) == 10


def test_page_past_the_end_is_empty(linkup: httpx.Client) -> None:
    create_task(linkup)
    body = linkup.get("/v1/extract", params={"page": 5}).json()
    assert (body["data"], body["metadata"]["total"]) == ([], 1)


def test_no_tasks_means_zero_total_pages(linkup: httpx.Client) -> None:
    metadata = linkup.get("/v1/extract").json()["metadata"]
    assert (metadata["total"], metadata["totalPages"]) == (0, 0)


def test_default_order_is_newest_first(linkup: httpx.Client, frozen: EmulatorControl) -> None:
    ids = []
    for index in range(3):
        ids.append(create_task(linkup, q=f"query {index}")["id"])
        frozen.advance_clock(0.01)
    assert [t["id"] for t in linkup.get("/v1/extract").json()["data"]] == ids[::-1]


def test_ascending_order_is_oldest_first(linkup: httpx.Client, frozen: EmulatorControl) -> None:
    ids = []
    for index in range(3):
        ids.append(create_task(linkup, q=f"query {index}")["id"])
        frozen.advance_clock(0.01)
    data = linkup.get("/v1/extract", params={"sortDirection": "asc"}).json()["data"]
    assert [t["id"] for t in data] == ids


def test_sort_by_updated_at_follows_status_changes(
    linkup: httpx.Client, frozen: EmulatorControl
) -> None:
    frozen.add_linkup_scenario("quick", pending_seconds=0, processing_seconds=0)
    slow = create_task(linkup, q="slow one")["id"]
    frozen.advance_clock(0.1)
    quick = create_task(linkup, q="quick one")["id"]
    frozen.advance_clock(0.1)  # quick is done; slow is still pending, updated at creation
    params = {"sortBy": "updatedAt", "sortDirection": "desc"}
    by_update = [t["id"] for t in linkup.get("/v1/extract", params=params).json()["data"]]
    assert by_update == [quick, slow]
    frozen.advance_clock(1)  # now slow completed last
    by_update = [t["id"] for t in linkup.get("/v1/extract", params=params).json()["data"]]
    assert by_update == [slow, quick]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": "0"}, "page"),
        ({"page": "first"}, "page"),
        ({"pageSize": "0"}, "pageSize"),
        ({"pageSize": "101"}, "pageSize"),
        ({"sortBy": "id"}, "sortBy"),
        ({"sortDirection": "up"}, "sortDirection"),
    ],
)
def test_bad_list_parameter_is_400_validation_error(
    linkup: httpx.Client, params: dict[str, str], field: str
) -> None:
    response = linkup.get("/v1/extract", params=params)
    assert error_of(response) == (400, "VALIDATION_ERROR")
    assert [d["field"] for d in response.json()["error"]["details"]] == [field]


def test_list_shows_only_the_organizations_tasks(
    linkup: httpx.Client, linkup_url: str, control: EmulatorControl
) -> None:
    control.add_linkup_key("outsider")
    create_task(linkup)
    with httpx.Client(base_url=linkup_url, headers={"Authorization": "Bearer outsider"}) as other:
        assert other.get("/v1/extract").json()["metadata"]["total"] == 0
