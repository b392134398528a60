"""Blocks parsed ahead on threads give the file that parsing them one by one gives: same
schema (widening, late keys, nulls), same rows, same errors, whatever order the threads end in."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extract_assets.core import parquet
from extract_assets.core.parquet import write_ndjson

KEYS = ("a", "b", "c", "late")
VALUES = st.one_of(
    st.none(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(alphabet="xyz09", max_size=4),
    st.booleans(),
)
# A key first seen late, and drift of a column's kind between blocks of two or three rows.
ROWS = st.lists(
    st.dictionaries(st.sampled_from(KEYS[:-1]), VALUES, max_size=3), min_size=1, max_size=40
).flatmap(
    lambda rows: st.lists(VALUES, min_size=1, max_size=5).map(
        lambda late: rows + [{"late": value, "a": 1} for value in late]
    )
)
SCHEMA = {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "string"}}}


@contextmanager
def parsing(ahead: int, block_bytes: int = 48) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parquet, "_PARSE_AHEAD", ahead)
        patch.setattr(parquet, "_BLOCK_BYTES", block_bytes)
        yield


def written(data: bytes, target: Path, ahead: int) -> pa.Table:
    with parsing(ahead):
        chunks = [data[i : i + 7] for i in range(0, len(data), 7)]
        write_ndjson(chunks, target, json_schema=SCHEMA, expected_rows=data.count(b"\n"))
    return pq.read_table(target)


def assert_same(parallel: pa.Table, serial: pa.Table) -> None:
    assert parallel.schema.equals(serial.schema, check_metadata=False)
    assert parallel.to_pylist() == serial.to_pylist()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=ROWS, ahead=st.integers(1, 3))
def test_parsing_ahead_writes_what_serial_parsing_writes(
    rows: list[dict[str, Any]], ahead: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("parallel")
    data = b"".join(json.dumps(row).encode() + b"\n" for row in rows)
    serial = written(data, folder / "serial" / "t.parquet", 0)
    assert_same(written(data, folder / "ahead" / "t.parquet", ahead), serial)
    late = [row["late"] for row in rows if "late" in row]
    kept = serial.column("late").to_pylist()[-len(late) :]
    assert [value is None for value in kept] == [value is None for value in late]


def test_blocks_that_finish_out_of_order_are_taken_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [
        {"id": i, "v": i if i < 30 else f"t{i}", **({"late": i} if i > 40 else {})}
        for i in range(60)
    ]
    data = b"".join(json.dumps(row).encode() + b"\n" for row in rows)
    serial = written(data, tmp_path / "serial" / "t.parquet", 0)
    original = parquet._parse_whole
    started = iter(range(1_000_000))
    lock = threading.Lock()

    def slow_first(block: memoryview, known: pa.Schema) -> Any:
        with lock:
            order = next(started)
        time.sleep(0.02 * (3 - order % 3))  # of three blocks in flight, the first ends last
        return original(block, known)

    monkeypatch.setattr(parquet, "_parse_whole", slow_first)
    assert_same(written(data, tmp_path / "ahead" / "t.parquet", 3), serial)
    assert serial.column("v").type == pa.string()
    assert serial.column("late").null_count == 41


def test_a_bad_line_parsed_ahead_is_reported_at_its_row_as_serial_parsing_does(
    tmp_path: Path,
) -> None:
    lines = [json.dumps({"id": i}).encode() for i in range(50)]
    lines[37] = b'{"id": 37,'
    data = b"\n".join(lines) + b"\n"
    messages = []
    for ahead in (0, 2):
        with pytest.raises(ValueError) as caught:
            written(data, tmp_path / f"ahead-{ahead}" / "t.parquet", ahead)
        messages.append(str(caught.value))
        assert not list((tmp_path / f"ahead-{ahead}").glob("*.parquet"))
    assert messages[0] == messages[1]
    assert "row 38" in messages[0]
