"""Linkup's HTTP surface: `/v1/extract` and the host serving result files."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from extract_assets.emulator.clock import Clock, iso_z
from extract_assets.emulator.files import (
    ResultStore,
    UrlSigner,
    ndjson_file_response,
    object_store_error,
)
from extract_assets.emulator.linkup.errors import (
    LinkupError,
    handle_http_exception,
    handle_linkup_error,
)
from extract_assets.emulator.linkup.state import RESULT_SUFFIX, LinkupState, LinkupTask
from extract_assets.emulator.linkup.validation import parse_extract_request, parse_list_query
from extract_assets.emulator.realworld import RealWorld
from extract_assets.emulator.requests_log import exchange_of


class TaskViews:
    """Renders tasks as the API returns them, minting a fresh result URL each time."""

    def __init__(self, state: LinkupState, clock: Clock, signer: UrlSigner, files_prefix: str):
        self.state = state
        self.clock = clock
        self.signer = signer
        self.files_prefix = files_prefix

    def render(self, task: LinkupTask, request: Request) -> dict[str, Any]:
        """The Task object at the current emulator time."""
        now = self.clock.time()
        status, updated_at = task.status_at(now)
        output = None
        if status == "completed":
            output = {
                "creditsUsed": _number(task.credits),
                "resultUrl": self._result_url(task, request, now),
                "rowsReturned": task.rows,
            }
        return {
            "id": task.id,
            "type": "extract",
            "status": status,
            "createdAt": iso_z(task.created_at),
            "updatedAt": iso_z(updated_at),
            "error": task.fail if status == "failed" else None,
            "input": {
                "q": task.request.q,
                "url": task.request.url,
                "schema": task.request.schema,
                "verifyUrls": task.request.verify_urls,
            },
            "output": output,
        }

    def _result_url(self, task: LinkupTask, request: Request, now: float) -> str:
        expires = int(now + self.state.settings.result_url_ttl)
        signature = self.signer.sign(task.id, expires)
        origin = f"{request.url.scheme}://{request.url.netloc}"
        path = f"{self.files_prefix}/{task.id}{RESULT_SUFFIX}"
        return f"{origin}{path}?expires={expires}&sig={signature}"


def build_api_app(state: LinkupState, views: TaskViews) -> Starlette:
    """The API as mounted at the base URL: `/v1/extract` and `/v1/extract/{id}`."""

    async def create_task(request: Request) -> Response:
        account = state.authenticate(request.headers.get("authorization"))
        extract = parse_extract_request(await request.body())
        return JSONResponse(views.render(state.create(account, extract), request))

    async def list_tasks(request: Request) -> Response:
        account = state.authenticate(request.headers.get("authorization"))
        query = parse_list_query(dict(request.query_params))
        total, tasks = state.page(account, query)
        metadata = {
            "page": query.page,
            "pageSize": query.page_size,
            "total": total,
            "totalPages": -(-total // query.page_size),
        }
        data = [views.render(task, request) for task in tasks]
        return JSONResponse({"metadata": metadata, "data": data})

    async def get_task(request: Request) -> Response:
        account = state.authenticate(request.headers.get("authorization"))
        task = state.get(account, request.path_params["task_id"])
        return JSONResponse(views.render(task, request))

    return Starlette(
        routes=[
            Route("/v1/extract", create_task, methods=["POST"]),
            Route("/v1/extract", list_tasks, methods=["GET"]),
            Route("/v1/extract/{task_id}", get_task, methods=["GET"]),
        ],
        exception_handlers={
            LinkupError: handle_linkup_error,
            HTTPException: handle_http_exception,
        },
    )


def build_files_app(
    state: LinkupState, clock: Clock, signer: UrlSigner, results: ResultStore, profile: RealWorld
) -> Starlette:
    """The file host: pre-signed URLs, no API key, object-store errors; under the real-world
    profile, results stored gzip-compressed."""

    async def download(request: Request) -> Response:
        if "authorization" in request.headers:
            # A pre-signed object-store URL refuses a second authentication mechanism; a client
            # that sends its API key here would leak it to another host.
            return object_store_error(
                400, "Only one auth mechanism allowed: the signed URL or an Authorization header."
            )
        task_id = request.path_params["task_id"]
        now = clock.time()
        params = request.query_params
        problem = signer.problem(task_id, params.get("expires"), params.get("sig"), now)
        if problem is not None:
            return object_store_error(403, problem)
        task = state.tasks.get(task_id)
        if task is None or task.status_at(now)[0] != "completed":
            return object_store_error(404, "The specified key does not exist.")
        path = await results.path(task.content_key)
        exchange = exchange_of(request.scope)
        return await ndjson_file_response(
            path, exchange.keep_fraction if exchange else None, gzip_encoded=profile.on
        )

    return Starlette(routes=[Route("/{task_id}" + RESULT_SUFFIX, download, methods=["GET"])])


def _number(value: float) -> float | int:
    return int(value) if value.is_integer() else value
