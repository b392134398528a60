"""Which column holds a JSON key: keys that differ only in case get columns that do not.

JSON keys are told apart by case, but Spark, DuckDB and Hive match column names ignoring it:
a table with columns `Price` and `price` (rows of an extraction that spelled a field two ways)
is one Spark refuses to read ("the column `price` already exists"), and DuckDB renames one as
it reads. So the key that comes second is stored as `price__case_2` (`__case_3`, ... while
that is taken), and every later batch puts that key's values there too. The name says which
key it holds, so the table needs nothing else to keep that choice: not its schema document,
not an Iceberg catalog's copy of the schema.
"""

from __future__ import annotations

import re

import pyarrow as pa

__all__ = ["CASE_INFIX", "ColumnNames", "column_key", "keyed"]

CASE_INFIX = "__case_"
_RENAMED = re.compile(rf"(.+){CASE_INFIX}([2-9]|[1-9][0-9]+)")


def column_key(name: str) -> str:
    """The JSON key a column holds.

    >>> column_key("price__case_2"), column_key("Price")
    ('price', 'Price')
    """
    renamed = _RENAMED.fullmatch(name)
    return renamed.group(1) if renamed else name


def keyed(schema: pa.Schema) -> pa.Schema:
    """`schema` with each column named by the key it holds: what a reader of JSON is told.

    >>> keyed(pa.schema([("Price", pa.int64()), ("price__case_2", pa.string())])).names
    ['Price', 'price']
    """
    if not any(_RENAMED.fullmatch(name) for name in schema.names):
        return schema
    return pa.schema(
        [field.with_name(column_key(field.name)) for field in schema], metadata=schema.metadata
    )


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
        from a column's name (or is itself spelled like a renamed column's name)."""
        name, number = key, 1
        while name.casefold() in self._folded or column_key(name) != key:
            number += 1
            name = f"{key}{CASE_INFIX}{number}"
        self._by_key[key] = name
        self._folded.add(name.casefold())
        return name

    def note(self, name: str) -> None:
        """A column named by the table itself (a variant column), whatever it collides with."""
        self._by_key.setdefault(column_key(name), name)
        self._folded.add(name.casefold())
