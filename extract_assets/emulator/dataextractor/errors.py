"""dataextractor.io's error shape, `{"detail": "<message>"}`, and `X-Request-Id` on every answer."""

from __future__ import annotations

import uuid
from http import HTTPStatus

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "X-Request-Id"


class DataextractorError(Exception):
    """An error answer of the dataextractor.io API."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}

    def response(self) -> Response:
        """The error as dataextractor.io sends it."""
        return JSONResponse({"detail": self.detail}, status_code=self.status, headers=self.headers)


def not_found() -> DataextractorError:
    """404 for a dataset that does not exist in the caller's account (others' included)."""
    return DataextractorError(404, "Dataset not found")


def error_response(status: int) -> Response:
    """The body of an injected fault, with its own request id: the fault answers before the app."""
    response = DataextractorError(status, _phrase(status)).response()
    response.headers[REQUEST_ID_HEADER] = new_request_id()
    return response


async def handle_dataextractor_error(request: Request, exc: Exception) -> Response:
    """Starlette handler for DataextractorError."""
    assert isinstance(exc, DataextractorError)
    return exc.response()


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    """Starlette's own 404/405 answers, in the `detail` shape."""
    assert isinstance(exc, HTTPException)
    return DataextractorError(exc.status_code, _phrase(exc.status_code)).response()


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    """A bug in the emulator still answers the documented 500 shape."""
    return DataextractorError(500, "Internal server error").response()


def new_request_id() -> str:
    """A fresh request id; random, since a request id identifies one exchange only."""
    return f"req_{uuid.uuid4().hex}"


class RequestIdMiddleware:
    """Adds `X-Request-Id` to every answer of the API, errors and crashes included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = new_request_id()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        await self.app(scope, receive, send_with_id)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
