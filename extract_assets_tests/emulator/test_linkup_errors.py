"""Every error answer of the Linkup emulator: auth, beta gate, validation, money, queue, 404."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from extract_assets.emulator import EmulatorControl
from extract_assets_tests.emulator.helpers import (
    PAST_COMPLETION,
    TEAM_URL,
    create_task,
    error_of,
)

VALID = {"q": "Team members", "url": TEAM_URL}


OpenClient = Callable[[str], httpx.Client]


@pytest.fixture
def client_for(linkup_url: str) -> Iterator[OpenClient]:
    """Opens a Linkup client with another key; all are closed at the end of the test."""
    clients: list[httpx.Client] = []

    def open_client(key: str) -> httpx.Client:
        client = httpx.Client(base_url=linkup_url, headers={"Authorization": f"Bearer {key}"})
        clients.append(client)
        return client

    yield open_client
    for client in clients:
        client.close()


def test_missing_authorization_is_401(linkup_url: str) -> None:
    response = httpx.post(f"{linkup_url}/v1/extract", json=VALID)
    assert error_of(response) == (401, "UNAUTHORIZED")


def test_unknown_key_is_401(client_for: OpenClient) -> None:
    assert error_of(client_for("no-such-key").get("/v1/extract")) == (401, "UNAUTHORIZED")


def test_key_without_extract_access_is_403_task_type_not_supported(
    client_for: OpenClient, control: EmulatorControl
) -> None:
    control.add_linkup_key("beta-less", extract_enabled=False)
    response = client_for("beta-less").post("/v1/extract", json=VALID)
    assert error_of(response) == (403, "TASK_TYPE_NOT_SUPPORTED")
    assert response.json()["error"]["message"] == (
        "Extract tasks are not enabled for this organization."
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": TEAM_URL}, "q"),
        ({"q": "", "url": TEAM_URL}, "q"),
        ({"q": 5, "url": TEAM_URL}, "q"),
        ({"q": "Team"}, "url"),
        ({"q": "Team", "url": "ftp://example.com/team"}, "url"),
        ({"q": "Team", "url": "not a url"}, "url"),
        ({**VALID, "schema": [1, 2]}, "schema"),
        ({**VALID, "schema": "{not json"}, "schema"),
        ({**VALID, "schema": '"a string"'}, "schema"),
        ({**VALID, "schema": {"type": "no-such-type"}}, "schema"),
        ({**VALID, "verifyUrls": "yes"}, "verifyUrls"),
    ],
)
def test_invalid_field_is_400_validation_error_naming_it(
    linkup: httpx.Client, body: dict[str, Any], field: str
) -> None:
    response = linkup.post("/v1/extract", json=body)
    assert error_of(response) == (400, "VALIDATION_ERROR")
    assert [detail["field"] for detail in response.json()["error"]["details"]] == [field]


def test_every_invalid_field_is_listed_at_once(linkup: httpx.Client) -> None:
    response = linkup.post("/v1/extract", json={"q": "", "verifyUrls": 1})
    fields = {detail["field"] for detail in response.json()["error"]["details"]}
    assert fields == {"q", "url", "verifyUrls"}


def test_body_that_is_not_json_is_400(linkup: httpx.Client) -> None:
    response = linkup.post("/v1/extract", content=b"{oops", headers={"Content-Type": "text/plain"})
    assert error_of(response) == (400, "VALIDATION_ERROR")


def test_key_without_credits_is_429_insufficient_funds_without_retry_after(
    client_for: OpenClient, control: EmulatorControl
) -> None:
    control.add_linkup_key("broke", credits=0)
    response = client_for("broke").post("/v1/extract", json=VALID)
    assert error_of(response) == (429, "INSUFFICIENT_FUNDS_CREDITS")
    assert "retry-after" not in response.headers


def test_credits_are_charged_at_completion(
    client_for: OpenClient, control: EmulatorControl
) -> None:
    control.add_linkup_key("one-credit", credits=1)
    client = client_for("one-credit")
    create_task(client)
    create_task(client)  # the first is not billed yet
    control.advance_clock(PAST_COMPLETION)
    assert error_of(client.post("/v1/extract", json=VALID)) == (429, "INSUFFICIENT_FUNDS_CREDITS")
    (key,) = [k for k in control.linkup_keys() if k["key"] == "one-credit"]
    assert (key["spent"], key["remaining"]) == (2, -1)


def test_failed_task_charges_nothing(client_for: OpenClient, control: EmulatorControl) -> None:
    control.add_linkup_key("one-credit", credits=1)
    control.add_linkup_scenario("doomed", fail="Nothing found.")
    client = client_for("one-credit")
    create_task(client, q="doomed")
    control.advance_clock(PAST_COMPLETION)
    create_task(client)


def test_spent_budget_is_429_exceed_budget_limit_without_retry_after(
    client_for: OpenClient, control: EmulatorControl
) -> None:
    control.add_linkup_key("capped", budget_limit=1)
    client = client_for("capped")
    create_task(client)
    control.advance_clock(PAST_COMPLETION)
    response = client.post("/v1/extract", json=VALID)
    assert error_of(response) == (429, "EXCEED_BUDGET_LIMIT")
    assert "retry-after" not in response.headers


def test_full_queue_is_429_tasks_queue_limit_exceeded_until_a_task_finishes(
    linkup: httpx.Client, control: EmulatorControl
) -> None:
    control.linkup_settings(max_in_flight=2)
    create_task(linkup)
    create_task(linkup)
    response = linkup.post("/v1/extract", json=VALID)
    assert error_of(response) == (429, "TASKS_QUEUE_LIMIT_EXCEEDED")
    assert "retry-after" not in response.headers
    control.advance_clock(PAST_COMPLETION)
    create_task(linkup)


def test_queue_limit_counts_the_organization_not_the_key(
    linkup: httpx.Client, client_for: OpenClient, control: EmulatorControl
) -> None:
    control.linkup_settings(max_in_flight=1)
    control.add_linkup_key("colleague", org="demo-org")
    create_task(linkup)
    response = client_for("colleague").post("/v1/extract", json=VALID)
    assert error_of(response) == (429, "TASKS_QUEUE_LIMIT_EXCEEDED")


def test_unknown_task_is_404_task_not_found(linkup: httpx.Client) -> None:
    response = linkup.get("/v1/extract/no-such-task")
    assert error_of(response) == (404, "TASK_NOT_FOUND")
    assert response.json()["error"]["message"] == "Task no-such-task not found."


def test_task_of_another_organization_is_404(
    linkup: httpx.Client, client_for: OpenClient, control: EmulatorControl
) -> None:
    control.add_linkup_key("outsider")
    task = create_task(linkup)
    response = client_for("outsider").get(f"/v1/extract/{task['id']}")
    assert error_of(response) == (404, "TASK_NOT_FOUND")


def test_task_is_visible_to_every_key_of_its_organization(
    linkup: httpx.Client, client_for: OpenClient, control: EmulatorControl
) -> None:
    control.add_linkup_key("colleague", org="demo-org")
    task = create_task(linkup)
    assert client_for("colleague").get(f"/v1/extract/{task['id']}").status_code == 200


def test_unknown_route_answers_in_linkup_error_shape(linkup: httpx.Client) -> None:
    assert error_of(linkup.get("/v1/nothing-here")) == (404, "NOT_FOUND")
