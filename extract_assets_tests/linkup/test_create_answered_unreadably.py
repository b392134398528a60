"""A Linkup create answered with success in a body that is not the task (a proxy's page, an
error sent with 200, a body a gateway emptied), through `LinkupClient.create`: the task it made
is looked for and used, never paid for again; if none is found, the error says so, and the
create is not sent again."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from extract_assets.core.errors import UnreadableAnswerError
from extract_assets.linkup.client import LinkupClient
from extract_assets_tests.security.servers import serving

ANSWERS = {
    "html": (b"<html><body><h1>OK</h1></body></html>", "text/html"),
    "empty": (b"", "application/json"),
    "error": (
        b'{"error": {"code": "GATEWAY", "message": "upstream answered late"}}',
        "application/json",
    ),
}


class Linkup:
    """Creates a task for each create it receives (when `creating`), answering `answer`; lists
    the tasks made."""

    def __init__(self, answer: str, *, creating: bool = True) -> None:
        self.answer = answer
        self.creating = creating
        self.creates = 0
        self.tasks: list[dict[str, Any]] = []

    async def create(self, request: Request) -> Response:
        self.creates += 1
        sent = await request.json()
        if self.creating:
            self.tasks.append(
                {
                    "id": f"t-{self.creates}",
                    "status": "pending",
                    "createdAt": "2099-01-01T00:00:00Z",
                    "updatedAt": "2099-01-01T00:00:00Z",
                    "input": {"q": sent["q"], "url": sent["url"]},
                }
            )
        body, media_type = ANSWERS[self.answer]
        return Response(body, media_type=media_type)

    async def listing(self, request: Request) -> Response:
        metadata = {"page": 1, "pageSize": 100, "total": len(self.tasks), "totalPages": 1}
        return JSONResponse({"metadata": metadata, "data": self.tasks})


def created(service: Linkup) -> str:
    routes = [
        Route("/v1/extract", service.create, methods=["POST"]),
        Route("/v1/extract", service.listing, methods=["GET"]),
    ]
    with serving(Starlette(routes=routes)) as url:
        with LinkupClient(api_key="lk-unreadable-1234", base_url=url) as client:
            return client.create("Team members", "https://example.com/team").id


@pytest.mark.parametrize("answer", list(ANSWERS))
def test_a_create_answered_unreadably_uses_the_task_it_made(answer: str) -> None:
    service = Linkup(answer)
    assert created(service) == "t-1"
    assert service.creates == 1


@pytest.mark.parametrize("answer", list(ANSWERS))
def test_a_create_answered_unreadably_that_made_nothing_fails_without_sending_again(
    answer: str,
) -> None:
    service = Linkup(answer, creating=False)
    with pytest.raises(
        UnreadableAnswerError, match="what it would have made was looked for and not found"
    ):
        created(service)
    assert service.creates == 1
