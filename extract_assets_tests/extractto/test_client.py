import logging
import pickle
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest

from extract_assets.core.errors import (
    AuthenticationError,
    ConflictError,
    InvalidArgumentError,
    NotFoundError,
    PaymentRequiredError,
    PermissionDeniedError,
)
from extract_assets.emulator import EmulatorServer
from extract_assets.emulator.extractto.cursors import INVALID_CURSOR
from extract_assets.extractto.client import ExtractSyncFailedError, ExtractToClient
from extract_assets.extractto.contract import KEY_PAGE, AlreadySyncingError
from extract_assets.extractto.resource import ExtractToResource
from extract_assets_tests.security.servers import Seen, proxy_app, serving

from .conftest import SECRET_KEY, calls, run_requests, served_rows, wait_until


def assert_key_hidden(error: BaseException, key: str) -> None:
    assert key not in str(error)
    assert key not in repr(error)


@pytest.fixture
def keyed_client(
    quick_emulator: EmulatorServer, extractto_url: str
) -> Iterator[Callable[..., ExtractToClient]]:
    """A client for a key made with the given role, Billing permission and age."""
    opened: list[ExtractToClient] = []

    def make(key: str, **settings: Any) -> ExtractToClient:
        quick_emulator.control.add_extractto_key(key=key, **settings)
        made = ExtractToClient(api_key=key, base_url=extractto_url)
        opened.append(made)
        return made

    yield make
    for made in opened:
        made.close()


# Syncing


def test_sync_returns_the_extract_once_its_run_has_synced(
    emulator: EmulatorServer, client: ExtractToClient, demo: dict[str, str]
) -> None:
    extract = client.sync(demo["extract_id"], "2026-09-01", "2026-09-03")
    assert extract.status == "active"
    assert extract.last_sync is not None
    (sync,) = emulator.control.extractto_extracts()[0]["syncs"]
    assert (sync["origin"], sync["date_from"], sync["date_to"]) == (
        "api",
        "2026-09-01",
        "2026-09-03",
    )
    assert extract.last_sync == datetime.fromisoformat(sync["finished_at"])


def test_a_sync_ending_in_error_raises_the_extracts_error_text(
    emulator: EmulatorServer, client: ExtractToClient, demo: dict[str, str]
) -> None:
    emulator.control.set_extractto_extract_scenario(
        demo["extract_id"], fail="Google Ads refused the OAuth token"
    )
    with pytest.raises(ExtractSyncFailedError, match="Google Ads refused the OAuth token") as err:
        client.sync(demo["extract_id"], "2026-09-01", "2026-09-01")
    assert err.value.error_text == "Google Ads refused the OAuth token"


def test_a_sync_failure_survives_pickling_with_its_error_text(
    emulator: EmulatorServer, client: ExtractToClient, demo: dict[str, str]
) -> None:
    emulator.control.set_extractto_extract_scenario(demo["extract_id"], fail="Quota exhausted")
    with pytest.raises(ExtractSyncFailedError) as err:
        client.sync(demo["extract_id"], "2026-09-01", "2026-09-01")
    copy = pickle.loads(pickle.dumps(err.value))
    assert (copy.error_text, str(copy)) == ("Quota exhausted", str(err.value))


def test_a_sync_already_running_is_waited_for_and_not_taken_for_ours(
    emulator: EmulatorServer, client: ExtractToClient, demo: dict[str, str]
) -> None:
    extract_id = demo["extract_id"]
    emulator.control.set_extractto_extract_scenario(extract_id, sync_seconds=3600)
    outside = emulator.control.sync_extractto_extract(extract_id, "2026-09-01", "2026-09-02")
    outside_end = datetime.fromisoformat(outside["syncs"][-1]["finished_at"])
    emulator.control.set_extractto_extract_scenario(extract_id, sync_seconds=0.05)
    outcome: dict[str, Any] = {}

    def ours() -> None:
        try:
            outcome["extract"] = client.sync(extract_id, "2026-09-03", "2026-09-03")
        except BaseException as exc:  # handed to the test thread
            outcome["error"] = exc

    worker = threading.Thread(target=ours)
    worker.start()
    wait_until(lambda: bool(run_requests(emulator, extract_id)), "our run request was refused")
    assert "extract" not in outcome
    emulator.control.advance_clock(3600)
    worker.join(timeout=60)
    assert "error" not in outcome, outcome.get("error")
    statuses = [r["status"] for r in run_requests(emulator, extract_id)]
    assert statuses[0] == 400 and statuses[-1] == 200 and statuses.count(200) == 1
    accepted = datetime.fromisoformat(run_requests(emulator, extract_id)[-1]["time"])
    assert accepted > outside_end
    assert outcome["extract"].last_sync > outside_end


def test_a_sync_that_ended_before_its_run_request_was_answered_is_taken_as_ours(
    emulator: EmulatorServer, extractto_url: str, secret_key: str, demo: dict[str, str]
) -> None:
    emulator.control.extractto_settings(sync_seconds=0)
    # A short poll timeout: were the ended sync not recognised, this would fail, not hang.
    resource = ExtractToResource(
        api_key=secret_key,
        base_url=extractto_url,
        poll_initial_seconds=0.1,
        poll_timeout_seconds=2,
        requests_per_minute=None,
    )
    with resource.get_client() as quick:
        extract = quick.sync(demo["extract_id"], "2026-09-01", "2026-09-01")
    (sync,) = emulator.control.extractto_extracts()[0]["syncs"]
    assert extract.last_sync == datetime.fromisoformat(sync["finished_at"])
    assert len(run_requests(emulator, demo["extract_id"])) == 1


def test_a_failed_sync_of_a_paused_extract_raises_its_error_text(
    emulator: EmulatorServer, client: ExtractToClient, demo: dict[str, str]
) -> None:
    client.pause_extract(demo["extract_id"])
    emulator.control.set_extractto_extract_scenario(demo["extract_id"], fail="Token revoked")
    with pytest.raises(ExtractSyncFailedError, match="Token revoked"):
        client.sync(demo["extract_id"], "2026-09-01", "2026-09-01")


def test_a_run_asked_for_while_syncing_is_refused_as_already_syncing(
    emulator: EmulatorServer, client: ExtractToClient, demo: dict[str, str]
) -> None:
    emulator.control.set_extractto_extract_scenario(demo["extract_id"], sync_seconds=3600)
    client.run_extract(demo["extract_id"], "2026-09-01", "2026-09-01")
    with pytest.raises(AlreadySyncingError, match="already syncing"):
        client.run_extract(demo["extract_id"], "2026-09-02", "2026-09-02")


# Arguments checked before any request


@pytest.mark.parametrize(
    "call",
    [
        lambda c, e, d1, d2: c.sync(e, d1, d2),
        lambda c, e, d1, d2: c.run_extract(e, d1, d2),
        lambda c, e, d1, d2: next(c.iter_row_pages(e, d1, d2)),
    ],
    ids=["sync", "run_extract", "iter_row_pages"],
)
def test_date_from_after_date_to_fails_before_any_request(
    emulator: EmulatorServer,
    client: ExtractToClient,
    demo: dict[str, str],
    call: Callable[..., object],
) -> None:
    with pytest.raises(
        InvalidArgumentError, match="date_from 2026-09-02 is after date_to 2026-09-01"
    ):
        call(client, demo["extract_id"], "2026-09-02", "2026-09-01")
    assert emulator.control.requests("extractto") == []


@pytest.mark.parametrize(
    "bad", ["2026/09/01", "01-09-2026", "2026-9-1", "2026-02-30", "yesterday", "2026-09-01\n"]
)
def test_a_date_that_is_not_iso_fails_before_any_request(
    emulator: EmulatorServer, client: ExtractToClient, demo: dict[str, str], bad: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=r"date_from must be an ISO date \(YYYY-MM-DD\)"):
        client.sync(demo["extract_id"], bad, "2026-09-30")
    assert emulator.control.requests("extractto") == []


def test_a_datetime_for_a_date_fails_before_any_request(
    emulator: EmulatorServer, client: ExtractToClient, demo: dict[str, str]
) -> None:
    with pytest.raises(InvalidArgumentError, match="date_from must be a date, not a datetime"):
        client.sync(demo["extract_id"], datetime(2026, 9, 1, 12, 0), "2026-09-30")
    assert emulator.control.requests("extractto") == []


# Errors: what happened, what to do, never the key


def test_a_key_older_than_90_days_says_it_may_have_expired_and_where_to_get_a_new_one(
    keyed_client: Callable[..., ExtractToClient], demo: dict[str, str]
) -> None:
    old_key = "xt-OLD-KEY-112233445566778899"
    with pytest.raises(AuthenticationError) as err:
        keyed_client(old_key, age_days=91).extract(demo["extract_id"])
    assert err.value.status == 401
    assert "valid for 90 days" in str(err.value)
    assert KEY_PAGE in str(err.value)
    assert_key_hidden(err.value, old_key)


def test_a_plan_limit_on_runs_names_the_limit_reached(
    emulator: EmulatorServer, client: ExtractToClient, demo: dict[str, str]
) -> None:
    emulator.control.extractto_plan(max_runs_per_month=0)
    with pytest.raises(PaymentRequiredError, match="max_runs_per_month") as err:
        client.sync(demo["extract_id"], "2026-09-01", "2026-09-01")
    assert err.value.status == 402
    assert "plan limit was reached" in str(err.value)
    assert [r["status"] for r in run_requests(emulator, demo["extract_id"])] == [402]
    assert_key_hidden(err.value, SECRET_KEY)


def test_more_schedules_than_the_limit_names_the_schedules_limit(
    client: ExtractToClient, demo: dict[str, str]
) -> None:
    schedules = [{"cron": f"0 {hour} * * *"} for hour in range(6)]
    with pytest.raises(PaymentRequiredError, match="schedules_limit 5") as err:
        client.update_extract(demo["extract_id"], {"schedules": schedules})
    assert_key_hidden(err.value, SECRET_KEY)


def test_a_viewer_key_on_a_write_names_the_role_needed(
    keyed_client: Callable[..., ExtractToClient], demo: dict[str, str]
) -> None:
    viewer_key = "xt-VIEWER-998877665544332211"
    viewer = keyed_client(viewer_key, role="viewer")
    with pytest.raises(PermissionDeniedError, match="requires the Creator or Admin role") as err:
        viewer.pause_extract(demo["extract_id"])
    assert err.value.status == 403
    assert "Roles & Permissions" in str(err.value)
    assert_key_hidden(err.value, viewer_key)


def test_a_viewer_key_may_read(
    keyed_client: Callable[..., ExtractToClient], demo: dict[str, str]
) -> None:
    viewer = keyed_client("xt-VIEWER-998877665544332211", role="viewer")
    assert viewer.extract(demo["extract_id"]).id == demo["extract_id"]


def test_a_key_without_billing_permission_on_plans_names_the_permission_needed(
    keyed_client: Callable[..., ExtractToClient],
) -> None:
    admin_key = "xt-NO-BILLING-000111222333444"
    admin = keyed_client(admin_key, role="admin", billing=False)
    with pytest.raises(PermissionDeniedError, match="requires Billing permission") as err:
        admin.plans()
    assert_key_hidden(err.value, admin_key)


def test_an_unknown_extract_is_not_found(client: ExtractToClient) -> None:
    with pytest.raises(NotFoundError, match="not found") as err:
        client.extract("00000000-0000-4000-8000-000000000000")
    assert (err.value.status, err.value.method) == (404, "GET")


def test_the_client_repr_hides_the_key(client: ExtractToClient) -> None:
    assert SECRET_KEY not in repr(client)


# Lists


def test_lists_read_every_page_of_the_envelope(
    emulator: EmulatorServer, client: ExtractToClient, demo: dict[str, str]
) -> None:
    added = {emulator.control.add_extractto_extract(f"extract {n}")["id"] for n in range(205)}
    listed = [extract.id for extract in client.extracts()]
    assert sorted(listed) == sorted({demo["extract_id"], *added})
    pages = calls(emulator, "GET", "/extracts")
    assert len(pages) == 2
    assert "cursor" not in pages[0]["query"] and "cursor" in pages[1]["query"]


def test_lists_accept_a_bare_array(
    emulator: EmulatorServer, client: ExtractToClient, demo: dict[str, str]
) -> None:
    emulator.control.extractto_settings(list_style="array")
    connectors = client.resources("connectors")
    assert len(connectors) == 6
    assert [extract.id for extract in client.extracts()] == [demo["extract_id"]]
    assert len(calls(emulator, "GET", "/connectors")) == 1


def test_connection_runs_list_newest_first(client: ExtractToClient, demo: dict[str, str]) -> None:
    connection_id = demo["hubspot_connection_id"]
    first = client.wait_for_connection_run(connection_id, client.run_connection(connection_id).id)
    second = client.wait_for_connection_run(connection_id, client.run_connection(connection_id).id)
    assert [run.id for run in client.connection_runs(connection_id)] == [second.id, first.id]


# Rows


def test_rows_of_a_range_are_every_row_served_for_it_one_request_a_page(
    emulator: EmulatorServer,
    client: ExtractToClient,
    small_extract: dict[str, Any],
    extractto_url: str,
) -> None:
    client.sync(small_extract["id"], "2026-09-01", "2026-09-03")
    table_id = small_extract["data_table_id"]
    pages = list(client.iter_row_pages(table_id, "2026-09-01", "2026-09-03", page_size=7))
    assert len(calls(emulator, "GET", f"/data-tables/{table_id}/rows")) == len(pages) == 5
    read = [row for page in pages for row in page]
    assert read == served_rows(extractto_url, table_id, "2026-09-01", "2026-09-03")
    assert len(read) == 30


def test_an_expired_rows_cursor_restarts_without_duplicating_or_losing_rows(
    emulator: EmulatorServer,
    client: ExtractToClient,
    small_extract: dict[str, Any],
    extractto_url: str,
) -> None:
    client.sync(small_extract["id"], "2026-09-01", "2026-09-03")
    emulator.control.extractto_settings(cursor_ttl=60)
    table_id = small_extract["data_table_id"]
    pages = client.iter_row_pages(table_id, "2026-09-01", "2026-09-03", page_size=7)
    read = [*next(pages), *next(pages)]
    emulator.control.advance_clock(120)
    read += [row for page in pages for row in page]
    expected = served_rows(extractto_url, table_id, "2026-09-01", "2026-09-03")
    assert len(read) == len(expected) == 30
    assert read == expected
    refused = [
        r for r in calls(emulator, "GET", f"/data-tables/{table_id}/rows") if r["status"] == 400
    ]
    assert len(refused) == 1


@pytest.mark.parametrize("wording", ["Cursor expired", "invalid cursor", "Expired"])
def test_an_expired_rows_cursor_in_other_words_restarts_the_read_too(
    emulator: EmulatorServer,
    fast_resource: ExtractToResource,
    small_extract: dict[str, Any],
    extractto_url: str,
    wording: str,
) -> None:
    table_id = small_extract["data_table_id"]
    reworded = (INVALID_CURSOR, wording)
    with (
        serving(proxy_app(Seen(), emulator.url, reworded)) as api,
        ExtractToClient(
            SECRET_KEY, base_url=f"{api}/extractto", requests_per_minute=None
        ) as client,
    ):
        client.sync(small_extract["id"], "2026-09-01", "2026-09-03")
        emulator.control.extractto_settings(cursor_ttl=60)
        pages = client.iter_row_pages(table_id, "2026-09-01", "2026-09-03", page_size=7)
        read = [*next(pages), *next(pages)]
        emulator.control.advance_clock(120)
        read += [row for page in pages for row in page]
    assert read == served_rows(extractto_url, table_id, "2026-09-01", "2026-09-03")


def test_a_multi_day_read_logs_progress_page_by_page_naming_the_day(
    client: ExtractToClient,
    small_extract: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    client.sync(small_extract["id"], "2026-09-01", "2026-09-03")
    table_id = small_extract["data_table_id"]
    client.progress_every = 0.0  # a line for every page, instead of waiting seconds
    caplog.set_level(logging.INFO, logger="extract_assets.extractto")
    for _ in client.iter_row_pages(table_id, "2026-09-01", "2026-09-03", page_size=7):
        pass
    what = f"Extract.to table {table_id} rows 2026-09-01..2026-09-03: "
    lines = [m.removeprefix(what) for m in caplog.messages if m.startswith(what)]
    assert [line.split(" rows, ")[0] for line in lines] == ["7", "14", "21", "28", "30", "done, 30"]
    assert "page 1, at 2026-09-01 (day 1 of 3)" in lines[0]
    assert "0 of 3 days" in lines[0]
    assert "page 2, at 2026-09-02 (day 2 of 3)" in lines[1]
    assert "1 of 3 days" in lines[1] and "33% of 3 days" in lines[1]
    assert "page 5, at 2026-09-03 (day 3 of 3)" in lines[4]
    assert "3 of 3 days" in lines[5] and lines[5].endswith("; 5 pages")


def test_a_read_the_reader_stops_early_still_ends_with_a_final_line(
    client: ExtractToClient,
    small_extract: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    client.sync(small_extract["id"], "2026-09-01", "2026-09-03")
    table_id = small_extract["data_table_id"]
    caplog.set_level(logging.INFO, logger="extract_assets.extractto")
    pages = client.iter_row_pages(table_id, "2026-09-01", "2026-09-03", page_size=7)
    next(pages)
    pages.close()
    what = f"Extract.to table {table_id} rows 2026-09-01..2026-09-03: "
    lines = [m.removeprefix(what) for m in caplog.messages if m.startswith(what)]
    assert len(lines) == 1
    assert lines[0].startswith("done, 7 rows, ")
    assert lines[0].endswith("; 1 pages; the reader needed no more")


def test_the_data_table_names_its_columns(client: ExtractToClient, demo: dict[str, str]) -> None:
    table = client.data_table(demo["data_table_id"])
    assert table.extract_id == demo["extract_id"]
    columns = {column.name: column.type for column in table.columns}
    assert columns["date"] == "date" and columns["clicks"] == "integer"


# Extracts


def test_get_extract_names_its_data_table(client: ExtractToClient, demo: dict[str, str]) -> None:
    extract = client.extract(demo["extract_id"])
    assert extract.data_table_id == demo["data_table_id"]
    assert (extract.account_id, extract.status) == (demo["account_id"], "active")


def test_put_replaces_every_updatable_attribute(
    emulator: EmulatorServer, client: ExtractToClient, demo: dict[str, str]
) -> None:
    extract_id = demo["extract_id"]
    client.update_extract(extract_id, {"sync_historical_data": "2025-02-25"})
    replaced = client.replace_extract(extract_id, {"fields": ["campaign_id", "clicks"]})
    assert replaced.sync_historical_data is None
    assert emulator.control.extractto_extracts()[0]["fields"] == ["campaign_id", "clicks"]


def test_patch_changes_only_the_attributes_sent(
    emulator: EmulatorServer, client: ExtractToClient, demo: dict[str, str]
) -> None:
    extract_id = demo["extract_id"]
    client.replace_extract(extract_id, {"fields": ["campaign_id", "clicks"]})
    patched = client.update_extract(extract_id, {"sync_historical_data": "2025-02-25"})
    assert str(patched.sync_historical_data) == "2025-02-25"
    assert emulator.control.extractto_extracts()[0]["fields"] == ["campaign_id", "clicks"]


def test_pause_and_unpause_switch_the_extracts_schedule(
    client: ExtractToClient, demo: dict[str, str]
) -> None:
    assert client.pause_extract(demo["extract_id"]).status == "paused"
    assert client.extract(demo["extract_id"]).status == "paused"
    assert client.unpause_extract(demo["extract_id"]).status == "active"


def test_create_extract_returns_it_with_a_new_data_table(
    client: ExtractToClient, demo: dict[str, str]
) -> None:
    created = client.create_extract(
        {
            "data_table_title": "Ad groups",
            "template_id": "template-1",
            "fields": ["ad_group_id", "clicks"],
            "accounts": [
                {
                    "connection_id": demo["google_ads_connection_id"],
                    "account_id": demo["account_id"],
                }
            ],
        }
    )
    assert created.id != demo["extract_id"]
    assert created.data_table_id and created.data_table_id != demo["data_table_id"]
    assert client.extract(created.id).title == "Ad groups"


# Sources, plans, usage


@pytest.fixture
def google_ads_connector(client: ExtractToClient) -> str:
    (connector,) = [
        c for c in client.resources("connectors") if c.fields["service"] == "google_ads"
    ]
    assert connector.id
    return connector.id


def test_create_source_returns_it_with_its_fields(
    client: ExtractToClient, google_ads_connector: str
) -> None:
    body = {"name": "Ads EU", "connector_id": google_ads_connector, "config": {"region": "eu"}}
    created = client.create_resource("sources", body)
    assert created.id
    fetched = client.resource("sources", created.id)
    assert (fetched.fields["name"], fetched.fields["config"]) == ("Ads EU", {"region": "eu"})


def test_update_source_changes_only_the_fields_sent(
    client: ExtractToClient, google_ads_connector: str
) -> None:
    body = {"name": "Ads EU", "connector_id": google_ads_connector, "config": {"region": "eu"}}
    created = client.create_resource("sources", body)
    assert created.id
    updated = client.update_resource("sources", created.id, {"name": "Ads Europe"})
    assert (updated.fields["name"], updated.fields["config"]) == ("Ads Europe", {"region": "eu"})


def test_a_deleted_source_is_gone(client: ExtractToClient, google_ads_connector: str) -> None:
    created = client.create_resource(
        "sources", {"name": "Temp", "connector_id": google_ads_connector}
    )
    assert created.id
    client.delete_resource("sources", created.id)
    with pytest.raises(NotFoundError):
        client.resource("sources", created.id)


def test_plans_show_the_accounts_plan_limits(client: ExtractToClient) -> None:
    plan = client.plans()
    assert plan["name"] == "Growth"
    assert plan["max_runs_per_month"] == 10_000


def test_usage_counts_the_runs_and_rows_of_this_month(
    client: ExtractToClient, small_extract: dict[str, Any]
) -> None:
    client.sync(small_extract["id"], "2026-09-01", "2026-09-02")
    usage = client.usage()
    assert (usage["runs_this_month"], usage["rows_synced_this_month"]) == (1, 20)


# Connection runs


def test_a_connection_run_is_waited_for_until_it_succeeds(
    client: ExtractToClient, demo: dict[str, str]
) -> None:
    connection_id = demo["google_ads_connection_id"]
    started = client.run_connection(connection_id)
    assert started.status in {"queued", "running"}
    finished = client.wait_for_connection_run(connection_id, started.id)
    assert finished.status == "succeeded" and finished.rows_synced


def test_a_second_connection_run_while_one_is_active_is_a_conflict(
    emulator: EmulatorServer, client: ExtractToClient, demo: dict[str, str]
) -> None:
    emulator.control.set_extractto_connection_scenario(
        demo["google_ads_connection_id"], running_seconds=3600
    )
    client.run_connection(demo["google_ads_connection_id"])
    with pytest.raises(ConflictError) as err:
        client.run_connection(demo["google_ads_connection_id"])
    assert err.value.status == 409
