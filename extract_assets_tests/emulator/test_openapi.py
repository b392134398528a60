"""Every kind of Linkup answer validates against the copy of the reconstructed OpenAPI."""

from __future__ import annotations

import httpx
import pytest

from extract_assets.emulator import EmulatorControl
from extract_assets_tests.emulator.helpers import TEAM_URL, create_task, get_task
from extract_assets_tests.emulator.openapi import assert_matches

ROW_SCHEMA = {"type": "object", "properties": {"name": {"type": "string"}}}


def test_created_task_matches(linkup: httpx.Client) -> None:
    assert_matches(create_task(linkup, schema=ROW_SCHEMA, verifyUrls=True), "ExtractTaskOutput")


@pytest.mark.parametrize("seconds", [0.5, 2.0])
def test_processing_and_completed_tasks_match(
    linkup: httpx.Client, frozen: EmulatorControl, seconds: float
) -> None:
    task = create_task(linkup)
    frozen.advance_clock(seconds)
    assert_matches(get_task(linkup, task["id"]), "ExtractTaskOutput")


def test_failed_task_matches(linkup: httpx.Client, control: EmulatorControl) -> None:
    control.add_linkup_scenario("doomed", fail="Nothing to extract.")
    task = create_task(linkup, q="doomed")
    control.advance_clock(2)
    failed = get_task(linkup, task["id"])
    assert failed["status"] == "failed"
    assert_matches(failed, "ExtractTaskOutput")


def test_task_list_matches(linkup: httpx.Client, control: EmulatorControl) -> None:
    create_task(linkup)
    control.advance_clock(2)
    create_task(linkup)
    assert_matches(linkup.get("/v1/extract").json(), "ExtractTaskList")


def test_empty_task_list_matches(linkup: httpx.Client) -> None:
    assert_matches(linkup.get("/v1/extract").json(), "ExtractTaskList")


@pytest.mark.parametrize(
    ("method", "path", "body", "key"),
    [
        ("POST", "/v1/extract", {"q": "", "url": TEAM_URL}, "demo-linkup-key"),
        ("GET", "/v1/extract", None, "wrong-key"),
        ("GET", "/v1/extract/unknown", None, "demo-linkup-key"),
        ("GET", "/v1/extract", None, "beta-less"),
        ("POST", "/v1/extract", {"q": "x", "url": TEAM_URL}, "broke"),
    ],
    ids=["400", "401", "404", "403", "429"],
)
def test_error_answers_match(
    linkup_url: str,
    control: EmulatorControl,
    method: str,
    path: str,
    body: dict[str, str] | None,
    key: str,
) -> None:
    control.add_linkup_key("beta-less", extract_enabled=False)
    control.add_linkup_key("broke", credits=0)
    headers = {"Authorization": f"Bearer {key}"}
    response = httpx.request(method, f"{linkup_url}{path}", json=body, headers=headers)
    assert response.is_error
    assert_matches(response.json(), "ErrorResponse")


def test_injected_fault_body_matches(linkup: httpx.Client, control: EmulatorControl) -> None:
    control.add_fault("status", status=503)
    assert_matches(linkup.get("/v1/extract").json(), "ErrorResponse")
