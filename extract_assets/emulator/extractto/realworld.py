"""Extract.to under the real-world profile (the traits are listed in `emulator.realworld`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any

from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import Scope

from extract_assets.emulator.detail_errors import phrase
from extract_assets.emulator.realworld import (
    OFFSETS,
    RealWorld,
    Rewrite,
    day_timestamp,
    path_below_mount,
)

TIME_KEYS = ("created_at", "updated_at", "last_sync", "started_at", "finished_at")
_ROWS_PATH = re.compile(r"^/data-tables/[^/]+/rows$")
# One row date in this many is written as a timestamp with an offset.
TIMESTAMP_DATE_EVERY = 4
# One generated row in this many has its account name cut through an emoji.
CUT_TEXT_EVERY = 50
# One generated row in this many has a number beyond float64 in one of its `number` columns.
BEYOND_DOUBLES_EVERY = 40
# The first half of 😀 (U+1F600): what is left of it when text is cut by UTF-16 units.
HALF_AN_EMOJI = "\ud83d"


def fault_body(status: int) -> Response | None:
    """An injected 500 as the framework's plain text, 502/503/504 as the gateway's JSON;
    None for other statuses (the documented shape)."""
    if status == 500:
        return PlainTextResponse("Internal Server Error", status_code=500)
    if status in (502, 503, 504):
        return JSONResponse({"message": phrase(status)}, status_code=status)
    return None


def rewriter(profile: RealWorld) -> Rewrite:
    """The rewrite of Extract.to's JSON answers, for `JsonRewriteMiddleware`."""

    def rewrite(scope: Scope, status: int, body: Any) -> Any:
        if status == 400 and isinstance(body, dict) and isinstance(body.get("detail"), str):
            where = "query" if scope["method"] in ("GET", "DELETE") else "body"
            problem = {"loc": [where], "msg": body["detail"], "type": "value_error"}
            return {"detail": [problem]}
        if status == 401 and isinstance(body, dict) and isinstance(body.get("detail"), str):
            return {"message": body["detail"]}
        if status >= 300 or _ROWS_PATH.match(path_below_mount(scope)):
            # Rows get their own spelling when they are built (see `row_date`).
            return body
        if isinstance(body, list):
            return [_resource(profile, item) for item in body]
        if isinstance(body, dict) and isinstance(body.get("data"), list):
            body["data"] = [_resource(profile, item) for item in body["data"]]
            return body
        return _resource(profile, body)

    return rewrite


def _resource(profile: RealWorld, item: Any) -> Any:
    if not isinstance(item, dict) or "id" not in item:
        return item
    for key in TIME_KEYS:
        if key in item:
            item[key] = profile.respell(item[key], OFFSETS, "extractto", item["id"], key)
    account = item.get("account_id")
    if isinstance(account, str) and account.isdigit():
        item["account_id"] = int(account)
    if isinstance(item.get("error"), str):
        item["error"] = {"code": "sync_failed", "message": item["error"]}
    if "status" in item:
        item["status"] = profile.recase(item["status"], "extractto", item["id"])
    return item


def row_date(profile: RealWorld, day: date, *parts: object) -> str | None:
    """The `date` of one row written as a timestamp inside its UTC day, for one row in
    `TIMESTAMP_DATE_EVERY`; None keeps the ISO date."""
    roll = profile.roll("extractto", "row-date", day.isoformat(), *parts)
    if roll % TIMESTAMP_DATE_EVERY != 0:
        return None
    return day_timestamp(day, roll >> 8)


def cut_text(profile: RealWorld, text: str, *parts: object) -> str:
    """`text` followed by an emoji cut in two, as a service that truncates text by UTF-16 units
    leaves it (JSON then escapes the lone half: `"\\ud83d"`), for one row in
    `CUT_TEXT_EVERY`; else `text` as it is."""
    if profile.roll("extractto", "cut-text", *parts) % CUT_TEXT_EVERY != 0:
        return text
    return f"{text} {HALF_AN_EMOJI}"


def beyond_doubles(
    profile: RealWorld, row: dict[str, Any], numbers: Sequence[str], *parts: object
) -> None:
    """For one row in `BEYOND_DOUBLES_EVERY`, one of its `numbers` columns that holds a value
    made a number beyond float64 (`1e400`)."""
    held = [name for name in numbers if row.get(name) is not None]
    roll = profile.roll("extractto", "beyond", *parts)
    if held and roll % BEYOND_DOUBLES_EVERY == 0:
        row[held[(roll >> 8) % len(held)]] = profile.beyond("extractto", *parts)
