"""JSON Schema → Arrow schema, and the type-widening rules that schema inference follows.

When two parts of one result disagree on a column's type, the column takes the narrowest type
that holds both without losing a value:

    null              + T                 → T
    int64             + float64           → float64
    struct            + struct            → struct with the union of fields, each widened
    list<a>           + list<b>           → list<widen(a, b)>
    any other mix                         → string

A value turned into a string keeps its JSON text (``1`` → ``"1"``, ``true`` → ``"true"``,
``{"a": 1}`` → ``'{"a":1}'``); a string stays as it is, unquoted. Numbers are spelled the way
Arrow and Python print them (``1.0`` may become ``"1"``): the value survives, not the spelling.
Dates and timestamps become ISO-8601 text. An integer beyond 2**53 in a column widened to
float64 becomes the nearest double, as JSON readers read such a number.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import pyarrow as pa
import pyarrow.compute as pc

from extract_assets.core.column_names import schema_apart, view_keyed
from extract_assets.core.json_text import json_text, json_texts

__all__ = [
    "concat_tables",
    "conform_array",
    "conform_table",
    "json_schema_to_arrow",
    "of_known_types",
    "python_column",
    "python_parts",
    "widen_schema",
    "widen_type",
    "with_sent_json",
]

logger = logging.getLogger(__name__)

_ArrayT = TypeVar("_ArrayT", pa.Array, pa.ChunkedArray)
_STRING = pa.string()
_NULL = pa.null()
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
# Every integer up to this magnitude is exact as a double; beyond it, only some are.
_EXACT_DOUBLE = 2**53
_SIMPLE_TYPES: dict[str, pa.DataType] = {
    "string": _STRING,
    "integer": pa.int64(),
    "number": pa.float64(),
    "boolean": pa.bool_(),
    "null": _NULL,
}
# Field metadata of the columns `python_parts` adds beside a key's own: the JSON text of objects
# and lists as sent, which their Arrow form cannot give back (a struct holds every key any row
# of the batch had, and one kind of value per key).
PART = b"extract_assets.part"
WHOLE_JSON = b"json"  # objects or lists the key's column cannot hold, as their JSON text
SENT_JSON = b"sent"  # the JSON text sent of the objects or lists of the column before it
_KINDS = ("object", "list", "number", "integer", "float", "long", "bool", "text", "other")
# Integers and floats go to one double column where that rounds none of them.
_NUMBERS = frozenset({"integer", "float"})
_STRING_FORMATS: dict[str, pa.DataType] = {
    "date": pa.date32(),
    "date-time": pa.timestamp("us", tz="UTC"),
}


# --- JSON Schema ---------------------------------------------------------------------------


def json_schema_to_arrow(json_schema: Mapping[str, Any]) -> pa.Schema:
    """The Arrow schema of the rows a JSON Schema describes.

    Top-level properties listed in ``required`` are non-nullable; everything else is nullable.
    A root ``{"type": "array", "items": {...}}`` describes its items. Anything without a usable
    type (``{}``, an object without ``properties``) becomes a string holding the JSON text.

    >>> json_schema_to_arrow({"properties": {"id": {"type": "integer"}}, "required": ["id"]})
    id: int64 not null
    """
    row = _resolve(json_schema, json_schema)
    if row.get("type") == "array" and isinstance(row.get("items"), Mapping):
        row = _resolve(row["items"], json_schema)
    properties = row.get("properties")
    if not isinstance(properties, Mapping):
        return pa.schema([])
    required = set(row.get("required") or ())
    declared = pa.schema(
        pa.field(
            name,
            _arrow_type(node, json_schema, ()),
            nullable=name not in required or _allows_null(_resolve(node, json_schema)),
        )
        for name, node in properties.items()
    )
    return schema_apart(declared)  # properties apart only by case: see `column_names`


def _allows_null(node: Mapping[str, Any]) -> bool:
    """Whether a required property may still hold null (`"type": ["x", "null"]` and the like)."""
    declared = node.get("type")
    return bool(
        declared == "null"
        or "null" in _list(node, "type")
        or None in _list(node, "enum")
        or node.get("nullable") is True
        or any(
            isinstance(alt, Mapping) and _allows_null(alt)
            for alt in (*_list(node, "anyOf"), *_list(node, "oneOf"))
        )
    )


def _list(node: Mapping[str, Any], key: str) -> list[Any]:
    value = node.get(key)
    return value if isinstance(value, list) else []


def _resolve(node: Any, root: Mapping[str, Any]) -> Mapping[str, Any]:
    seen: set[str] = set()
    while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
        ref = node["$ref"]
        if ref in seen:
            return {}
        seen.add(ref)
        node = _pointer(root, ref)
    return node if isinstance(node, Mapping) else {}


def _pointer(root: Mapping[str, Any], ref: str) -> Any:
    if not ref.startswith("#"):
        return {}  # remote references are never fetched: the column keeps its JSON text
    node: Any = root
    for part in ref[1:].split("/")[1:] if ref != "#" else []:
        key = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, Mapping) or key not in node:
            return {}
        node = node[key]
    return node


def _arrow_type(node: Any, root: Mapping[str, Any], refs: tuple[str, ...]) -> pa.DataType:
    if isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
        if node["$ref"] in refs:
            return _STRING  # a recursive schema has no finite Arrow type
        refs = (*refs, node["$ref"])
    node = _resolve(node, root)
    for key in ("anyOf", "oneOf", "allOf"):
        alternatives = node.get(key)
        if isinstance(alternatives, Sequence) and not isinstance(alternatives, str):
            types = [_arrow_type(alt, root, refs) for alt in alternatives]
            return _widen_all([t for t in types if t != _NULL] or [_NULL])
    declared = node.get("type")
    if declared is None:
        return _untyped(node, root, refs)
    names = [declared] if isinstance(declared, str) else list(declared)
    types = [_named_type(name, node, root, refs) for name in names if name != "null"]
    return _widen_all(types or [_NULL])


def _untyped(
    node: Mapping[str, Any], root: Mapping[str, Any], refs: tuple[str, ...]
) -> pa.DataType:
    if "properties" in node:
        return _named_type("object", node, root, refs)
    if "items" in node:
        return _named_type("array", node, root, refs)
    values = node.get("enum", [node["const"]] if "const" in node else None)
    if isinstance(values, Sequence) and not isinstance(values, str):
        return _widen_all([python_type(v) for v in values if v is not None] or [_STRING])
    return _STRING


def _named_type(
    name: Any, node: Mapping[str, Any], root: Mapping[str, Any], refs: tuple[str, ...]
) -> pa.DataType:
    if name == "string":
        return _STRING_FORMATS.get(node.get("format", ""), _STRING)
    if name == "object":
        properties = node.get("properties")
        if not isinstance(properties, Mapping) or not properties:
            return _STRING
        return pa.struct(
            pa.field(key, _arrow_type(child, root, refs)) for key, child in properties.items()
        )
    if name == "array":
        return pa.list_(_arrow_type(node.get("items", {}), root, refs))
    return _SIMPLE_TYPES.get(name, _STRING) if isinstance(name, str) else _STRING


# --- widening ------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def widen_type(a: pa.DataType, b: pa.DataType) -> pa.DataType:
    """The narrowest type that holds every value of both `a` and `b`.

    >>> widen_type(pa.int64(), pa.float64())
    DataType(double)
    """
    if a == b:
        return a
    if a == _NULL:
        return b
    if b == _NULL:
        return a
    if pa.types.is_integer(a) and pa.types.is_integer(b):
        return _STRING if pa.types.is_uint64(a) or pa.types.is_uint64(b) else pa.int64()
    if _is_number(a) and _is_number(b):
        return pa.float64()
    if pa.types.is_struct(a) and pa.types.is_struct(b):
        return _widen_struct(a, b)
    if pa.types.is_list(a) and pa.types.is_list(b):
        return pa.list_(widen_type(a.value_type, b.value_type))
    if pa.types.is_timestamp(a) and pa.types.is_timestamp(b) and a.tz == b.tz:
        return pa.timestamp(_finer_unit(a.unit, b.unit), tz=a.tz)
    return _STRING


def widen_schema(a: pa.Schema, b: pa.Schema) -> pa.Schema:
    """`a` with each column widened to hold `b`'s, and `b`'s new columns appended (nullable).

    Nullability and metadata of `a`'s columns are kept: the caller decides when nulls relax them.

    >>> widen_schema(pa.schema([("a", pa.int64())]), pa.schema([("b", pa.string())])).names
    ['a', 'b']
    """
    if a.equals(b):
        return a
    fields = []
    for field in a:
        index = b.get_field_index(field.name)
        if index >= 0:
            field = field.with_type(widen_type(field.type, b.field(index).type))
        fields.append(field)
    fields.extend(pa.field(f.name, f.type) for f in b if a.get_field_index(f.name) < 0)
    return pa.schema(fields, metadata=a.metadata)


def _widen_all(types: Sequence[pa.DataType]) -> pa.DataType:
    return functools.reduce(widen_type, types)


def _widen_struct(a: pa.StructType, b: pa.StructType) -> pa.StructType:
    fields = []
    for field in a:
        index = b.get_field_index(field.name)
        other = b.field(index).type if index >= 0 else _NULL
        fields.append(pa.field(field.name, widen_type(field.type, other)))
    fields.extend(pa.field(f.name, f.type) for f in b if a.get_field_index(f.name) < 0)
    return pa.struct(fields)


def _is_number(t: pa.DataType) -> bool:
    return bool(pa.types.is_integer(t) or pa.types.is_floating(t))


def _finer_unit(a: str, b: str) -> str:
    order = ("s", "ms", "us", "ns")
    return max(a, b, key=order.index)


# --- conforming Arrow data to a widened type -----------------------------------------------


def concat_tables(tables: Sequence[pa.Table]) -> pa.Table:
    """`pa.concat_tables`, keeping the count of rows without a column, which Arrow drops.

    >>> rows = pa.table({"a": [1, 2]}).select([])
    >>> concat_tables([rows, rows]).num_rows
    4
    """
    if len(tables) == 1:
        return tables[0]
    joined = pa.concat_tables(tables)
    if joined.num_columns:
        return joined
    return pa.table({"rows": pa.nulls(sum(t.num_rows for t in tables))}).select([])


def conform_table(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """`table` converted to `schema`, which must be a widening of its schema.

    Columns the table lacks are all null.

    >>> conform_table(pa.table({"a": [1]}), pa.schema([("a", pa.float64()), ("b", pa.string())]))
    pyarrow.Table
    a: double
    b: string
    ----
    a: [[1]]
    b: [[null]]
    """
    if table.schema.equals(schema):
        return table
    columns = []
    for field in schema:
        index = table.schema.get_field_index(field.name)
        if index < 0:
            columns.append(pa.nulls(table.num_rows, field.type))
        else:
            columns.append(conform_array(table.column(index), field.type))
    if not columns:
        return table.select([])  # rows without a column keep their count
    return pa.Table.from_arrays(columns, schema=schema)


def conform_array(array: _ArrayT, target: pa.DataType) -> _ArrayT:
    """`array` converted to `target`, a widening of its type (see the module docstring).

    >>> conform_array(pa.array([1, None]), pa.string()).to_pylist()
    ['1', None]
    """
    if isinstance(array, pa.ChunkedArray):
        return pa.chunked_array([conform_array(c, target) for c in array.chunks], type=target)
    source = array.type
    if source == target:
        return array
    if source == _NULL:
        return pa.nulls(len(array), target)
    if pa.types.is_string(target):
        return _json_text_array(array)
    if pa.types.is_struct(source) and pa.types.is_struct(target):
        return _conform_struct(array, target)
    if pa.types.is_list(source) and pa.types.is_list(target):
        return _conform_list(array, target)
    if pa.types.is_integer(source) and pa.types.is_floating(target):
        return array.cast(target, safe=False)  # only precision beyond 2**53 goes
    return array.cast(target)


def _conform_struct(array: pa.StructArray, target: pa.StructType) -> pa.StructArray:
    children = []
    for field in target:
        if array.type.get_field_index(field.name) < 0:
            children.append(pa.nulls(len(array), field.type))
        else:
            children.append(conform_array(array.field(field.name), field.type))
    mask = array.is_null() if array.null_count else None
    return pa.StructArray.from_arrays(children, fields=list(target), mask=mask)


def _conform_list(array: pa.ListArray, target: pa.ListType) -> pa.ListArray:
    # from_arrays refuses a validity mask together with sliced offsets: rebase them to zero
    start = array.offsets[0]
    offsets = pc.subtract(array.offsets, start)
    values = array.values.slice(start.as_py(), array.offsets[-1].as_py() - start.as_py())
    mask = array.is_null() if array.null_count else None
    return pa.ListArray.from_arrays(
        offsets, conform_array(values, target.value_type), type=target, mask=mask
    )


def _json_text_array(array: pa.Array) -> pa.Array:
    source = array.type
    if pa.types.is_timestamp(source):
        if source.tz is not None:
            array = array.cast(pa.timestamp(source.unit, tz="UTC"))
        suffix = "Z" if source.tz is not None else ""
        return pc.strftime(array, format=f"%Y-%m-%dT%H:%M:%S{suffix}")
    if pa.types.is_nested(source):
        # The text holds the keys sent, not the names that told them apart by case.
        plain = view_keyed(array).to_pylist()
        return _texts_array([None if v is None else _as_sent(v) for v in plain], "", _STRING)
    return array.cast(_STRING)


def _as_sent(value: Any) -> Any:
    """A struct's value without its null keys: a struct holds every key any row of its column
    had, each null where the object lacked it, and a key sent as null reads alike.

    >>> _as_sent({"a": 1, "b": None, "c": [{"d": None}, None]})
    {'a': 1, 'c': [{}, None]}
    """
    if isinstance(value, dict):
        return {key: _as_sent(child) for key, child in value.items() if child is not None}
    if isinstance(value, list):
        return [_as_sent(item) for item in value]
    return value


# --- Python values -------------------------------------------------------------------------


def python_parts(
    key: str,
    values: Sequence[Any],
    known: pa.DataType | None,
    *,
    exact: bool = False,
    sent: Sequence[Any] | None = None,
) -> list[tuple[pa.Field, pa.Array]]:
    """The columns that hold `values` of `key` for a table whose column is `known`: one, or
    one per kind of value (objects, lists, integers, other numbers, booleans, text) where
    kinds meet in a column of a known type that is not text. One column would turn them all
    into text there (or an integer beyond 2**53 into a double), and a value the column cannot
    hold would reach its variant column as text, not as the kind it was sent as (`contract`).

    Objects and lists the column cannot hold come as their JSON text as sent (`sent`, before
    any conversion; field metadata `PART: WHOLE_JSON`); those it may hold come with that text
    beside them (`PART: SENT_JSON`) where the contract may move them whole to a variant or
    turn them into text: in a declared column, or beside other kinds. The first column is
    the one of the kind `known` holds.

    >>> [(f.name, f.type, a.to_pylist()) for f, a in python_parts("n", [1, {"a": 1}], pa.int64())]
    [('n', DataType(int64), [1, None]), ('n', DataType(large_string), [None, '{"a":1}'])]
    """
    sent = values if sent is None else sent
    plain = pa.field(key, _NULL)
    if known is not None and pa.types.is_string(known):
        column = python_column(values, known, exact=exact)
        return [(plain.with_type(column.type), column)]
    kinds = {_kind_of(kind) for kind in set(map(type, values)) if kind is not type(None)}
    if "integer" in kinds and _beyond_int64(values):
        # An integer beyond 64 bits is its text (README), kept apart from the others.
        kinds = kinds | {_value_kind(v) for v in values if type(v) is int}
    # Without a known type every kind is held: the table may know the column by the time
    # it fits these values (a new column takes them all, as `python_column` would).
    held = _kind_held(known) if known is not None and not pa.types.is_null(known) else None
    if kinds >= _NUMBERS and held in {"float", None} and not any(map(_is_large_integer, values)):
        kinds, held = (kinds - _NUMBERS) | {"number"}, held and "number"
    mixed = len(kinds) > 1
    if held is None and not mixed:
        column = python_column(values, known, exact=exact)
        parts = [(plain.with_type(column.type), column)]
        # The table may know the column as another kind by the time it fits these (a later
        # page's rows, a part held since): the whole value then goes to its JSON variant as
        # sent, which the Arrow form cannot give back (`[0.5, false]` became `["0.5","false"]`).
        if kinds & {"object", "list"}:
            parts.append(_json_part(key, sent, SENT_JSON))
        return parts
    if not mixed and not kinds & {"object", "list"} - {held}:
        column = python_column(values, known, exact=exact)
        parts = [(plain.with_type(column.type), column)]
        # Values of the known types inside are never moved: only others need their text.
        if exact and kinds & {"object", "list"} and not of_known_types(column.type, known):
            parts.append(_json_part(key, sent, SENT_JSON))
        return parts
    parts = []
    for kind in sorted(kinds, key=lambda k: (k != held, _KINDS.index(k))):
        members = _NUMBERS if kind == "number" else {kind}
        kept = [v is not None and _value_kind(v) in members for v in values]
        if kind in {"object", "list"} and held is not None and kind != held:
            parts.append(_json_part(key, _only(sent, kept), WHOLE_JSON))
            continue
        column = python_column(_only(values, kept), known, exact=exact)
        parts.append((plain.with_type(column.type), column))
        if kind in {"object", "list"}:
            parts.append(_json_part(key, _only(sent, kept), SENT_JSON))
    return parts


def of_known_types(read: pa.DataType, known: pa.DataType) -> bool:
    """Whether values read as `read` hold, wherever `known` has a type, that type or null
    (keys `known` lacks may hold anything): the contract then fits them without a reject.

    >>> known = pa.struct([("k", pa.int64())])
    >>> of_known_types(pa.struct([("k", pa.int64()), ("z", pa.string())]), known)
    True
    >>> of_known_types(pa.struct([("k", pa.string())]), known)
    False
    """
    if read == known or pa.types.is_null(read):
        return True
    if pa.types.is_struct(read) and pa.types.is_struct(known):
        return all(
            of_known_types(child.type, held)
            for child in read
            if (held := _child(known, child.name)) is not None
        )
    if pa.types.is_list(read) and pa.types.is_list(known):
        return of_known_types(read.value_type, known.value_type)
    return False


def _only(values: Sequence[Any], kept: list[bool]) -> list[Any]:
    return [value if keep else None for value, keep in zip(values, kept, strict=True)]


def _beyond_int64(values: Sequence[Any]) -> bool:
    integers = [value for value in values if type(value) is int]
    return bool(integers) and (min(integers) < _INT64_MIN or max(integers) > _INT64_MAX)


def _value_kind(value: Any) -> str:
    kind = _kind_of(type(value))
    return "long" if kind == "integer" and not _INT64_MIN <= value <= _INT64_MAX else kind


def _kind_of(kind: type) -> str:
    if issubclass(kind, bool):
        return "bool"
    if issubclass(kind, int):
        return "integer"
    if issubclass(kind, float):
        return "float"
    if issubclass(kind, str):
        return "text"
    if issubclass(kind, Mapping):
        return "object"
    if issubclass(kind, list | tuple):
        return "list"
    return "other"


def _kind_held(known: pa.DataType) -> str:
    """The kind of value a column of `known` holds as it was sent (a timestamp: as text)."""
    if pa.types.is_struct(known):
        return "object"
    if pa.types.is_list(known):
        return "list"
    if pa.types.is_boolean(known):
        return "bool"
    if pa.types.is_integer(known):
        return "integer"
    if pa.types.is_floating(known):
        return "float"
    return "text"


def with_sent_json(table: pa.Table, records: Sequence[Any], known: pa.Schema) -> pa.Table:
    """`table`, read from `records` by pyarrow, with the JSON text sent beside each column of
    objects or lists whose shape `known` does not hold yet (see `python_parts`): pyarrow's
    structs hold every key any record had, and the table may know the column as another kind
    by the time it fits them."""
    for name, kind in zip(table.column_names, table.schema.types, strict=True):
        index = known.get_field_index(name)
        if pa.types.is_nested(kind) and (index < 0 or _holds_null(known.field(index).type)):
            field, texts = _json_part(name, [record.get(name) for record in records], SENT_JSON)
            table = table.append_column(field, texts)
    return table


def _holds_null(kind: pa.DataType) -> bool:
    if pa.types.is_struct(kind):
        return any(_holds_null(child.type) for child in kind)
    if pa.types.is_list(kind):
        return _holds_null(kind.value_type)
    return pa.types.is_null(kind)


def _json_part(key: str, sent: Sequence[Any], role: bytes) -> tuple[pa.Field, pa.Array]:
    # Whole JSON is large_string, text is string: tables a caller concatenates because their
    # schemas are equal (field metadata aside) then give every part the same role.
    kind = pa.large_string() if role == WHOLE_JSON else _STRING
    return pa.field(key, kind, metadata={PART: role}), _texts_array(sent, key, kind)


def _texts_array(values: Sequence[Any], key: str, kind: pa.DataType) -> pa.Array:
    """The JSON text of each of the objects and lists `values` of `key`, and a warning where
    a NaN or an infinity inside became a string (see `json_text`)."""
    texts, replaced = json_texts(values)
    if replaced:
        logger.warning(
            "%d objects or lists%s held NaN, Infinity or -Infinity, which JSON has no number "
            'for: their JSON text holds the strings "NaN", "Infinity" and "-Infinity" there',
            replaced,
            f" of {key!r}" if key else "",
        )
    return pa.array(texts, kind)


def python_column(
    values: Sequence[Any], known: pa.DataType | None = None, *, exact: bool = False
) -> pa.Array:
    """An Arrow array holding `values`, of `known` or of a type widened from it.

    Strings are parsed as dates and timestamps only where `known` says so. With `exact` (a
    declared column), an integer beyond 2^53 that meets a float is not rounded into a double:
    it is its text there, which the contract converts without loss or moves to a variant
    column; and an object or a list it cannot hold keeps the type Arrow infers for it, where
    an undeclared column widens to hold it as JSON text.

    >>> python_column([1, "a", None]).to_pylist()
    ['1', 'a', None]
    >>> python_column([2**53 + 1, 0.5], pa.int64(), exact=True).to_pylist()
    ['9007199254740993', '0.5']
    """
    if exact:
        values = _large_integers_as_text(values)
    if known is not None and pa.types.is_string(known):
        try:
            return pa.array(values, _STRING)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return pa.array([None if v is None else json_text(v) for v in values], _STRING)
    if (known is None or not _has_temporal(known)) and not _bool_meets_number(values):
        try:
            inferred = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            pass  # mixed kinds in one column: type each value and widen below
        else:
            # Arrow's own inference is exact unless an object or a list it built becomes JSON
            # text: its structs pad absent keys with nulls. A declared column keeps its type,
            # so only where it holds text does that happen there: an object or a list it
            # cannot hold stays one, for the contract to move whole to its JSON variant (as
            # text here, a list inside an object would reach the variant as a string).
            if exact:
                if _text_where_known(inferred.type, known) == inferred.type:
                    return inferred
            elif known is None or not _stringifies_nested(inferred.type, known):
                return inferred
    if exact and known is not None:
        # Widened with `known`, an integer beyond 2^53 where it declares a number (beside a
        # declared timestamp, which Arrow's inference cannot read) would round into a double.
        values = _large_integers_as_text(values, _float_paths(known))
    # A declared column keeps its type: `known` only says how to read text (a timestamp),
    # and a value it cannot hold keeps its kind for the contract (a number sent for a
    # timestamp goes to the column's bigint variant, not as text).
    target = (None if exact else known) or _NULL
    for value in values:
        target = widen_type(target, python_type(value, known))
    if exact and known is not None:
        target = _text_where_known(target, known)
    return pa.array([_coerce(v, target) for v in values], type=target)


def _text_where_known(kind: pa.DataType, known: pa.DataType | None) -> pa.DataType:
    """`kind` with text wherever `known` holds text and `kind` an object or a list: what a
    declared column holds there is the JSON text of the value sent."""
    if known is None or kind == known:
        return kind
    if pa.types.is_string(known) and pa.types.is_nested(kind):
        return _STRING
    if pa.types.is_struct(kind) and pa.types.is_struct(known):
        return pa.struct(
            [f.with_type(_text_where_known(f.type, _child(known, f.name))) for f in kind]
        )
    if pa.types.is_list(kind) and pa.types.is_list(known):
        return pa.list_(
            kind.value_field.with_type(_text_where_known(kind.value_type, known.value_type))
        )
    return kind


def _child(struct: pa.StructType, name: str) -> pa.DataType | None:
    index = struct.get_field_index(name)
    return struct.field(index).type if index >= 0 else None


def _large_integers_as_text(
    values: Sequence[Any], floats: frozenset[tuple[Any, ...]] = frozenset()
) -> Sequence[Any]:
    """`values` with each integer a double cannot hold as its text, where such an integer and a
    float meet at one place (a column, a key, a list's items; `floats` are places the table
    holds as a float): Arrow's inference would round it into a double, and its text is what
    the contract converts without loss."""
    kinds: dict[tuple[Any, ...], set[bool]] = {path: {True} for path in floats}
    stack: list[tuple[tuple[Any, ...], Any]] = [((), value) for value in values]
    while stack:
        path, value = stack.pop()
        if isinstance(value, float) or _is_large_integer(value):
            kinds.setdefault(path, set()).add(isinstance(value, float))
        elif isinstance(value, Mapping):
            stack.extend(((*path, key), child) for key, child in value.items())
        elif isinstance(value, list | tuple):
            stack.extend(((*path, None), child) for child in value)
    meeting = {path for path, seen in kinds.items() if len(seen) == 2}
    if not meeting:
        return values
    return [_with_text_at(value, (), meeting) for value in values]


def _float_paths(kind: pa.DataType, path: tuple[Any, ...] = ()) -> frozenset[tuple[Any, ...]]:
    """The places of `kind` that hold floats, as `_large_integers_as_text` names places."""
    if pa.types.is_floating(kind):
        return frozenset({path})
    if pa.types.is_struct(kind):
        return frozenset().union(*(_float_paths(f.type, (*path, f.name)) for f in kind))
    if pa.types.is_list(kind):
        return _float_paths(kind.value_type, (*path, None))
    return frozenset()


def _is_large_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) > _EXACT_DOUBLE


def _with_text_at(value: Any, path: tuple[Any, ...], meeting: set[tuple[Any, ...]]) -> Any:
    if _is_large_integer(value) and path in meeting:
        return str(value)
    if isinstance(value, Mapping):
        return {key: _with_text_at(child, (*path, key), meeting) for key, child in value.items()}
    if isinstance(value, list | tuple):
        return [_with_text_at(child, (*path, None), meeting) for child in value]
    return value


def _bool_meets_number(values: Sequence[Any]) -> bool:
    """Whether booleans and numbers meet at one place of the values (a column, a key, a list's
    items): Arrow's inference would turn ``[0.5, False]`` into ``[0.5, 0.0]``."""
    kinds: dict[tuple[Any, ...], set[bool]] = {}
    stack: list[tuple[tuple[Any, ...], Any]] = [((), value) for value in values]
    while stack:
        path, value = stack.pop()
        if isinstance(value, bool | int | float):
            seen = kinds.setdefault(path, set())
            seen.add(isinstance(value, bool))
            if len(seen) == 2:
                return True
        elif isinstance(value, Mapping):
            stack.extend(((*path, key), child) for key, child in value.items())
        elif isinstance(value, list | tuple):
            stack.extend(((*path, None), child) for child in value)
    return False


def python_type(value: Any, known: pa.DataType | None = None) -> pa.DataType:
    """The Arrow type of one JSON-like Python value; `known` lets strings be dates or timestamps.

    >>> python_type({"a": [1.5]})
    StructType(struct<a: list<item: double>>)
    """
    if value is None:
        return _NULL
    if isinstance(value, bool):
        return pa.bool_()
    if isinstance(value, int):
        return pa.int64() if _INT64_MIN <= value <= _INT64_MAX else _STRING
    if isinstance(value, float):
        return pa.float64()
    if isinstance(value, str):
        return known if known is not None and _parses_as(value, known) else _STRING
    if isinstance(value, Mapping):
        return _mapping_type(value, known)
    if isinstance(value, list | tuple):
        item = known.value_type if known is not None and pa.types.is_list(known) else None
        return pa.list_(_widen_all([python_type(v, item) for v in value] or [_NULL]))
    if isinstance(value, dt.datetime):
        return pa.timestamp("us", tz="UTC" if value.tzinfo is not None else None)
    if isinstance(value, dt.date):
        return pa.date32()
    return _STRING


def _mapping_type(value: Mapping[str, Any], known: pa.DataType | None) -> pa.DataType:
    if not value:
        return pa.struct([])
    children = known if known is not None and pa.types.is_struct(known) else None
    fields = []
    for key, child in value.items():
        index = children.get_field_index(key) if children is not None else -1
        hint = children.field(index).type if children is not None and index >= 0 else None
        fields.append(pa.field(str(key), python_type(child, hint)))
    return pa.struct(fields)


def _parses_as(text: str, known: pa.DataType) -> bool:
    try:
        if pa.types.is_timestamp(known):
            dt.datetime.fromisoformat(text)
        elif pa.types.is_date32(known):
            dt.date.fromisoformat(text)
        else:
            return False
    except ValueError:
        return False
    return True


def _coerce(value: Any, target: pa.DataType) -> Any:
    if value is None:
        return None
    if pa.types.is_string(target):
        return json_text(value)
    if pa.types.is_floating(target):
        return float(value)
    if pa.types.is_timestamp(target) and isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    if pa.types.is_date32(target) and isinstance(value, str):
        return dt.date.fromisoformat(value)
    if pa.types.is_struct(target):
        return {f.name: _coerce(value.get(f.name), f.type) for f in target}
    if pa.types.is_list(target):
        return [_coerce(v, target.value_type) for v in value]
    return value


def _stringifies_nested(source: pa.DataType, known: pa.DataType) -> bool:
    target = widen_type(known, source)
    if pa.types.is_string(target):
        return bool(pa.types.is_nested(source))
    if pa.types.is_struct(source) and pa.types.is_struct(known):
        return any(
            _stringifies_nested(f.type, known.field(known.get_field_index(f.name)).type)
            for f in source
            if known.get_field_index(f.name) >= 0
        )
    if pa.types.is_list(source) and pa.types.is_list(known):
        return _stringifies_nested(source.value_type, known.value_type)
    return False


def _has_temporal(t: pa.DataType) -> bool:
    if pa.types.is_timestamp(t) or pa.types.is_date(t):
        return True
    if pa.types.is_struct(t):
        return any(_has_temporal(f.type) for f in t)
    if pa.types.is_list(t):
        return _has_temporal(t.value_type)
    return False
