"""What a user checks after a materialization: every table read whole by four readers, every
file on the table's schema, and each value a service sent found in its row, unchanged.

A value is "unchanged" when the table holds it as the contract says (README, "One table per
asset"): in its own column or in one of its variant columns (`x__v_text`, ...), converted only
without loss (`"3185"` → 3185, ISO-8601 text → the same instant, `12` → 12.0), text that
Parquet cannot hold repaired to U+FFFD, and a number beyond the doubles kept as its text.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from extract_assets.core.instants import parse_instant
from extract_assets.core.table import read_document
from extract_assets_tests.readers import Row, describe_difference, read_with_all

READERS = ("pyarrow", "duckdb", "polars", "pandas")
VARIANT_INFIX = "__v_"
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class Beyond(str):
    """The text of a JSON number beyond float64 (a double would be infinity)."""


def _float_or_beyond(text: str) -> float | Beyond:
    number = float(text)
    return Beyond(text) if math.isinf(number) else number


def loads_exact(body: str | bytes) -> Any:
    """JSON as sent: a number beyond float64 as `Beyond`, never infinity."""
    return json.loads(body, parse_float=_float_or_beyond)


def read_table(folder: Path, partition_column: str | None) -> list[Row]:
    """The whole table as pyarrow reads it, after checking DuckDB, Polars and pandas agree."""
    tables = read_with_all(folder, partition_column, READERS)
    for reader, rows in tables.items():
        problem = describe_difference(tables["pyarrow"], rows)
        assert problem is None, f"{reader} reads {folder} otherwise: {problem}"
    return tables["pyarrow"]


def assert_files_have_the_table_schema(folder: Path) -> None:
    """Every Parquet file under `folder` has exactly the schema its document records."""
    document = read_document(folder)
    assert document is not None, f"no schema document beside {folder}"
    files = sorted(folder.rglob("*.parquet"))
    assert files, f"no Parquet under {folder}"
    for path in files:
        schema = pq.read_schema(path).remove_metadata()
        assert schema.equals(document.schema.remove_metadata()), (
            f"{path} has {schema}, the document {document.schema}"
        )


def repaired(text: str) -> str:
    """Text as Parquet holds it: half a character cut in two is U+FFFD."""
    return _LONE_SURROGATE.sub("\ufffd", text)


def same_value(sent: Any, stored: Any, *, in_variant: bool = False) -> bool:
    """Whether `stored` is `sent` as the table keeps it (see the module doc). A variant column
    keeps a value's kind: a number or a boolean is text only in a text column of its own, or
    an integer beyond 64 bits."""
    if isinstance(sent, Beyond):
        return stored == str(sent)
    if isinstance(sent, bool | int | float) and isinstance(stored, str):
        beyond_int64 = isinstance(sent, int) and not -(2**63) <= sent < 2**63
        return (not in_variant or beyond_int64) and stored == json.dumps(sent)
    if isinstance(sent, bool) or isinstance(stored, bool):
        return sent is stored or (isinstance(sent, str) and sent == str(stored).lower())
    if isinstance(sent, int | float) and isinstance(stored, int | float):
        return float(sent) == float(stored) and (
            not isinstance(stored, int) or float(sent).is_integer()
        )
    if isinstance(sent, str):
        return _same_text(sent, stored)
    if isinstance(stored, str) and isinstance(sent, dict | list):
        return bool(json.loads(stored) == sent)
    if isinstance(sent, dict) and isinstance(stored, dict):
        return _same_object(sent, stored)
    if isinstance(sent, list) and isinstance(stored, list):
        return len(sent) == len(stored) and all(map(same_value, sent, stored))
    return bool(sent == stored)


def _same_object(sent: Mapping[str, Any], stored: Mapping[str, Any]) -> bool:
    """An object as a struct holds it: every key sent with its value, the struct's other keys
    (those of other rows) null."""
    return all(
        (stored.get(key) is None if value is None else same_value(value, stored.get(key)))
        for key, value in sent.items()
    ) and all(value is None for key, value in stored.items() if key not in sent)


def _same_text(sent: str, stored: Any) -> bool:
    if isinstance(stored, str):
        return stored == repaired(sent)
    if isinstance(stored, datetime):
        return parse_instant(sent) == stored
    if isinstance(stored, date):
        return date.fromisoformat(sent) == stored
    if isinstance(stored, int):
        return sent == str(stored)
    if isinstance(stored, float):
        return float(sent) == stored
    return False


def problems_in_row(
    sent: Mapping[str, Any],
    stored: Row,
    skip: frozenset[str],
    renamed: Mapping[str, str] | None = None,
) -> list[str]:
    """What of the row `sent` the `stored` row lost or altered (nothing: an empty list).

    Each sent key but those in `skip` must hold its value in exactly one of its column (the
    key, or the column `renamed` gives it) and its variant columns, the others null; columns
    that no sent key explains must be null."""
    problems: list[str] = []
    explained = set(skip)
    for key, value in sent.items():
        if key in skip:
            continue
        column = (renamed or {}).get(key, key)
        cells = {
            name: cell
            for name, cell in stored.items()
            if name == column or name.startswith(column + VARIANT_INFIX)
        }
        explained |= cells.keys()
        held = {name: cell for name, cell in cells.items() if cell is not None}
        if value is None:
            if held:
                problems.append(f"{key}: sent null, stored {held}")
        elif len(held) != 1 or not _holds(column, value, held):
            problems.append(f"{key}: sent {value!r}, stored {held or 'nothing'}")
    invented = {n: c for n, c in stored.items() if n not in explained and c is not None}
    if invented:
        problems.append(f"values nobody sent: {invented}")
    return problems


def _holds(column: str, sent: Any, held: Mapping[str, Any]) -> bool:
    ((name, stored),) = held.items()
    return same_value(sent, stored, in_variant=name != column)
