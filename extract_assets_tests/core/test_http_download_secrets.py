"""A file host's error or page that quotes the link it refused, or the signature it did not
accept: the link's secrets (a signature, a token) are masked in the error, as in its URL."""

from __future__ import annotations

import urllib.parse

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from extract_assets.core.errors import ApiError
from extract_assets.core.http import ApiClient

SIGNATURE = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"
TOKEN = "IQoJb3JpZ2lu+X2VjE/aXVzLWVhc3Q=="
QUERY = urllib.parse.urlencode({"X-Amz-Signature": SIGNATURE, "X-Amz-Security-Token": TOKEN})


async def refused(request: Request) -> Response:
    said = f"Signature {SIGNATURE} does not match for {request.url} (token {TOKEN})"
    return PlainTextResponse(said, status_code=400)


async def portal(request: Request) -> Response:
    page = f"<html><h1>Sign in to reach {request.url}</h1></html>"
    return Response(page, media_type="text/html")


app = Starlette(routes=[Route("/refused", refused), Route("/portal", portal)])


@pytest.mark.parametrize("path", ["refused", "portal"])
def test_a_hosts_answer_quoting_the_links_secrets_has_them_masked(
    host: str, downloads: ApiClient, path: str
) -> None:
    with pytest.raises(ApiError) as raised:
        b"".join(downloads.download(f"{host}/{path}?{QUERY}"))
    message = str(raised.value)
    for secret in (SIGNATURE, TOKEN, urllib.parse.quote(TOKEN, safe="")):
        assert secret not in message
    assert "Sign in to reach" in message or "does not match" in message
