"""Redirects from an API, as services and their gateways send them (a trailing slash added, a
path moved, a host changed), through the public Linkup client: one under the base URL is
followed with the key; any other is refused saying where it led, the key never sent there."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from extract_assets.core.errors import ApiError
from extract_assets.linkup.client import LinkupClient
from extract_assets_tests.security.servers import Seen, serving

KEY = "lk-REDIRECT-5a4b3c2d1e0f"
TASK = {
    "id": "t1",
    "status": "pending",
    "createdAt": "2026-11-01T00:00:00Z",
    "updatedAt": "2026-11-01T00:00:00Z",
}


def moving_api(seen: Seen, status: int, target: str) -> Starlette:
    """`/api/v1/extract/t1` redirects to `target` with `status`; `/api/v2/...` answers."""

    async def old(request: Request) -> Response:
        seen.record(request)
        return RedirectResponse(target, status_code=status)

    async def new(request: Request) -> Response:
        seen.record(request)
        return JSONResponse(TASK)

    return Starlette(
        routes=[
            Route("/api/v1/extract", old, methods=["POST"]),
            Route("/api/v1/extract/{id}", old),
            Route("/api/v2/extract/{id}", new),
            Route("/elsewhere/{id}", new),
        ]
    )


@pytest.fixture
def seen() -> Seen:
    return Seen()


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_get_redirected_under_the_base_url_is_followed_with_the_key(
    seen: Seen, status: int
) -> None:
    with serving(moving_api(seen, status, "/api/v2/extract/t1")) as api:
        with LinkupClient(api_key=KEY, base_url=f"{api}/api") as client:
            assert client.get("t1").id == "t1"
    assert seen.with_authorization() == ["/api/v1/extract/t1", "/api/v2/extract/t1"]


def test_a_redirect_outside_the_base_url_says_where_it_led_and_sends_nothing_there(
    seen: Seen,
) -> None:
    with serving(moving_api(seen, 302, "/elsewhere/t1")) as api:
        with LinkupClient(api_key=KEY, base_url=f"{api}/api") as client:
            with pytest.raises(ApiError) as raised:
                client.get("t1")
    message = str(raised.value)
    assert f"a redirect to {api}/elsewhere/t1, outside the base URL {api}/api/" in message
    assert "LINKUP_BASE_URL" in message and KEY not in message
    assert [path for path, _ in seen.requests] == ["/api/v1/extract/t1"]


def test_a_redirect_to_another_port_is_refused_without_the_key(seen: Seen) -> None:
    other = Seen()
    with serving(moving_api(other, 307, "/unused")) as elsewhere:
        with serving(moving_api(seen, 307, f"{elsewhere}/api/v2/extract/t1")) as api:
            with LinkupClient(api_key=KEY, base_url=f"{api}/api") as client:
                with pytest.raises(ApiError, match="outside the base URL"):
                    client.get("t1")
    assert other.requests == []


def test_redirects_without_end_stop_saying_so(seen: Seen) -> None:
    with serving(moving_api(seen, 307, "/api/v1/extract/t1")) as api:
        with LinkupClient(api_key=KEY, base_url=f"{api}/api") as client:
            with pytest.raises(ApiError, match="the 6th in a row: not followed"):
                client.get("t1")
    assert len(seen.requests) == 6


def test_a_paid_create_redirected_by_a_302_is_not_repeated_as_a_get(seen: Seen) -> None:
    with serving(moving_api(seen, 302, "/api/v2/extract/t1")) as api:
        with LinkupClient(api_key=KEY, base_url=f"{api}/api") as client:
            with pytest.raises(ApiError, match="not followed, as that would ask for something"):
                client.create("Team", "https://example.com/team")
    assert [path for path, _ in seen.requests] == ["/api/v1/extract"]
