"""A dataextractor.io upload answered with success in a body that is not the dataset (a proxy's
page, an error sent with 200), through `DataExtractorClient.submit`: the dataset it made is
found by its filename and used, never uploaded (and paid for) again; if none is found, the
error says so and the upload is not sent again."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from extract_assets.core.errors import UnreadableAnswerError
from extract_assets.dataextractor.client import DataExtractorClient
from extract_assets_tests.security.servers import serving

FILENAME = "invoice-7.pdf"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ANSWERS = {
    "html": (b"<html><body><h1>Upload received</h1></body></html>", "text/html"),
    "error": (b'{"detail": "upstream answered late"}', "application/json"),
}


class DataExtractor:
    """Makes a dataset of each upload (when `creating`), answering `answer`; lists them."""

    def __init__(self, answer: str, *, creating: bool = True) -> None:
        self.answer = answer
        self.creating = creating
        self.uploads = 0
        self.datasets: list[dict[str, Any]] = []

    async def extract(self, request: Request) -> Response:
        self.uploads += 1
        sent = await request.body()
        if self.creating and FILENAME.encode() in sent:
            self.datasets.append(
                {
                    "id": f"ds_{self.uploads}",
                    "status": "processing",
                    "filename": FILENAME,
                    "created_at": "2099-01-01T00:00:00Z",
                }
            )
        body, media_type = ANSWERS[self.answer]
        return Response(body, media_type=media_type)

    async def listing(self, request: Request) -> Response:
        return JSONResponse({"data": self.datasets[::-1], "next_cursor": None})


def submitted(service: DataExtractor) -> str:
    routes = [
        Route("/api/v1/extract", service.extract, methods=["POST"]),
        Route("/api/v1/datasets", service.listing, methods=["GET"]),
    ]
    with serving(Starlette(routes=routes)) as url:
        with DataExtractorClient(
            api_key="dx-unreadable-1234", base_url=url, writes_per_minute=6000
        ) as client:
            return client.submit(PDF, filename=FILENAME).id


@pytest.mark.parametrize("answer", list(ANSWERS))
def test_an_upload_answered_unreadably_uses_the_dataset_it_made(answer: str) -> None:
    service = DataExtractor(answer)
    assert submitted(service) == "ds_1"
    assert service.uploads == 1


@pytest.mark.parametrize("answer", list(ANSWERS))
def test_an_upload_answered_unreadably_that_made_nothing_fails_without_sending_again(
    answer: str,
) -> None:
    service = DataExtractor(answer, creating=False)
    with pytest.raises(
        UnreadableAnswerError, match="what it would have made was looked for and not found"
    ):
        submitted(service)
    assert service.uploads == 1
