"""dataextractor.io keys: Bearer authentication, revocation, plans, request ids and faults."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from extract_assets.emulator import EmulatorControl, EmulatorControlError, EmulatorServer

DEFAULT_KEY = "demo-dataextractor-key"
INVALID = (401, "Invalid or missing API key")
REVOKED = (401, "API key has been revoked")


@pytest.fixture
def url(emulator: EmulatorServer) -> str:
    """Base URL of the emulated dataextractor.io API."""
    return emulator.base_url("dataextractor")


@pytest.fixture
def api(url: str) -> Iterator[httpx.Client]:
    """A client with the default key."""
    with client_with(url, DEFAULT_KEY) as client:
        yield client


def client_with(url: str, key: str) -> httpx.Client:
    """A client authenticated with `key`."""
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=10)


def answer(response: httpx.Response) -> tuple[int, str]:
    """Status and `detail` of an error answer."""
    return response.status_code, response.json()["detail"]


def test_dataextractor_is_served_beside_the_other_providers(control: EmulatorControl) -> None:
    assert "dataextractor" in control.health()["providers"]


def test_default_key_lists_datasets(api: httpx.Client) -> None:
    assert api.get("/api/v1/datasets").status_code == 200


def test_request_without_key_is_refused(url: str) -> None:
    assert answer(httpx.get(f"{url}/api/v1/datasets")) == INVALID


@pytest.mark.parametrize("header", ["Bearer nope", f"Basic {DEFAULT_KEY}", DEFAULT_KEY])
def test_unknown_key_or_other_scheme_is_refused(url: str, header: str) -> None:
    response = httpx.get(f"{url}/api/v1/datasets", headers={"Authorization": header})
    assert answer(response) == INVALID


def test_every_endpoint_needs_a_key(url: str) -> None:
    answers = [
        httpx.get(f"{url}/api/v1/datasets/ds_1"),
        httpx.post(f"{url}/api/v1/extract", files={"file": ("a.pdf", b"%PDF-1.7")}),
        httpx.put(f"{url}/api/v1/datasets/ds_1/ground_truth", json={"ground_truth": []}),
    ]
    assert [answer(r) for r in answers] == [INVALID] * 3


def test_revoked_key_is_refused(url: str, control: EmulatorControl) -> None:
    control.add_dataextractor_key("soon-revoked")
    with client_with(url, "soon-revoked") as client:
        assert client.get("/api/v1/datasets").status_code == 200
        revoked = control.revoke_dataextractor_key("soon-revoked")
        assert revoked["revoked"] is True
        assert answer(client.get("/api/v1/datasets")) == REVOKED


def test_revoking_one_key_leaves_the_others_working(
    api: httpx.Client, control: EmulatorControl
) -> None:
    control.add_dataextractor_key("other", account="acct_demo")
    control.revoke_dataextractor_key("other")
    assert api.get("/api/v1/datasets").status_code == 200


def test_revoking_an_unknown_key_is_refused(control: EmulatorControl) -> None:
    with pytest.raises(EmulatorControlError, match="404"):
        control.revoke_dataextractor_key("never-issued")


def test_added_key_has_an_account_of_its_own_on_pro_by_default(control: EmulatorControl) -> None:
    key = control.add_dataextractor_key("solo")
    assert key["account"] not in ("acct_demo", "solo")
    assert (key["plan"], key["quota"], key["used_this_month"]) == ("pro", 500, 0)


def test_free_plan_allows_ten_extractions_a_month(control: EmulatorControl) -> None:
    key = control.add_dataextractor_key("trial", plan="free")
    assert (key["plan"], key["quota"]) == ("free", 10)


def test_reset_keeps_only_the_default_key_on_pro(control: EmulatorControl) -> None:
    control.add_dataextractor_key("extra", plan="free")
    control.reset()
    (key,) = control.dataextractor_keys()
    assert (key["key"], key["account"], key["plan"], key["revoked"]) == (
        DEFAULT_KEY,
        "acct_demo",
        "pro",
        False,
    )


def test_every_answer_has_its_own_request_id(url: str, api: httpx.Client) -> None:
    answers = [
        api.get("/api/v1/datasets"),
        api.get("/api/v1/datasets/ds_missing"),
        httpx.get(f"{url}/api/v1/datasets"),
        api.get("/nowhere"),
    ]
    assert [r.status_code for r in answers] == [200, 404, 401, 404]
    assert len({r.headers["x-request-id"] for r in answers}) == 4


def test_unknown_path_answers_detail(api: httpx.Client) -> None:
    assert answer(api.get("/api/v1/nowhere")) == (404, "Not Found")


@pytest.mark.parametrize("status", [500, 503])
def test_injected_fault_answers_in_the_detail_shape_with_a_request_id(
    api: httpx.Client, control: EmulatorControl, status: int
) -> None:
    control.add_fault("status", provider="dataextractor", status=status, path="^/api/v1/datasets$")
    response = api.get("/api/v1/datasets")
    assert response.status_code == status
    assert isinstance(response.json()["detail"], str)
    assert response.headers["x-request-id"]
    assert api.get("/api/v1/datasets/ds_missing").status_code == 404


def test_injected_429_carries_retry_after(api: httpx.Client, control: EmulatorControl) -> None:
    control.add_fault("status", provider="dataextractor", status=429, retry_after="3")
    response = api.get("/api/v1/datasets")
    assert answer(response) == (429, "Too Many Requests")
    assert response.headers["retry-after"] == "3"


def test_injected_faults_are_logged_for_dataextractor(
    api: httpx.Client, control: EmulatorControl
) -> None:
    control.add_fault("status", provider="dataextractor", status=502, times=1)
    api.get("/api/v1/datasets")
    api.get("/api/v1/datasets")
    log = control.requests("dataextractor")
    assert [(e["path"], e["status"], e["fault"]) for e in log] == [
        ("/api/v1/datasets", 502, "status"),
        ("/api/v1/datasets", 200, None),
    ]


def test_fault_on_another_provider_leaves_dataextractor_alone(
    api: httpx.Client, control: EmulatorControl
) -> None:
    control.add_fault("status", provider="linkup", status=500)
    assert api.get("/api/v1/datasets").status_code == 200
