"""Extract.to's error shape, `{"detail": "<message>"}`, and the request id on every answer."""

from __future__ import annotations

import uuid

from starlette.responses import Response
from starlette.types import ASGIApp

from extract_assets.emulator.detail_errors import DetailError, RequestIdMiddleware, fault_response


class ExtracttoError(DetailError):
    """An error answer of the Extract.to API."""


def not_found(kind: str) -> ExtracttoError:
    """404 in the documented wording, e.g. "Connection not found"."""
    return ExtracttoError(404, f"{kind} not found")


def new_request_id() -> str:
    """A fresh request id; random, since real request ids identify one exchange only."""
    return str(uuid.uuid4())


def error_response(status: int) -> Response:
    """The body of an injected fault."""
    return fault_response(status, new_request_id())


def with_request_ids(app: ASGIApp) -> ASGIApp:
    """The API app with `X-Request-Id` on every answer."""
    return RequestIdMiddleware(app, new_request_id)
