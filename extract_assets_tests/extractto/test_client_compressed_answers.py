"""Extract.to's answers sent in a `Content-Encoding` not asked for (br, zstd, several in a row),
as a CDN in front of an API sends them, through the public client's paged lists: read whole."""

from __future__ import annotations

import json

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from extract_assets.extractto.client import ExtractToClient
from extract_assets_tests.compressed import compressed
from extract_assets_tests.security.servers import serving

EXTRACTS = [
    {"id": f"ex_{n}", "status": "active", "created_at": "2026-11-01T00:00:00+02:00"}
    for n in range(3)
]


@pytest.mark.parametrize("header", ["br", "zstd", "zstd, br"])
def test_a_page_of_extracts_sent_in_br_zstd_or_stacked_codings_is_read(header: str) -> None:
    async def extracts(request: Request) -> Response:
        page = json.dumps({"data": EXTRACTS, "next_cursor": None}).encode()
        headers = {"content-encoding": header}
        return Response(compressed(page, header), headers=headers, media_type="application/json")

    with serving(Starlette(routes=[Route("/extracts", extracts)])) as url:
        with ExtractToClient(api_key="xt-compressed", base_url=url) as client:
            assert [extract.id for extract in client.extracts()] == ["ex_0", "ex_1", "ex_2"]
