"""The real-world profile: every provider keeps its contract but answers as real services do.

Switched on for the whole emulator with `PUT /_emulator/profile`
`{"name": "real-world", "seed": 0}` (`EmulatorControl.set_profile("real-world", seed=0)`);
`{"name": "default"}` or the emulator's reset switches it off. Every choice below is a function
of the profile seed and of what is being answered (an id, a field name, a day, a row index),
never of the order of requests: the same seed gives the same answers on every run. Instants
never change, only how they are written (Linkup's times to the second drop their fraction).
Statuses keep their word, only its case changes; JSON numbers beyond float64 are written as
the service sent them (`RawNumber`), never as infinity.

dataextractor.io
- `created_at` / `updated_at` (and `matching.completed_at`) of datasets, in the listing, in
  `GET /datasets/{id}`, in the answers to an upload and to ground truth, and `created_at` (and
  `data.matching.completed_at`) of webhook payloads, are written with an offset (`+02:00`,
  `-05:00`, `+05:30`) or with none at all (naive, meaning UTC), never with `Z`. The listing
  keeps its order by instant, newest first.
- Datasets seeded through the control API while the profile is on include datasets between
  22:00 and 02:00 UTC (one in three, on either side of midnight), so the text date of such a
  row differs from its UTC day once an offset is applied.
- `fields[].value` (top-level and line items) is a JSON number for types `number` and
  `currency`, except that a value of 1000 or more is sometimes text with thousands separators
  (`"1,234.50"`), and a JSON boolean for type `boolean`.
- `fields[].value` of type `number` or `currency` is, for one value in 8, a JSON number beyond
  float64: `1e400`, `-1.5e309` or `9.99E+999`.
- `accuracy.fields` is, for some datasets, a map `{"field_name": score}` instead of a list.
- `status` is, for some datasets (seeded per id), in upper case or capitalized (`COMPLETE`,
  `Failed`, `Processing`); so is `data.status` of a webhook payload about such a dataset.
- Datasets created while the profile is on (seeded, uploaded or arriving) have, one in two, an
  id of 15 digits (`482913377501624`, below 2^53) instead of `ds_...`: text in the API, and a
  JSON number in `data.dataset_id` of webhook payloads.
- For some datasets, `fields`, `line_items` and `ground_truth` of a `processing` dataset are
  `null` instead of empty, and the `error` of a `failed` one is an object
  `{"code": "extraction_failed", "message": "..."}` instead of text.
- `bounding_box` is, for some fields, an array `[x, y, width, height]` (no page) and, for
  others, missing altogether.
- The listing shifts while it is read: every page read with a `cursor` first creates a new
  dataset (an upload of `arrived_<n>.pdf`, `processing`, with the customer and type the
  listing filters on) at the head of the listing. The cursor still returns every dataset that
  existed when the listing began exactly once, and never the new ones.

Linkup
- `createdAt` / `updatedAt` are written with an offset (`+02:00`, `-05:00`, `+05:30`) or with
  none (naive, meaning UTC). Every instant within one second in two (picked by the second) is
  written to the second, without its fraction, so that tasks created or finished within that
  second share their time; the written times keep the order of the instants. The listing
  sorts by the times as written, tasks of one such second in the order they were created
  (oldest first) in either direction, as a database ordering by a column stored to the second
  leaves them.
- `status` is, for some tasks (seeded per id), in upper case or capitalized (`COMPLETED`,
  `Failed`, `Processing`).
- A `pending`, `processing` or `failed` task carries `output: {"creditsUsed": 0}` instead of
  null. For some tasks `error` is an object `{"code": "EXTRACTION_FAILED", "message": "..."}`
  instead of text.
- A task created while the profile is on with a row `schema` gets a result file in which one
  value in 40 of each `number` property is a number beyond float64 (`1e400`, `-1.5e309`,
  `9.99E+999`), the same for the same seed, query, schema and row count.
- Result files are sent gzip-compressed (`Content-Encoding: gzip`) whatever `Accept-Encoding`
  asks, as an object store sends an object stored compressed; a `Range` counts the compressed
  bytes.
- The listing and `GET /v1/extract/{id}` echo only `q` and `url` in `input` (no `schema`, no
  `verifyUrls`); the answer to `POST /v1/extract` still echoes all four.
- Errors in other shapes: 401 as NestJS's `{"statusCode": 401, "message": "Unauthorized"}`;
  404 of an unknown route, and of some unknown task ids, as NestJS's
  `{"statusCode": 404, "message": "Cannot GET /v1/extract/xyz", "error": "Not Found"}`; an
  injected 502/503/504 as a gateway's `{"error": "Bad Gateway"}`.

Extract.to
- `created_at`, `updated_at`, `last_sync`, `started_at`, `finished_at` of extracts,
  connections, runs, sources, destinations and triggers are written with an offset (`+02:00`,
  `-05:00`, `+05:30`, `-08:00`), never with `Z`.
- `last_sync` of an extract is the moment its latest sync began, not when it ended: stamped
  as a sync starts, it is already the new run's in the answer to `POST /extracts/{id}/run`.
- An `account_id` of digits only (HubSpot's `4242424`) is a JSON number in those answers, and
  the `error` of a failed or cancelled run is an object `{"code": "sync_failed", "message":
  "..."}`.
- `status` of extracts and runs is, for some (seeded per id), in upper case or capitalized
  (`ACTIVE`, `Syncing`, `SUCCEEDED`).
- `__insert_date` of data-table rows has no offset and no fraction, SQL style:
  `"2026-12-04 16:01:14"` (UTC, truncated to the second).
- One generated row in 40 holds, in one of its `number` columns that has a value (`cost`,
  `ctr`, ...), a number beyond float64: `1e400`, `-1.5e309` or `9.99E+999`.
- The `account_name` of one generated row in 50 ends in an emoji cut in two, as a service
  that truncates text by UTF-16 units leaves it: JSON holds the lone first half as `\\ud83d`.
- The `date` of some rows (one in four of the rows the emulator generates, and of served rows
  the emulator adds a `date` to) is a timestamp with an offset of an instant inside the row's
  UTC day; for half of them the text date is the day before or after:
  `2026-11-03T23:30:00-02:00` is a row of 2026-11-04. The row still belongs to, and is
  filtered by, its UTC day.
- Errors in other shapes: 400 as FastAPI's validation list
  `{"detail": [{"loc": ["query"], "msg": "...", "type": "value_error"}]}`, 401 as an API
  gateway's `{"message": "..."}`, an injected 500 as plain text `Internal Server Error`, an
  injected 502/503/504 as `{"message": "Bad Gateway"}`. `X-Request-Id` is kept.

All three (a fault option, profile on or off): `add_fault("status", status=502, body=...)` with
`body` one of `html` (`<html><body><h1>502 Bad Gateway</h1></body></html>`, text/html),
`text` (`502 Bad Gateway`, text/plain), `empty` (no body, no content type) or
`truncated_json` (the provider's own error body cut off half way); see `faults.FaultRule`.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict
from starlette.datastructures import MutableHeaders
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from extract_assets.emulator.client import ProfileName

_T = TypeVar("_T")

# How real services were seen to write instants: with an offset, or with none (UTC).
OFFSETS_AND_NAIVE = ("+02:00", "-05:00", "+05:30", "naive")
OFFSETS = ("+02:00", "-05:00", "+05:30", "-08:00")
# Offsets of a row's `date` written as a timestamp.
ROW_DATE_OFFSETS = ("-02:00", "-05:00", "+02:00", "+05:30", "+09:00")
# Numbers beyond float64 as services write them (each a double's infinity if read as one).
BEYOND_DOUBLES = ("1e400", "-1.5e309", "9.99E+999")
# How a status word is cased: as the contract spells it, upper case, capitalized.
STATUS_CASES = ("as-is", "upper", "capitalized")


@dataclass(frozen=True)
class RawNumber:
    """A JSON number written as its text: one beyond float64, which Python reads as infinity
    and JSON cannot write from it."""

    text: str


def beyond_doubles(*parts: object) -> str:
    """The text of a number beyond float64 picked by `parts` (the profile seed among them)."""
    return BEYOND_DOUBLES[roll(*parts) % len(BEYOND_DOUBLES)]


def roll(*parts: object) -> int:
    """A 64-bit number fixed by `parts`, the same in every process."""
    text = ":".join(str(part) for part in parts)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


class ProfileChange(BaseModel):
    """The body of `PUT /_emulator/profile`."""

    model_config = ConfigDict(extra="forbid")

    name: ProfileName
    seed: int = 0


class RealWorld:
    """Which profile the emulator answers with, and the seeded choices of the real-world one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.name: ProfileName = "default"
        self.seed = 0

    @property
    def on(self) -> bool:
        """Whether the real-world profile is on."""
        return self.name == "real-world"

    def set(self, name: ProfileName, seed: int = 0) -> None:
        """Switch to a profile."""
        with self._lock:
            self.name = name
            self.seed = seed

    def reset(self) -> None:
        """Back to the default profile."""
        self.set("default", 0)

    def as_json(self) -> dict[str, Any]:
        """As the control API serves it."""
        return {"name": self.name, "seed": self.seed}

    def roll(self, *parts: object) -> int:
        """A 64-bit number fixed by the seed and `parts`, the same in every process."""
        return roll(self.seed, *parts)

    def pick(self, options: Sequence[_T], *parts: object) -> _T:
        """One of `options`, fixed by the seed and `parts`."""
        return options[self.roll(*parts) % len(options)]

    def respell(
        self,
        text: Any,
        options: Sequence[str],
        *parts: object,
        timespec: str = "milliseconds",
    ) -> Any:
        """An instant the emulator wrote (`...Z`) in a style picked from `options`, to the
        `timespec` (`seconds` drops the fraction); anything else (null, a test's own value)
        unchanged."""
        if not isinstance(text, str) or not text.endswith("Z"):
            return text
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return text
        return spell(moment, self.pick(options, *parts), timespec)

    def beyond(self, *parts: object) -> RawNumber:
        """A number beyond float64, picked by the seed and `parts`."""
        return RawNumber(beyond_doubles(self.seed, *parts))

    def recase(self, status: Any, *parts: object) -> Any:
        """A status word as is, in upper case or capitalized, picked by `parts`."""
        if not isinstance(status, str):
            return status
        case = self.pick(STATUS_CASES, *parts, "status-case")
        if case == "upper":
            return status.upper()
        return status.capitalize() if case == "capitalized" else status


def spell(moment: datetime, style: str, timespec: str = "milliseconds") -> str:
    """An aware instant in `style`: `Z`, `naive` (UTC wall time, no offset) or `+HH:MM`."""
    utc = moment.astimezone(UTC)
    if style == "Z":
        return utc.isoformat(timespec=timespec).replace("+00:00", "Z")
    if style == "naive":
        return utc.replace(tzinfo=None).isoformat(timespec=timespec)
    return utc.astimezone(_zone(style)).isoformat(timespec=timespec)


def sql_utc(epoch: float) -> str:
    """`YYYY-MM-DD HH:MM:SS` in UTC without an offset, truncated to the second."""
    moment = datetime.fromtimestamp(epoch, UTC).replace(tzinfo=None, microsecond=0)
    return moment.isoformat(sep=" ")


def day_timestamp(day: date, roll: int) -> str:
    """An instant inside the UTC `day`, on the minute, written with an offset picked by `roll`:
    for half the rolls its text date is the day before (a negative offset) or after."""
    offset = ROW_DATE_OFFSETS[roll % len(ROW_DATE_OFFSETS)]
    shift = int(_zone(offset).utcoffset(None).total_seconds()) // 60
    window = abs(shift)
    rest = roll >> 8
    if rest % 2:
        # Inside the minutes the offset carries across midnight.
        minute = (rest >> 1) % window + (1440 - window if shift > 0 else 0)
    else:
        minute = (rest >> 1) % (1440 - window) + (window if shift < 0 else 0)
    moment = datetime.combine(day, time(), UTC) + timedelta(minutes=minute)
    return moment.astimezone(_zone(offset)).isoformat(timespec="seconds")


def _zone(offset: str) -> timezone:
    sign = -1 if offset[0] == "-" else 1
    hours, minutes = offset[1:].split(":")
    return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))


def path_below_mount(scope: Scope) -> str:
    """The request path relative to the provider's mount, e.g. `/v1/extract`."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    below = path[len(root) :] if root and path.startswith(root) else path
    return below or "/"


Rewrite = Callable[[Scope, int, Any], Any]


class JsonRewriteMiddleware:
    """While the real-world profile is on, hands every JSON answer of a provider's API to
    `rewrite(scope, status, body)` and sends what it returns instead; off, it is a no-op."""

    def __init__(self, app: ASGIApp, profile: RealWorld, rewrite: Rewrite) -> None:
        self.app = app
        self.profile = profile
        self.rewrite = rewrite

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.profile.on:
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def rewriting(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = MutableHeaders(raw=list(message["headers"]))
                if headers.get("content-type", "").startswith("application/json"):
                    start = message
                    return
                await send(message)
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = self._rewritten(scope, start["status"], b"".join(chunks))
            headers = MutableHeaders(raw=list(start["headers"]))
            headers["content-length"] = str(len(body))
            await send({**start, "headers": headers.raw})
            await send({"type": "http.response.body", "body": body, "more_body": False})

        await self.app(scope, receive, rewriting)

    def _rewritten(self, scope: Scope, status: int, raw: bytes) -> bytes:
        try:
            content = json.loads(raw, parse_float=_float_or_raw)
        except ValueError:
            return raw
        content = self.rewrite(scope, status, content)
        return json_bytes(content)


def _float_or_raw(text: str) -> float | RawNumber:
    number = float(text)
    return RawNumber(text) if math.isinf(number) else number


def json_bytes(content: Any) -> bytes:
    """JSON as Starlette's JSONResponse writes it, except that a lone surrogate, which UTF-8
    cannot hold, is written as its escape (`\\ud83d`), as JavaScript's `JSON.stringify` does,
    and a `RawNumber` as its text."""
    # A RawNumber is written first as a string between two marks no text holds, then unquoted.
    mark = f"\ue000{uuid.uuid4().hex}"
    raw_numbers = False

    def marked(value: Any) -> str:
        nonlocal raw_numbers
        if not isinstance(value, RawNumber):
            raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
        raw_numbers = True
        return f"{mark}{value.text}{mark}"

    text = json.dumps(
        content,
        ensure_ascii=False,
        allow_nan=False,
        indent=None,
        separators=(",", ":"),
        default=marked,
    )
    if raw_numbers:
        text = re.sub(f'"{mark}([^"]*){mark}"', r"\1", text)
    return text.encode("utf-8", "backslashreplace")


class EscapingJSONResponse(JSONResponse):
    """A JSONResponse written by `json_bytes`, for answers that may hold a lone surrogate."""

    def render(self, content: Any) -> bytes:
        return json_bytes(content)
