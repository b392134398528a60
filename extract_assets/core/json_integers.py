"""Integers too large for int64 in NDJSON, which pyarrow's JSON reader rounds.

pyarrow reads `18446744073709551615` (a uint64 id) as the float 1.8446744073709552e19, and
says nothing: the digits are gone. The sink keeps such an integer's digits as text instead, as
its exact reader does (`arrow_schema.python_type`). A block whose float columns hold no value
that large cannot hold such an integer, which a min-max per column tells cheaply; one that
does is looked at as text, for a number of 19 digits or more written without a fraction or an
exponent, and if there is one the sink reads the block exactly.
"""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["may_hold_rounded_integers"]

# The smallest magnitude int64 cannot hold is 2**63, and every float from there up is at least
# that large: a column below it holds no rounded integer.
_INT64_LIMIT = 2.0**63
# 19 digits or more, not part of a longer number, a fraction or an exponent: 2**63 has 19.
_LONG_INTEGER = re.compile(rb"(?<![0-9.eE+-])-?[0-9]{19,}(?![0-9.eE])")


def may_hold_rounded_integers(table: pa.Table, block: bytes | memoryview) -> bool:
    """Whether `table`, read from the NDJSON `block` by pyarrow, may have rounded an integer.

    >>> import pyarrow.json as pj, io
    >>> line = b'{"id": 18446744073709551615}'
    >>> may_hold_rounded_integers(pj.read_json(io.BytesIO(line)), line)
    True
    >>> line = b'{"mass": 1.9891e30}'
    >>> may_hold_rounded_integers(pj.read_json(io.BytesIO(line)), line)
    False
    """
    if not any(_beyond_int64(column) for column in table.columns):
        return False
    return _LONG_INTEGER.search(block) is not None


def _beyond_int64(values: pa.ChunkedArray | pa.Array) -> bool:
    kind = values.type
    if pa.types.is_floating(kind):
        extremes = pc.min_max(values)
        low, high = extremes["min"].as_py(), extremes["max"].as_py()
        return low is not None and max(-low, high) >= _INT64_LIMIT
    if pa.types.is_struct(kind):
        return any(_beyond_int64(pc.struct_field(values, [i])) for i in range(kind.num_fields))
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return _beyond_int64(pc.list_flatten(values))
    return False
