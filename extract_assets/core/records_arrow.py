"""JSON-like records (the items of an API page) as one Arrow table, read as the NDJSON sink
reads them, without writing them out as JSON text first.

The sink reads NDJSON with pyarrow's JSON reader, told the table's known types, and reads a
block it cannot parse with the standard library (see `parquet`). Most records are flat and of
one kind per column: text, integers, numbers or booleans. Such a column becomes an Arrow array
straight from the Python values, with the same type and values the JSON reader would give.
Anything else — a column mixing kinds, nested values, numbers as text in a typed column, an
integer beyond 64 bits, NaN — sends the whole batch through the sink's own reader
(`parquet.ndjson_tables`) as JSON text: exact, at the old cost, only for that batch. Objects
and lists pyarrow read there, in a column whose shape the table does not know yet, come with
the JSON text sent beside them (`arrow_schema.with_sent_json`), as the exact reader gives it.
"""

from __future__ import annotations

import itertools
import json
import math
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pyarrow as pa

from extract_assets.core.arrow_schema import PART, with_sent_json
from extract_assets.core.column_names import keyed
from extract_assets.core.parquet import ndjson_tables, times_from_text

__all__ = ["records_tables"]

_STRING = pa.string()
_INT = pa.int64()
_FLOAT = pa.float64()
_BOOL = pa.bool_()
_NONE = type(None)
# pa.array refuses these with one of them; the exact reader then decides.
_REFUSED = (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, UnicodeError)


def records_tables(
    records: Sequence[Mapping[str, Any]],
    known: pa.Schema,
    *,
    leave_out: str | None = None,
    first_row: int = 1,
    converted: Counter[str],
    exact: frozenset[str] = frozenset(),
) -> Iterator[pa.Table]:
    """`records` (without the key `leave_out`) as Arrow tables of `known`'s types where they
    fit, as `parquet.stage_ndjson` would read them (the keys of declared columns in `exact`);
    exact conversions count into `converted`."""
    if not records:
        return
    table = _direct(records, keyed(known), leave_out)
    if table is not None:
        converted.update(times_from_text(table, keyed(known)))
        yield table
        return
    lines = b"".join(_json_line(record, leave_out) for record in records)
    tables = list(
        ndjson_tables(lines, known, first_row=first_row, converted=converted, exact=exact)
    )
    if len(tables) == 1 and not any(PART in (f.metadata or {}) for f in tables[0].schema):
        # Read by pyarrow, which keeps no text of objects and lists.
        tables = [with_sent_json(tables[0], records, keyed(known))]
    yield from tables


def _json_line(record: Mapping[str, Any], leave_out: str | None) -> bytes:
    if leave_out is not None and leave_out in record:
        record = {k: v for k, v in record.items() if k != leave_out}
    text = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
    # A lone surrogate, which UTF-8 cannot hold, is written as its JSON escape; the sink's exact
    # reader then replaces it (see `text_repair`).
    return text.encode("utf-8", "backslashreplace") + b"\n"


def _direct(
    records: Sequence[Mapping[str, Any]], known: pa.Schema, leave_out: str | None
) -> pa.Table | None:
    names = [n for n in dict.fromkeys(itertools.chain.from_iterable(records)) if n != leave_out]
    if not names:
        return None  # rows without columns: only the JSON reader keeps their count
    columns = []
    for name in names:
        index = known.get_field_index(name)
        hint = known.field(index).type if index >= 0 else None
        column = _column([record.get(name) for record in records], hint)
        if column is None:
            return None
        columns.append(column)
    return pa.Table.from_arrays(columns, names=names)


def _column(values: list[Any], hint: pa.DataType | None) -> pa.Array | None:
    """The array the JSON reader would give for `values` under `hint`, or None if unsure."""
    if hint is not None and (pa.types.is_nested(hint) or pa.types.is_null(hint)):
        return None
    kinds = set(map(type, values))
    kinds.discard(_NONE)
    try:
        if not kinds:
            return pa.nulls(len(values), hint or pa.null())
        if kinds == {str}:
            return _text(pa.array(values, _STRING), hint)
        if kinds == {int}:
            if hint is None or hint == _INT:
                return pa.array(values, _INT)
            return pa.array(values, _INT).cast(_FLOAT) if hint == _FLOAT else None
        if kinds <= {int, float} and (hint is None or hint == _FLOAT):
            if not all(map(math.isfinite, filter(None, values))):
                return None  # json.dumps writes NaN, which the JSON reader refuses
            return pa.array(values, _FLOAT)
        if kinds == {bool} and (hint is None or hint == _BOOL):
            return pa.array(values, _BOOL)
    except _REFUSED:
        return None
    return None


def _text(array: pa.Array, hint: pa.DataType | None) -> pa.Array | None:
    if hint is None or hint == _STRING:
        return array
    if pa.types.is_date32(hint):
        try:
            return array.cast(hint)
        except pa.ArrowInvalid:
            return array  # not all dates: the sink keeps the text and widens the column
    if pa.types.is_timestamp(hint):
        try:
            return array.cast(hint)
        except pa.ArrowInvalid:
            return None  # e.g. no offset: the JSON reader takes it as UTC, a cast refuses
    return None
