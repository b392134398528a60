"""Extract.to connectors, sources, destinations, connections and triggers, and list pages."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from extract_assets.emulator import EmulatorControl, EmulatorServer


@pytest.fixture
def api(emulator: EmulatorServer) -> Iterator[httpx.Client]:
    """A client of the emulated Extract.to API with the default (admin) key."""
    headers = {"Authorization": "Bearer demo-extractto-key"}
    with httpx.Client(base_url=emulator.base_url("extractto"), headers=headers) as client:
        yield client


def connector_id(api: httpx.Client, service: str) -> str:
    """The id of the connector of `service`."""
    connectors = api.get("/connectors").json()["data"]
    found: str = next(c["id"] for c in connectors if c["service"] == service)
    return found


def create(api: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST a new resource, failing the test unless it is created."""
    response = api.post(path, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def new_source(api: httpx.Client, name: str = "Ads") -> dict[str, Any]:
    """A Facebook Ads source."""
    return create(
        api, "/sources", {"name": name, "connector_id": connector_id(api, "facebook_ads")}
    )


def new_connection(api: httpx.Client, **body: Any) -> dict[str, Any]:
    """A connection from a new source to the demo warehouse."""
    destination = api.get("/destinations").json()["data"][0]["id"]
    fields = {"name": "Ads → Warehouse", "source_id": new_source(api)["id"]} | body
    return create(api, "/connections", {"destination_id": destination} | fields)


def detail(response: httpx.Response) -> tuple[int, str]:
    """Status and `detail` of an error answer."""
    return response.status_code, response.json()["detail"]


def test_demo_account_has_the_two_warehouse_connections(api: httpx.Client) -> None:
    names = [c["name"] for c in api.get("/connections").json()["data"]]
    assert names == ["Google Ads → Warehouse", "HubSpot → Warehouse"]


def test_demo_extract_reads_the_acme_ads_account(
    api: httpx.Client, control: EmulatorControl
) -> None:
    demo = control.extractto_demo()
    extract = api.get(f"/extracts/{demo['extract_id']}").json()
    assert extract["title"] == "Google Ads campaigns daily"
    assert extract["account_name"] == "Acme Ads (123-456-7890)"
    assert extract["connection_id"] == demo["google_ads_connection_id"]
    assert extract["data_table_id"] == demo["data_table_id"]


def test_demo_ids_are_the_same_after_a_reset(control: EmulatorControl) -> None:
    before = control.extractto_demo()
    control.reset()
    assert control.extractto_demo() == before


def test_ids_are_uuids(api: httpx.Client) -> None:
    for connector in api.get("/connectors").json()["data"]:
        assert str(uuid.UUID(connector["id"])) == connector["id"]


def test_connectors_offer_the_seeded_sources_and_destinations(api: httpx.Client) -> None:
    kinds = {(c["service"], c["type"]) for c in api.get("/connectors").json()["data"]}
    assert {("google_ads", "source"), ("hubspot", "source"), ("facebook_ads", "source")} <= kinds
    assert {("bigquery", "destination"), ("snowflake", "destination")} <= kinds


def test_connector_is_read_by_id(api: httpx.Client) -> None:
    found = api.get(f"/connectors/{connector_id(api, 'hubspot')}").json()
    assert found["name"] == "HubSpot"


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/connectors", "Connector"),
        ("/sources", "Source"),
        ("/destinations", "Destination"),
        ("/connections", "Connection"),
        ("/triggers", "Trigger"),
        ("/extracts", "Extract"),
        ("/data-tables", "Data table"),
    ],
)
def test_unknown_id_is_404_naming_the_resource(api: httpx.Client, path: str, kind: str) -> None:
    assert detail(api.get(f"{path}/{uuid.uuid4()}")) == (404, f"{kind} not found")


def test_source_is_created_read_patched_and_deleted(api: httpx.Client) -> None:
    source = new_source(api, "Ads EU")
    assert api.get(f"/sources/{source['id']}").json()["name"] == "Ads EU"
    patched = api.patch(f"/sources/{source['id']}", json={"name": "Ads US"}).json()
    assert (patched["name"], patched["connector_id"]) == ("Ads US", source["connector_id"])
    assert api.delete(f"/sources/{source['id']}").json() == {"id": source["id"], "deleted": True}
    assert api.get(f"/sources/{source['id']}").status_code == 404


def test_source_without_accounts_reaches_one_of_its_own(api: httpx.Client) -> None:
    (account,) = new_source(api, "Ads")["accounts"]
    assert account["name"] == f"Ads ({account['id']})"


def test_source_of_a_destination_connector_is_400(api: httpx.Client) -> None:
    body = {"name": "Oops", "connector_id": connector_id(api, "bigquery")}
    assert detail(api.post("/sources", json=body)) == (400, "Connector bigquery is not a source")


def test_destination_is_created_and_patched(api: httpx.Client) -> None:
    body = {"name": "Lake", "connector_id": connector_id(api, "snowflake"), "config": {"db": "a"}}
    destination = create(api, "/destinations", body)
    patched = api.patch(f"/destinations/{destination['id']}", json={"config": {"db": "b"}})
    assert (patched.json()["name"], patched.json()["config"]) == ("Lake", {"db": "b"})


def test_source_used_by_a_connection_cannot_be_deleted(api: httpx.Client) -> None:
    connection = new_connection(api)
    response = api.delete(f"/sources/{connection['source_id']}")
    assert detail(response) == (400, f"Source is used by connection {connection['id']}")


def test_connection_defaults_to_daily_with_every_stream_of_its_source(api: httpx.Client) -> None:
    connection = new_connection(api)
    assert (connection["schedule"], connection["cron"]) == ("daily", None)
    assert connection["streams"] == ["campaigns", "ad_sets", "ads", "insights"]
    assert connection["backfill_days"] == 30


def test_connection_on_a_cron_schedule_keeps_its_expression(api: httpx.Client) -> None:
    connection = new_connection(api, schedule="cron", cron="0 6 * * *", backfill_days=7)
    assert (connection["schedule"], connection["cron"]) == ("cron", "0 6 * * *")


@pytest.mark.parametrize(
    "body", [{"schedule": "cron"}, {"schedule": "cron", "cron": "daily"}, {"cron": "0 6 * * *"}]
)
def test_connection_needs_a_cron_expression_exactly_with_a_cron_schedule(
    api: httpx.Client, body: dict[str, Any]
) -> None:
    destination = api.get("/destinations").json()["data"][0]["id"]
    source = new_source(api)["id"]
    full = {"name": "x", "source_id": source, "destination_id": destination} | body
    assert api.post("/connections", json=full).status_code == 400


def test_connection_schedule_must_be_hourly_daily_or_cron(api: httpx.Client) -> None:
    connection = new_connection(api)
    response = api.patch(f"/connections/{connection['id']}", json={"schedule": "weekly"})
    assert response.status_code == 400
    assert "schedule" in response.json()["detail"]


def test_connection_patch_changes_only_what_is_sent(api: httpx.Client) -> None:
    connection = new_connection(api, schedule="hourly")
    patched = api.patch(f"/connections/{connection['id']}", json={"backfill_days": 3}).json()
    assert (patched["backfill_days"], patched["schedule"]) == (3, "hourly")
    assert patched["name"] == connection["name"]


def test_connection_used_by_an_extract_cannot_be_deleted(
    api: httpx.Client, control: EmulatorControl
) -> None:
    connection = control.extractto_demo()["google_ads_connection_id"]
    assert detail(api.delete(f"/connections/{connection}")) == (
        400,
        "Connection is used by an extract",
    )


def test_deleting_a_connection_deletes_its_triggers(api: httpx.Client) -> None:
    connection = new_connection(api)
    trigger = create(
        api, "/triggers", {"name": "t", "connection_id": connection["id"], "type": "webhook"}
    )
    assert api.delete(f"/connections/{connection['id']}").status_code == 200
    assert api.get(f"/triggers/{trigger['id']}").status_code == 404


def test_trigger_is_created_patched_and_deleted(api: httpx.Client) -> None:
    connection = new_connection(api)
    body = {"name": "mornings", "connection_id": connection["id"], "cron": "0 6 * * *"}
    trigger = create(api, "/triggers", body)
    assert (trigger["type"], trigger["enabled"]) == ("cron", True)
    patched = api.patch(f"/triggers/{trigger['id']}", json={"enabled": False}).json()
    assert (patched["enabled"], patched["cron"]) == (False, "0 6 * * *")
    assert api.delete(f"/triggers/{trigger['id']}").status_code == 200


def test_unknown_body_field_is_400_naming_it(api: httpx.Client) -> None:
    response = api.post("/sources", json={"name": "x", "connector_id": "y", "colour": "red"})
    assert response.status_code == 400
    assert "colour" in response.json()["detail"]


def test_body_that_is_not_json_is_400(api: httpx.Client) -> None:
    response = api.post("/sources", content=b"{nope", headers={"Content-Type": "application/json"})
    assert detail(response) == (400, "Request body is not valid JSON")


def test_patch_sending_null_for_a_required_attribute_is_400(api: httpx.Client) -> None:
    source = new_source(api)
    assert api.patch(f"/sources/{source['id']}", json={"name": None}).status_code == 400


def test_list_answers_the_data_and_next_cursor_envelope(api: httpx.Client) -> None:
    page = api.get("/connectors").json()
    assert set(page) == {"data", "next_cursor"}
    assert page["next_cursor"] is None


def test_list_pages_follow_creation_order_until_next_cursor_is_null(api: httpx.Client) -> None:
    created = [new_source(api, f"s{i}")["id"] for i in range(5)]
    seen: list[str] = []
    pages = 0
    params: dict[str, Any] = {"limit": 3}
    while True:
        page = api.get("/sources", params=params).json()
        pages += 1
        seen += [s["id"] for s in page["data"]]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert pages == 3
    assert seen[2:] == created and len(set(seen)) == 7


@pytest.mark.parametrize("limit", ["0", "201", "ten"])
def test_list_limit_outside_1_to_200_is_400(api: httpx.Client, limit: str) -> None:
    response = api.get("/connectors", params={"limit": limit})
    assert detail(response) == (400, "limit must be an integer between 1 and 200")


def test_cursor_of_another_list_is_400(api: httpx.Client) -> None:
    for i in range(3):
        new_source(api, f"s{i}")
    cursor = api.get("/sources", params={"limit": 1}).json()["next_cursor"]
    response = api.get("/connectors", params={"cursor": cursor})
    assert detail(response) == (400, "Invalid or expired cursor")


def test_forged_cursor_is_400(api: httpx.Client) -> None:
    response = api.get("/connectors", params={"cursor": "eyJzIjoiY29ubmVjdG9ycyJ9.abc"})
    assert detail(response) == (400, "Invalid or expired cursor")


def test_array_style_answers_every_item_as_a_bare_array(
    api: httpx.Client, control: EmulatorControl
) -> None:
    control.extractto_settings(list_style="array")
    connectors = api.get("/connectors", params={"limit": 2}).json()
    assert isinstance(connectors, list) and len(connectors) == 6
    assert isinstance(api.get("/extracts").json(), list)


def test_control_connection_comes_with_its_own_source_and_destination(
    api: httpx.Client, control: EmulatorControl
) -> None:
    accounts = [{"id": "act_1", "name": "Shop FR"}, {"id": "act_2", "name": "Shop DE"}]
    connection = control.add_extractto_connection(
        "Shop ads", source_service="facebook_ads", destination_service="postgres", accounts=accounts
    )
    assert api.get(f"/connections/{connection['id']}").json()["accounts"] == accounts
    source = api.get(f"/sources/{connection['source_id']}").json()
    assert source["connector_id"] == connector_id(api, "facebook_ads")
