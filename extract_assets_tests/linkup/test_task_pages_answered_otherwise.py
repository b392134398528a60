"""`LinkupClient.list` answered 200 with something other than a page of tasks (JSON `null`, an
array, a string, an error object): an `UnreadableAnswerError` that says so, never a TypeError."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from extract_assets.core.errors import UnreadableAnswerError
from extract_assets.linkup.client import LinkupClient
from extract_assets_tests.security.servers import serving


def listed(body: Any) -> None:
    async def page(request: Request) -> JSONResponse:
        return JSONResponse(body)

    with serving(Starlette(routes=[Route("/v1/extract", page)])) as url:
        with LinkupClient(api_key="lk-pages-12345678", base_url=url) as client:
            client.list()


@pytest.mark.parametrize("body", [None, [], [{"id": "t1"}], "OK", 7], ids=repr)
def test_a_page_of_tasks_that_is_no_object_is_unreadable(body: Any) -> None:
    with pytest.raises(UnreadableAnswerError, match="the page of tasks is not in the shape"):
        listed(body)


def test_an_error_answered_200_for_a_page_of_tasks_says_what_it_says() -> None:
    body = {"error": {"code": "UNAUTHORIZED", "message": "Organization suspended"}}
    with pytest.raises(UnreadableAnswerError, match="the answer says: Organization suspended"):
        listed(body)
