"""dataextractor.io under the real-world profile (the traits are listed in `emulator.realworld`)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.types import Scope

from extract_assets.emulator.realworld import OFFSETS_AND_NAIVE, RealWorld, Rewrite

_NUMERIC = ("number", "currency")
_DAY = 86_400.0
# One seeded dataset in this many is moved next to a midnight (UTC).
NEAR_MIDNIGHT_EVERY = 3
# One number or currency value in this many is a number beyond float64.
BEYOND_DOUBLES_EVERY = 8
# One dataset id in this many is digits only; a JavaScript service keeps ids below 2**53.
DIGIT_ID_EVERY = 2
_DIGIT_IDS = (10**14, 10**15)


def rewriter(profile: RealWorld) -> Rewrite:
    """The rewrite of dataextractor.io's JSON answers, for `JsonRewriteMiddleware`."""

    def rewrite(scope: Scope, status: int, body: Any) -> Any:
        if status not in (200, 202) or not isinstance(body, dict):
            return body
        if isinstance(body.get("data"), list) and "next_cursor" in body:
            body["data"] = [dataset(profile, d) for d in body["data"]]
        elif "id" in body and "status" in body:
            dataset(profile, body)
        return body

    return rewrite


def dataset(profile: RealWorld, found: dict[str, Any]) -> dict[str, Any]:
    """A Dataset as the real service writes it (see `emulator.realworld`)."""
    dataset_id = found.get("id")
    for key in ("created_at", "updated_at"):
        found[key] = profile.respell(found.get(key), OFFSETS_AND_NAIVE, "de", dataset_id, key)
    matching = found.get("matching")
    if isinstance(matching, dict):
        matching["completed_at"] = profile.respell(
            matching.get("completed_at"), OFFSETS_AND_NAIVE, "de", dataset_id, "matching"
        )
    found["fields"] = [
        _field(profile, f, dataset_id, "top", n) for n, f in enumerate(found.get("fields") or [])
    ]
    for item in found.get("line_items") or []:
        item["fields"] = [
            _field(profile, f, dataset_id, item.get("index"), n)
            for n, f in enumerate(item.get("fields") or [])
        ]
    accuracy = found.get("accuracy")
    if isinstance(accuracy, dict) and profile.roll("de", dataset_id, "accuracy") % 2 == 0:
        scores = accuracy.get("fields") or []
        accuracy["fields"] = {s["name"]: s["score"] for s in scores}
    roll = profile.roll("de", dataset_id, "shape")
    if found.get("status") == "processing" and roll % 2 == 0:
        found.update(fields=None, line_items=None, ground_truth=None)
    if found.get("status") == "failed" and isinstance(found.get("error"), str) and roll % 2 == 0:
        found["error"] = {"code": "extraction_failed", "message": found["error"]}
    found["status"] = profile.recase(found.get("status"), "de", dataset_id)
    return found


def _field(
    profile: RealWorld, field: dict[str, Any], dataset_id: Any, item: Any, position: int
) -> dict[str, Any]:
    roll = profile.roll("de", dataset_id, item, position)
    value, kind = field.get("value"), field.get("type")
    if isinstance(value, str):
        if kind == "boolean" and value in ("true", "false"):
            field["value"] = value == "true"
        elif kind in _NUMERIC and (roll >> 16) % BEYOND_DOUBLES_EVERY == 0:
            field["value"] = profile.beyond("de", dataset_id, item, position)
        elif kind in _NUMERIC:
            field["value"] = _number(value, separated=roll % 2 == 0)
    box = field.get("bounding_box")
    shape = (roll >> 8) % 4
    if isinstance(box, dict) and shape == 0:
        field["bounding_box"] = [box["x"], box["y"], box["width"], box["height"]]
    elif shape == 1:
        field.pop("bounding_box", None)
    return field


def _number(text: str, *, separated: bool) -> Any:
    """A JSON number, or for 1000 and more when `separated`, text such as `1,234.50`."""
    try:
        number = Decimal(text)
    except InvalidOperation:
        return text
    if separated and abs(number) >= 1000:
        return f"{number:,}"
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= 0:
        return int(number)
    return float(number)


def event_created_at(profile: RealWorld, event_id: str, text: str) -> str:
    """`created_at` of a webhook payload."""
    spelled: str = profile.respell(text, OFFSETS_AND_NAIVE, "de", event_id, "event")
    return spelled


def event_data(profile: RealWorld, event_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """`data` of a webhook payload: an id of digits as a JSON number, the status cased as the
    dataset's is, `matching.completed_at` respelled."""
    dataset_id = data.get("dataset_id")
    data = data | {"status": profile.recase(data.get("status"), "de", dataset_id)}
    if isinstance(dataset_id, str) and dataset_id.isdigit():
        data["dataset_id"] = int(dataset_id)
    matching = data.get("matching")
    if not isinstance(matching, dict):
        return data
    completed = profile.respell(
        matching.get("completed_at"), OFFSETS_AND_NAIVE, "de", event_id, "matching"
    )
    return data | {"matching": matching | {"completed_at": completed}}


def digit_id(profile: RealWorld, bits: int) -> str | None:
    """For one new dataset in `DIGIT_ID_EVERY`, an id of 15 digits made of `bits`; else None."""
    if profile.roll("de", "digit-id", bits) % DIGIT_ID_EVERY != 0:
        return None
    low, high = _DIGIT_IDS
    return str(low + bits % (high - low))


def near_midnight(profile: RealWorld, created: float, index: int, end: float) -> float:
    """Where a seeded dataset is created under the profile: one in `NEAR_MIDNIGHT_EVERY` moves
    within its UTC day to 00:00-02:00 or 22:00-24:00, taking turns (never at or after `end`)."""
    if index % NEAR_MIDNIGHT_EVERY != 0:
        return created
    day_start = datetime.fromtimestamp(created, UTC).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    start = day_start.timestamp()
    # 100 s to just under 2 h from midnight, to the millisecond.
    within = (profile.roll("de", "midnight", start, index) % 7_000_000) / 1000 + 100.0
    late = (index // NEAR_MIDNIGHT_EVERY) % 2 == 0
    moved = start + _DAY - within if late else start + within
    if moved >= end:
        moved = start + within
    return moved if moved < end else created
