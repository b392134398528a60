"""Check the rows of a written Parquet file against the JSON Schema they were meant to follow.

The verdict is defined row by row (`check_rows_one_by_one`): each row, read back as JSON
(`row_as_json`), is valid when the `jsonschema` library's Draft 2020-12 validator with its
`FormatChecker` finds no error. That costs about 70 µs a row, ten times the cost of writing it,
so `check_rows` reaches the same verdict, counts and examples another way: Arrow judges each typed
column whole (`arrow_check`), a compiled validator (`jsonschema-rs`) judges only the columns Arrow
cannot, with the library's own `pattern`, `multipleOf` and `format` code plugged into it where
the two libraries differ, and the library itself words the few example rows reported.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs
import numpy as np
import pyarrow as pa

from extract_assets.core.arrow_check import (
    ACTING_KEYWORDS,
    FORMAT_CHECKER,
    Unsupported,
    breaks,
    declared_types,
    non_finite,
)
from extract_assets.core.column_names import column_key, view_keyed
from extract_assets.core.contract import VARIANT_INFIX
from extract_assets.core.json_text import loads
from extract_assets.core.storage import open_parquet

_BATCH_ROWS = 65_536
_ROOT_KEYWORDS = frozenset({"type", "properties", "required", "additionalProperties"})
# Keywords whose semantics differ between the two libraries: jsonschema-rs runs the library's
# own code for them (Rust regexes are not Python's; it divides floats exactly; other formats).
_LIBRARY_KEYWORDS = ("pattern", "multipleOf", "format")
# The kinds of the variant columns a value the column cannot hold moves to (see `contract`).
_VARIANT_KINDS = frozenset({"text", "double", "bigint", "bool", "timestamp", "date", "json"})


@dataclass(frozen=True)
class SchemaReport:
    """How many rows were checked, how many broke the schema, and the first few reasons."""

    rows_checked: int
    invalid_rows: int
    examples: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.invalid_rows == 0


def check_rows(
    path: str | Path, json_schema: Mapping[str, Any], *, max_examples: int = 5
) -> SchemaReport:
    """Validate every row of the Parquet file at `path` against `json_schema`.

    Parquet cannot tell an absent key from a null, so nulls are read as absent: an optional
    property may be missing, a required one may not. The report equals `check_rows_one_by_one`'s.
    """
    rows = _RowChecker(json_schema)
    checked = invalid = 0
    examples: list[str] = []
    for batch in _rows_by_key(path):
        bad = rows.breaks(batch)
        invalid += int(bad.sum())
        for index in np.flatnonzero(bad)[: max_examples - len(examples)]:
            examples.append(rows.example(batch, int(index), checked + int(index)))
        checked += batch.num_rows
    return SchemaReport(rows_checked=checked, invalid_rows=invalid, examples=examples)


def check_rows_one_by_one(
    path: str | Path, json_schema: Mapping[str, Any], *, max_examples: int = 5
) -> SchemaReport:
    """The definition `check_rows` keeps to: the library's validator on each row in Python."""
    validator = _python_validator(json_schema)
    declared = _declared(json_schema)
    checked = invalid = 0
    examples: list[str] = []
    for batch in _rows_by_key(path):
        sent = _variants(batch.schema.names, declared)
        for row in batch.to_pylist():
            message = _first_error(validator, as_sent(row_as_json(row), sent), checked)
            checked += 1
            if message is not None:
                invalid += 1
                if len(examples) < max_examples:
                    examples.append(message)
    return SchemaReport(rows_checked=checked, invalid_rows=invalid, examples=examples)


def _rows_by_key(path: str | Path) -> Iterator[pa.RecordBatch]:
    """The file's rows with each column named by the key it holds (see `column_names`)."""
    for batch in open_parquet(path).iter_batches(batch_size=_BATCH_ROWS):
        yield pa.RecordBatch.from_arrays(
            [view_keyed(column) for column in batch.columns],
            names=[column_key(name) for name in batch.schema.names],
        )


def row_as_json(value: Any) -> Any:
    """A value read from Parquet as the JSON it stands for: a null in an object is an absent
    key, a null in a list stays null, timestamps and dates are ISO-8601 text."""
    if isinstance(value, dict):
        return {key: row_as_json(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [row_as_json(item) for item in value]
    if isinstance(value, dt.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def as_sent(row: dict[str, Any], variants: Mapping[str, str]) -> dict[str, Any]:
    """`row` (as `row_as_json` gives it) with each value a variant column holds back under the
    property it was sent as, and as it was sent: a variant column's JSON text as the JSON value.

    >>> as_sent({"id__v_text": "n/a", "name": "Ada"}, {"id__v_text": "id"})
    {'name': 'Ada', 'id': 'n/a'}
    """
    if not variants or not row.keys() & variants.keys():
        return row
    folded = dict(row)
    for column, prop in variants.items():
        if column in folded:
            value = folded.pop(column)
            folded[prop] = loads(value) if column.endswith(f"{VARIANT_INFIX}json") else value
    return folded


def _declared(json_schema: Mapping[str, Any]) -> frozenset[str]:
    properties = json_schema.get("properties")
    return frozenset(properties) if isinstance(properties, Mapping) else frozenset()


def _variants(names: list[str], declared: frozenset[str]) -> dict[str, str]:
    """The variant columns among `names` of a declared property, each with its property."""
    variants = {}
    for name in names:
        prop, infix, kind = name.rpartition(VARIANT_INFIX)
        if infix and kind in _VARIANT_KINDS and column_key(prop) in declared:
            variants[name] = column_key(prop)
    return variants


def _python_validator(json_schema: Mapping[str, Any]) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(dict(json_schema), format_checker=FORMAT_CHECKER)


def _first_error(
    validator: jsonschema.Draft202012Validator, row: dict[str, Any], index: int
) -> str | None:
    error = next(iter(validator.iter_errors(row)), None)
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path) or "row"
    return f"row {index}: {where}: {error.message}"


class _RowChecker:
    """One schema's checks, applied to record batches."""

    def __init__(self, json_schema: Mapping[str, Any]) -> None:
        self.schema = dict(json_schema)
        # some columns of a row: Arrow judges `required` on every column
        self.schema_some = {k: v for k, v in self.schema.items() if k != "required"}
        self.python = _python_validator(self.schema)
        self.python_some = _python_validator(self.schema_some)
        self.declared = _declared(self.schema)
        self._compiled: dict[bool, jsonschema_rs.Validator] = {}

    def breaks(self, batch: pa.RecordBatch) -> np.ndarray:
        """True where a row of `batch` breaks the schema."""
        try:
            bad, left = self._by_column(batch)
        except Unsupported:  # a root keyword that ties columns together: whole rows
            return self._compiled_breaks(batch, batch.schema.names, whole=True)
        if left:
            bad |= self._compiled_breaks(batch, left, whole=False, skip=bad)
        # A row with a value in a variant column is judged whole, as sent: the columns alone
        # would see its property absent. Such rows are few (a source that drifted).
        moved = np.zeros(batch.num_rows, dtype=bool)
        for column in _variants(batch.schema.names, self.declared):
            moved |= _valid(batch.column(column))
        if moved.any():
            whole = self._compiled_breaks(batch, batch.schema.names, whole=True, skip=~moved)
            bad = np.where(moved, whole, bad)
        return bad

    def example(self, batch: pa.RecordBatch, index: int, row: int) -> str:
        """The library's first error on a row found bad, worded as `check_rows_one_by_one`."""
        values = self._as_json(batch.slice(index, 1).to_pylist()[0])
        return _first_error(self.python, values, row) or f"row {row}: row: breaks the schema"

    def _as_json(self, row: dict[str, Any]) -> dict[str, Any]:
        return as_sent(row_as_json(row), _variants(list(row), self.declared))

    def _by_column(self, batch: pa.RecordBatch) -> tuple[np.ndarray, list[str]]:
        """Breaks found in Arrow, and the columns left to the compiled validator."""
        root = self.schema
        if root.keys() & ACTING_KEYWORDS - _ROOT_KEYWORDS:
            raise Unsupported(", ".join(sorted(root.keys() & ACTING_KEYWORDS - _ROOT_KEYWORDS)))
        properties = root.get("properties", {})
        required = root.get("required", [])
        if not isinstance(properties, Mapping) or not isinstance(required, list):
            raise Unsupported("properties or required of an unusual shape")
        bad = np.zeros(batch.num_rows, dtype=bool)
        if "type" in root and "object" not in declared_types(root):
            bad[:] = True  # every row is an object
        left = []
        for name, column in zip(batch.schema.names, batch.columns, strict=True):
            if name in properties:
                node = properties[name]
            elif "additionalProperties" in root:
                node = root["additionalProperties"]
            else:
                continue
            try:
                bad |= breaks(node, column, nulls_absent=True)
            except Unsupported:
                left.append(name)
        names = set(batch.schema.names)
        for name in required:
            bad |= ~_valid(batch.column(name)) if name in names else True
        return bad, left

    def _compiled_breaks(
        self,
        batch: pa.RecordBatch,
        names: list[str],
        *,
        whole: bool,
        skip: np.ndarray | None = None,
    ) -> np.ndarray:
        """The compiled validator's verdict on `names` of each row not in `skip`; rows holding
        NaN or infinity, which it cannot take, go to the library itself."""
        validator = self._validator(whole)
        columns = batch.select(names)
        in_python = np.zeros(batch.num_rows, dtype=bool)
        for column in columns.columns:
            in_python |= non_finite(column)
        bad = np.zeros(batch.num_rows, dtype=bool)
        for index, row in enumerate(columns.to_pylist()):
            if skip is not None and skip[index]:
                continue
            values = self._as_json(row)
            if in_python[index]:
                bad[index] = (
                    next(iter(self._python_for(whole).iter_errors(values)), None) is not None
                )
            else:
                bad[index] = not validator.is_valid(values)
        return bad

    def _validator(self, whole: bool) -> jsonschema_rs.Validator:
        if whole not in self._compiled:
            python = self._python_for(whole)
            self._compiled[whole] = jsonschema_rs.Draft202012Validator(
                self.schema if whole else self.schema_some,
                keywords={name: _library_keyword(python, name) for name in _LIBRARY_KEYWORDS},
            )
        return self._compiled[whole]

    def _python_for(self, whole: bool) -> jsonschema.Draft202012Validator:
        return self.python if whole else self.python_some


def _valid(column: pa.Array) -> np.ndarray:
    return np.asarray(column.is_valid().to_numpy(zero_copy_only=False), dtype=bool)


def _library_keyword(python: jsonschema.Draft202012Validator, keyword: str) -> type:
    """A jsonschema-rs keyword that runs the library's own implementation of `keyword`."""
    implementation = jsonschema.Draft202012Validator.VALIDATORS[keyword]

    class LibraryKeyword:
        def __init__(self, parent_schema: dict[str, Any], value: Any, path: list[Any]) -> None:
            self.parent_schema, self.value = parent_schema, value

        def validate(self, instance: Any) -> None:
            for error in implementation(python, self.value, instance, self.parent_schema):
                raise ValueError(error.message)

    return LibraryKeyword
