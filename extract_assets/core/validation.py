"""Check the rows of a written Parquet file against the JSON Schema they were meant to follow."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema

from extract_assets.core.storage import open_parquet

_BATCH_ROWS = 65_536


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
    property may be missing, a required one may not.
    """
    validator = jsonschema.Draft202012Validator(
        dict(json_schema), format_checker=jsonschema.FormatChecker()
    )
    checked = invalid = 0
    examples: list[str] = []
    for row in _rows(path):
        checked += 1
        errors = list(validator.iter_errors(row))
        if errors:
            invalid += 1
            if len(examples) < max_examples:
                where = "/".join(str(p) for p in errors[0].absolute_path) or "row"
                examples.append(f"row {checked - 1}: {where}: {errors[0].message}")
    return SchemaReport(rows_checked=checked, invalid_rows=invalid, examples=examples)


def _rows(path: str | Path) -> Iterator[dict[str, Any]]:
    for batch in open_parquet(path).iter_batches(batch_size=_BATCH_ROWS):
        for row in batch.to_pylist():
            yield _as_json(row)


def _as_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _as_json(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_as_json(item) for item in value]
    if isinstance(value, dt.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
