"""Result files: pre-signed URLs outside the API, exact line counts, deterministic bytes."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from extract_assets.emulator import EmulatorControl
from extract_assets_tests.emulator.helpers import PAST_COMPLETION, create_task, get_task

ROW_SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "joined": {"type": "string", "format": "date"},
        "seniority": {"enum": ["junior", "senior"]},
    },
    "required": ["name", "seniority"],
}


def completed(
    linkup: httpx.Client, control: EmulatorControl, q: str = "All team members", **body: Any
) -> dict[str, Any]:
    """Create a task, move the clock past its completion and return it."""
    task = create_task(linkup, q=q, **body)
    control.advance_clock(PAST_COMPLETION)
    return get_task(linkup, task["id"])


def test_result_url_is_on_the_emulator_host_outside_the_api_prefix(
    linkup: httpx.Client, control: EmulatorControl, linkup_url: str
) -> None:
    url = httpx.URL(completed(linkup, control)["output"]["resultUrl"])
    assert url.host == httpx.URL(linkup_url).host
    assert url.path.startswith("/files/linkup/") and url.path.endswith(".ndjson")


def test_file_has_exactly_rows_returned_lines_each_a_json_object(
    linkup: httpx.Client, control: EmulatorControl
) -> None:
    output = completed(linkup, control)["output"]
    response = httpx.get(output["resultUrl"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-ndjson"
    assert int(response.headers["content-length"]) == len(response.content)
    assert response.text.endswith("\n")
    lines = response.text.splitlines()
    assert len(lines) == output["rowsReturned"]
    assert all(isinstance(json.loads(line), dict) for line in lines)


def test_zero_rows_is_an_empty_file(linkup: httpx.Client, control: EmulatorControl) -> None:
    control.add_linkup_scenario("nobody", rows=0)
    output = completed(linkup, control, q="nobody here")["output"]
    assert output["rowsReturned"] == 0
    assert httpx.get(output["resultUrl"]).content == b""


def test_same_inputs_give_byte_identical_files(
    linkup: httpx.Client, control: EmulatorControl
) -> None:
    first = completed(linkup, control, schema=ROW_SCHEMA)["output"]["resultUrl"]
    second = completed(linkup, control, schema=ROW_SCHEMA)["output"]["resultUrl"]
    assert first != second
    assert httpx.get(first).content == httpx.get(second).content


def test_other_query_gives_other_rows(linkup: httpx.Client, control: EmulatorControl) -> None:
    control.add_linkup_scenario("members", rows=10)
    first = completed(linkup, control, q="Team members")["output"]["resultUrl"]
    second = completed(linkup, control, q="Board members")["output"]["resultUrl"]
    assert httpx.get(first).content != httpx.get(second).content


def test_rows_follow_the_schema(linkup: httpx.Client, control: EmulatorControl) -> None:
    url = completed(linkup, control, schema=json.dumps(ROW_SCHEMA))["output"]["resultUrl"]
    for row in map(json.loads, httpx.get(url).text.splitlines()):
        assert set(row) <= {"name", "joined", "seniority"}
        assert isinstance(row["name"], str) and row["seniority"] in ("junior", "senior")


def test_rows_without_schema_gain_a_key_halfway(
    linkup: httpx.Client, control: EmulatorControl
) -> None:
    control.add_linkup_scenario("people", rows=20)
    url = completed(linkup, control, q="people")["output"]["resultUrl"]
    rows = [json.loads(line) for line in httpx.get(url).text.splitlines()]
    assert all("email" not in row for row in rows[:10])
    assert all("email" in row for row in rows[10:])
    assert all({"name", "role", "profileUrl"} <= set(row) for row in rows)


def test_every_get_of_the_task_mints_a_fresh_url(
    linkup: httpx.Client, frozen: EmulatorControl
) -> None:
    task = completed(linkup, frozen)
    frozen.advance_clock(5)
    again = get_task(linkup, task["id"])
    first, second = (httpx.URL(t["output"]["resultUrl"]) for t in (task, again))
    assert first != second
    assert int(second.params["expires"]) - int(first.params["expires"]) == 5


def test_url_expires_after_its_ttl_with_403_and_a_fresh_one_works(
    linkup: httpx.Client, control: EmulatorControl
) -> None:
    control.linkup_settings(result_url_ttl=60)
    task = completed(linkup, control)
    control.advance_clock(61)
    assert httpx.get(task["output"]["resultUrl"]).status_code == 403
    assert httpx.get(get_task(linkup, task["id"])["output"]["resultUrl"]).status_code == 200


def test_url_is_valid_for_24_hours_by_default(
    linkup: httpx.Client, control: EmulatorControl
) -> None:
    url = completed(linkup, control)["output"]["resultUrl"]
    control.advance_clock(23 * 3600)
    assert httpx.get(url).status_code == 200
    control.advance_clock(3600)
    assert httpx.get(url).status_code == 403


@pytest.mark.parametrize("tamper", ["sig", "expires"])
def test_tampered_url_is_403(linkup: httpx.Client, control: EmulatorControl, tamper: str) -> None:
    url = httpx.URL(completed(linkup, control)["output"]["resultUrl"])
    value = url.params[tamper]
    changed = str(int(value) + 1) if tamper == "expires" else value[::-1]
    assert httpx.get(url.copy_set_param(tamper, changed)).status_code == 403


def test_authorization_header_on_the_file_is_400(
    linkup: httpx.Client, control: EmulatorControl, linkup_key: str
) -> None:
    url = completed(linkup, control)["output"]["resultUrl"]
    response = httpx.get(url, headers={"Authorization": f"Bearer {linkup_key}"})
    assert response.status_code == 400


def test_file_supports_range_requests(linkup: httpx.Client, control: EmulatorControl) -> None:
    url = completed(linkup, control)["output"]["resultUrl"]
    whole = httpx.get(url).content
    part = httpx.get(url, headers={"Range": "bytes=0-9"})
    assert (part.status_code, part.content) == (206, whole[:10])
