"""An Extract.to run request answered with success in a body that is not the extract (a proxy's
page, an error sent with 200), through `ExtractToClient.sync`: the sync it began is taken for
ours and waited for, never asked for again; if none began, the error says so and the run is
not asked for again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from extract_assets.core.errors import UnreadableAnswerError
from extract_assets.core.polling import PollPolicy
from extract_assets.extractto.client import ExtractToClient
from extract_assets_tests.security.servers import serving

ANSWERS = {
    "html": (b"<html><body><h1>Accepted</h1></body></html>", "text/html"),
    "error": (b'{"detail": "upstream answered late"}', "application/json"),
}
SYNCED = datetime(2026, 11, 1, tzinfo=UTC)


class ExtractTo:
    """One extract, `e1`; a run request begins a sync (when `starting`), which ends at the
    next read of the extract; it is answered `answer`."""

    def __init__(self, answer: str, *, starting: bool = True) -> None:
        self.answer = answer
        self.starting = starting
        self.runs = 0
        self.status = "active"
        self.last_sync = SYNCED

    async def extract(self, request: Request) -> JSONResponse:
        shown = {"id": "e1", "status": self.status, "last_sync": self.last_sync.isoformat()}
        if self.status == "syncing":
            self.status, self.last_sync = "active", self.last_sync + timedelta(hours=1)
        return JSONResponse(shown)

    async def run(self, request: Request) -> Response:
        self.runs += 1
        if self.starting:
            self.status = "syncing"
        body, media_type = ANSWERS[self.answer]
        return Response(body, media_type=media_type)


def synced(service: ExtractTo) -> datetime | None:
    routes = [
        Route("/extracts/e1", service.extract),
        Route("/extracts/e1/run", service.run, methods=["POST"]),
    ]
    poll = PollPolicy(initial_seconds=0.01, max_seconds=0.05, timeout_seconds=30)
    with serving(Starlette(routes=routes)) as url:
        with ExtractToClient(api_key="ex-unreadable-1234", base_url=url, poll=poll) as client:
            return client.sync("e1", "2026-11-01", "2026-11-07").last_sync


@pytest.mark.parametrize("answer", list(ANSWERS))
def test_a_run_answered_unreadably_waits_for_the_sync_it_began(answer: str) -> None:
    service = ExtractTo(answer)
    assert synced(service) == SYNCED + timedelta(hours=1)
    assert service.runs == 1


@pytest.mark.parametrize("answer", list(ANSWERS))
def test_a_run_answered_unreadably_that_began_nothing_fails_without_asking_again(
    answer: str,
) -> None:
    service = ExtractTo(answer, starting=False)
    with pytest.raises(
        UnreadableAnswerError, match="what it would have made was looked for and not found"
    ):
        synced(service)
    assert service.runs == 1
