"""The request log the control API serves."""

from __future__ import annotations

import httpx

from extract_assets.emulator import EmulatorControl
from extract_assets_tests.emulator.helpers import PAST_COMPLETION, create_task, get_task


def test_log_records_each_api_request(linkup: httpx.Client, control: EmulatorControl) -> None:
    linkup.get("/v1/extract", params={"page": 2})
    (entry,) = control.requests("linkup")
    assert entry["provider"] == "linkup"
    assert (entry["method"], entry["path"], entry["query"]) == ("GET", "/v1/extract", {"page": "2"})
    assert (entry["status"], entry["authorization"], entry["fault"]) == (200, True, None)
    assert entry["time"].endswith("Z")


def test_log_records_file_downloads_and_whether_a_key_was_sent(
    linkup: httpx.Client, control: EmulatorControl
) -> None:
    task = create_task(linkup)
    control.advance_clock(PAST_COMPLETION)
    httpx.get(get_task(linkup, task["id"])["output"]["resultUrl"])
    download = control.requests("linkup")[-1]
    assert download["path"] == f"/files/{task['id']}.ndjson"
    assert (download["authorization"], download["status"]) == (False, 200)
    assert set(download["query"]) == {"expires", "sig"}


def test_log_records_rejected_requests(linkup_url: str, control: EmulatorControl) -> None:
    httpx.get(f"{linkup_url}/v1/extract")
    (entry,) = control.requests()
    assert (entry["status"], entry["authorization"]) == (401, False)


def test_log_filters_by_provider(linkup: httpx.Client, control: EmulatorControl) -> None:
    linkup.get("/v1/extract")
    assert control.requests("extractto") == []
    assert len(control.requests("linkup")) == 1


def test_control_requests_are_not_logged(control: EmulatorControl) -> None:
    control.health()
    assert control.requests() == []


def test_reset_clears_the_log(linkup: httpx.Client, control: EmulatorControl) -> None:
    linkup.get("/v1/extract")
    control.reset()
    assert control.requests() == []
