"""Error answers that flag the error with a boolean and give the message under `msg`, as many
frameworks and gateways write them, through the public Linkup client: the error carries the
message, never the flag's `True`."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from extract_assets.core.errors import BadRequestError
from extract_assets.linkup.client import LinkupClient
from extract_assets_tests.security.servers import serving


@pytest.mark.parametrize(
    "body",
    [
        {"error": True, "msg": "Quota exceeded for this key"},
        {"success": False, "error": True, "msg": "Quota exceeded for this key"},
    ],
)
def test_an_error_flagged_true_carries_its_message(body: dict[str, object]) -> None:
    async def refuse(request: Request) -> JSONResponse:
        return JSONResponse(body, status_code=400)

    with serving(Starlette(routes=[Route("/v1/extract/{id}", refuse)])) as url:
        with LinkupClient(api_key="lk-flags-1234567", base_url=url) as client:
            with pytest.raises(BadRequestError) as raised:
                client.get("t1")
    assert raised.value.message == "Quota exceeded for this key"


def test_an_error_flagged_true_with_no_message_shows_the_body_not_the_flag() -> None:
    async def refuse(request: Request) -> JSONResponse:
        return JSONResponse({"error": True, "reason": "upstream timed out"}, status_code=400)

    with serving(Starlette(routes=[Route("/v1/extract/{id}", refuse)])) as url:
        with LinkupClient(api_key="lk-flags-1234567", base_url=url) as client:
            with pytest.raises(BadRequestError, match="upstream timed out"):
                client.get("t1")
