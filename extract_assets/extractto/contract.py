"""Everything about Extract.to's API that we decided rather than read: kept here, in one place.

See `shared/providers/extractto.md`. When the real shapes are published, this is the file to change.
"""

from __future__ import annotations

import re

import httpx

from extract_assets.core.client import Api
from extract_assets.core.errors import (
    ApiError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    PaymentRequiredError,
    PermissionDeniedError,
)
from extract_assets.core.http import (
    ErrorContext,
    detail_message,
    error_class_for,
    refuses_cursor,
)

PROVIDER = "Extract.to"
DEFAULT_BASE_URL = "https://api.extract.to"
BASE_URL_ENV = "EXTRACTTO_BASE_URL"
API_KEY_ENV = "EXTRACTTO_API_KEY"
KEY_PAGE = "https://app.extract.to/users/edit/me"

LIST_PAGE_SIZE = 200
ROWS_PAGE_SIZE = 10_000
SYNCING = "syncing"
ERROR = "error"
PAUSED = "paused"
RUN_FINAL_STATUSES = frozenset({"succeeded", "failed", "cancelled"})

ALREADY_SYNCING = "already syncing"


class AlreadySyncingError(ConflictError):
    """The extract is syncing; a run can be asked for only once it has finished."""


class CursorExpiredError(BadRequestError):
    """A page cursor is no longer valid: the read must start again from the beginning."""


def error_from_response(response: httpx.Response, ctx: ErrorContext) -> ApiError:
    """A typed error from Extract.to's `{"detail": "..."}`, with what to do about it."""
    detail = detail_message(response)
    status = response.status_code
    lowered = detail.lower()
    cls: type[ApiError] = error_class_for(status)
    if status == 400 and ALREADY_SYNCING in lowered:
        cls = AlreadySyncingError
    elif refuses_cursor(response, detail):
        cls = CursorExpiredError
    elif status == 401:
        cls = AuthenticationError
    elif status == 402:
        cls = PaymentRequiredError
    elif status == 403:
        cls = PermissionDeniedError
    hint = _hint(status, detail, ctx.api_key_env or API_KEY_ENV)
    return ctx.error(cls, detail, status=status, hint=hint)


def _hint(status: int, detail: str, key_env: str) -> str | None:
    """What to do; a refused key names `key_env`, the variable the key was read from."""
    if status == 401:
        return (
            f"the key in {key_env} was refused. Extract.to keys are valid for 90 days: if "
            f"yours is older, copy a new one from {KEY_PAGE} (Profile → API Key)."
        )
    if status == 402:
        return (
            f"your Extract.to plan limit was reached ({detail}). Upgrade the plan or free "
            "capacity (fewer schedules or extracts), then try again."
        )
    if status == 403:
        return (
            f"the user of the key in {key_env} lacks the role this needs. Ask an Extract.to "
            "admin to grant it under Settings > Roles & Permissions (Creator or Admin for "
            "writes, Billing for plans and usage)."
        )
    return None


_TEXT = {"type": "string"}
_INTEGER = {"type": "integer"}
_NUMBER = {"type": "number"}
_BOOLEAN = {"type": "boolean"}
_DATE = {"type": "string", "format": "date"}
_INSTANT = {"type": "string", "format": "date-time"}
# The names databases and warehouses give their types, lower case and without parameters.
_COLUMN_TYPES: dict[str, dict[str, str]] = {
    **dict.fromkeys(["string", "text", "str", "varchar", "char", "character varying"], _TEXT),
    **dict.fromkeys(
        ["integer", "int", "int64", "int32", "bigint", "smallint", "tinyint", "long"], _INTEGER
    ),
    **dict.fromkeys(
        [
            *["number", "float", "float64", "float32", "double", "double precision", "real"],
            *["decimal", "numeric", "bignumeric"],
        ],
        _NUMBER,
    ),
    **dict.fromkeys(["boolean", "bool"], _BOOLEAN),
    "date": _DATE,
    **dict.fromkeys(
        [
            *["datetime", "date-time", "timestamp", "timestamptz", "timestamp with time zone"],
            *["timestamp without time zone", "timestamp_tz", "timestamp_ntz", "timestamp_ltz"],
        ],
        _INSTANT,
    ),
}
_PARAMETERS = re.compile(r"\(.*?\)")


def _column_type(kind: str) -> dict[str, str]:
    """The JSON Schema of a column type as a data table names it: any case, with or without
    parameters (`DECIMAL(12,2)`, `VARCHAR(255)`, `TIMESTAMP(6) WITH TIME ZONE`); {} when
    unknown."""
    name = " ".join(_PARAMETERS.sub(" ", kind).lower().split())
    return dict(_COLUMN_TYPES.get(name, {}))


def columns_json_schema(
    columns: list[tuple[str, str]], *, drop: frozenset[str] = frozenset()
) -> dict[str, object]:
    """A JSON Schema for rows from a data table's `columns` (name, type); unknown types stay
    untyped, so their values are kept as JSON text rather than guessed.

    >>> columns_json_schema([("clicks", "INT64"), ("date", "date")], drop=frozenset({"date"}))
    {'type': 'object', 'properties': {'clicks': {'type': 'integer'}}}
    """
    properties = {name: _column_type(kind) for name, kind in columns if name not in drop}
    return {"type": "object", "properties": properties}


API = Api(PROVIDER, BASE_URL_ENV, error_from_response)
