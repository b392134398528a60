"""JSON text and values, without a number changing on the way: a value as a text column holds
it (strings as they are, anything else as compact JSON), and JSON read with a number beyond the
doubles (`1e400`, which Python's reader makes infinity, though JSON has none) kept as its text.

Services written with Python's `json.dumps` send `NaN`, `Infinity` and `-Infinity`, which JSON
has not either: read, they are doubles; written as JSON text, inside an object or a list, they
are the strings "NaN", "Infinity" and "-Infinity", so that the text stays JSON every reader
parses (DuckDB's `json` functions, a strict `json.loads`).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable
from typing import Any


def loads(text: str | bytes) -> Any:
    """JSON as Python values, with a number beyond the doubles kept as its text.

    >>> loads(b'{"cost": 1e400, "ctr": 0.5}')
    {'cost': '1e400', 'ctr': 0.5}
    """
    return json.loads(text, parse_float=_float_or_text)


def _float_or_text(text: str) -> float | str:
    number = float(text)
    return text if math.isinf(number) else number


def json_text(value: Any) -> str:
    """`value` as a string column holds it: strings as they are, anything else as JSON text.

    >>> json_text({"a": [1, True]})
    '{"a":[1,true]}'
    """
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    # What json.dumps writes, without its per-call overhead; an int of any size is finite.
    if isinstance(value, int) or (isinstance(value, float) and math.isfinite(value)):
        return repr(value)
    if isinstance(value, float):
        return _NON_FINITE[repr(value)]
    try:
        return _ENCODER.encode(value)
    except ValueError:  # a NaN or an infinity inside: JSON has no such number
        return _ENCODER.encode(finite(value))


def finite(value: Any) -> Any:
    """`value` with each NaN or infinity inside, at any depth, the string that names it.

    >>> finite({"a": [float("nan"), 1.5, float("-inf")]})
    {'a': ['NaN', 1.5, '-Infinity']}
    """
    if isinstance(value, float) and not math.isfinite(value):
        return _NON_FINITE[repr(value)]
    if isinstance(value, dict):
        return {key: finite(child) for key, child in value.items()}
    if isinstance(value, list | tuple):
        return [finite(item) for item in value]
    return value


def json_texts(values: Iterable[Any]) -> tuple[list[str | None], int]:
    """`json_text` of each value (None stays None), and how many values held a NaN or an
    infinity inside, which became strings.

    >>> json_texts([{"a": float("nan")}, None, [1]])
    (['{"a":"NaN"}', None, '[1]'], 1)
    """
    texts: list[str | None] = []
    replaced = 0
    for value in values:
        if value is None or isinstance(value, str | bool | int | float):
            texts.append(None if value is None else json_text(value))
            continue
        try:
            texts.append(_ENCODER.encode(value))
        except ValueError:
            texts.append(_ENCODER.encode(finite(value)))
            replaced += 1
    return texts, replaced


def _json_default(value: Any) -> str:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


# One encoder for every call: json.dumps with options builds one each time, which costs more
# than encoding a small object.
_ENCODER = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), default=_json_default, allow_nan=False
)
# How Python's JSON reader and writer spell them, by `repr`.
_NON_FINITE = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}
