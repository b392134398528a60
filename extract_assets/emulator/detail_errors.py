"""The `{"detail": "<message>"}` error shape and `X-Request-Id` header, for providers using them.

Extract.to and dataextractor.io answer errors the same way; each subclasses `DetailError` and
builds its request ids its own way.
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "X-Request-Id"


class DetailError(Exception):
    """An error answer: a status and a `detail` message, with optional extra headers."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}

    def response(self) -> Response:
        return JSONResponse({"detail": self.detail}, status_code=self.status, headers=self.headers)


def phrase(status: int) -> str:
    """The standard reason phrase of a status, for bodies that have nothing more to say."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def fault_response(status: int, request_id: str) -> Response:
    """The body of an injected fault, with its own request id: the fault answers before the app."""
    response = DetailError(status, phrase(status)).response()
    response.headers[REQUEST_ID_HEADER] = request_id
    return response


async def handle_detail_error(request: Request, exc: Exception) -> Response:
    """Starlette handler for `DetailError`."""
    assert isinstance(exc, DetailError)
    return exc.response()


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    """Starlette's own 404/405 answers, in the `detail` shape."""
    assert isinstance(exc, HTTPException)
    return DetailError(exc.status_code, phrase(exc.status_code)).response()


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    """A bug in the emulator still answers the documented 500 shape."""
    return DetailError(500, "Internal server error").response()


class RequestIdMiddleware:
    """Adds `X-Request-Id` to every answer of the API, errors and crashes included."""

    def __init__(self, app: ASGIApp, new_id: Callable[[], str]) -> None:
        self.app = app
        self.new_id = new_id

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = self.new_id()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        await self.app(scope, receive, send_with_id)
