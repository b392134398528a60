"""A paid request refused with a 5xx that asks to wait (`Retry-After`), through the public
Linkup client: the client looks for what the request made, finds nothing, and waits as long as
the service asked before sending it again, as it does for any other request."""

from __future__ import annotations

import logging

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from extract_assets.core.errors import ServerError
from extract_assets.linkup.client import LinkupClient
from extract_assets_tests.security.servers import serving

TASK = {
    "id": "t-paid",
    "status": "pending",
    "createdAt": "2026-11-01T00:00:00Z",
    "updatedAt": "2026-11-01T00:00:00Z",
}


class Overloaded:
    """Refuses the first create with 503 and `Retry-After: 1`; lists no task."""

    def __init__(self) -> None:
        self.creates = 0

    async def create(self, request: Request) -> Response:
        self.creates += 1
        if self.creates == 1:
            return Response("Service Unavailable", 503, {"Retry-After": "1"})
        return JSONResponse(TASK)

    async def listing(self, request: Request) -> Response:
        metadata = {"page": 1, "pageSize": 100, "total": 0, "totalPages": 0}
        return JSONResponse({"metadata": metadata, "data": []})


def test_a_paid_create_refused_with_retry_after_waits_as_asked_before_sending_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    service = Overloaded()
    routes = [
        Route("/v1/extract", service.create, methods=["POST"]),
        Route("/v1/extract", service.listing, methods=["GET"]),
    ]
    with serving(Starlette(routes=routes)) as url:
        with LinkupClient(api_key="lk-paid-12345678", base_url=url) as client:
            with caplog.at_level(logging.WARNING, logger="extract_assets.linkup"):
                assert client.create("Team", "https://example.com/team").id == "t-paid"
    assert service.creates == 2
    assert "Linkup create failed (Service Unavailable); retrying in 1.0 s" in caplog.text


def test_a_paid_create_asked_to_wait_past_the_deadline_fails_without_sending_again() -> None:
    service = Overloaded()

    async def refuse(request: Request) -> Response:
        service.creates += 1
        return Response("Service Unavailable", 503, {"Retry-After": "86400"})

    routes = [
        Route("/v1/extract", refuse, methods=["POST"]),
        Route("/v1/extract", service.listing, methods=["GET"]),
    ]
    with serving(Starlette(routes=routes)) as url:
        with LinkupClient(api_key="lk-paid-12345678", base_url=url) as client:
            with pytest.raises(ServerError) as raised:
                client.create("Team", "https://example.com/team")
    assert service.creates == 1 and raised.value.retry_after == 86400.0
