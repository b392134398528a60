from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from extract_assets.core.errors import (
    ApiError,
    AuthenticationError,
    NotFoundError,
    ServerError,
    TransportError,
)
from extract_assets.core.http import ApiClient, Timeouts, redact_url
from extract_assets.core.retry import RetryPolicy
from extract_assets.emulator import EmulatorServer
from extract_assets.linkup.contract import error_from_response

KEY = "demo-linkup-key"
TASKS = "/v1/extract"


class Waits(list[float]):
    """Records the waits the client asks for instead of sleeping through them."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def waits() -> Waits:
    return Waits()


@pytest.fixture
def api(linkup_url: str, waits: Waits) -> Iterator[ApiClient]:
    with ApiClient(
        provider="Linkup",
        base_url=linkup_url,
        api_key=KEY,
        error_factory=error_from_response,
        retry=RetryPolicy(max_attempts=5, backoff_base_seconds=0.01),
        sleep=waits,
    ) as client:
        yield client


def attempts(emulator: EmulatorServer, method: str = "GET") -> int:
    return len([r for r in emulator.control.requests("linkup") if r["method"] == method])


def test_server_errors_are_retried_until_success(emulator: EmulatorServer, api: ApiClient) -> None:
    emulator.control.add_fault(kind="status", status=503, times=2)
    assert api.json("GET", TASKS)["data"] == []
    assert attempts(emulator) == 3


def test_throttling_waits_as_long_as_retry_after_says(
    emulator: EmulatorServer, api: ApiClient, waits: Waits
) -> None:
    emulator.control.add_fault(kind="status", status=429, retry_after="7", times=1)
    api.json("GET", TASKS)
    assert waits == [7.0]


def test_retry_after_as_an_http_date_is_honoured(
    emulator: EmulatorServer, api: ApiClient, waits: Waits
) -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    emulator.control.add_fault(kind="status", status=429, retry_after=later, times=1)
    api.json("GET", TASKS)
    assert 25 <= waits[0] <= 30


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404, 422])
def test_client_errors_are_never_retried(
    emulator: EmulatorServer, api: ApiClient, status: int
) -> None:
    emulator.control.add_fault(kind="status", status=status)
    with pytest.raises(ApiError) as failure:
        api.json("GET", TASKS)
    assert failure.value.status == status
    assert attempts(emulator) == 1


def test_attempts_are_bounded(emulator: EmulatorServer, api: ApiClient) -> None:
    emulator.control.add_fault(kind="status", status=500)
    with pytest.raises(ServerError, match="gave up after 5 attempts"):
        api.json("GET", TASKS)
    assert attempts(emulator) == 5


def test_retrying_stops_at_the_deadline(emulator: EmulatorServer, linkup_url: str) -> None:
    emulator.control.add_fault(kind="status", status=500)
    policy = RetryPolicy(max_attempts=1000, deadline_seconds=1.0, backoff_base_seconds=0.2)
    with ApiClient(provider="Linkup", base_url=linkup_url, api_key=KEY, retry=policy) as api:
        with pytest.raises(ServerError, match="gave up after"):
            api.json("GET", TASKS)
    assert 1 < attempts(emulator) < 20


def test_a_dropped_connection_is_retried(emulator: EmulatorServer, api: ApiClient) -> None:
    emulator.control.add_fault(kind="drop", method="GET", times=1)
    assert api.json("GET", TASKS)["metadata"]["total"] == 0
    assert attempts(emulator) == 2


def test_a_read_timeout_is_retried(emulator: EmulatorServer, linkup_url: str) -> None:
    emulator.control.add_fault(kind="slow", delay=2.0, times=1)
    with ApiClient(
        provider="Linkup",
        base_url=linkup_url,
        api_key=KEY,
        timeouts=Timeouts(connect=1, read=0.3),
        retry=RetryPolicy(backoff_base_seconds=0.01),
    ) as api:
        assert api.json("GET", TASKS)["data"] == []


def test_a_refused_connection_is_a_transport_error() -> None:
    policy = RetryPolicy(max_attempts=2, backoff_base_seconds=0.01)
    with ApiClient(provider="X", base_url="http://127.0.0.1:9", api_key=KEY, retry=policy) as api:
        with pytest.raises(TransportError, match="could not connect"):
            api.json("GET", "/anything")


def test_a_post_that_may_have_been_processed_is_not_retried(
    emulator: EmulatorServer, api: ApiClient
) -> None:
    emulator.control.add_fault(kind="status", status=500, method="POST")
    with pytest.raises(ServerError):
        api.json("POST", TASKS, json={"q": "x", "url": "https://e.com"}, idempotent=False)
    assert attempts(emulator, "POST") == 1


def test_errors_carry_status_code_message_method_and_url(
    emulator: EmulatorServer, api: ApiClient
) -> None:
    with pytest.raises(NotFoundError) as failure:
        api.json("GET", f"{TASKS}/no-such-task")
    error = failure.value
    assert (error.status, error.code, error.method) == (404, "TASK_NOT_FOUND", "GET")
    assert error.url is not None and error.url.endswith("/v1/extract/no-such-task")
    assert "Task no-such-task not found." in str(error)


def test_errors_never_contain_the_key(linkup_url: str) -> None:
    secret = "lk-SECRET-abcdef0123456789"
    with (
        ApiClient(
            provider="Linkup",
            base_url=linkup_url,
            api_key=secret,
            error_factory=error_from_response,
        ) as api,
        pytest.raises(AuthenticationError) as failure,
    ):
        api.json("GET", TASKS)
    assert secret not in str(failure.value) + repr(failure.value) + repr(api)


def test_the_key_is_sent_only_under_the_base_url(emulator: EmulatorServer, linkup_url: str) -> None:
    narrow = f"{linkup_url}/v1/extract/only-this-task"
    with ApiClient(provider="Linkup", base_url=narrow, api_key=KEY) as api:
        with pytest.raises(AuthenticationError):
            api.request("GET", f"{linkup_url}/v1/extract")
    assert [r["authorization"] for r in emulator.control.requests("linkup")] == [False]


def test_redaction_masks_secrets_in_urls() -> None:
    shown = redact_url("https://user:pw@files.example/r.ndjson?expires=1&sig=abc&page=2")
    assert shown == "https://files.example/r.ndjson?expires=1&sig=***&page=2"


def test_an_empty_key_is_a_configuration_error() -> None:
    from extract_assets.core.errors import ConfigError

    with pytest.raises(ConfigError, match="no API key"):
        ApiClient(provider="Linkup", base_url="http://127.0.0.1:9", api_key=" ")
