"""Errors a service answers with status 200 (`{"error": ...}` in place of the object asked for),
through the public clients: the `UnreadableAnswerError` says what the answer says, with the key
masked, and an answer that is the object asked for, wrong in one field, is not told so."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from extract_assets.core.errors import UnreadableAnswerError
from extract_assets.dataextractor.client import DataExtractorClient
from extract_assets.extractto.client import ExtractToClient
from extract_assets.linkup.client import LinkupClient
from extract_assets_tests.security.servers import serving

KEY = "lk-ANSWERED200-8899aabbccdd"


class Answers:
    """Answers every request with `body`, 200."""

    def __init__(self) -> None:
        self.body: Any = None

    async def answer(self, request: Request) -> JSONResponse:
        return JSONResponse(self.body)


@pytest.fixture
def answers() -> Answers:
    return Answers()


@pytest.fixture
def url(answers: Answers) -> Iterator[str]:
    routes = [
        Route("/v1/extract/{id}", answers.answer),
        Route("/data-tables/{id}/rows", answers.answer),
        Route("/api/v1/datasets/{id}", answers.answer),
    ]
    with serving(Starlette(routes=routes)) as root:
        yield root


def linkup_task(url: str) -> Any:
    with LinkupClient(api_key=KEY, base_url=url) as client:
        return client.get("t1")


def extractto_rows(url: str) -> Any:
    with ExtractToClient(api_key=KEY, base_url=url) as client:
        return list(client.iter_row_pages("tbl_1", "2026-11-01", "2026-11-02"))


def dataextractor_dataset(url: str) -> Any:
    with DataExtractorClient(api_key=KEY, base_url=url) as client:
        return client.dataset("ds_1")


READS = {"linkup": linkup_task, "extractto": extractto_rows, "dataextractor": dataextractor_dataset}


@pytest.mark.parametrize("read", list(READS))
@pytest.mark.parametrize(
    "body",
    [
        {"error": {"code": "UNAUTHORIZED", "message": "Service paused for maintenance"}},
        {"statusCode": 503, "message": "Service paused for maintenance"},
        {"error": True, "msg": "Service paused for maintenance"},
    ],
    ids=["linkup-shape", "nestjs", "flagged"],
)
def test_an_error_answered_200_says_what_the_answer_says(
    answers: Answers, url: str, read: str, body: dict[str, Any]
) -> None:
    answers.body = body
    with pytest.raises(UnreadableAnswerError, match="the answer says: Service paused"):
        READS[read](url)


def test_a_key_quoted_by_an_error_answered_200_is_masked(answers: Answers, url: str) -> None:
    answers.body = {"error": {"code": "UNAUTHORIZED", "message": f"Invalid API key {KEY}"}}
    with pytest.raises(UnreadableAnswerError) as raised:
        linkup_task(url)
    assert "the answer says: Invalid API key ***" in str(raised.value)
    assert KEY not in str(raised.value)


def test_the_object_asked_for_wrong_in_one_field_is_not_told_as_an_error(
    answers: Answers, url: str
) -> None:
    answers.body = {"id": "t1", "status": "failed", "updatedAt": "2026-11-01T00:00:00Z",
                    "error": "Seed URL returned HTTP 500"}  # fmt: skip
    with pytest.raises(UnreadableAnswerError) as raised:
        linkup_task(url)
    assert "createdAt" in str(raised.value) and "the answer says" not in str(raised.value)
