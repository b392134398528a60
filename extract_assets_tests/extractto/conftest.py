import time
from collections.abc import Callable, Iterator
from typing import Any

import dagster as dg
import httpx
import pytest

from extract_assets.emulator import EmulatorServer
from extract_assets.extractto.client import ExtractToClient
from extract_assets.extractto.resource import ExtractToResource

# A key shaped like a real one, so a leak of it anywhere is unmistakable.
SECRET_KEY = "xt-SECRET-5a4b3c2d1e0f99887766"


@pytest.fixture
def extractto_url(emulator: EmulatorServer) -> str:
    """Base URL of the emulated Extract.to API."""
    return emulator.base_url("extractto")


@pytest.fixture
def demo(emulator: EmulatorServer) -> dict[str, str]:
    """Ids of the seeded demo account: connections, extract, data table."""
    return emulator.control.extractto_demo()


@pytest.fixture
def quick_emulator(emulator: EmulatorServer) -> EmulatorServer:
    """Syncs and connection runs that take a fraction of a second (the reset restores them)."""
    emulator.control.extractto_settings(
        sync_seconds=0.05, run_queued_seconds=0.0, run_running_seconds=0.05
    )
    return emulator


@pytest.fixture
def small_extract(quick_emulator: EmulatorServer) -> dict[str, Any]:
    """An extract writing 10 rows per day for its one account."""
    return quick_emulator.control.add_extractto_extract("Ten a day", rows_per_day=10)


@pytest.fixture
def secret_key(quick_emulator: EmulatorServer) -> str:
    """An admin key with Billing permission, issued now."""
    quick_emulator.control.add_extractto_key(key=SECRET_KEY, role="admin", billing=True)
    return SECRET_KEY


@pytest.fixture
def fast_resource(extractto_url: str, secret_key: str) -> ExtractToResource:
    """The resource as a user configures it, with waits short enough for tests."""
    return ExtractToResource(
        api_key=secret_key,
        base_url=extractto_url,
        poll_initial_seconds=0.1,
        poll_max_seconds=0.3,
        poll_timeout_seconds=60,
        retry_deadline_seconds=30,
        requests_per_minute=None,
    )


@pytest.fixture
def client(fast_resource: ExtractToResource) -> Iterator[ExtractToClient]:
    with fast_resource.get_client() as extractto:
        yield extractto


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    """An in-memory instance: runs start several times faster than on a sqlite one."""
    with dg.DagsterInstance.ephemeral() as ephemeral:
        yield ephemeral


def served_rows(base_url: str, table_id: str, date_from: str, date_to: str) -> list[dict[str, Any]]:
    """The rows the emulator serves for the dates, read page by page without our client."""
    rows: list[dict[str, Any]] = []
    params = {"date_from": date_from, "date_to": date_to, "limit": "10000"}
    headers = {"Authorization": f"Bearer {SECRET_KEY}"}
    with httpx.Client(base_url=base_url, headers=headers) as http:
        while True:
            body = (
                http.get(f"/data-tables/{table_id}/rows", params=params).raise_for_status().json()
            )
            rows += body["data"]
            if not body["next_cursor"]:
                return rows
            params["cursor"] = body["next_cursor"]


def calls(emulator: EmulatorServer, method: str, path_suffix: str) -> list[dict[str, Any]]:
    """The Extract.to requests with this method whose path ends with `path_suffix`."""
    return [
        r
        for r in emulator.control.requests("extractto")
        if r["method"] == method and str(r["path"]).endswith(path_suffix)
    ]


def run_requests(emulator: EmulatorServer, extract_id: str) -> list[dict[str, Any]]:
    """Every `POST /extracts/{id}/run` the emulator received, in order."""
    return calls(emulator, "POST", f"/extracts/{extract_id}/run")


def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Wait for something another thread does; a generous limit, so never a timing assertion."""
    give_up = time.monotonic() + 30
    while not condition():
        if time.monotonic() > give_up:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.05)
