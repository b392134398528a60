"""JSON text and values, without a number changing on the way: a value as a text column holds
it (strings as they are, anything else as compact JSON), and JSON read with a number beyond the
doubles (`1e400`, which Python's reader makes infinity, though JSON has none) kept as its text."""

from __future__ import annotations

import datetime as dt
import json
import math
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
    return _ENCODER.encode(value)


def _json_default(value: Any) -> str:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


# One encoder for every call: json.dumps with options builds one each time, which costs more
# than encoding a small object.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_json_default)
