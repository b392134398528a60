"""Regression: a run request whose answer fails is neither fatal nor paid for twice."""

from collections.abc import Iterator
from typing import Any

import pytest

from extract_assets.core.errors import ServerError
from extract_assets.emulator import EmulatorServer
from extract_assets.extractto.client import ExtractToClient
from extract_assets.extractto.resource import ExtractToResource

KEY = "xt-RUN-REQUEST-11223344556677"
RUN = "^/extracts/[^/]+/run$"


@pytest.fixture
def extract_id(emulator: EmulatorServer) -> str:
    emulator.control.add_extractto_key(key=KEY, role="admin")
    extract: dict[str, Any] = emulator.control.add_extractto_extract(
        "run request", rows_per_day=3, sync_seconds=0.05
    )
    return str(extract["id"])


@pytest.fixture
def client(emulator: EmulatorServer) -> Iterator[ExtractToClient]:
    resource = ExtractToResource(
        api_key=KEY,
        base_url=emulator.base_url("extractto"),
        poll_initial_seconds=0.1,
        poll_max_seconds=0.3,
        max_attempts=3,
        requests_per_minute=None,
    )
    with resource.get_client() as extractto:
        yield extractto


def syncs(emulator: EmulatorServer, extract_id: str) -> list[dict[str, Any]]:
    (extract,) = [e for e in emulator.control.extractto_extracts() if e["id"] == extract_id]
    return [sync for sync in extract["syncs"] if sync["origin"] == "api"]


def run_statuses(emulator: EmulatorServer) -> list[int | None]:
    return [
        r["status"]
        for r in emulator.control.requests("extractto")
        if r["method"] == "POST" and r["path"].endswith("/run")
    ]


def test_a_run_request_refused_with_a_server_error_is_sent_again(
    emulator: EmulatorServer, client: ExtractToClient, extract_id: str
) -> None:
    emulator.control.add_fault("status", method="POST", path=RUN, status=503, times=1)
    extract = client.sync(extract_id, "2026-10-01", "2026-10-02")
    assert extract.status == "active"
    assert run_statuses(emulator) == [503, 200]
    assert len(syncs(emulator, extract_id)) == 1


def test_a_run_accepted_but_whose_answer_was_lost_is_taken_as_ours(
    emulator: EmulatorServer, client: ExtractToClient, extract_id: str
) -> None:
    emulator.control.add_fault("drop", method="POST", path=RUN, after_bytes=10, times=1)
    extract = client.sync(extract_id, "2026-10-01", "2026-10-02")
    assert extract.last_sync is not None
    assert run_statuses(emulator) == [200]
    (sync,) = syncs(emulator, extract_id)
    assert (sync["date_from"], sync["date_to"]) == ("2026-10-01", "2026-10-02")


def test_run_requests_that_keep_failing_fail_the_sync_with_the_providers_answer(
    emulator: EmulatorServer, client: ExtractToClient, extract_id: str
) -> None:
    emulator.control.add_fault("status", method="POST", path=RUN, status=500)
    with pytest.raises(ServerError, match="HTTP 500"):
        client.sync(extract_id, "2026-10-01", "2026-10-02")
    assert run_statuses(emulator) == [500, 500, 500]
    assert syncs(emulator, extract_id) == []


def test_a_sync_under_way_before_a_failed_run_request_is_not_taken_as_ours(
    emulator: EmulatorServer, client: ExtractToClient, extract_id: str
) -> None:
    emulator.control.set_extractto_extract_scenario(extract_id, sync_seconds=0.5)
    emulator.control.sync_extractto_extract(extract_id, "2026-09-01", "2026-09-01")
    emulator.control.add_fault("status", method="POST", path=RUN, status=503, times=1)
    client.sync(extract_id, "2026-10-01", "2026-10-02")
    (sync,) = syncs(emulator, extract_id)
    assert (sync["date_from"], sync["date_to"]) == ("2026-10-01", "2026-10-02")
