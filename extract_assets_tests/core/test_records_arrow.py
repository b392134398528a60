"""Records made Arrow directly read as the sink reads their JSON text."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pyarrow as pa
import pytest

from extract_assets.core.arrow_schema import PART, SENT_JSON
from extract_assets.core.parquet import ndjson_tables
from extract_assets.core.records_arrow import records_tables

KNOWN = pa.schema(
    [
        ("clicks", pa.int64()),
        ("cost", pa.float64()),
        ("at", pa.timestamp("us", tz="UTC")),
        ("day", pa.date32()),
        ("name", pa.string()),
    ]
)


def _as_text(records: list[dict[str, Any]]) -> list[pa.Table]:
    lines = b"".join(json.dumps(r).encode() + b"\n" for r in records)
    return list(ndjson_tables(lines, KNOWN, first_row=1, converted=Counter()))


@pytest.mark.parametrize(
    "records",
    [
        [{"clicks": 1, "cost": 2, "at": "2026-11-02T10:00:00Z", "day": "2026-11-02", "name": "a"}],
        [{"clicks": None, "cost": 2.5, "at": "2026-11-02T10:00:00.5+02:00", "day": "soon"}],
        [{"clicks": 2**63 - 1, "extra": 1.5}, {"clicks": None, "extra": 2}],
        # Read through the sink's own reader: JSON's view of these differs from Python's.
        [{"clicks": True}],
        [{"clicks": 1.0}],
        [{"clicks": "12"}],
        [{"cost": float("nan")}],
        [{"extra": 2**70}],
        [{"extra": [1, None], "nested": {"a": 1}}],
        [{"at": "2026-11-02 23:30:00"}],
        [{"extra": 0.5}, {"extra": False}],
        [{}, {}],
    ],
)
def test_records_read_as_their_json_text_reads(records: list[dict[str, Any]]) -> None:
    direct = [_without_sent_json(t) for t in records_tables(records, KNOWN, converted=Counter())]
    text = _as_text(records)

    assert sum(t.num_rows for t in direct) == len(records)
    # The reader also returns the known columns the records lack, all null; those aside, the
    # same columns, types and values.
    # (by position: values of several kinds come as several columns of one key)
    shown = [
        t.select([i for i, n in enumerate(t.column_names) if n in _names(direct)]) for t in text
    ]
    assert [t.schema for t in direct] == [t.schema for t in shown]
    assert _values(direct) == _values(shown)


def _without_sent_json(table: pa.Table) -> pa.Table:
    """The table without the JSON text sent beside objects and lists (tested below)."""
    kept = [i for i, f in enumerate(table.schema) if (f.metadata or {}).get(PART) != SENT_JSON]
    return table.select(kept)


def test_objects_of_a_column_the_table_does_not_know_come_with_the_text_sent() -> None:
    records = [{"o": {"a": None}}, {"o": {"b": [1.5, 2]}}, {"o": None}]
    (table,) = records_tables(records, pa.schema([]), converted=Counter())

    parts = zip(table.schema, table.columns, strict=True)
    texts = [c for f, c in parts if (f.metadata or {}).get(PART)]
    assert [t.to_pylist() for t in texts] == [['{"a":null}', '{"b":[1.5,2]}', None]]


def _names(tables: list[pa.Table]) -> set[str]:
    return {name for table in tables for name in table.column_names}


def _values(tables: list[pa.Table]) -> str:
    return json.dumps([t.to_pylist() for t in tables], default=str)  # NaN equals NaN as text


def test_the_key_left_out_is_not_a_column() -> None:
    (table,) = records_tables(
        [{"date": "2026-11-02", "clicks": 1}], KNOWN, leave_out="date", converted=Counter()
    )
    assert table.column_names == ["clicks"]
