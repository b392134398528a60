"""dataextractor.io limits: 60 and 10 requests a minute per key, their counters, monthly quotas."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from extract_assets.emulator import EmulatorControl, EmulatorServer

PDF = b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n"
RATE_LIMITED = (429, "Rate limit exceeded")
QUOTA_EXCEEDED = (402, "Monthly extraction quota exceeded")


@pytest.fixture
def url(emulator: EmulatorServer) -> str:
    """Base URL of the emulated dataextractor.io API."""
    return emulator.base_url("dataextractor")


@pytest.fixture
def api(url: str) -> Iterator[httpx.Client]:
    """A client with the default key (Pro)."""
    with client_with(url, "demo-dataextractor-key") as client:
        yield client


def client_with(url: str, key: str) -> httpx.Client:
    """A client authenticated with `key`."""
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=10)


def answer(response: httpx.Response) -> tuple[int, str]:
    """Status and `detail` of an error answer."""
    return response.status_code, response.json()["detail"]


def upload(client: httpx.Client, name: str = "invoice.pdf") -> httpx.Response:
    """POST /api/v1/extract with a small PDF."""
    return client.post("/api/v1/extract", files={"file": (name, PDF, "application/pdf")})


def usage_of(control: EmulatorControl, key: str = "demo-dataextractor-key") -> dict[str, dict]:
    """The rate buckets of one key."""
    buckets: dict[str, dict] = next(u for u in control.dataextractor_usage() if u["key"] == key)[
        "buckets"
    ]
    return buckets


def test_sixty_reads_a_minute_pass_and_the_next_is_refused_with_retry_after(
    api: httpx.Client, frozen: EmulatorControl
) -> None:
    assert {api.get("/api/v1/datasets").status_code for _ in range(60)} == {200}
    refused = api.get("/api/v1/datasets?limit=1")
    assert answer(refused) == RATE_LIMITED
    assert refused.headers["retry-after"] == "60"
    assert refused.headers["x-request-id"]


def test_get_shares_the_read_bucket_with_list(api: httpx.Client, frozen: EmulatorControl) -> None:
    for _ in range(60):
        api.get("/api/v1/datasets/ds_missing")
    assert answer(api.get("/api/v1/datasets")) == RATE_LIMITED


def test_retry_after_counts_down_with_the_emulator_clock(
    api: httpx.Client, frozen: EmulatorControl
) -> None:
    for _ in range(60):
        api.get("/api/v1/datasets")
    frozen.advance_clock(20.5)
    assert api.get("/api/v1/datasets").headers["retry-after"] == "40"


def test_a_slot_frees_once_the_oldest_request_leaves_the_sliding_window(
    api: httpx.Client, frozen: EmulatorControl
) -> None:
    frozen.dataextractor_settings(read_per_minute=3)
    api.get("/api/v1/datasets")
    frozen.advance_clock(30)
    api.get("/api/v1/datasets")
    api.get("/api/v1/datasets")
    frozen.advance_clock(29)
    assert api.get("/api/v1/datasets").headers["retry-after"] == "1"
    frozen.advance_clock(1)
    assert api.get("/api/v1/datasets").status_code == 200
    assert answer(api.get("/api/v1/datasets")) == RATE_LIMITED


def test_evenly_spread_reads_at_the_documented_rate_are_never_refused(
    api: httpx.Client, frozen: EmulatorControl
) -> None:
    statuses = set()
    for _ in range(150):
        statuses.add(api.get("/api/v1/datasets?limit=1").status_code)
        frozen.advance_clock(1.0)
    assert statuses == {200}
    assert usage_of(frozen)["read"]["rate_limited"] == 0


def test_ten_uploads_a_minute_pass_and_the_next_is_refused(
    api: httpx.Client, frozen: EmulatorControl
) -> None:
    assert [upload(api).status_code for _ in range(10)] == [202] * 10
    refused = upload(api)
    assert answer(refused) == RATE_LIMITED
    assert refused.headers["retry-after"] == "60"


def test_ground_truth_writes_share_the_write_bucket_with_uploads(
    api: httpx.Client, frozen: EmulatorControl
) -> None:
    for _ in range(10):
        upload(api)
    body = {"ground_truth": [{"name": "invoice_number", "value": "INV-1"}]}
    assert answer(api.put("/api/v1/datasets/ds_x/ground_truth", json=body)) == RATE_LIMITED


def test_reads_and_writes_are_limited_apart(api: httpx.Client, frozen: EmulatorControl) -> None:
    for _ in range(10):
        upload(api)
    assert api.get("/api/v1/datasets").status_code == 200


def test_limits_are_per_key(url: str, api: httpx.Client, frozen: EmulatorControl) -> None:
    frozen.add_dataextractor_key("second", account="acct_demo")
    for _ in range(60):
        api.get("/api/v1/datasets")
    with client_with(url, "second") as second:
        assert second.get("/api/v1/datasets").status_code == 200


def test_refused_requests_do_not_hold_a_slot(api: httpx.Client, frozen: EmulatorControl) -> None:
    frozen.dataextractor_settings(read_per_minute=2)
    for _ in range(5):
        api.get("/api/v1/datasets")
    frozen.advance_clock(60)
    assert [api.get("/api/v1/datasets").status_code for _ in range(3)] == [200, 200, 429]


def test_usage_counts_requests_and_429s_per_bucket(
    api: httpx.Client, frozen: EmulatorControl
) -> None:
    frozen.dataextractor_settings(read_per_minute=5, write_per_minute=1)
    for _ in range(7):
        api.get("/api/v1/datasets")
    upload(api)
    upload(api)
    buckets = usage_of(frozen)
    assert (buckets["read"]["requests"], buckets["read"]["rate_limited"]) == (5, 2)
    assert (buckets["write"]["requests"], buckets["write"]["rate_limited"]) == (1, 1)
    assert (buckets["read"]["limit_per_minute"], buckets["write"]["limit_per_minute"]) == (5, 1)


def test_usage_spans_the_first_and_last_admitted_request(
    api: httpx.Client, frozen: EmulatorControl
) -> None:
    api.get("/api/v1/datasets")
    frozen.advance_clock(30)
    api.get("/api/v1/datasets")
    read = usage_of(frozen)["read"]
    first = datetime.fromisoformat(read["first_at"])
    last = datetime.fromisoformat(read["last_at"])
    assert (last - first).total_seconds() == pytest.approx(30, abs=0.01)


def test_requests_without_a_valid_key_are_not_counted(url: str, control: EmulatorControl) -> None:
    httpx.get(f"{url}/api/v1/datasets")
    assert control.dataextractor_usage() == []


def test_free_plan_refuses_the_eleventh_upload_of_the_month_with_402(
    url: str, frozen: EmulatorControl
) -> None:
    frozen.add_dataextractor_key("trial", plan="free")
    frozen.dataextractor_settings(write_per_minute=100)
    with client_with(url, "trial") as trial:
        assert [upload(trial).status_code for _ in range(10)] == [202] * 10
        assert answer(upload(trial)) == QUOTA_EXCEEDED
    (key,) = [k for k in frozen.dataextractor_keys() if k["key"] == "trial"]
    assert key["used_this_month"] == 10


def test_quota_is_shared_by_the_keys_of_one_account(url: str, frozen: EmulatorControl) -> None:
    account = frozen.add_dataextractor_key("trial-a", plan="free")["account"]
    frozen.add_dataextractor_key("trial-b", account=account)
    frozen.dataextractor_settings(write_per_minute=100)
    with client_with(url, "trial-a") as first, client_with(url, "trial-b") as second:
        for _ in range(10):
            upload(first)
        assert answer(upload(second)) == QUOTA_EXCEEDED


def test_refused_uploads_do_not_use_the_quota(url: str, frozen: EmulatorControl) -> None:
    frozen.add_dataextractor_key("trial", plan="free")
    frozen.dataextractor_settings(write_per_minute=100)
    with client_with(url, "trial") as trial:
        for _ in range(5):
            trial.post("/api/v1/extract", files={"file": ("notes.txt", b"plain text")})
        assert [upload(trial).status_code for _ in range(10)] == [202] * 10


def test_quota_starts_again_at_the_month_boundary(url: str, frozen: EmulatorControl) -> None:
    frozen.add_dataextractor_key("trial", plan="free")
    frozen.dataextractor_settings(write_per_minute=100)
    now = frozen.now()
    next_month = datetime(now.year + now.month // 12, now.month % 12 + 1, 1, tzinfo=UTC)
    with client_with(url, "trial") as trial:
        for _ in range(10):
            upload(trial)
        assert answer(upload(trial)) == QUOTA_EXCEEDED
        frozen.advance_clock((next_month - now).total_seconds() + 1)
        assert upload(trial).status_code == 202


def test_quota_is_checked_after_the_rate_limit(url: str, frozen: EmulatorControl) -> None:
    frozen.add_dataextractor_key("trial", plan="free")
    with client_with(url, "trial") as trial:
        for _ in range(10):
            upload(trial)
        assert answer(upload(trial)) == RATE_LIMITED
        frozen.advance_clock(60)
        assert answer(upload(trial)) == QUOTA_EXCEEDED
