"""Everything about Linkup's API that we decided rather than read: kept here, in one place.

See `shared/providers/linkup.md`. When Linkup publishes the real shape, this is the file to change.
"""

from __future__ import annotations

import httpx

from extract_assets.core.client import Api
from extract_assets.core.error_body import read_error_body
from extract_assets.core.errors import (
    ApiError,
    AuthenticationError,
    PaymentRequiredError,
    PermissionDeniedError,
    QueueFullError,
    RateLimitedError,
)
from extract_assets.core.http import ErrorContext, error_class_for

PROVIDER = "Linkup"
DEFAULT_BASE_URL = "https://api.linkup.so"
BASE_URL_ENV = "LINKUP_BASE_URL"
API_KEY_ENV = "LINKUP_API_KEY"
FINAL_STATUSES = frozenset({"completed", "failed"})
MAX_PAGE_SIZE = 100

_CODE_CLASSES: dict[str, type[ApiError]] = {
    "UNAUTHORIZED": AuthenticationError,
    "TASK_TYPE_NOT_SUPPORTED": PermissionDeniedError,
    "TOO_MANY_REQUESTS": RateLimitedError,
    "INSUFFICIENT_FUNDS_CREDITS": PaymentRequiredError,
    "EXCEED_BUDGET_LIMIT": PaymentRequiredError,
    "TASKS_QUEUE_LIMIT_EXCEEDED": QueueFullError,
}

_HINTS: dict[str, str] = {
    "TASK_TYPE_NOT_SUPPORTED": (
        "extract is a closed beta at Linkup: ask Linkup to enable extract tasks for your "
        "organization, then materialize again."
    ),
    "INSUFFICIENT_FUNDS_CREDITS": (
        "your Linkup organization is out of credits: add credits in the Linkup dashboard, then "
        "materialize again. Nothing was charged for this attempt."
    ),
    "EXCEED_BUDGET_LIMIT": (
        "this request would pass the budget limit set on your Linkup organization: raise the "
        "limit in the Linkup dashboard or wait for the next budget period."
    ),
    "VALIDATION_ERROR": "fix the extract spec (q, url, schema, verifyUrls) as the details say.",
}


def error_from_response(response: httpx.Response, ctx: ErrorContext) -> ApiError:
    """A typed error from Linkup's `{"statusCode", "error": {"code", "message", "details"}}`."""
    code, message, details = _parse_error_body(response)
    cls = _CODE_CLASSES.get(code or "", error_class_for(response.status_code))
    if details:
        message += ": " + "; ".join(details)
    return ctx.error(
        cls,
        message,
        status=response.status_code,
        code=code,
        hint=_hint(code, response.status_code, ctx.api_key_env or API_KEY_ENV),
    )


def _hint(code: str | None, status: int, key_env: str) -> str | None:
    """What to do; a refused key names `key_env`, the variable the key was read from."""
    known = _HINTS.get(code or "")
    if known is not None:
        return known
    if code == "UNAUTHORIZED" or status == 401:
        return (
            f"check {key_env}: the key is missing, mistyped or revoked. Copy a key from the "
            f"Linkup dashboard (app.linkup.so) into {key_env} where the Dagster code location "
            "runs."
        )
    if code == "FORBIDDEN":
        return (
            f"the key in {key_env} is not allowed to do this (an IP allow-list, or a "
            "restricted key)."
        )
    return None


def _parse_error_body(response: httpx.Response) -> tuple[str | None, str, list[str]]:
    said = read_error_body(response)
    return said.code, said.message, said.details


API = Api(PROVIDER, BASE_URL_ENV, error_from_response)
