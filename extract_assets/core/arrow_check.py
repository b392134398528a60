"""Which values of an Arrow array break a JSON Schema node, decided on whole columns at once.

The values are judged exactly as `validation.row_as_json` renders them for the `jsonschema`
library (Draft 2020-12, its `FormatChecker`): a null inside an object is an absent key, a null
inside a list is JSON ``null``, timestamps and dates are ISO-8601 text. Where a node or a type
cannot be judged here with the library's exact semantics — ``$ref``, ``anyOf`` and the other
combinators, ``uniqueItems``, a float ``multipleOf``, non-finite floats, ``enum`` on objects,
text keywords on a timestamp — `breaks` raises `Unsupported` and the caller hands the column to a
validator that sees Python values.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import jsonschema
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "ACTING_KEYWORDS",
    "FORMAT_CHECKER",
    "Unsupported",
    "breaks",
    "declared_types",
    "non_finite",
]

FORMAT_CHECKER = jsonschema.FormatChecker()
# Every keyword the library acts on; anything else in a schema is an annotation it ignores.
ACTING_KEYWORDS = frozenset(jsonschema.Draft202012Validator.VALIDATORS)
_JUDGED_HERE = frozenset(
    {
        "type",
        "enum",
        "const",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minLength",
        "maxLength",
        "pattern",
        "format",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "minItems",
        "maxItems",
    }
)
_TEMPORAL_KEYWORDS = frozenset({"type", "format"})
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_INT64 = pa.int64()
_FLOAT64 = pa.float64()

Compare = Callable[[Any, Any], Any]


class Unsupported(Exception):
    """This node or this type is not judged in Arrow; a validator of Python values must."""


def breaks(node: Any, values: pa.Array, *, nulls_absent: bool) -> np.ndarray:
    """A boolean array, True where a value of `values` breaks `node`.

    With `nulls_absent` a null is an absent key (nothing to judge); otherwise it is JSON null.
    """
    if node is True:
        return np.zeros(len(values), dtype=bool)
    if node is False:
        return _valid(values) if nulls_absent else np.ones(len(values), dtype=bool)
    if not isinstance(node, Mapping):
        raise Unsupported("a schema that is neither an object nor a boolean")
    keywords = node.keys() & ACTING_KEYWORDS
    if keywords - _JUDGED_HERE:
        raise Unsupported(", ".join(sorted(keywords - _JUDGED_HERE)))
    bad = _judge(node, keywords, values) if keywords else np.zeros(len(values), dtype=bool)
    if not nulls_absent and values.null_count and _null_breaks(node):
        bad |= ~_valid(values)
    return bad


def non_finite(values: pa.Array) -> np.ndarray:
    """True where a value is or holds a NaN or an infinity, at any depth."""
    kind = values.type
    if pa.types.is_floating(kind):
        return _valid(values) & ~_numpy(pc.is_finite(values))
    if pa.types.is_struct(kind):
        found = np.zeros(len(values), dtype=bool)
        for child in values.flatten():
            found |= non_finite(child)
        return found
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        offsets = values.offsets.to_numpy()
        items = values.values.slice(offsets[0], offsets[-1] - offsets[0])
        return _owners(non_finite(items), offsets) & _valid(values)
    return np.zeros(len(values), dtype=bool)


def _owners(item_flags: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """True for each list that owns a flagged item (offsets are the lists' offsets)."""
    owners = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
    return np.bincount(owners[item_flags], minlength=len(offsets) - 1) > 0


def _valid(values: pa.Array) -> np.ndarray:
    return _numpy(values.is_valid())


def _numpy(mask: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A null-free boolean numpy array (a null comparison is no break)."""
    return np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)


def _null_breaks(node: Mapping[str, Any]) -> bool:
    if "type" in node and "null" not in declared_types(node):
        return True
    if "enum" in node and not any(member is None for member in _members(node["enum"])):
        return True
    return "const" in node and node["const"] is not None


def declared_types(node: Mapping[str, Any]) -> set[str]:
    """The type names a node's `type` declares."""
    declared = node["type"]
    names = [declared] if isinstance(declared, str) else declared
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise Unsupported("a type that is not a name or a list of names")
    return set(names)


def _members(enum: Any) -> list[Any]:
    if not isinstance(enum, list):
        raise Unsupported("an enum that is not a list")
    return enum


def _judge(node: Mapping[str, Any], keywords: set[str], values: pa.Array) -> np.ndarray:
    """Breaks among the non-null values (nulls never break here)."""
    kind = values.type
    if pa.types.is_null(kind):
        return np.zeros(len(values), dtype=bool)
    if pa.types.is_integer(kind) and not pa.types.is_uint64(kind):
        return _judge_number(node, keywords, values.cast(_INT64), integral=True)
    if pa.types.is_floating(kind):
        values = values.cast(_FLOAT64)
        if pc.any(pc.invert(pc.is_finite(values))).as_py():
            raise Unsupported("NaN or infinity")
        return _judge_number(node, keywords, values, integral=False)
    if pa.types.is_boolean(kind):
        bad = _wrong_type(node, values, "boolean")
        for members in _enums(node):
            allowed = [m for m in members if isinstance(m, bool)]
            bad |= _not_in(values, allowed, kind)
        return bad
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return _judge_text(node, keywords, values)
    if pa.types.is_timestamp(kind) or pa.types.is_date32(kind):
        return _judge_temporal(node, keywords, values)
    if pa.types.is_struct(kind):
        return _judge_object(node, keywords, values)
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return _judge_array(node, keywords, values)
    raise Unsupported(f"values of type {kind}")


def _wrong_type(node: Mapping[str, Any], values: pa.Array, *names: str) -> np.ndarray:
    if "type" in node and not declared_types(node) & set(names):
        return _valid(values)
    return np.zeros(len(values), dtype=bool)


def _enums(node: Mapping[str, Any]) -> Iterable[list[Any]]:
    """The lists a value must be a member of: the enum, and the const as a list of one."""
    if "enum" in node:
        yield _members(node["enum"])
    if "const" in node:
        yield [node["const"]]


def _not_in(values: pa.Array, allowed: list[Any], kind: pa.DataType) -> np.ndarray:
    if not allowed:
        return _valid(values)
    return _valid(values) & ~_numpy(pc.is_in(values, value_set=pa.array(allowed, kind)))


# --- numbers -------------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _judge_number(
    node: Mapping[str, Any], keywords: set[str], values: pa.Array, *, integral: bool
) -> np.ndarray:
    bad = np.zeros(len(values), dtype=bool)
    if "type" in node:
        names = declared_types(node)
        if "number" not in names:
            if "integer" not in names:
                bad |= _valid(values)
            elif not integral:
                bad |= _numpy(pc.not_equal(pc.floor(values), values))
    if "enum" in keywords or "const" in keywords:
        spelled = values if integral else pc.add(values, 0.0)  # -0.0 as 0.0, as the members
        for members in _enums(node):
            bad |= _not_in(spelled, _numbers_equal_to(members, integral), values.type)
    for keyword, limit in _bounds(node):
        bad |= _beyond(values, keyword, limit, integral)
    if "multipleOf" in keywords:
        bad |= _not_multiple(values, node["multipleOf"], integral)
    return bad


def _numbers_equal_to(members: list[Any], integral: bool) -> list[Any]:
    """The members that equal some value of the column as JSON Schema compares them
    (1 == 1.0, True != 1); -0.0 is spelled 0.0, which Arrow's hashing tells apart."""
    found: list[Any] = []
    for member in members:
        if not _is_number(member) or not math.isfinite(member):
            continue
        if integral:
            if float(member).is_integer() and _INT64_MIN <= int(member) <= _INT64_MAX:
                found.append(int(member))
        elif isinstance(member, float) or float(member) == member:
            found.append(float(member) + 0.0)
    return found


_BREAKS_WHEN: dict[str, tuple[Compare, Callable[[float], int]]] = {
    # keyword: (the comparison that breaks it, the integer bound that makes it exact for ints)
    "minimum": (operator.lt, math.ceil),
    "maximum": (operator.gt, math.floor),
    "exclusiveMinimum": (operator.le, math.floor),
    "exclusiveMaximum": (operator.ge, math.ceil),
}
_ARROW_COMPARE: dict[Compare, Callable[..., Any]] = {
    operator.lt: pc.less,
    operator.gt: pc.greater,
    operator.le: pc.less_equal,
    operator.ge: pc.greater_equal,
}


def _bounds(node: Mapping[str, Any]) -> Iterable[tuple[str, Any]]:
    for keyword in _BREAKS_WHEN:
        if keyword in node:
            limit = node[keyword]
            if not _is_number(limit):
                raise Unsupported(f"{keyword} that is not a number")
            yield keyword, limit


def _beyond(values: pa.Array, keyword: str, limit: Any, integral: bool) -> np.ndarray:
    compare, rounding = _BREAKS_WHEN[keyword]
    if not math.isfinite(limit):
        return _valid(values) if compare(0, limit) else np.zeros(len(values), dtype=bool)
    if integral:
        # Python compares an int with a float exactly; Arrow would round the int to a double
        bound = limit if isinstance(limit, int) else rounding(limit)
        if not _INT64_MIN <= bound <= _INT64_MAX:
            return _valid(values) if compare(0, bound) else np.zeros(len(values), dtype=bool)
        scalar = pa.scalar(bound, _INT64)
    else:
        if float(limit) != limit:
            raise Unsupported(f"{keyword} {limit} has no exact double")
        scalar = pa.scalar(float(limit), _FLOAT64)
    return _numpy(_ARROW_COMPARE[compare](values, scalar))


def _not_multiple(values: pa.Array, divisor: Any, integral: bool) -> np.ndarray:
    # The library divides floats and takes int remainders; only the latter is exact in Arrow.
    if not integral or not isinstance(divisor, int) or isinstance(divisor, bool):
        raise Unsupported("multipleOf of a float")
    if divisor in (-1, 1):
        return np.zeros(len(values), dtype=bool)
    if divisor == 0 or abs(divisor) > 2**62:
        raise Unsupported(f"multipleOf {divisor}")
    quotient = pc.divide(values, divisor)
    return _numpy(pc.not_equal(pc.subtract(values, pc.multiply(quotient, divisor)), 0))


# --- text ----------------------------------------------------------------------------------


def _judge_text(node: Mapping[str, Any], keywords: set[str], values: pa.Array) -> np.ndarray:
    bad = _wrong_type(node, values, "string")
    for members in _enums(node):
        bad |= _not_in(values, [m for m in members if isinstance(m, str)], values.type)
    if "minLength" in keywords or "maxLength" in keywords:
        lengths = pc.utf8_length(values)  # code points, as Python's len()
        if "minLength" in keywords:
            bad |= _numpy(pc.less(lengths, _length(node["minLength"])))
        if "maxLength" in keywords:
            bad |= _numpy(pc.greater(lengths, _length(node["maxLength"])))
    if "pattern" in keywords:
        pattern = node["pattern"]
        if not isinstance(pattern, str):
            raise Unsupported("a pattern that is not text")
        search = re.compile(pattern).search
        bad |= _failing(values, lambda text: search(text) is not None)
    if "format" in keywords and node["format"] in FORMAT_CHECKER.checkers:
        name = node["format"]
        bad |= _failing(values, lambda text: FORMAT_CHECKER.conforms(text, name))
    return bad


def _length(limit: Any) -> int | float:
    if not _is_number(limit):
        raise Unsupported("a length that is not a number")
    return int(limit) if float(limit).is_integer() else float(limit)


def _failing(values: pa.Array, passes: Callable[[str], bool]) -> np.ndarray:
    """Judge each distinct text once, in Python: the library's own regex and format checks."""
    distinct = pc.unique(values.drop_null())
    failing = [text for text in distinct.to_pylist() if not passes(text)]
    if not failing:
        return np.zeros(len(values), dtype=bool)
    return _numpy(pc.is_in(values, value_set=pa.array(failing, values.type)))


_PROBES = {
    # how a column of each type is rendered: with and without a fraction of a second
    "timestamp_utc": ("2000-01-01T00:00:00Z", "2000-01-01T00:00:00.000001Z"),
    "timestamp_naive": ("2000-01-01T00:00:00", "2000-01-01T00:00:00.000001"),
    "date": ("2000-01-01",),
}


def _judge_temporal(node: Mapping[str, Any], keywords: set[str], values: pa.Array) -> np.ndarray:
    if keywords - _TEMPORAL_KEYWORDS:
        raise Unsupported(f"{', '.join(sorted(keywords - _TEMPORAL_KEYWORDS))} on {values.type}")
    kind = values.type
    if pa.types.is_date32(kind):
        probes = _PROBES["date"]
    elif kind.unit == "ns" or kind.tz not in (None, "UTC"):
        raise Unsupported(f"values of type {kind}")
    else:
        probes = _PROBES["timestamp_naive" if kind.tz is None else "timestamp_utc"]
    bad = _wrong_type(node, values, "string")
    name = node.get("format")
    if name in FORMAT_CHECKER.checkers:
        # every value is rendered in the probes' shape, and a real date or instant in that
        # shape passes or fails a date, time or date-time check as the probes do
        verdicts = {FORMAT_CHECKER.conforms(probe, name) for probe in probes}
        if len(verdicts) > 1 or name not in {"date", "date-time", "time"}:
            raise Unsupported(f"format {name} on {kind}")
        if verdicts == {False}:
            bad |= _valid(values)
    return bad


# --- objects and lists ---------------------------------------------------------------------


def _judge_object(node: Mapping[str, Any], keywords: set[str], values: pa.Array) -> np.ndarray:
    if keywords & {"enum", "const"}:
        raise Unsupported("enum or const of objects")
    bad = _wrong_type(node, values, "object")
    properties = node.get("properties", {})
    if not isinstance(properties, Mapping):
        raise Unsupported("properties that are not an object")
    children = dict(zip((field.name for field in values.type), values.flatten(), strict=True))
    for name, child in children.items():
        if name in properties:
            bad |= breaks(properties[name], child, nulls_absent=True)
        elif "additionalProperties" in node:
            bad |= breaks(node["additionalProperties"], child, nulls_absent=True)
    required = node.get("required", [])
    if not isinstance(required, list):
        raise Unsupported("required that is not a list")
    present = _valid(values)
    for name in required:
        child = children.get(name)
        bad |= present if child is None else present & ~_valid(child)
    return bad


def _judge_array(node: Mapping[str, Any], keywords: set[str], values: pa.Array) -> np.ndarray:
    if keywords & {"enum", "const"}:
        raise Unsupported("enum or const of lists")
    bad = _wrong_type(node, values, "array")
    lengths = pc.list_value_length(values)
    if "minItems" in keywords:
        bad |= _numpy(pc.less(lengths, _length(node["minItems"])))
    if "maxItems" in keywords:
        bad |= _numpy(pc.greater(lengths, _length(node["maxItems"])))
    if "items" in keywords:
        offsets = values.offsets.to_numpy()
        items = values.values.slice(offsets[0], offsets[-1] - offsets[0])
        item_breaks = breaks(node["items"], items, nulls_absent=False)
        # a null list may still span items: they belong to no value
        bad |= _owners(item_breaks, offsets) & _valid(values)
    return bad
