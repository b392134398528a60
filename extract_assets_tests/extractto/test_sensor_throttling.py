"""The extracts sensor over an Extract.to that throttles: it answers a page of rows, then 429
with a `Retry-After` longer than a tick may wait, as a service with a per-minute quota does.
Each tick keeps the extracts it read and the next one goes on with the others."""

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse

from .outside import OutsideExtractTo, row, ticking
from .test_sensors import RANGE_START, Tick

EXTRACTS = ["e1", "e2", "e3"]


class Throttled(OutsideExtractTo):
    """Extracts `EXTRACTS`, each with a table of one row dated two days ago and stamped with
    the last sync; rows are throttled after every page answered (the quota then refills)."""

    def __init__(self) -> None:
        super().__init__(EXTRACTS)
        self.answered = False

    def sync(self) -> None:
        """Every extract syncs once more, outside Dagster."""
        self.last_sync += timedelta(hours=1)

    async def rows(self, request: Request) -> JSONResponse:
        if self.answered:
            self.answered = False
            return JSONResponse(
                {"detail": "Too many requests"}, status_code=429, headers={"Retry-After": "120"}
            )
        self.answered = True
        page = [row(self.today - timedelta(days=2), self.last_sync.isoformat())]
        return JSONResponse({"data": page, "next_cursor": None})


@pytest.fixture
def extractto() -> Throttled:
    return Throttled()


@pytest.fixture
def tick(extractto: Throttled, tmp_path: Path) -> Iterator[Tick]:
    with ticking(extractto, tmp_path) as ticks:
        yield ticks


def test_rows_throttled_mid_tick_have_every_extract_s_sync_requested_once_over_ticks(
    extractto: Throttled, tick: Tick
) -> None:
    assert tick() == []
    extractto.sync()
    requests = [request for _ in range(len(EXTRACTS) + 1) for request in tick()]
    day = (extractto.today - timedelta(days=2)).isoformat()
    assert sorted(request.run_key or "" for request in requests) == sorted(
        f"{id}:{extractto.last_sync.isoformat()}:{day}" for id in EXTRACTS
    )
    assert {request.tags[RANGE_START] for request in requests} == {day}


def test_a_throttled_tick_says_the_next_tick_tries_again_not_to_re_execute_a_run(
    extractto: Throttled, tick: Tick, capfd: pytest.CaptureFixture[str]
) -> None:
    tick()
    extractto.sync()
    tick()
    logged = capfd.readouterr().err
    assert "Retry-After" in logged
    assert "nothing is lost" in logged
    assert "re-execute" not in logged
