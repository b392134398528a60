"""Linkup's error shape: `{"statusCode", "error": {"code", "message", "details"}}`."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from extract_assets.emulator.detail_errors import phrase

_CODES = {
    400: "VALIDATION_ERROR",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    429: "TOO_MANY_REQUESTS",
}


class LinkupError(Exception):
    """An error answer of the Linkup API."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: list[dict[str, str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or []

    def response(self) -> Response:
        """The error as Linkup sends it."""
        body = {
            "statusCode": self.status,
            "error": {"code": self.code, "message": self.message, "details": self.details},
        }
        return JSONResponse(body, status_code=self.status)


def error_for_status(status: int, message: str | None = None) -> LinkupError:
    """The generic Linkup error for a status (5xx are all INTERNAL_SERVER_ERROR)."""
    code = "INTERNAL_SERVER_ERROR" if status >= 500 else _CODES.get(status, "ERROR")
    return LinkupError(status, code, message or phrase(status))


def error_response(status: int) -> Response:
    """The body of an injected fault, as Linkup would answer it."""
    return error_for_status(status).response()


async def handle_linkup_error(request: Request, exc: Exception) -> Response:
    """Starlette handler for LinkupError."""
    assert isinstance(exc, LinkupError)
    return exc.response()


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    """Starlette's own 404/405 answers, in Linkup's shape."""
    assert isinstance(exc, HTTPException)
    path = request.url.path.removeprefix(request.scope.get("root_path", ""))
    message = f"Cannot {request.method} {path}"
    return error_for_status(exc.status_code, message).response()
