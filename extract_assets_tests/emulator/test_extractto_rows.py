"""Extract.to data tables: rows only for synced dates, deterministic, read page by page."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from extract_assets.emulator import EmulatorControl, EmulatorServer

PAST_SYNC = 1.01
ISO_MS_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture
def api(emulator: EmulatorServer) -> Iterator[httpx.Client]:
    """A client of the emulated Extract.to API with the default (admin) key."""
    headers = {"Authorization": "Bearer demo-extractto-key"}
    with httpx.Client(base_url=emulator.base_url("extractto"), headers=headers) as client:
        yield client


def synced(
    api: httpx.Client, clock: EmulatorControl, extract: dict[str, Any], first: str, last: str
) -> None:
    """Run the extract over `first..last` and let the sync finish."""
    response = api.post(
        f"/extracts/{extract['id']}/run", json={"date_from": first, "date_to": last}
    )
    assert response.status_code == 200, response.text
    clock.advance_clock(PAST_SYNC)


def rows(api: httpx.Client, extract: dict[str, Any], **params: Any) -> dict[str, Any]:
    """One page of GET /data-tables/{id}/rows."""
    response = api.get(f"/data-tables/{extract['data_table_id']}/rows", params=params)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


def every_row(api: httpx.Client, extract: dict[str, Any], **params: Any) -> list[dict[str, Any]]:
    """All rows, following next_cursor."""
    found: list[dict[str, Any]] = []
    while True:
        page = rows(api, extract, **params)
        found += page["data"]
        if page["next_cursor"] is None:
            return found
        params["cursor"] = page["next_cursor"]


def detail(response: httpx.Response) -> tuple[int, str]:
    """Status and `detail` of an error answer."""
    return response.status_code, response.json()["detail"]


def test_rows_exist_only_for_synced_dates(api: httpx.Client, frozen: EmulatorControl) -> None:
    extract = frozen.add_extractto_extract("Ads", rows_per_day=2)
    synced(api, frozen, extract, "2026-01-01", "2026-01-02")
    synced(api, frozen, extract, "2026-01-05", "2026-01-05")
    dates = [
        r["date"] for r in every_row(api, extract, date_from="2025-12-01", date_to="2026-02-01")
    ]
    assert dates == ["2026-01-01"] * 2 + ["2026-01-02"] * 2 + ["2026-01-05"] * 2


def test_rows_appear_only_when_the_sync_finishes(
    api: httpx.Client, frozen: EmulatorControl
) -> None:
    extract = frozen.add_extractto_extract("Ads", rows_per_day=2)
    dates = {"date_from": "2026-01-01", "date_to": "2026-01-01"}
    api.post(f"/extracts/{extract['id']}/run", json=dates)
    assert rows(api, extract)["data"] == []
    frozen.advance_clock(PAST_SYNC)
    assert len(rows(api, extract)["data"]) == 2


def test_failed_sync_writes_no_rows(api: httpx.Client, frozen: EmulatorControl) -> None:
    extract = frozen.add_extractto_extract("Ads", fail="Google Ads API: quota exhausted")
    synced(api, frozen, extract, "2026-01-01", "2026-01-03")
    assert rows(api, extract) == {"data": [], "next_cursor": None}


def test_run_without_dates_syncs_yesterday(api: httpx.Client, frozen: EmulatorControl) -> None:
    extract = frozen.add_extractto_extract("Ads", rows_per_day=1)
    api.post(f"/extracts/{extract['id']}/run")
    frozen.advance_clock(PAST_SYNC)
    (row,) = rows(api, extract)["data"]
    assert row["date"] == (frozen.now() - timedelta(days=1)).date().isoformat()


def test_run_with_only_date_from_syncs_through_yesterday(
    api: httpx.Client, frozen: EmulatorControl
) -> None:
    extract = frozen.add_extractto_extract("Ads", rows_per_day=1)
    today = frozen.now().date()
    start = today - timedelta(days=3)
    api.post(f"/extracts/{extract['id']}/run", json={"date_from": start.isoformat()})
    frozen.advance_clock(PAST_SYNC)
    dates = [r["date"] for r in every_row(api, extract)]
    assert dates == [(start + timedelta(days=n)).isoformat() for n in range(3)]


def test_row_has_the_documented_columns_with_their_types(
    api: httpx.Client, frozen: EmulatorControl
) -> None:
    extract = frozen.add_extractto_extract("Ads", rows_per_day=40)
    synced(api, frozen, extract, "2026-01-01", "2026-01-01")
    page = rows(api, extract, limit=40)["data"]
    first = page[0]
    assert list(first) == [
        "date",
        "account_id",
        "account_name",
        "campaign_id",
        "campaign_name",
        "impressions",
        "clicks",
        "cost",
        "conversions",
        "__insert_date",
    ]
    assert (first["date"], first["account_id"]) == ("2026-01-01", "123-456-7890")
    assert first["account_name"] == "Acme Ads (123-456-7890)"
    assert ISO_MS_Z.match(first["__insert_date"])
    assert all(isinstance(r["campaign_id"], str) and isinstance(r["clicks"], int) for r in page)
    assert all(isinstance(r["cost"], float) and r["clicks"] <= r["impressions"] for r in page)
    assert {type(r["conversions"]) for r in page} == {float, type(None)}


def test_table_columns_are_typed(api: httpx.Client, control: EmulatorControl) -> None:
    extract = control.add_extractto_extract("Ads", fields=["campaign_id", "impressions", "cost"])
    table = api.get(f"/data-tables/{extract['data_table_id']}").json()
    assert [(c["name"], c["type"]) for c in table["columns"]] == [
        ("date", "date"),
        ("account_id", "string"),
        ("account_name", "string"),
        ("campaign_id", "string"),
        ("impressions", "integer"),
        ("cost", "number"),
        ("__insert_date", "datetime"),
    ]


def test_row_count_is_the_rows_synced_so_far(api: httpx.Client, frozen: EmulatorControl) -> None:
    extract = frozen.add_extractto_extract("Ads", rows_per_day=7)
    synced(api, frozen, extract, "2026-01-01", "2026-01-03")
    synced(api, frozen, extract, "2026-01-03", "2026-01-04")
    assert api.get(f"/data-tables/{extract['data_table_id']}").json()["row_count"] == 28


def test_default_rows_per_day_are_20_to_30(api: httpx.Client, frozen: EmulatorControl) -> None:
    extract = frozen.add_extractto_extract("Ads")
    synced(api, frozen, extract, "2026-01-01", "2026-01-10")
    found = every_row(api, extract)
    per_day = {d: sum(1 for r in found if r["date"] == d) for d in {r["date"] for r in found}}
    assert len(per_day) == 10 and all(20 <= n <= 30 for n in per_day.values())
    assert len(set(per_day.values())) > 1


def test_resync_replaces_rows_with_the_same_values_and_a_new_insert_date(
    api: httpx.Client, frozen: EmulatorControl
) -> None:
    extract = frozen.add_extractto_extract("Ads", rows_per_day=5)
    synced(api, frozen, extract, "2026-01-01", "2026-01-02")
    before = every_row(api, extract)
    synced(api, frozen, extract, "2026-01-02", "2026-01-02")
    after = every_row(api, extract)
    assert len(after) == 10
    strip = [{k: v for k, v in r.items() if k != "__insert_date"} for r in after]
    assert strip == [{k: v for k, v in r.items() if k != "__insert_date"} for r in before]
    assert after[0]["__insert_date"] == before[0]["__insert_date"]
    assert after[-1]["__insert_date"] > before[-1]["__insert_date"]


def test_rows_are_the_same_after_a_reset(api: httpx.Client, control: EmulatorControl) -> None:
    def fresh_rows() -> list[dict[str, Any]]:
        control.set_speed(0)
        extract = control.add_extractto_extract("Ads", rows_per_day=5)
        synced(api, control, extract, "2026-01-01", "2026-01-02")
        return [
            {k: v for k, v in r.items() if k != "__insert_date"} for r in every_row(api, extract)
        ]

    first = fresh_rows()
    control.reset()
    assert fresh_rows() == first


def test_rows_keep_the_same_campaigns_from_day_to_day(
    api: httpx.Client, frozen: EmulatorControl
) -> None:
    extract = frozen.add_extractto_extract("Ads", rows_per_day=3)
    synced(api, frozen, extract, "2026-01-01", "2026-01-02")
    found = every_row(api, extract)
    assert [r["campaign_id"] for r in found[:3]] == [r["campaign_id"] for r in found[3:]]
    assert [r["clicks"] for r in found[:3]] != [r["clicks"] for r in found[3:]]


def test_date_range_includes_both_ends(api: httpx.Client, frozen: EmulatorControl) -> None:
    extract = frozen.add_extractto_extract("Ads", rows_per_day=1)
    synced(api, frozen, extract, "2026-01-01", "2026-01-05")
    found = every_row(api, extract, date_from="2026-01-02", date_to="2026-01-04")
    assert [r["date"] for r in found] == ["2026-01-02", "2026-01-03", "2026-01-04"]


def test_pages_with_limit_and_cursor_return_every_row_once_in_order(
    api: httpx.Client, frozen: EmulatorControl
) -> None:
    extract = frozen.add_extractto_extract("Ads", rows_per_day=7)
    synced(api, frozen, extract, "2026-01-01", "2026-01-03")
    whole = rows(api, extract, limit=100)["data"]
    first = rows(api, extract, limit=5)
    assert len(first["data"]) == 5 and first["next_cursor"]
    paged = every_row(api, extract, limit=5)
    assert paged == whole and len(whole) == 21
    keys = [(r["date"], r["campaign_id"]) for r in paged]
    assert keys == sorted(keys)


def test_last_full_page_has_no_next_cursor(api: httpx.Client, frozen: EmulatorControl) -> None:
    extract = frozen.add_extractto_extract("Ads", rows_per_day=5)
    synced(api, frozen, extract, "2026-01-01", "2026-01-02")
    first = rows(api, extract, limit=5)
    second = rows(api, extract, limit=5, cursor=first["next_cursor"])
    assert (len(second["data"]), second["next_cursor"]) == (5, None)


@pytest.mark.parametrize("limit", ["0", "10001", "many"])
def test_row_limit_outside_1_to_10000_is_400(
    api: httpx.Client, control: EmulatorControl, limit: str
) -> None:
    table = control.extractto_demo()["data_table_id"]
    response = api.get(f"/data-tables/{table}/rows", params={"limit": limit})
    assert detail(response) == (400, "limit must be an integer between 1 and 10000")


@pytest.mark.parametrize(
    "params",
    [
        {"date_from": "01/02/2026"},
        {"date_to": "2026-1-2"},
        {"date_from": "2026-01-03", "date_to": "2026-01-02"},
    ],
)
def test_bad_row_dates_are_400(
    api: httpx.Client, control: EmulatorControl, params: dict[str, str]
) -> None:
    table = control.extractto_demo()["data_table_id"]
    assert api.get(f"/data-tables/{table}/rows", params=params).status_code == 400


def test_cursor_expires_after_the_cursor_ttl(api: httpx.Client, frozen: EmulatorControl) -> None:
    frozen.extractto_settings(cursor_ttl=60)
    extract = frozen.add_extractto_extract("Ads", rows_per_day=5)
    synced(api, frozen, extract, "2026-01-01", "2026-01-01")
    cursor = rows(api, extract, limit=2)["next_cursor"]
    frozen.advance_clock(61)
    response = api.get(
        f"/data-tables/{extract['data_table_id']}/rows", params={"limit": 2, "cursor": cursor}
    )
    assert detail(response) == (400, "Invalid or expired cursor")


def test_cursor_of_another_date_range_is_400(api: httpx.Client, frozen: EmulatorControl) -> None:
    extract = frozen.add_extractto_extract("Ads", rows_per_day=5)
    synced(api, frozen, extract, "2026-01-01", "2026-01-01")
    cursor = rows(api, extract, limit=2, date_from="2026-01-01")["next_cursor"]
    response = api.get(
        f"/data-tables/{extract['data_table_id']}/rows", params={"limit": 2, "cursor": cursor}
    )
    assert detail(response) == (400, "Invalid or expired cursor")


def test_rows_of_a_date_under_resync_stay_readable(
    api: httpx.Client, frozen: EmulatorControl
) -> None:
    extract = frozen.add_extractto_extract("Ads", rows_per_day=3)
    synced(api, frozen, extract, "2026-01-01", "2026-01-01")
    dates = {"date_from": "2026-01-01", "date_to": "2026-01-01"}
    assert api.post(f"/extracts/{extract['id']}/run", json=dates).json()["status"] == "syncing"
    assert len(rows(api, extract)["data"]) == 3


def test_outside_sync_writes_rows_like_a_run(api: httpx.Client, frozen: EmulatorControl) -> None:
    extract = frozen.add_extractto_extract("Ads", rows_per_day=2)
    frozen.sync_extractto_extract(extract["id"], "2026-03-01", "2026-03-02")
    frozen.advance_clock(PAST_SYNC)
    assert {r["date"] for r in every_row(api, extract)} == {"2026-03-01", "2026-03-02"}


def test_a_field_added_later_is_null_in_rows_written_before(
    api: httpx.Client, frozen: EmulatorControl
) -> None:
    extract = frozen.add_extractto_extract("Ads", rows_per_day=1, fields=["campaign_id"])
    synced(api, frozen, extract, "2026-01-01", "2026-01-01")
    api.patch(f"/extracts/{extract['id']}", json={"fields": ["campaign_id", "clicks"]})
    synced(api, frozen, extract, "2026-01-02", "2026-01-02")
    old, new = every_row(api, extract)
    assert (old["clicks"], isinstance(new["clicks"], int)) == (None, True)


def test_large_days_are_served_page_by_page_quickly(
    api: httpx.Client, frozen: EmulatorControl
) -> None:
    extract = frozen.add_extractto_extract("Big", rows_per_day=50_000)
    synced(api, frozen, extract, "2026-01-01", "2026-12-31")
    assert api.get(f"/data-tables/{extract['data_table_id']}").json()["row_count"] == 365 * 50_000
    started = time.monotonic()
    page = rows(api, extract, limit=10_000, date_from="2026-06-01")
    assert time.monotonic() - started < 2.0
    assert (len(page["data"]), page["data"][0]["date"]) == (10_000, "2026-06-01")
    assert page["data"][-1]["campaign_id"].endswith("009999")
