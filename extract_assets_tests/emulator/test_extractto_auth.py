"""Extract.to keys: Bearer authentication, 90-day validity, roles, Billing, request ids, faults."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from extract_assets.emulator import EmulatorControl, EmulatorServer

DAY = 86_400.0


@pytest.fixture
def url(emulator: EmulatorServer) -> str:
    """Base URL of the emulated Extract.to API."""
    return emulator.base_url("extractto")


@pytest.fixture
def api(url: str) -> Iterator[httpx.Client]:
    """A client with the default key: admin with Billing permission."""
    headers = {"Authorization": "Bearer demo-extractto-key"}
    with httpx.Client(base_url=url, headers=headers, timeout=10) as client:
        yield client


def client_with(url: str, key: str) -> httpx.Client:
    """A client authenticated with `key`."""
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=10)


def answer(response: httpx.Response) -> tuple[int, str]:
    """Status and `detail` of an error answer."""
    return response.status_code, response.json()["detail"]


INVALID = (401, "Invalid or missing token")
EXPIRED = (401, "Token expired: API keys are valid for 90 days")
NOT_WRITER = (403, "This action requires the Creator or Admin role")
NOT_BILLING = (403, "This action requires Billing permission")


def test_extractto_is_served_beside_the_other_providers(control: EmulatorControl) -> None:
    assert "extractto" in control.health()["providers"]


def test_request_without_token_is_refused(url: str) -> None:
    assert answer(httpx.get(f"{url}/connectors")) == INVALID


@pytest.mark.parametrize(
    "header", ["Bearer nope", "Basic demo-extractto-key", "demo-extractto-key"]
)
def test_unknown_key_or_other_scheme_is_refused(url: str, header: str) -> None:
    assert answer(httpx.get(f"{url}/connectors", headers={"Authorization": header})) == INVALID


def test_default_key_reads_the_api(api: httpx.Client) -> None:
    assert api.get("/connectors").status_code == 200


def test_default_key_expires_after_90_days_of_emulator_time(
    api: httpx.Client, frozen: EmulatorControl
) -> None:
    frozen.advance_clock(90 * DAY - 1)
    assert api.get("/connectors").status_code == 200
    frozen.advance_clock(1)
    assert answer(api.get("/connectors")) == EXPIRED


def test_backdated_key_older_than_90_days_is_expired(url: str, control: EmulatorControl) -> None:
    control.add_extractto_key("old", age_days=91)
    with client_with(url, "old") as old:
        assert answer(old.get("/extracts")) == EXPIRED


def test_added_key_reports_its_expiry(control: EmulatorControl) -> None:
    key = control.add_extractto_key("fresh", role="viewer")
    assert (key["role"], key["billing"]) == ("viewer", False)
    assert key["expires_at"] > key["created_at"]


def test_reset_keeps_only_the_default_key(control: EmulatorControl) -> None:
    control.add_extractto_key("extra")
    control.reset()
    assert [k["key"] for k in control.extractto_keys()] == ["demo-extractto-key"]


def writes(control: EmulatorControl) -> list[tuple[str, str]]:
    """One request of every kind that needs the Creator or Admin role."""
    demo = control.extractto_demo()
    extract, connection = demo["extract_id"], demo["google_ads_connection_id"]
    return [
        ("POST", "/sources"),
        ("PATCH", "/sources/any"),
        ("DELETE", "/destinations/any"),
        ("POST", "/connections"),
        ("PATCH", f"/connections/{connection}"),
        ("DELETE", f"/connections/{connection}"),
        ("POST", f"/connections/{connection}/run"),
        ("POST", "/triggers"),
        ("POST", "/extracts"),
        ("PUT", f"/extracts/{extract}"),
        ("PATCH", f"/extracts/{extract}"),
        ("POST", f"/extracts/{extract}/run"),
        ("POST", f"/extracts/{extract}/pause"),
        ("POST", f"/extracts/{extract}/unpause"),
    ]


def test_viewer_is_refused_every_write(url: str, control: EmulatorControl) -> None:
    control.add_extractto_key("viewer", role="viewer", billing=True)
    with client_with(url, "viewer") as viewer:
        refused = {(m, p): answer(viewer.request(m, p, json={})) for m, p in writes(control)}
    assert refused == dict.fromkeys(refused, NOT_WRITER)


def test_viewer_reads_everything(url: str, control: EmulatorControl) -> None:
    control.add_extractto_key("viewer", role="viewer")
    demo = control.extractto_demo()
    paths = ["/connectors", "/connections", "/extracts", f"/data-tables/{demo['data_table_id']}"]
    with client_with(url, "viewer") as viewer:
        assert [viewer.get(path).status_code for path in paths] == [200] * len(paths)


def test_creator_may_run_an_extract(url: str, control: EmulatorControl) -> None:
    control.add_extractto_key("creator", role="creator")
    extract_id = control.extractto_demo()["extract_id"]
    with client_with(url, "creator") as creator:
        assert creator.post(f"/extracts/{extract_id}/run").status_code == 200


@pytest.mark.parametrize("path", ["/plans", "/usage"])
def test_admin_without_billing_cannot_see_plans_or_usage(
    url: str, control: EmulatorControl, path: str
) -> None:
    control.add_extractto_key("admin", role="admin", billing=False)
    with client_with(url, "admin") as admin:
        assert answer(admin.get(path)) == NOT_BILLING


def test_viewer_with_billing_sees_the_plan(url: str, control: EmulatorControl) -> None:
    control.add_extractto_key("accountant", role="viewer", billing=True)
    with client_with(url, "accountant") as accountant:
        plan = accountant.get("/plans").json()
    assert set(plan) == {"name", "max_extracts", "max_runs_per_month", "schedules_limit"}


def test_every_answer_has_its_own_request_id(url: str, api: httpx.Client) -> None:
    answers = [api.get("/connectors"), api.get("/nowhere"), httpx.get(f"{url}/extracts")]
    assert [r.status_code for r in answers] == [200, 404, 401]
    assert len({r.headers["x-request-id"] for r in answers}) == 3


def test_unknown_path_answers_detail(api: httpx.Client) -> None:
    assert answer(api.get("/nowhere")) == (404, "Not Found")


@pytest.mark.parametrize("status", [500, 503])
def test_injected_fault_answers_in_the_detail_shape_with_a_request_id(
    api: httpx.Client, control: EmulatorControl, status: int
) -> None:
    control.add_fault("status", provider="extractto", status=status, path="^/extracts$")
    response = api.get("/extracts")
    assert response.status_code == status
    assert isinstance(response.json()["detail"], str)
    assert response.headers["x-request-id"]
    assert api.get("/connectors").status_code == 200


def test_injected_429_carries_retry_after(api: httpx.Client, control: EmulatorControl) -> None:
    control.add_fault("status", provider="extractto", status=429, retry_after="3")
    response = api.get("/connectors")
    assert answer(response) == (429, "Too Many Requests")
    assert response.headers["retry-after"] == "3"


def test_fault_on_linkup_leaves_extractto_alone(
    api: httpx.Client, control: EmulatorControl
) -> None:
    control.add_fault("status", provider="linkup", status=500)
    assert api.get("/connectors").status_code == 200


def test_injected_faults_are_logged_for_extractto(
    api: httpx.Client, control: EmulatorControl
) -> None:
    control.add_fault("status", provider="extractto", status=502, times=1)
    api.get("/connectors")
    api.get("/connectors")
    log = control.requests("extractto")
    assert [(e["status"], e["fault"]) for e in log] == [(502, "status"), (200, None)]
