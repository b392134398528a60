"""Which column holds a JSON key: keys that differ only in case get columns that do not.

JSON keys are told apart by case, but Spark, DuckDB and Hive match column names ignoring it:
a table with columns `Price` and `price` (rows of an extraction that spelled a field two ways)
is one Spark refuses to read ("the column `price` already exists"), and DuckDB renames one as
it reads. So the key that comes second is stored as `price__case_2` (`__case_3`, ... while
that is taken), and every later batch puts that key's values there too. The name says which
key it holds, so the table needs nothing else to keep that choice: not its schema document,
not an Iceberg catalog's copy of the schema. The keys of an object inside a column (a struct's
children, at any depth, in lists too) are kept apart the same way (`case_apart`): Spark
refuses `{"s": {"X": 1, "x": 2}}` as it refuses `X` and `x` side by side.

The empty key is valid JSON (a table scraped with a blank header cell brings one), but DuckDB
reads a column of no name as `C0` and an object holding such a key as a struct whose children
have lost every name. So it is stored the same way, as `__case_2`: the second spelling of a key
whose first, the empty name, no column can take.
"""

from __future__ import annotations

import re

import pyarrow as pa

__all__ = ["ColumnNames", "case_apart", "column_key", "keyed", "schema_apart", "view_keyed"]

_CASE_INFIX = "__case_"
_RENAMED = re.compile(rf"(.*){_CASE_INFIX}([2-9]|[1-9][0-9]+)")


def column_key(name: str) -> str:
    """The JSON key a column holds.

    >>> column_key("price__case_2"), column_key("Price"), column_key("__case_2")
    ('price', 'Price', '')
    """
    renamed = _RENAMED.fullmatch(name)
    return renamed.group(1) if renamed else name


def keyed(schema: pa.Schema) -> pa.Schema:
    """`schema` with each column and each object key inside named by the key it holds: what a
    reader of JSON is told.

    >>> keyed(pa.schema([("Price", pa.int64()), ("price__case_2", pa.string())])).names
    ['Price', 'price']
    """
    fields = [
        field.with_name(column_key(field.name)).with_type(_keyed_type(field.type))
        for field in schema
    ]
    if all(new.equals(old) for new, old in zip(fields, schema, strict=True)):
        return schema
    return pa.schema(fields, metadata=schema.metadata)


def _keyed_type(kind: pa.DataType) -> pa.DataType:
    """`kind` with each object key inside named by the key it holds.

    >>> _keyed_type(pa.struct([("X", pa.int64()), ("x__case_2", pa.int64())]))
    StructType(struct<X: int64, x: int64>)
    """
    if pa.types.is_struct(kind):
        return pa.struct(
            [f.with_name(column_key(f.name)).with_type(_keyed_type(f.type)) for f in kind]
        )
    if pa.types.is_list(kind):
        return pa.list_(kind.value_field.with_type(_keyed_type(kind.value_type)))
    if pa.types.is_large_list(kind):
        return pa.large_list(kind.value_field.with_type(_keyed_type(kind.value_type)))
    return kind


def schema_apart(schema: pa.Schema) -> pa.Schema:
    """`schema`, named by keys (as a JSON Schema's properties name columns), with its columns
    and the object keys inside named apart as rows' keys are.

    >>> schema_apart(pa.schema([("Price", pa.int64()), ("price", pa.int64()), ("", pa.int8())]))
    Price: int64
    price__case_2: int64
    __case_2: int8
    """
    names = ColumnNames([])
    fields = [
        field.with_name(names.add(field.name)).with_type(_apart_type(field.type, None))
        for field in schema
    ]
    apart = pa.schema(fields, metadata=schema.metadata)
    return schema if apart.equals(schema) else apart


def case_apart(values: pa.ChunkedArray, known: pa.DataType | None) -> pa.ChunkedArray:
    """`values` with the keys of the objects inside named apart ignoring case, and found in
    `known` (the column's type in the table) as earlier batches named them; the values are
    untouched (Arrow's `view`: the same buffers, other names).

    >>> case_apart(pa.chunked_array([[{"X": 1, "x": 2}]]), None).type
    StructType(struct<X: int64, x__case_2: int64>)
    """
    apart = _apart_type(values.type, known)
    if apart.equals(values.type):
        return values
    return pa.chunked_array([_renamed(chunk, apart) for chunk in values.chunks], type=apart)


def view_keyed(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """`values` with each object key inside named by the key it holds (see `_keyed_type`)."""
    kind = _keyed_type(values.type)
    if kind.equals(values.type):
        return values
    if isinstance(values, pa.ChunkedArray):
        return pa.chunked_array([_renamed(chunk, kind) for chunk in values.chunks], type=kind)
    return _renamed(values, kind)


def _renamed(values: pa.Array, kind: pa.DataType) -> pa.Array:
    """`values` as `kind`, a type of the same shape whose object keys have other names.

    Arrow's `view` does it without a copy, but gives an invalid array when a null-typed array
    is inside (`[[null, null]]` as `list<null>`: its offsets then run past its one item), so
    such an array is put together again from its parts (copied first if it is a slice, which
    Arrow cannot give a list its nulls on).

    >>> kind = pa.struct([("y", pa.list_(pa.null()))])
    >>> _renamed(pa.array([{"x": [None, None]}]), kind).to_pylist()
    [{'y': [None, None]}]
    """
    if not _holds_null_type(kind):
        return values.view(kind)
    if pa.types.is_struct(kind):
        children = [_renamed(values.field(i), field.type) for i, field in enumerate(kind)]
        return pa.StructArray.from_arrays(children, fields=list(kind), mask=_nulls(values))
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        if values.offset:
            values = pa.concat_arrays([values])
        items = _renamed(values.values, kind.value_type)
        rebuild = pa.ListArray if pa.types.is_list(kind) else pa.LargeListArray
        return rebuild.from_arrays(values.offsets, items, type=kind, mask=_nulls(values))
    return values


def _holds_null_type(kind: pa.DataType) -> bool:
    if pa.types.is_null(kind):
        return True
    if pa.types.is_struct(kind):
        return any(_holds_null_type(field.type) for field in kind)
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return _holds_null_type(kind.value_type)
    return False


def _nulls(values: pa.Array) -> pa.Array | None:
    return values.is_null() if values.null_count else None


def _apart_type(kind: pa.DataType, known: pa.DataType | None) -> pa.DataType:
    if pa.types.is_struct(kind):
        earlier = (
            {f.name: f.type for f in known}
            if known is not None and pa.types.is_struct(known)
            else {}
        )
        names = ColumnNames(list(earlier))
        children = []
        for child in kind:
            name = names.column_of(child.name) or names.add(child.name)
            children.append(
                child.with_name(name).with_type(_apart_type(child.type, earlier.get(name)))
            )
        return pa.struct(children)
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        item = known.value_type if known is not None and kind.id == known.id else None
        field = kind.value_field.with_type(_apart_type(kind.value_type, item))
        return pa.list_(field) if pa.types.is_list(kind) else pa.large_list(field)
    return kind


class ColumnNames:
    """The columns of a table by the key each holds, and the name a new key's column takes.

    >>> names = ColumnNames(["Price"])
    >>> names.column_of("price") is None
    True
    >>> names.add("price")
    'price__case_2'
    >>> names.column_of("price")
    'price__case_2'
    """

    def __init__(self, columns: list[str]) -> None:
        self._by_key: dict[str, str] = {}
        for name in sorted(columns, key=lambda name: name == column_key(name)):
            self._by_key[column_key(name)] = name  # a column named for its key wins
        self._folded = {name.casefold() for name in columns}

    def column_of(self, key: str) -> str | None:
        """The column that holds `key`, if the table has one."""
        return self._by_key.get(key)

    def add(self, key: str) -> str:
        """The name of a new column for `key`: the key itself, unless it differs only in case
        from a column's name, is itself spelled like a renamed column's name, or is empty."""
        name, number = key, 1
        while not name or name.casefold() in self._folded or column_key(name) != key:
            number += 1
            name = f"{key}{_CASE_INFIX}{number}"
        self._by_key[key] = name
        self._folded.add(name.casefold())
        return name

    def note(self, name: str) -> None:
        """A column named by the table itself (a variant column), whatever it collides with."""
        self._by_key.setdefault(column_key(name), name)
        self._folded.add(name.casefold())
