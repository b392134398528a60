"""dataextractor.io's error shape, `{"detail": "<message>"}`, and `X-Request-Id` on every answer."""

from __future__ import annotations

import uuid

from starlette.responses import Response
from starlette.types import ASGIApp

from extract_assets.emulator.detail_errors import DetailError, RequestIdMiddleware, fault_response


class DataextractorError(DetailError):
    """An error answer of the dataextractor.io API."""


def not_found() -> DataextractorError:
    """404 for a dataset that does not exist in the caller's account (others' included)."""
    return DataextractorError(404, "Dataset not found")


def new_request_id() -> str:
    """A fresh request id; random, since a request id identifies one exchange only."""
    return f"req_{uuid.uuid4().hex}"


def error_response(status: int) -> Response:
    """The body of an injected fault."""
    return fault_response(status, new_request_id())


def with_request_ids(app: ASGIApp) -> ASGIApp:
    """The API app with `X-Request-Id` on every answer."""
    return RequestIdMiddleware(app, new_request_id)
