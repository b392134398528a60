"""Pages of Extract.to rows holding items that are not objects (`null`, a list), through
`ExtractToClient.iter_row_pages`: the read hands them on as sent, for the writer to judge; its
progress, which dates a page by its last row, never fails on them."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from extract_assets.extractto.client import ExtractToClient
from extract_assets_tests.security.servers import serving


@pytest.mark.parametrize("last", [None, ["2026-11-02", 7], "2026-11-02", 12])
def test_a_page_ending_with_an_item_that_is_no_object_is_read_as_sent(last: Any) -> None:
    rows = [{"date": "2026-11-01", "clicks": 3}, last]

    async def page(request: Request) -> JSONResponse:
        return JSONResponse({"data": rows, "next_cursor": None})

    with serving(Starlette(routes=[Route("/data-tables/{id}/rows", page)])) as url:
        with ExtractToClient(api_key="ex-odd-rows-1234", base_url=url) as client:
            pages = list(client.iter_row_pages("tbl_1", "2026-11-01", "2026-11-02"))
    assert pages == [rows]
