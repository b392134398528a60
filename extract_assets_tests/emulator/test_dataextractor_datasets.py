"""dataextractor.io datasets: get, list with filters, search and cursors, ground truth, seeding."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from extract_assets.emulator import EmulatorControl, EmulatorControlError, EmulatorServer

DAY = 86_400.0
INVALID_CURSOR = (400, "Invalid or expired cursor")
PDF = b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n"


@pytest.fixture
def url(emulator: EmulatorServer) -> str:
    """Base URL of the emulated dataextractor.io API."""
    return emulator.base_url("dataextractor")


@pytest.fixture
def api(url: str) -> Iterator[httpx.Client]:
    """A client with the default key, of the demo account."""
    with client_with(url, "demo-dataextractor-key") as client:
        yield client


@pytest.fixture
def seeded(url: str, frozen: EmulatorControl) -> Iterator[tuple[httpx.Client, list[str]]]:
    """A client of an account of its own holding 300 seeded datasets, and their ids."""
    account = frozen.add_dataextractor_key("seeded")["account"]
    ids = frozen.seed_dataextractor_datasets(
        300,
        date_from="2026-03-01",
        date_to="2026-03-31",
        customer_ids=["cust_a", "cust_b", "cust_c"],
        verified_share=0.5,
        account=account,
    )
    with client_with(url, "seeded") as client:
        yield client, ids


def client_with(url: str, key: str) -> httpx.Client:
    """A client authenticated with `key`."""
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=30)


def answer(response: httpx.Response) -> tuple[int, str]:
    """Status and `detail` of an error answer."""
    return response.status_code, response.json()["detail"]


def page(client: httpx.Client, **params: Any) -> dict[str, Any]:
    """One page of GET /api/v1/datasets, failing the test on any error."""
    response = client.get("/api/v1/datasets", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def every(client: httpx.Client, cursor: str | None = None, **params: Any) -> list[dict[str, Any]]:
    """Every dataset of a listing (from `cursor` on), following the cursors."""
    items: list[dict[str, Any]] = []
    while True:
        body = page(client, **params, **({"cursor": cursor} if cursor else {}))
        items += body["data"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items


def uploaded(client: httpx.Client, control: EmulatorControl) -> dict[str, Any]:
    """A new dataset, complete."""
    response = client.post("/api/v1/extract", files={"file": ("inv.pdf", PDF)})
    assert response.status_code == 202, response.text
    control.advance_clock(2.01)
    dataset: dict[str, Any] = client.get(f"/api/v1/datasets/{response.json()['id']}").json()
    return dataset


def test_demo_account_starts_with_30_datasets_of_the_last_7_days(
    api: httpx.Client, control: EmulatorControl
) -> None:
    items = every(api, limit=100)
    assert len(items) == 30
    oldest = datetime.fromisoformat(items[-1]["created_at"])
    assert control.now() - oldest < timedelta(days=7)
    assert {d["customer_id"] for d in items} == {"cust_1", "cust_2"}
    assert {d["dataset_type"] for d in items} == {"invoice", "purchase_order"}
    assert sum(d["is_verified"] for d in items) == 9
    assert sum(d["status"] == "failed" for d in items) == 3


def test_demo_datasets_are_the_same_after_every_reset(
    api: httpx.Client, control: EmulatorControl
) -> None:
    first = [(d["id"], d["fields"]) for d in every(api, limit=100)]
    control.reset()
    assert [(d["id"], d["fields"]) for d in every(api, limit=100)] == first


def test_get_returns_the_whole_dataset_as_listed(api: httpx.Client) -> None:
    listed = page(api, limit=1)["data"][0]
    assert api.get(f"/api/v1/datasets/{listed['id']}").json() == listed
    assert set(listed) == {
        "id",
        "status",
        "dataset_type",
        "customer_id",
        "is_verified",
        "filename",
        "created_at",
        "updated_at",
        "error",
        "fields",
        "line_items",
        "ground_truth",
        "accuracy",
        "matching",
    }


def test_unknown_dataset_is_404(api: httpx.Client) -> None:
    assert answer(api.get("/api/v1/datasets/ds_000")) == (404, "Dataset not found")


def test_dataset_of_another_account_is_404(
    seeded: tuple[httpx.Client, list[str]], api: httpx.Client
) -> None:
    _, ids = seeded
    assert answer(api.get(f"/api/v1/datasets/{ids[0]}")) == (404, "Dataset not found")


def test_list_shows_only_the_callers_account(seeded: tuple[httpx.Client, list[str]]) -> None:
    client, ids = seeded
    assert sorted(d["id"] for d in every(client, limit=100)) == sorted(ids)


def test_default_page_holds_20(seeded: tuple[httpx.Client, list[str]]) -> None:
    client, _ = seeded
    body = page(client)
    assert len(body["data"]) == 20
    assert isinstance(body["next_cursor"], str)


def test_list_is_newest_first_then_by_id(seeded: tuple[httpx.Client, list[str]]) -> None:
    client, _ = seeded
    keys = [(d["created_at"], d["id"]) for d in every(client, limit=37)]
    assert keys == sorted(keys, reverse=True)


def test_pages_follow_each_other_without_gaps_or_repeats(
    seeded: tuple[httpx.Client, list[str]],
) -> None:
    client, _ = seeded
    first = page(client, limit=100)
    second = page(client, limit=100, cursor=first["next_cursor"])
    third = page(client, limit=100, cursor=second["next_cursor"])
    seen = [d["id"] for body in (first, second, third) for d in body["data"]]
    assert len(seen) == len(set(seen)) == 300
    assert third["next_cursor"] is None


def test_uploads_during_a_listing_do_not_disturb_its_pages(
    seeded: tuple[httpx.Client, list[str]], frozen: EmulatorControl
) -> None:
    client, _ = seeded
    first = page(client, limit=100)
    client.post("/api/v1/extract", files={"file": ("new.pdf", PDF)})
    rest = every(client, limit=100, cursor=first["next_cursor"])
    assert len(first["data"]) + len(rest) == 300


def test_limit_above_100_is_refused(api: httpx.Client) -> None:
    assert answer(api.get("/api/v1/datasets?limit=101")) == (
        400,
        "limit must be an integer between 1 and 100",
    )


@pytest.mark.parametrize("limit", ["0", "-1", "ten"])
def test_limit_that_is_not_1_to_100_is_refused(api: httpx.Client, limit: str) -> None:
    assert api.get(f"/api/v1/datasets?limit={limit}").status_code == 400


def test_is_verified_must_be_a_boolean(api: httpx.Client) -> None:
    assert answer(api.get("/api/v1/datasets?is_verified=yes")) == (
        400,
        "is_verified must be true or false",
    )


def test_customer_filter(seeded: tuple[httpx.Client, list[str]]) -> None:
    client, _ = seeded
    items = every(client, limit=100, customer_id="cust_b")
    assert len(items) == 100
    assert {d["customer_id"] for d in items} == {"cust_b"}


def test_dataset_type_filter(seeded: tuple[httpx.Client, list[str]]) -> None:
    client, _ = seeded
    items = every(client, limit=100, dataset_type="purchase_order")
    assert len(items) == 150
    assert {d["dataset_type"] for d in items} == {"purchase_order"}


@pytest.mark.parametrize(("value", "expected"), [("true", True), ("false", False)])
def test_verified_filter(
    seeded: tuple[httpx.Client, list[str]], value: str, expected: bool
) -> None:
    client, _ = seeded
    items = every(client, limit=100, is_verified=value)
    assert len(items) == 150
    assert {d["is_verified"] for d in items} == {expected}


def test_filters_combine(seeded: tuple[httpx.Client, list[str]]) -> None:
    client, _ = seeded
    items = every(client, limit=100, customer_id="cust_a", dataset_type="invoice")
    assert items
    assert {(d["customer_id"], d["dataset_type"]) for d in items} == {("cust_a", "invoice")}


def test_search_finds_extracted_values_whatever_their_case(
    seeded: tuple[httpx.Client, list[str]],
) -> None:
    client, _ = seeded
    target = page(client, limit=1)["data"][0]
    number = next(f["value"] for f in target["fields"] if f["name"].endswith("_number"))
    found = every(client, limit=100, search=number.lower())
    assert target["id"] in [d["id"] for d in found]
    for dataset in found:
        values = [f["value"] for f in dataset["fields"]]
        values += [f["value"] for item in dataset["line_items"] for f in item["fields"]]
        assert any(number.lower() in v.lower() for v in values)


def test_search_looks_into_line_items(seeded: tuple[httpx.Client, list[str]]) -> None:
    client, _ = seeded
    found = every(client, limit=100, search="TONER CARTRIDGE")
    assert found
    for dataset in found:
        descriptions = [f["value"] for item in dataset["line_items"] for f in item["fields"]]
        assert "Toner cartridge, black" in descriptions


def test_search_without_match_is_an_empty_last_page(
    seeded: tuple[httpx.Client, list[str]],
) -> None:
    client, _ = seeded
    assert page(client, search="no such value anywhere") == {"data": [], "next_cursor": None}


def test_cursor_is_refused_after_24_hours(
    seeded: tuple[httpx.Client, list[str]], frozen: EmulatorControl
) -> None:
    client, _ = seeded
    cursor = page(client)["next_cursor"]
    frozen.advance_clock(DAY - 1)
    assert client.get("/api/v1/datasets", params={"cursor": cursor}).status_code == 200
    frozen.advance_clock(2)
    assert answer(client.get("/api/v1/datasets", params={"cursor": cursor})) == INVALID_CURSOR


def test_every_cursor_of_a_listing_expires_24_hours_after_its_first_page(
    seeded: tuple[httpx.Client, list[str]], frozen: EmulatorControl
) -> None:
    client, _ = seeded
    first = page(client)["next_cursor"]
    frozen.advance_clock(23 * 3600)
    second = page(client, cursor=first)["next_cursor"]
    frozen.advance_clock(2 * 3600)
    assert answer(client.get("/api/v1/datasets", params={"cursor": second})) == INVALID_CURSOR


def test_cursor_lifetime_is_a_setting(
    seeded: tuple[httpx.Client, list[str]], frozen: EmulatorControl
) -> None:
    client, _ = seeded
    frozen.dataextractor_settings(cursor_ttl=60)
    cursor = page(client)["next_cursor"]
    frozen.advance_clock(61)
    assert answer(client.get("/api/v1/datasets", params={"cursor": cursor})) == INVALID_CURSOR


def test_forged_cursor_is_refused(seeded: tuple[httpx.Client, list[str]]) -> None:
    client, _ = seeded
    cursor = page(client)["next_cursor"]
    forged = ("A" if cursor[0] != "A" else "B") + cursor[1:]
    for bad in (forged, "not-a-cursor"):
        assert answer(client.get("/api/v1/datasets", params={"cursor": bad})) == INVALID_CURSOR


def test_cursor_of_other_filters_is_refused(seeded: tuple[httpx.Client, list[str]]) -> None:
    client, _ = seeded
    cursor = page(client, customer_id="cust_a")["next_cursor"]
    response = client.get("/api/v1/datasets", params={"cursor": cursor, "customer_id": "cust_b"})
    assert answer(response) == INVALID_CURSOR


def test_ground_truth_marks_the_dataset_verified_with_accuracy(
    api: httpx.Client, frozen: EmulatorControl
) -> None:
    dataset = uploaded(api, frozen)
    truth = [{"name": f["name"], "value": f["value"]} for f in dataset["fields"][:4]]
    response = api.put(
        f"/api/v1/datasets/{dataset['id']}/ground_truth", json={"ground_truth": truth}
    )
    assert response.status_code == 200, response.text
    verified = response.json()
    assert (verified["is_verified"], verified["ground_truth"]) == (True, truth)
    assert verified["accuracy"] == {
        "overall_accuracy": 1.0,
        "fields": [{"name": t["name"], "score": 1.0} for t in truth],
    }
    assert api.get(f"/api/v1/datasets/{dataset['id']}").json() == verified


def test_accuracy_scores_a_wrong_value_below_1_and_averages(
    api: httpx.Client, frozen: EmulatorControl
) -> None:
    dataset = uploaded(api, frozen)
    values = {f["name"]: f["value"] for f in dataset["fields"]}
    truth = [
        {"name": "invoice_number", "value": values["invoice_number"]},
        {"name": "vendor_name", "value": values["vendor_name"] + " Holdings"},
        {"name": "not_extracted", "value": "anything"},
    ]
    accuracy = api.put(
        f"/api/v1/datasets/{dataset['id']}/ground_truth", json={"ground_truth": truth}
    ).json()["accuracy"]
    scores = [f["score"] for f in accuracy["fields"]]
    assert scores[0] == 1.0 and 0 < scores[1] < 1 and scores[2] == 0.0
    assert accuracy["overall_accuracy"] == pytest.approx(sum(scores) / 3, abs=1e-4)


def test_ground_truth_fills_matching(api: httpx.Client, frozen: EmulatorControl) -> None:
    dataset = uploaded(api, frozen)
    values = {f["name"]: f["value"] for f in dataset["fields"]}
    truth = [
        {"name": "invoice_number", "value": "wrong"},
        {"name": "vendor_name", "value": "wrong"},
        {"name": "currency", "value": values["currency"]},
    ]
    matching = api.put(
        f"/api/v1/datasets/{dataset['id']}/ground_truth", json={"ground_truth": truth}
    ).json()["matching"]
    assert (matching["status"], matching["matched_fields"], matching["total_fields"]) == (
        "complete",
        1,
        3,
    )


def test_new_ground_truth_replaces_the_old(api: httpx.Client, frozen: EmulatorControl) -> None:
    dataset = uploaded(api, frozen)
    path = f"/api/v1/datasets/{dataset['id']}/ground_truth"
    api.put(path, json={"ground_truth": [{"name": "vendor_name", "value": "A"}]})
    second = api.put(path, json={"ground_truth": [{"name": "currency", "value": None}]}).json()
    assert second["ground_truth"] == [{"name": "currency", "value": None}]


def test_verified_dataset_shows_in_the_verified_filter(
    api: httpx.Client, frozen: EmulatorControl
) -> None:
    dataset = uploaded(api, frozen)
    api.put(
        f"/api/v1/datasets/{dataset['id']}/ground_truth",
        json={"ground_truth": [{"name": "currency", "value": "EUR"}]},
    )
    assert dataset["id"] in [d["id"] for d in every(api, limit=100, is_verified="true")]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"ground_truth": []},
        {"ground_truth": [{"name": "total_amount", "value": 12.5}]},
        {"ground_truth": [{"value": "x"}]},
        {"ground_truth": [{"name": "a", "value": "1"}, {"name": "a", "value": "2"}]},
        {"ground_truth": "invoice_number=INV-1"},
    ],
)
def test_malformed_ground_truth_is_refused_with_400(
    api: httpx.Client, frozen: EmulatorControl, body: dict[str, Any]
) -> None:
    dataset = uploaded(api, frozen)
    response = api.put(f"/api/v1/datasets/{dataset['id']}/ground_truth", json=body)
    status, detail = answer(response)
    assert status == 400 and detail


def test_ground_truth_body_that_is_not_json_is_refused_with_400(
    api: httpx.Client, frozen: EmulatorControl
) -> None:
    dataset = uploaded(api, frozen)
    response = api.put(f"/api/v1/datasets/{dataset['id']}/ground_truth", content=b"{oops")
    assert response.status_code == 400


def test_ground_truth_of_an_unknown_dataset_is_404(api: httpx.Client) -> None:
    body = {"ground_truth": [{"name": "currency", "value": "EUR"}]}
    response = api.put("/api/v1/datasets/ds_000/ground_truth", json=body)
    assert answer(response) == (404, "Dataset not found")


def test_ground_truth_while_processing_is_refused_with_409(
    api: httpx.Client, frozen: EmulatorControl
) -> None:
    dataset_id = api.post("/api/v1/extract", files={"file": ("inv.pdf", PDF)}).json()["id"]
    body = {"ground_truth": [{"name": "currency", "value": "EUR"}]}
    response = api.put(f"/api/v1/datasets/{dataset_id}/ground_truth", json=body)
    assert answer(response) == (409, "Dataset is still processing")


def test_seed_spreads_created_at_over_the_given_days(
    seeded: tuple[httpx.Client, list[str]],
) -> None:
    client, _ = seeded
    days = {d["created_at"][:10] for d in every(client, limit=100)}
    assert min(days) == "2026-03-01" and max(days) == "2026-03-31"
    assert len(days) == 31


def test_seed_shares_are_exact(url: str, frozen: EmulatorControl) -> None:
    account = frozen.add_dataextractor_key("shares")["account"]
    frozen.seed_dataextractor_datasets(
        200,
        verified_share=0.25,
        failed_share=0.1,
        processing_share=0.05,
        processing_seconds=600,
        account=account,
    )
    with client_with(url, "shares") as client:
        items = every(client, limit=100)
    statuses = [d["status"] for d in items]
    assert (statuses.count("failed"), statuses.count("processing")) == (20, 10)
    assert sum(d["is_verified"] for d in items) == 50
    assert all(d["error"] for d in items if d["status"] == "failed")


def test_seeded_verified_datasets_have_ground_truth_and_accuracy(
    seeded: tuple[httpx.Client, list[str]],
) -> None:
    client, _ = seeded
    for dataset in every(client, limit=100, is_verified="true"):
        assert dataset["ground_truth"]
        assert 0 <= dataset["accuracy"]["overall_accuracy"] <= 1
        assert dataset["matching"]["status"] == "complete"


def test_seeding_needs_a_moment_before_now(frozen: EmulatorControl) -> None:
    tomorrow = (frozen.now() + timedelta(days=1)).date().isoformat()
    with pytest.raises(EmulatorControlError, match="400"):
        frozen.seed_dataextractor_datasets(5, date_from=tomorrow, date_to=tomorrow)


def test_seeding_counts_against_no_rate_limit_or_quota(url: str, frozen: EmulatorControl) -> None:
    account = frozen.add_dataextractor_key("trial", plan="free")["account"]
    frozen.seed_dataextractor_datasets(50, account=account)
    (key,) = [k for k in frozen.dataextractor_keys() if k["key"] == "trial"]
    assert key["used_this_month"] == 0
    assert frozen.dataextractor_usage() == []


def test_5000_datasets_seed_in_one_call_over_a_year(url: str, frozen: EmulatorControl) -> None:
    account = frozen.add_dataextractor_key("bulk")["account"]
    today = frozen.now().date()
    ids = frozen.seed_dataextractor_datasets(
        5000, date_from=(today - timedelta(days=364)).isoformat(), account=account
    )
    assert len(set(ids)) == 5000
    with client_with(url, "bulk") as client:
        newest = page(client, limit=100)
        oldest = page(client, limit=1, customer_id="cust_1", dataset_type="invoice")
    assert len(newest["data"]) == 100 and newest["next_cursor"]
    assert oldest["data"][0]["created_at"] >= (today - timedelta(days=364)).isoformat()
