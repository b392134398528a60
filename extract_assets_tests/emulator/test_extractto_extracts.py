"""Extract.to extracts: create, update, pause, the run state machine, plan limits, usage."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from extract_assets.emulator import EmulatorControl, EmulatorControlError, EmulatorServer

EXTRACT_FIELDS = {
    "id",
    "title",
    "connection_id",
    "account_id",
    "account_name",
    "created_at",
    "last_sync",
    "status",
    "error_text",
    "schedules_limit",
    "sync_historical_data",
    "data_table_id",
    "template_id",
}
# Just past the default sync time of one second.
PAST_SYNC = 1.01


@pytest.fixture
def api(emulator: EmulatorServer) -> Iterator[httpx.Client]:
    """A client of the emulated Extract.to API with the default (admin) key."""
    headers = {"Authorization": "Bearer demo-extractto-key"}
    with httpx.Client(base_url=emulator.base_url("extractto"), headers=headers) as client:
        yield client


@pytest.fixture
def demo(control: EmulatorControl) -> dict[str, str]:
    """Ids of the demo resources."""
    return control.extractto_demo()


def create_body(demo: dict[str, str], **overrides: Any) -> dict[str, Any]:
    """A valid POST /extracts body over the demo account."""
    account = {"connection_id": demo["google_ads_connection_id"], "account_id": demo["account_id"]}
    body = {"data_table_title": "Campaigns", "template_id": "tpl-campaigns", "accounts": [account]}
    return body | overrides


def create_extract(api: httpx.Client, demo: dict[str, str], **overrides: Any) -> dict[str, Any]:
    """POST /extracts, failing the test unless it is created."""
    response = api.post("/extracts", json=create_body(demo, **overrides))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def run(api: httpx.Client, extract_id: str, **dates: str) -> httpx.Response:
    """POST /extracts/{id}/run with the given dates (no body without any)."""
    return api.post(f"/extracts/{extract_id}/run", json=dates or None)


def get(api: httpx.Client, extract_id: str) -> dict[str, Any]:
    """GET /extracts/{id}."""
    found: dict[str, Any] = api.get(f"/extracts/{extract_id}").json()
    return found


def detail(response: httpx.Response) -> tuple[int, str]:
    """Status and `detail` of an error answer."""
    return response.status_code, response.json()["detail"]


def moment(text: str) -> datetime:
    """An ISO date-time with a `Z`."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_created_extract_has_exactly_the_documented_and_designed_fields(
    api: httpx.Client, demo: dict[str, str]
) -> None:
    extract = create_extract(api, demo)
    assert set(extract) == EXTRACT_FIELDS
    assert (extract["status"], extract["last_sync"], extract["error_text"]) == (
        "active",
        None,
        None,
    )
    assert (extract["title"], extract["template_id"]) == ("Campaigns", "tpl-campaigns")
    assert (extract["account_id"], extract["account_name"]) == (
        demo["account_id"],
        demo["account_name"],
    )


def test_created_extract_gets_an_empty_data_table(api: httpx.Client, demo: dict[str, str]) -> None:
    extract = create_extract(api, demo, fields=["campaign_id", "clicks"])
    table = api.get(f"/data-tables/{extract['data_table_id']}").json()
    assert (table["title"], table["extract_id"], table["row_count"]) == (
        "Campaigns",
        extract["id"],
        0,
    )
    names = [c["name"] for c in table["columns"]]
    assert names == ["date", "account_id", "account_name", "campaign_id", "clicks", "__insert_date"]


def test_created_extract_is_listed_and_read_back(api: httpx.Client, demo: dict[str, str]) -> None:
    extract = create_extract(api, demo)
    assert get(api, extract["id"]) == extract
    assert [e["id"] for e in api.get("/extracts").json()["data"]][-1] == extract["id"]


def test_accounts_of_two_connections_are_400(
    api: httpx.Client, demo: dict[str, str], control: EmulatorControl
) -> None:
    other = control.add_extractto_connection("Other ads")
    accounts = [
        {"connection_id": demo["google_ads_connection_id"], "account_id": demo["account_id"]},
        {"connection_id": other["id"], "account_id": other["accounts"][0]["id"]},
    ]
    response = api.post("/extracts", json=create_body(demo, accounts=accounts))
    assert detail(response) == (400, "All accounts must belong to one connection")


def test_account_the_connection_cannot_reach_is_400(
    api: httpx.Client, demo: dict[str, str]
) -> None:
    accounts = [{"connection_id": demo["google_ads_connection_id"], "account_id": "999"}]
    response = api.post("/extracts", json=create_body(demo, accounts=accounts))
    assert response.status_code == 400


@pytest.mark.parametrize("missing", ["data_table_title", "template_id", "accounts"])
def test_create_without_a_required_name_is_400(
    api: httpx.Client, demo: dict[str, str], missing: str
) -> None:
    body = create_body(demo)
    del body[missing]
    response = api.post("/extracts", json=body)
    assert response.status_code == 400 and missing in response.json()["detail"]


def test_create_past_max_extracts_is_402(
    api: httpx.Client, demo: dict[str, str], control: EmulatorControl
) -> None:
    control.extractto_plan(max_extracts=2)
    create_extract(api, demo)
    response = api.post("/extracts", json=create_body(demo))
    assert detail(response) == (402, "Plan limit reached: max_extracts (2/2)")


def test_create_with_more_schedules_than_the_limit_is_402(
    api: httpx.Client, demo: dict[str, str], control: EmulatorControl
) -> None:
    control.extractto_plan(schedules_limit=1)
    response = api.post("/extracts", json=create_body(demo, schedules=["daily", "hourly"]))
    assert detail(response) == (402, "Schedules limit reached: 2 schedules > schedules_limit 1")


def test_update_with_more_schedules_than_the_extract_limit_is_402(
    api: httpx.Client, demo: dict[str, str]
) -> None:
    extract = create_extract(api, demo, schedules=[{"cron": "0 6 * * *"}])
    schedules = [{"cron": f"0 {h} * * *"} for h in range(extract["schedules_limit"] + 1)]
    response = api.patch(f"/extracts/{extract['id']}", json={"schedules": schedules})
    assert response.status_code == 402
    assert response.json()["detail"].startswith("Schedules limit reached: ")


def test_put_replaces_every_updatable_attribute(
    api: httpx.Client, demo: dict[str, str], control: EmulatorControl
) -> None:
    extract = create_extract(api, demo, fields=["campaign_id"], sync_historical_data="2025-02-25")
    response = api.put(f"/extracts/{extract['id']}", json={"fields": ["clicks", "cost"]})
    assert response.json()["sync_historical_data"] is None
    (stored,) = [e for e in control.extractto_extracts() if e["id"] == extract["id"]]
    assert (stored["fields"], stored["additional_params"]) == (["clicks", "cost"], {})


def test_patch_changes_only_what_is_sent(
    api: httpx.Client, demo: dict[str, str], control: EmulatorControl
) -> None:
    extract = create_extract(
        api, demo, fields=["campaign_id"], additional_params={"network": "search"}
    )
    response = api.patch(f"/extracts/{extract['id']}", json={"sync_historical_data": "2025-02-25"})
    assert response.json()["sync_historical_data"] == "2025-02-25"
    (stored,) = [e for e in control.extractto_extracts() if e["id"] == extract["id"]]
    assert (stored["fields"], stored["additional_params"]) == (
        ["campaign_id"],
        {"network": "search"},
    )


def test_patch_may_clear_sync_historical_data_but_not_fields(
    api: httpx.Client, demo: dict[str, str]
) -> None:
    extract = create_extract(api, demo, sync_historical_data="2025-02-25")
    cleared = api.patch(f"/extracts/{extract['id']}", json={"sync_historical_data": None})
    assert cleared.json()["sync_historical_data"] is None
    assert api.patch(f"/extracts/{extract['id']}", json={"fields": None}).status_code == 400


@pytest.mark.parametrize("fields", [[], ["clicks", "clicks"], ["date"], ["__insert_date"]])
def test_fields_that_cannot_be_columns_are_400(
    api: httpx.Client, demo: dict[str, str], fields: list[str]
) -> None:
    assert api.post("/extracts", json=create_body(demo, fields=fields)).status_code == 400


def test_sync_historical_data_must_be_an_iso_date(api: httpx.Client, demo: dict[str, str]) -> None:
    body = create_body(demo, sync_historical_data="25/02/2025")
    assert api.post("/extracts", json=body).status_code == 400


def test_pause_and_unpause_switch_between_paused_and_active(
    api: httpx.Client, demo: dict[str, str]
) -> None:
    extract_id = demo["extract_id"]
    assert api.post(f"/extracts/{extract_id}/pause").json()["status"] == "paused"
    assert get(api, extract_id)["status"] == "paused"
    assert api.post(f"/extracts/{extract_id}/unpause").json()["status"] == "active"


def test_run_answers_the_extract_syncing(api: httpx.Client, demo: dict[str, str]) -> None:
    response = run(api, demo["extract_id"], date_from="2026-01-01", date_to="2026-01-03")
    assert response.status_code == 200
    assert set(response.json()) == EXTRACT_FIELDS
    assert response.json()["status"] == "syncing"


def test_run_ends_active_with_last_sync_when_the_sync_finished(
    api: httpx.Client, demo: dict[str, str], frozen: EmulatorControl
) -> None:
    asked = frozen.now()
    run(api, demo["extract_id"])
    frozen.advance_clock(0.99)
    assert get(api, demo["extract_id"])["status"] == "syncing"
    frozen.advance_clock(0.02)
    done = get(api, demo["extract_id"])
    assert (done["status"], done["error_text"]) == ("active", None)
    assert moment(done["last_sync"]) == asked + timedelta(seconds=1)


def test_second_run_while_syncing_is_400(api: httpx.Client, demo: dict[str, str]) -> None:
    run(api, demo["extract_id"])
    assert detail(run(api, demo["extract_id"])) == (400, "Extract is already syncing")


def test_run_after_the_sync_finished_is_accepted(
    api: httpx.Client, demo: dict[str, str], frozen: EmulatorControl
) -> None:
    run(api, demo["extract_id"])
    frozen.advance_clock(PAST_SYNC)
    assert run(api, demo["extract_id"]).status_code == 200


def test_failure_scenario_ends_the_sync_in_error_with_its_text(
    api: httpx.Client, demo: dict[str, str], frozen: EmulatorControl
) -> None:
    frozen.set_extractto_extract_scenario(
        demo["extract_id"], fail="Google Ads API: quota exhausted"
    )
    asked = frozen.now()
    run(api, demo["extract_id"])
    frozen.advance_clock(PAST_SYNC)
    failed = get(api, demo["extract_id"])
    assert (failed["status"], failed["error_text"]) == ("error", "Google Ads API: quota exhausted")
    assert moment(failed["last_sync"]) > asked


def test_clearing_the_failure_lets_the_next_sync_succeed(
    api: httpx.Client, demo: dict[str, str], frozen: EmulatorControl
) -> None:
    frozen.set_extractto_extract_scenario(demo["extract_id"], fail="boom")
    run(api, demo["extract_id"])
    frozen.advance_clock(PAST_SYNC)
    frozen.set_extractto_extract_scenario(demo["extract_id"], clear_fail=True)
    run(api, demo["extract_id"])
    frozen.advance_clock(PAST_SYNC)
    assert (get(api, demo["extract_id"])["status"], get(api, demo["extract_id"])["error_text"]) == (
        "active",
        None,
    )


def test_paused_extract_can_still_be_run_and_stays_paused(
    api: httpx.Client, demo: dict[str, str], frozen: EmulatorControl
) -> None:
    api.post(f"/extracts/{demo['extract_id']}/pause")
    assert run(api, demo["extract_id"]).json()["status"] == "syncing"
    frozen.advance_clock(PAST_SYNC)
    done = get(api, demo["extract_id"])
    assert (done["status"], done["last_sync"] is not None) == ("paused", True)


@pytest.mark.parametrize(
    "dates",
    [
        {"date_from": "2026/01/01"},
        {"date_to": "20260101"},
        {"date_from": "2026-01-01T00:00:00"},
        {"date_from": "2026-02-30"},
        {"date_from": 20260101},
    ],
)
def test_run_with_a_date_that_is_not_iso_is_400(
    api: httpx.Client, demo: dict[str, str], dates: dict[str, Any]
) -> None:
    response = api.post(f"/extracts/{demo['extract_id']}/run", json=dates)
    assert response.status_code == 400
    assert get(api, demo["extract_id"])["status"] == "active"


def test_run_with_date_from_after_date_to_is_400(api: httpx.Client, demo: dict[str, str]) -> None:
    response = run(api, demo["extract_id"], date_from="2026-01-05", date_to="2026-01-04")
    assert detail(response) == (400, "date_from must not be after date_to")


def test_sync_lasts_the_configured_seconds(
    api: httpx.Client, demo: dict[str, str], frozen: EmulatorControl
) -> None:
    frozen.extractto_settings(sync_seconds=30)
    run(api, demo["extract_id"])
    frozen.advance_clock(29)
    assert get(api, demo["extract_id"])["status"] == "syncing"
    frozen.advance_clock(1.01)
    assert get(api, demo["extract_id"])["status"] == "active"


def test_run_past_max_runs_per_month_is_402(
    api: httpx.Client, demo: dict[str, str], frozen: EmulatorControl
) -> None:
    frozen.extractto_plan(max_runs_per_month=1)
    run(api, demo["extract_id"])
    frozen.advance_clock(PAST_SYNC)
    response = run(api, demo["extract_id"])
    assert detail(response) == (402, "Plan limit reached: max_runs_per_month (1/1)")


def test_outside_sync_makes_the_extract_syncing_and_refuses_a_client_run(
    api: httpx.Client, demo: dict[str, str], frozen: EmulatorControl
) -> None:
    synced = frozen.sync_extractto_extract(demo["extract_id"], "2026-01-01", "2026-01-01")
    assert synced["syncs"][-1]["origin"] == "schedule"
    assert get(api, demo["extract_id"])["status"] == "syncing"
    assert detail(run(api, demo["extract_id"])) == (400, "Extract is already syncing")
    frozen.advance_clock(PAST_SYNC)
    assert get(api, demo["extract_id"])["last_sync"] is not None


def test_outside_sync_while_syncing_is_refused(
    api: httpx.Client, demo: dict[str, str], control: EmulatorControl
) -> None:
    run(api, demo["extract_id"])
    with pytest.raises(EmulatorControlError, match="already syncing"):
        control.sync_extractto_extract(demo["extract_id"])


def test_request_log_counts_the_run_requests(
    api: httpx.Client, demo: dict[str, str], control: EmulatorControl
) -> None:
    run(api, demo["extract_id"])
    run(api, demo["extract_id"])
    path = f"/extracts/{demo['extract_id']}/run"
    runs = [e for e in control.requests("extractto") if e["path"] == path]
    assert [(e["method"], e["status"]) for e in runs] == [("POST", 200), ("POST", 400)]


def test_control_extract_has_its_scenario_and_sync_history(
    api: httpx.Client, frozen: EmulatorControl
) -> None:
    extract = frozen.add_extractto_extract(
        "Quick", account_id="555-000-1111", rows_per_day=3, sync_seconds=5, fail="nope"
    )
    assert (extract["account_id"], extract["account_name"]) == (
        "555-000-1111",
        "Account (555-000-1111)",
    )
    run(api, extract["id"])
    frozen.advance_clock(5.01)
    (stored,) = [e for e in frozen.extractto_extracts() if e["id"] == extract["id"]]
    assert (stored["status"], stored["error_text"]) == ("error", "nope")
    assert [s["origin"] for s in stored["syncs"]] == ["api"]


def test_usage_counts_extracts_runs_and_synced_rows(
    api: httpx.Client, frozen: EmulatorControl
) -> None:
    extract = frozen.add_extractto_extract("Counted", rows_per_day=4)
    run(api, extract["id"], date_from="2026-01-01", date_to="2026-01-03")
    frozen.advance_clock(PAST_SYNC)
    usage = api.get("/usage").json()
    assert (usage["extracts_used"], usage["runs_this_month"]) == (2, 1)
    assert usage["rows_synced_this_month"] == 12
