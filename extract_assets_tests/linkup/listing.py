"""A Linkup task listing served on loopback, whose tests say what it shows and when, and how it
departs from the contract's paging the ways real services and proxies do."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from extract_assets.core.instants import parse_instant

START = datetime.now(UTC) - timedelta(hours=1)

Counts = Callable[[dict[str, Any]], dict[str, Any] | None]


def at(seconds: float) -> str:
    """`updatedAt` as Linkup writes it, `seconds` after the start of the test session's hour."""
    return (START + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _instant(task: dict[str, Any]) -> datetime:
    moment = parse_instant(task["updatedAt"])
    assert moment is not None, task["updatedAt"]
    return moment


class Listing:
    """`GET /v1/extract`: tasks, newest `updatedAt` first (as instants, whatever their spelling),
    ties in the order added, a page of `pageSize` at a time; `pages` records the pages asked
    for, throttled ones too.

    What a test may change: `ignores_page` answers every page as the first (a cache keyed
    without the query); `page_cap` serves at most that many a page, counting pages by it;
    `counts` rewrites the metadata (None leaves it out); pages in `empty` before the last are
    answered with no tasks, and the tasks go on on the page after (as if it held tasks the
    listing filters out); tasks in `hidden` are counted and take their place on their page,
    but are left out of it (filtered after paging); the reads (1, 2, …) in `throttled` are
    refused with 429; `after_read[n]` is called once the nth read is answered, to change the
    listing between two reads.
    """

    def __init__(self) -> None:
        self.tasks: list[dict[str, Any]] = []
        self.pages: list[int] = []
        self.ignores_page = False
        self.page_cap: int | None = None
        self.counts: Counts = lambda metadata: metadata
        self.empty: set[int] = set()
        self.hidden: set[str] = set()
        self.throttled: set[int] = set()
        self.after_read: dict[int, Callable[[], None]] = {}

    def complete(self, task_id: str, updated_at: str) -> None:
        self.show(task_id, updated_at, "completed")

    def process(self, task_id: str, updated_at: str) -> None:
        self.show(task_id, updated_at, "processing")

    def show(self, task_id: str, updated_at: str, status: str) -> None:
        """List the task as of a status change, in place of how it was listed before."""
        self.tasks = [task for task in self.tasks if task["id"] != task_id]
        output = {"resultUrl": f"http://127.0.0.1/{task_id}", "rowsReturned": 1, "creditsUsed": 1}
        self.tasks.append(
            {
                "id": task_id,
                "status": status,
                "createdAt": updated_at,
                "updatedAt": updated_at,
                "output": output if status.lower() == "completed" else None,
            }
        )

    def _pages(self, full: int) -> list[int | None]:
        """Which page of tasks each page answered shows; None for a page in `empty`, as a
        listing that filters its pages after cutting them shows one of tasks it leaves out."""
        pages: list[int | None] = []
        while len(pages) - pages.count(None) < full:
            shown = len(pages) + 1 not in self.empty
            pages.append(len(pages) - pages.count(None) if shown else None)
        return pages

    async def page(self, request: Request) -> JSONResponse:
        self.pages.append(int(request.query_params["page"]))
        try:
            return self._answer(len(self.pages), int(request.query_params["pageSize"]))
        finally:
            change = self.after_read.pop(len(self.pages), None)
            if change is not None:
                change()

    def _answer(self, read: int, asked: int) -> JSONResponse:
        if read in self.throttled:
            body = {"statusCode": 429, "error": {"code": "TOO_MANY_REQUESTS", "message": "Slow"}}
            return JSONResponse(body, status_code=429, headers={"Retry-After": "120"})
        number = 1 if self.ignores_page else self.pages[-1]
        size = min(asked, self.page_cap or asked)
        ordered = sorted(self.tasks, key=_instant, reverse=True)
        pages = self._pages(-(-len(ordered) // size))
        metadata = {
            "page": number,
            "pageSize": size,
            "total": len(ordered),
            "totalPages": len(pages),
        }
        start = pages[number - 1] if number <= len(pages) else None
        cut = [] if start is None else ordered[start * size : (start + 1) * size]
        data = [task for task in cut if task["id"] not in self.hidden]
        shown = self.counts(metadata)
        return JSONResponse({"data": data} if shown is None else {"metadata": shown, "data": data})
