"""API answers in a `Content-Encoding` not asked for, through the public Linkup client: br, zstd
and stacked codings are read, as CDNs send them; a body not in the coding its header names (a
proxy or a cache mangled it, or labelled a page it made) is, on a success, a typed error tried
again like a broken body, and an error answer keeps its status and `Retry-After`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from extract_assets.core.errors import NotFoundError, RateLimitedError, ServerError, TransportError
from extract_assets.core.retry import RetryPolicy
from extract_assets.linkup.client import LinkupClient
from extract_assets_tests.compressed import compressed
from extract_assets_tests.security.servers import serving

KEY = "lk-ENCODING-9d8c7b6a5f4e"
TASK = {
    "id": "t1",
    "status": "pending",
    "createdAt": "2026-11-01T00:00:00Z",
    "updatedAt": "2026-11-01T00:00:00Z",
}
NOT_GZIP = b"<html><h1>502 Bad Gateway</h1></html>"


class Mangling:
    """Answers the first `bad` requests with `status` and a body labelled gzip that is not,
    then with the task."""

    def __init__(self, bad: int, status: int = 200, headers: dict[str, str] | None = None) -> None:
        self.bad = bad
        self.status = status
        self.headers = headers or {}
        self.requests = 0

    async def task(self, request: Request) -> Response:
        self.requests += 1
        if self.requests <= self.bad:
            headers = {"content-encoding": "gzip", **self.headers}
            return Response(NOT_GZIP, self.status, headers, media_type="text/html")
        return Response(json.dumps(TASK), media_type="application/json")


@contextmanager
def api(service: Mangling) -> Iterator[str]:
    with serving(Starlette(routes=[Route("/v1/extract/{id}", service.task)])) as url:
        yield url


def client_of(url: str) -> LinkupClient:
    retry = RetryPolicy(max_attempts=3, backoff_base_seconds=0.01)
    return LinkupClient(api_key=KEY, base_url=url, requests_per_minute=None, retry=retry)


@pytest.fixture
def once() -> Mangling:
    return Mangling(bad=1)


def test_a_body_not_in_its_content_encoding_once_is_tried_again(once: Mangling) -> None:
    with api(once) as url:
        with client_of(url) as client:
            assert client.get("t1").id == "t1"
    assert once.requests == 2


def test_a_body_never_in_its_content_encoding_is_a_transport_error_that_says_so() -> None:
    with api(Mangling(bad=99)) as url:
        with client_of(url) as client, pytest.raises(TransportError) as raised:
            client.get("t1")
    message = str(raised.value)
    assert "not in the coding its Content-Encoding names" in message
    assert "gave up after 3 attempts" in message and KEY not in message


def test_a_server_error_whose_body_is_not_in_its_coding_keeps_its_status() -> None:
    with api(Mangling(bad=99, status=502)) as url:
        with client_of(url) as client, pytest.raises(ServerError) as raised:
            client.get("t1")
    assert raised.value.status == 502 and raised.value.attempts == 3


def test_throttling_whose_body_is_not_in_its_coding_keeps_its_retry_after() -> None:
    with api(Mangling(bad=99, status=429, headers={"retry-after": "3600"})) as url:
        with client_of(url) as client, pytest.raises(RateLimitedError) as raised:
            client.get("t1")
    assert raised.value.retry_after == 3600.0


class Compressing:
    """Answers the task in the codings `header` names, as a CDN does whatever was asked."""

    def __init__(self, header: str) -> None:
        self.header = header

    async def task(self, request: Request) -> Response:
        body = compressed(json.dumps(TASK).encode(), self.header)
        headers = {"content-encoding": self.header}
        return Response(body, headers=headers, media_type="application/json")

    async def missing(self, request: Request) -> Response:
        body = compressed(json.dumps({"error": "Task t9 not found"}).encode(), self.header)
        headers = {"content-encoding": self.header}
        return Response(body, 404, headers=headers, media_type="application/json")


@contextmanager
def compressing(header: str) -> Iterator[str]:
    service = Compressing(header)
    routes = [Route("/v1/extract/t9", service.missing), Route("/v1/extract/{id}", service.task)]
    with serving(Starlette(routes=routes)) as url:
        yield url


@pytest.mark.parametrize(
    "header", ["br", "zstd", "gzip, br", "zstd, br", "zstd, gzip", "zstd, identity"]
)
def test_an_answer_sent_in_br_zstd_or_stacked_codings_is_read(header: str) -> None:
    with compressing(header) as url, client_of(url) as client:
        assert client.get("t1").id == "t1"


@pytest.mark.parametrize("header", ["br", "zstd, br"])
def test_an_error_answer_in_br_or_stacked_codings_says_what_it_says(header: str) -> None:
    with compressing(header) as url, client_of(url) as client:
        with pytest.raises(NotFoundError, match="Task t9 not found"):
            client.get("t9")


def test_a_body_not_in_its_stacked_codings_once_is_tried_again() -> None:
    service = Mangling(bad=1, headers={"content-encoding": "zstd, br"})
    with api(service) as url, client_of(url) as client:
        assert client.get("t1").id == "t1"
    assert service.requests == 2


def test_an_error_answer_not_in_its_stacked_codings_keeps_its_status() -> None:
    service = Mangling(bad=99, status=503, headers={"content-encoding": "zstd, br"})
    with api(service) as url, client_of(url) as client:
        with pytest.raises(ServerError) as raised:
            client.get("t1")
    assert raised.value.status == 503 and raised.value.attempts == 3
