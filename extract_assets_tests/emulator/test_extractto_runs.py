"""Extract.to connection runs: queued → running → succeeded | failed | cancelled on the clock."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from extract_assets.emulator import EmulatorControl, EmulatorServer

RUN_FIELDS = {"id", "connection_id", "status", "started_at", "finished_at", "error", "rows_synced"}
# Past the default queued (0.5 s) and running (2 s) times.
PAST_QUEUE = 0.51
PAST_RUN = 2.51


@pytest.fixture
def api(emulator: EmulatorServer) -> Iterator[httpx.Client]:
    """A client of the emulated Extract.to API with the default (admin) key."""
    headers = {"Authorization": "Bearer demo-extractto-key"}
    with httpx.Client(base_url=emulator.base_url("extractto"), headers=headers) as client:
        yield client


@pytest.fixture
def connection(control: EmulatorControl) -> str:
    """The id of the demo HubSpot connection."""
    return control.extractto_demo()["hubspot_connection_id"]


def start(api: httpx.Client, connection: str) -> dict[str, Any]:
    """POST /connections/{id}/run, failing the test unless it is accepted."""
    response = api.post(f"/connections/{connection}/run")
    assert response.status_code == 202, response.text
    run: dict[str, Any] = response.json()
    return run


def get_run(api: httpx.Client, connection: str, run_id: str) -> dict[str, Any]:
    """GET /connections/{id}/runs/{run_id}."""
    found: dict[str, Any] = api.get(f"/connections/{connection}/runs/{run_id}").json()
    return found


def test_run_is_accepted_queued(api: httpx.Client, connection: str) -> None:
    run = start(api, connection)
    assert set(run) == RUN_FIELDS
    assert (run["connection_id"], run["status"]) == (connection, "queued")
    assert (run["started_at"], run["finished_at"], run["rows_synced"]) == (None, None, None)


def test_run_moves_to_running_then_succeeds_with_its_row_count(
    api: httpx.Client, frozen: EmulatorControl, connection: str
) -> None:
    run = start(api, connection)
    frozen.advance_clock(PAST_QUEUE)
    running = get_run(api, connection, run["id"])
    assert (running["status"], running["finished_at"]) == ("running", None)
    assert running["started_at"] is not None
    frozen.advance_clock(2)
    done = get_run(api, connection, run["id"])
    assert (done["status"], done["error"]) == ("succeeded", None)
    assert done["finished_at"] > done["started_at"] and done["rows_synced"] > 0


def test_run_requested_while_one_is_active_is_409(
    api: httpx.Client, frozen: EmulatorControl, connection: str
) -> None:
    start(api, connection)
    frozen.advance_clock(PAST_QUEUE)
    response = api.post(f"/connections/{connection}/run")
    assert (response.status_code, response.json()) == (
        409,
        {"detail": "A run is already in progress for this connection"},
    )


def test_run_after_the_previous_one_finished_is_accepted(
    api: httpx.Client, frozen: EmulatorControl, connection: str
) -> None:
    start(api, connection)
    frozen.advance_clock(PAST_RUN)
    assert start(api, connection)["status"] == "queued"


def test_runs_of_other_connections_do_not_block(
    api: httpx.Client, control: EmulatorControl, connection: str
) -> None:
    start(api, connection)
    start(api, control.extractto_demo()["google_ads_connection_id"])


def test_failure_scenario_ends_the_run_failed_with_its_error(
    api: httpx.Client, frozen: EmulatorControl, connection: str
) -> None:
    frozen.set_extractto_connection_scenario(
        connection, outcome="failed", error="HubSpot: token revoked"
    )
    run = start(api, connection)
    frozen.advance_clock(PAST_RUN)
    failed = get_run(api, connection, run["id"])
    assert (failed["status"], failed["error"], failed["rows_synced"]) == (
        "failed",
        "HubSpot: token revoked",
        0,
    )


def test_cancel_scenario_ends_the_run_cancelled(
    api: httpx.Client, frozen: EmulatorControl, connection: str
) -> None:
    frozen.set_extractto_connection_scenario(connection, outcome="cancelled")
    run = start(api, connection)
    frozen.advance_clock(PAST_RUN)
    assert get_run(api, connection, run["id"])["status"] == "cancelled"


def test_scenario_durations_and_row_count_apply(
    api: httpx.Client, frozen: EmulatorControl, connection: str
) -> None:
    frozen.set_extractto_connection_scenario(
        connection, queued_seconds=0, running_seconds=60, rows_synced=1234
    )
    run = start(api, connection)
    frozen.advance_clock(59)
    assert get_run(api, connection, run["id"])["status"] == "running"
    frozen.advance_clock(1.01)
    assert get_run(api, connection, run["id"])["rows_synced"] == 1234


def test_run_durations_are_settable_for_every_connection(
    api: httpx.Client, frozen: EmulatorControl, connection: str
) -> None:
    frozen.extractto_settings(run_queued_seconds=10, run_running_seconds=10)
    run = start(api, connection)
    frozen.advance_clock(9)
    assert get_run(api, connection, run["id"])["status"] == "queued"


def test_runs_are_listed_newest_first(
    api: httpx.Client, frozen: EmulatorControl, connection: str
) -> None:
    first = start(api, connection)
    frozen.advance_clock(PAST_RUN)
    second = start(api, connection)
    listed = api.get(f"/connections/{connection}/runs").json()
    assert [r["id"] for r in listed["data"]] == [second["id"], first["id"]]
    assert listed["next_cursor"] is None


def test_runs_list_pages_newest_first(
    api: httpx.Client, frozen: EmulatorControl, connection: str
) -> None:
    ids = []
    for _ in range(3):
        ids.append(start(api, connection)["id"])
        frozen.advance_clock(PAST_RUN)
    page = api.get(f"/connections/{connection}/runs", params={"limit": 2}).json()
    rest = api.get(
        f"/connections/{connection}/runs", params={"limit": 2, "cursor": page["next_cursor"]}
    ).json()
    assert [r["id"] for r in page["data"] + rest["data"]] == ids[::-1]


def test_unknown_run_is_404(api: httpx.Client, connection: str) -> None:
    response = api.get(f"/connections/{connection}/runs/00000000-0000-4000-8000-000000000000")
    assert (response.status_code, response.json()) == (404, {"detail": "Run not found"})


def test_run_past_max_runs_per_month_is_402(
    api: httpx.Client, control: EmulatorControl, connection: str
) -> None:
    control.extractto_plan(max_runs_per_month=0)
    response = api.post(f"/connections/{connection}/run")
    assert (response.status_code, response.json()["detail"]) == (
        402,
        "Plan limit reached: max_runs_per_month (0/0)",
    )


def test_connection_with_a_run_under_way_cannot_be_deleted(
    api: httpx.Client, control: EmulatorControl
) -> None:
    connection = control.add_extractto_connection("Disposable")["id"]
    start(api, connection)
    assert api.delete(f"/connections/{connection}").status_code == 400
