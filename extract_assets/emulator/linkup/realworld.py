"""Linkup under the real-world profile (the traits are listed in `emulator.realworld`)."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from starlette.responses import JSONResponse, Response
from starlette.types import Scope

from extract_assets.emulator.detail_errors import phrase
from extract_assets.emulator.realworld import (
    OFFSETS_AND_NAIVE,
    RealWorld,
    Rewrite,
    path_below_mount,
    roll,
)

GATEWAY_STATUSES = (502, 503, 504)


def gateway_error(status: int) -> Response | None:
    """An injected 502/503/504 as the gateway in front of Linkup answers it; None otherwise."""
    if status not in GATEWAY_STATUSES:
        return None
    return JSONResponse({"error": phrase(status)}, status_code=status)


def rewriter(profile: RealWorld) -> Rewrite:
    """The rewrite of Linkup's JSON answers, for `JsonRewriteMiddleware`."""

    def rewrite(scope: Scope, status: int, body: Any) -> Any:
        method: str = scope["method"]
        path = path_below_mount(scope)
        if status == 200 and isinstance(body, dict):
            if isinstance(body.get("data"), list) and "metadata" in body:
                body["data"] = [task(profile, t, echo_all=False) for t in body["data"]]
            elif body.get("type") == "extract":
                task(profile, body, echo_all=method == "POST")
            return body
        if status == 401:
            return {"statusCode": 401, "message": "Unauthorized"}
        if status == 404 and isinstance(body, dict) and _nest_404(profile, body, path):
            return {"statusCode": 404, "message": f"Cannot {method} {path}", "error": "Not Found"}
        return body

    return rewrite


def task(profile: RealWorld, found: dict[str, Any], *, echo_all: bool) -> dict[str, Any]:
    """A task as real Linkup writes it: other time spellings (without a fraction in some
    seconds), a partial output before it completes, an error as an object and the status in
    another case for some, only `q` and `url` echoed when read back."""
    task_id = found.get("id")
    for key in ("createdAt", "updatedAt"):
        text = found.get(key)
        spec = _timespec(profile, text)
        found[key] = profile.respell(text, OFFSETS_AND_NAIVE, "linkup", task_id, key, timespec=spec)
    if found.get("status") != "completed" and found.get("output") is None:
        found["output"] = {"creditsUsed": 0}
    error = found.get("error")
    if isinstance(error, str) and profile.roll("linkup", task_id, "error") % 2 == 0:
        found["error"] = {"code": "EXTRACTION_FAILED", "message": error}
    given = found.get("input")
    if not echo_all and isinstance(given, dict):
        found["input"] = {key: given[key] for key in ("q", "url") if key in given}
    found["status"] = profile.recase(found.get("status"), "linkup", task_id)
    return found


def whole_second(seed: int, second: int) -> bool:
    """Whether the instants within `second` (since the epoch) are written to the second under
    the profile's `seed`: within one second of two, so that the tasks of that second share
    their time and the written times keep the order of the instants."""
    return roll(seed, "linkup", "whole-second", second) % 2 == 0


def _timespec(profile: RealWorld, instant: Any) -> str:
    try:
        moment = datetime.fromisoformat(instant)
    except (TypeError, ValueError):
        return "milliseconds"
    second = math.floor(moment.timestamp())
    return "seconds" if whole_second(profile.seed, second) else "milliseconds"


def _nest_404(profile: RealWorld, body: dict[str, Any], path: str) -> bool:
    """An unknown route always, and an unknown task id for some ids, answer NestJS's 404."""
    error = body.get("error")
    code = error.get("code") if isinstance(error, dict) else None
    if code == "NOT_FOUND":
        return True
    return code == "TASK_NOT_FOUND" and profile.roll("linkup", "404", path) % 2 == 0
