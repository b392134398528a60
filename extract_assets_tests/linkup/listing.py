"""A Linkup task listing served on loopback, whose tests say what it shows and when."""

from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

START = datetime.now(UTC) - timedelta(hours=1)


def at(seconds: float) -> str:
    """`updatedAt` as Linkup writes it, `seconds` after the start of the test session's hour."""
    return (START + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Listing:
    """`GET /v1/extract`: tasks, newest `updatedAt` first, ties in the order added, a page of
    `pageSize` at a time; `pages` records the pages asked for."""

    def __init__(self) -> None:
        self.tasks: list[dict[str, Any]] = []
        self.pages: list[int] = []

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
                "output": output if status == "completed" else None,
            }
        )

    async def page(self, request: Request) -> JSONResponse:
        number = int(request.query_params["page"])
        size = int(request.query_params["pageSize"])
        self.pages.append(number)
        ordered = sorted(self.tasks, key=lambda task: task["updatedAt"], reverse=True)
        metadata = {
            "page": number,
            "pageSize": size,
            "total": len(ordered),
            "totalPages": -(-len(ordered) // size),
        }
        data = ordered[(number - 1) * size : number * size]
        return JSONResponse({"metadata": metadata, "data": data})
