"""What we decided about dataextractor.io's API where it is silent: kept here, in one place.

See `shared/providers/dataextractor.md`. When the real shapes are published, this is the file to
change.
"""

from __future__ import annotations

import httpx

from extract_assets.core.client import Api
from extract_assets.core.errors import ApiError, PaymentRequiredError
from extract_assets.core.http import (
    ErrorContext,
    detail_message,
    error_class_for,
    refuses_cursor,
)

PROVIDER = "dataextractor.io"
DEFAULT_BASE_URL = "https://dataextractor.io"
BASE_URL_ENV = "DATAEXTRACTOR_BASE_URL"
API_KEY_ENV = "DATAEXTRACTOR_API_KEY"
WEBHOOK_SECRET_ENV = "DATAEXTRACTOR_WEBHOOK_SECRET"
SIGNATURE_HEADER = "X-Dataextractor-Signature"

READS_PER_MINUTE = 60.0
WRITES_PER_MINUTE = 10.0
# Pace a little under the documented limits, so that clock skew between us and the server
# never turns an evenly spaced request into a 429.
HEADROOM = 0.95
READ_BUCKET = "read"
WRITE_BUCKET = "write"
# Two reads may go at once after a pause ("concurrent requests up to the rate limit" are
# documented), still at most 59 in any minute: a polling tick's two requests take no second.
READ_BURST = 2

PAGE_SIZE = 100
MAX_UPLOAD_BYTES = 26_214_400
FINAL_STATUSES = frozenset({"complete", "failed"})

# Magic numbers of the supported uploads: the content decides, not the file name.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
)


class CursorExpiredError(ApiError):
    """A list cursor is no longer valid (they last 24 hours): start the listing again."""


def media_type(head: bytes) -> str | None:
    """The media type of a supported document from its first bytes, else None.

    >>> media_type(b"%PDF-1.7 ...")
    'application/pdf'
    >>> media_type(b"PK\\x03\\x04") is None
    True
    """
    return next((kind for magic, kind in _SIGNATURES if head.startswith(magic)), None)


def error_from_response(response: httpx.Response, ctx: ErrorContext) -> ApiError:
    """A typed error from `{"detail": ...}`, with what to do about it."""
    detail = detail_message(response)
    status = response.status_code
    cls: type[ApiError] = error_class_for(status)
    if refuses_cursor(response, detail):
        cls = CursorExpiredError
    elif status == 402:
        cls = PaymentRequiredError
    return ctx.error(cls, detail, status=status, hint=_hint(status, ctx.api_key_env or API_KEY_ENV))


def _hint(status: int, key_env: str) -> str | None:
    """What to do; a refused key names `key_env`, the variable the key was read from."""
    if status == 401:
        return (
            f"the key in {key_env} is missing, invalid or revoked: create one on the Developer "
            f"page of your dataextractor.io account settings and set {key_env} to it."
        )
    return _HINTS.get(status)


_HINTS = {
    402: (
        "the monthly extraction quota of your plan is used up (Free 10, Pro 500): upgrade the "
        "plan or wait for next month. This document was not uploaded."
    ),
    422: "the file is not a supported document (PDF, PNG, JPEG, TIFF up to 25 MB) or is corrupt.",
}


API = Api(PROVIDER, BASE_URL_ENV, error_from_response)
