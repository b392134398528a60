"""`Retry-After` as services and gateways send it, through the public Linkup client: a wait the
retry deadline cannot hold fails at once saying so, and text that is no HTTP delay is ignored."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from extract_assets.core.errors import RateLimitedError
from extract_assets.core.retry import RetryPolicy
from extract_assets.linkup.client import LinkupClient
from extract_assets_tests.security.servers import serving

KEY = "lk-RETRYAFTER-0a1b2c3d4e5f"
TASK = {
    "id": "t1",
    "status": "pending",
    "createdAt": "2026-11-01T00:00:00Z",
    "updatedAt": "2026-11-01T00:00:00Z",
}


class Throttling:
    """Answers the first request 429 with a given `Retry-After`, the others with the task."""

    def __init__(self, retry_after: str) -> None:
        self.retry_after = retry_after
        self.requests = 0

    async def task(self, request: Request) -> Response:
        self.requests += 1
        if self.requests == 1:
            return Response("Too Many Requests", 429, {"Retry-After": self.retry_after})
        return JSONResponse(TASK)


def client_of(api: str) -> LinkupClient:
    retry = RetryPolicy(deadline_seconds=5, backoff_base_seconds=0.01)
    return LinkupClient(api_key=KEY, base_url=api, requests_per_minute=None, retry=retry)


@contextmanager
def throttling(retry_after: str) -> Iterator[tuple[Throttling, str]]:
    service = Throttling(retry_after)
    with serving(Starlette(routes=[Route("/v1/extract/{id}", service.task)])) as api:
        yield service, api


@pytest.mark.parametrize("retry_after", ["3600", "Fri, 01 Jan 2100 00:00:00 GMT"])
def test_a_retry_after_past_the_deadline_fails_at_once_saying_how_long_it_asked(
    retry_after: str,
) -> None:
    with throttling(retry_after) as (service, api):
        with client_of(api) as client, pytest.raises(RateLimitedError) as raised:
            client.get("t1")
        assert service.requests == 1
    message = str(raised.value)
    assert "the service asked to wait" in message and "(Retry-After)" in message
    assert "retry_deadline_seconds" in message and KEY not in message


def test_the_wait_a_retry_after_asks_for_is_told_in_seconds() -> None:
    with throttling("3600") as (_, api):
        with client_of(api) as client, pytest.raises(RateLimitedError, match="wait 3,600 s"):
            client.get("t1")


@pytest.mark.parametrize("retry_after", ["inf", "1e400", "1_000", "-5", "soon"])
def test_a_retry_after_that_is_no_http_delay_is_ignored_and_the_call_retried(
    retry_after: str,
) -> None:
    with throttling(retry_after) as (service, api):
        with client_of(api) as client:
            assert client.get("t1").id == "t1"
        assert service.requests == 2
