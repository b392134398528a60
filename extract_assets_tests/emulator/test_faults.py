"""Fault injection: error statuses, slowness, dropped connections, truncated files."""

from __future__ import annotations

import json
import time
from email.utils import formatdate

import httpx
import pytest

from extract_assets.emulator import EmulatorControl, EmulatorControlError
from extract_assets_tests.emulator.helpers import PAST_COMPLETION, create_task, error_of, get_task


@pytest.fixture
def result_url(linkup: httpx.Client, control: EmulatorControl) -> str:
    """The result URL of a completed 40-row task."""
    control.add_linkup_scenario("forty", rows=40)
    task = create_task(linkup, q="forty rows")
    control.advance_clock(PAST_COMPLETION)
    url: str = get_task(linkup, task["id"])["output"]["resultUrl"]
    return url


@pytest.mark.parametrize("status", [500, 502, 503])
def test_status_fault_answers_with_linkup_internal_error_body(
    linkup: httpx.Client, control: EmulatorControl, status: int
) -> None:
    control.add_fault("status", status=status)
    assert error_of(linkup.get("/v1/extract")) == (status, "INTERNAL_SERVER_ERROR")


def test_status_429_fault_is_too_many_requests_with_retry_after_seconds(
    linkup: httpx.Client, control: EmulatorControl
) -> None:
    control.add_fault("status", status=429, retry_after="7")
    response = linkup.get("/v1/extract")
    assert error_of(response) == (429, "TOO_MANY_REQUESTS")
    assert response.headers["retry-after"] == "7"


def test_status_429_fault_has_a_retry_after_by_default(
    linkup: httpx.Client, control: EmulatorControl
) -> None:
    control.add_fault("status", status=429)
    assert linkup.get("/v1/extract").headers["retry-after"] == "1"


def test_retry_after_may_be_an_http_date(linkup: httpx.Client, control: EmulatorControl) -> None:
    when = formatdate(time.time() + 30, usegmt=True)
    control.add_fault("status", status=429, retry_after=when)
    assert linkup.get("/v1/extract").headers["retry-after"] == when


def test_fault_stops_after_its_times(linkup: httpx.Client, control: EmulatorControl) -> None:
    control.add_fault("status", status=503, times=2)
    statuses = [linkup.get("/v1/extract").status_code for _ in range(3)]
    assert statuses == [503, 503, 200]


def test_fault_matches_method_and_path_only(linkup: httpx.Client, control: EmulatorControl) -> None:
    control.add_fault("status", status=500, method="get", path=r"^/v1/extract/[^/]+$")
    task = create_task(linkup)
    assert linkup.get("/v1/extract").status_code == 200
    assert linkup.get(f"/v1/extract/{task['id']}").status_code == 500


def test_fault_for_another_provider_leaves_linkup_alone(
    linkup: httpx.Client, control: EmulatorControl
) -> None:
    control.add_fault("status", status=500, provider="extractto")
    assert linkup.get("/v1/extract").status_code == 200


def test_clear_faults_removes_every_rule(linkup: httpx.Client, control: EmulatorControl) -> None:
    control.add_fault("status", status=500)
    control.clear_faults()
    assert control.faults() == []
    assert linkup.get("/v1/extract").status_code == 200


def test_slow_fault_delays_the_answer(linkup: httpx.Client, control: EmulatorControl) -> None:
    control.add_fault("slow", delay=0.3)
    started = time.monotonic()
    assert linkup.get("/v1/extract").status_code == 200
    assert time.monotonic() - started >= 0.3


def test_slow_fault_trips_a_client_read_timeout(
    linkup: httpx.Client, control: EmulatorControl
) -> None:
    control.add_fault("slow", delay=0.5)
    with pytest.raises(httpx.ReadTimeout):
        linkup.get("/v1/extract", timeout=0.1)
    # The server still answers once the delay is over: wait, or the next test would see the
    # abandoned request in flight.
    deadline = time.monotonic() + 5
    while control.in_flight()["linkup"]["in_flight"] and time.monotonic() < deadline:
        time.sleep(0.02)


def test_drop_fault_breaks_the_client_read_of_a_file(
    result_url: str, control: EmulatorControl
) -> None:
    control.add_fault("drop", path=r"^/files/", after_bytes=100)
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(result_url)


def test_drop_fault_sends_headers_and_the_first_bytes(
    result_url: str, control: EmulatorControl
) -> None:
    whole = httpx.get(result_url).content
    control.add_fault("drop", path=r"^/files/", after_bytes=100)
    received = b""
    with pytest.raises(httpx.RemoteProtocolError), httpx.stream("GET", result_url) as response:
        assert response.status_code == 200
        for chunk in response.iter_raw():
            received += chunk
    assert received == whole[:100]


def test_drop_fault_breaks_a_json_answer_too(
    linkup: httpx.Client, control: EmulatorControl
) -> None:
    control.add_fault("drop", path="^/v1/")
    with pytest.raises(httpx.RemoteProtocolError):
        linkup.get("/v1/extract")


def test_truncate_fault_serves_fewer_lines_as_a_complete_response(
    result_url: str, control: EmulatorControl
) -> None:
    control.add_fault("truncate", keep_fraction=0.25)
    response = httpx.get(result_url)
    assert response.status_code == 200
    assert int(response.headers["content-length"]) == len(response.content)
    lines = response.text.splitlines()
    assert len(lines) == 10
    assert all(isinstance(json.loads(line), dict) for line in lines)


def test_truncate_fault_leaves_api_answers_alone(
    linkup: httpx.Client, control: EmulatorControl
) -> None:
    control.add_fault("truncate", keep_fraction=0.1, times=1)
    assert linkup.get("/v1/extract").json()["metadata"]["total"] == 0
    assert control.faults()[0]["injected"] == 0


def test_probability_is_reproducible_for_the_same_seed(
    linkup: httpx.Client, control: EmulatorControl
) -> None:
    def pattern() -> list[int]:
        control.add_fault("status", status=500, probability=0.5)
        return [linkup.get("/v1/extract").status_code for _ in range(20)]

    first = pattern()
    control.reset()
    assert pattern() == first
    assert set(first) == {200, 500}


def test_injected_fault_is_in_the_request_log(
    linkup: httpx.Client, control: EmulatorControl
) -> None:
    control.add_fault("status", status=503, times=1)
    linkup.get("/v1/extract")
    linkup.get("/v1/extract")
    log = control.requests("linkup")
    assert [(e["status"], e["fault"]) for e in log] == [(503, "status"), (200, None)]


def test_invalid_fault_rule_is_refused(control: EmulatorControl) -> None:
    with pytest.raises(EmulatorControlError, match="keep_fraction"):
        control.add_fault("truncate", keep_fraction=2)
