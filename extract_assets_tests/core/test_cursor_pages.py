"""Pages of `{"data", "next_cursor"}` listings answered 200 in another shape, through the public
Extract.to rows read and dataextractor.io listing: a body without its `data` (an error sent with
200, another envelope) is an `UnreadableAnswerError`, never a page of no items, which would end
the read as if the range or the listing were empty."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from extract_assets.core.errors import UnreadableAnswerError
from extract_assets.dataextractor.client import DataExtractorClient
from extract_assets.extractto.client import ExtractToClient
from extract_assets_tests.security.servers import serving

KEY = "pages-KEY-3c2b1a0f9e8d"


class Pages:
    """Answers every listing with `body`, 200."""

    def __init__(self) -> None:
        self.body: Any = None

    async def page(self, request: Request) -> JSONResponse:
        return JSONResponse(self.body)


@pytest.fixture
def pages() -> Pages:
    return Pages()


@pytest.fixture
def url(pages: Pages) -> Iterator[str]:
    routes = [Route("/data-tables/{id}/rows", pages.page), Route("/api/v1/datasets", pages.page)]
    with serving(Starlette(routes=routes)) as root:
        yield root


def extractto_rows(url: str) -> list[Any]:
    with ExtractToClient(api_key=KEY, base_url=url) as client:
        return list(client.iter_row_pages("tbl_1", "2026-11-01", "2026-11-07"))


def dataextractor_datasets(url: str) -> list[Any]:
    with DataExtractorClient(api_key=KEY, base_url=url) as client:
        return list(client.iter_dataset_pages())


READS: dict[str, Callable[[str], list[Any]]] = {
    "extractto rows": extractto_rows,
    "dataextractor datasets": dataextractor_datasets,
}


@pytest.mark.parametrize(
    "body",
    [
        {"error": "Service temporarily unavailable"},
        {"message": "Internal server error", "statusCode": 500},
        {"items": [{"id": "a"}], "next_cursor": None},
        {},
    ],
    ids=["error", "nestjs", "other-envelope", "empty-object"],
)
@pytest.mark.parametrize("read", list(READS))
def test_a_page_without_its_data_is_unreadable_not_empty(
    pages: Pages, url: str, read: str, body: dict[str, Any]
) -> None:
    pages.body = body
    with pytest.raises(UnreadableAnswerError, match="data: Field required"):
        READS[read](url)


@pytest.mark.parametrize("read", list(READS))
def test_a_page_whose_data_is_null_is_the_last_page_of_nothing(
    pages: Pages, url: str, read: str
) -> None:
    pages.body = {"data": None, "next_cursor": None}
    assert READS[read](url) == []
