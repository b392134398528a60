"""An Extract.to served on loopback whose extracts sync outside Dagster: tests give it the
extracts' ids and the rows of their data tables, and move `last_sync` on."""

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

TODAY = datetime.now(UTC).date()


def row(day: date, inserted: str, **fields: Any) -> dict[str, Any]:
    """A data-table row of `day`, stamped `inserted`."""
    return {
        "date": day.isoformat(),
        "account_id": "a1",
        "account_name": "Account",
        "__insert_date": inserted,
        **fields,
    }


class OutsideExtractTo:
    """`GET /extracts` lists `extract_ids`, active, each synced at `last_sync` into the data
    table `table-{id}`; subclasses answer `GET /data-tables/{id}/rows` (`rows`)."""

    def __init__(self, extract_ids: Sequence[str], last_sync: datetime) -> None:
        self.extract_ids = list(extract_ids)
        self.last_sync = last_sync

    async def extracts(self, request: Request) -> JSONResponse:
        extracts = [
            {
                "id": extract_id,
                "title": extract_id,
                "status": "active",
                "last_sync": self.last_sync.isoformat(),
                "data_table_id": f"table-{extract_id}",
            }
            for extract_id in self.extract_ids
        ]
        return JSONResponse({"data": extracts, "next_cursor": None})

    async def rows(self, request: Request) -> JSONResponse:
        raise NotImplementedError

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/extracts", self.extracts),
                Route("/data-tables/{table_id}/rows", self.rows),
            ]
        )


def midnight(day: date) -> datetime:
    """The start of `day`, UTC."""
    return datetime.combine(day, datetime.min.time(), UTC)
