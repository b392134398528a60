"""Integers that pyarrow's JSON reader rounds into a double: beyond int64 always, and beyond
2**53 in a column it reads as double (a declared number, or a fraction in the same block).

pyarrow reads `18446744073709551615` (a uint64 id) as the float 1.8446744073709552e19, and
`9007199254740993` in a double column as 9007199254740992.0, and says nothing: the digits are
gone. The sink's exact reader keeps the first's digits as text (`arrow_schema.python_type`)
and hands the second to the table's contract as the integer it is (`contract`: a declared
number column puts it in its variant column, where a double would round it). A block whose
float columns hold no value of 2**53 or more cannot hold such an integer, which a min-max per
column tells cheaply; one that does is looked at as text, for a number of 16 digits or more
written without a fraction or an exponent, and if there is one the sink reads the block
exactly.
"""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["may_hold_rounded_integers"]

# The smallest magnitude a double may round is 2**53, and every float from there up is at least
# that large: a column below it holds no rounded integer.
_EXACT_LIMIT = 2.0**53
# 16 digits or more, not part of a longer number, a fraction or an exponent: 2**53 has 16.
_LONG_INTEGER = re.compile(rb"(?<![0-9.eE+-])-?[0-9]{16,}(?![0-9.eE])")


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
    if not any(_beyond_exact(column) for column in table.columns):
        return False
    return _LONG_INTEGER.search(block) is not None


def _beyond_exact(values: pa.ChunkedArray | pa.Array) -> bool:
    kind = values.type
    if pa.types.is_floating(kind):
        extremes = pc.min_max(values)
        low, high = extremes["min"].as_py(), extremes["max"].as_py()
        return low is not None and max(-low, high) >= _EXACT_LIMIT
    if pa.types.is_struct(kind):
        return any(_beyond_exact(pc.struct_field(values, [i])) for i in range(kind.num_fields))
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return _beyond_exact(pc.list_flatten(values))
    return False
