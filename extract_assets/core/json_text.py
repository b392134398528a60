"""A value as a text column holds it: strings as they are, anything else as compact JSON."""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any


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
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_json_default)


def _json_default(value: Any) -> str:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)
