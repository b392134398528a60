"""The streaming NDJSON / records → Parquet sink."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import logging
import operator
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from extract_assets.core import parquet
from extract_assets.core.arrow_schema import json_schema_to_arrow
from extract_assets.core.contract import Fitter, SchemaContract
from extract_assets.core.errors import IncompleteResultError, OutputError
from extract_assets.core.parquet import SinkResult, write_ndjson, write_records
from extract_assets.core.storage import location
from extract_assets.core.table import TableWriter
from extract_assets_tests.readers import read_with_all

UTC_MICROS = pa.timestamp("us", tz="UTC")
# The readers the README names for a table's files (Spark is slow to start and left out here).
READERS = ("pyarrow", "duckdb", "polars", "pandas")


def ndjson(rows: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(row, ensure_ascii=False).encode() + b"\n" for row in rows)


def pieces(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def read_rows(path: str | Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = pq.read_table(path).to_pylist()
    return rows


def reference(data: bytes) -> list[dict[str, Any]]:
    """The input rows as `json.loads` reads them, with absent keys as None."""
    rows = [json.loads(line) for line in data.splitlines() if line.strip()]
    names = list(dict.fromkeys(key for row in rows for key in row))
    return [{name: row.get(name) for name in names} for row in rows]


def folder_listing(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def write_under(
    contract: SchemaContract,
    chunks: list[bytes],
    table: Path,
    json_schema: dict[str, Any] | None = None,
    row_group_rows: int = 131_072,
) -> SinkResult:
    """NDJSON through the sink into `table`/part-0.parquet, fitted as a table under `contract`."""
    known = json_schema_to_arrow(json_schema) if json_schema is not None else pa.schema([])
    fitter = Fitter(declared=frozenset(known.names), contract=contract)
    staging = table.parent
    staged = parquet.stage_ndjson(
        chunks,
        location(table / "part-0.parquet"),
        staging,
        known=known,
        fitter=fitter,
        row_group_rows=row_group_rows,
    )
    return parquet.publish(staged)


def read_by_every_reader(table: Path) -> dict[str, list[dict[str, Any]]]:
    """Each reader's rows of `table`, in the order of their `id`."""
    return {
        reader: sorted(rows, key=operator.itemgetter("id"))
        for reader, rows in read_with_all(table, None, READERS).items()
    }


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of 64 KiB, so that a test of a few thousand rows spans many blocks."""
    monkeypatch.setattr(parquet, "_BLOCK_BYTES", 64 << 10)


# --- round trips ---------------------------------------------------------------------------

ROWS = [
    {
        "id": i,
        "name": f"person {i} — ü ✓ 😀",
        "score": i / 7,
        "ok": i % 3 == 0,
        "address": {"city": "Zürich", "zip": f"{8000 + i}"},
        "tags": ["a", "b"][: i % 3],
        "maybe": None if i % 2 else "set",
    }
    for i in range(2_000)
]


def test_round_trip_equals_json_loads_of_the_input(tmp_path: Path) -> None:
    data = ndjson(ROWS)
    result = write_ndjson([data], tmp_path / "out.parquet")
    assert read_rows(result.path) == reference(data)


def test_round_trip_across_many_blocks(tmp_path: Path, small_blocks: None) -> None:
    data = ndjson(ROWS)
    result = write_ndjson(pieces(data, 4096), tmp_path / "out.parquet", row_group_rows=500)
    assert read_rows(result.path) == reference(data)


def test_chunks_split_mid_line_and_mid_utf8_character(tmp_path: Path) -> None:
    data = ndjson([{"text": "😀é" * 5, "n": i} for i in range(50)])
    emoji_start = data.index("😀".encode())
    assert data[emoji_start + 2 : emoji_start + 3] != b"\n"
    cuts = [0, emoji_start + 2, *range(emoji_start + 3, len(data), 7), len(data)]
    chunks = [data[a:b] for a, b in itertools.pairwise(cuts)]
    result = write_ndjson(chunks, tmp_path / "out.parquet")
    assert read_rows(result.path) == reference(data)


def test_single_byte_chunks(tmp_path: Path) -> None:
    data = ndjson(ROWS[:20])
    result = write_ndjson(pieces(data, 1), tmp_path / "out.parquet")
    assert read_rows(result.path) == reference(data)


def test_blank_lines_crlf_and_a_missing_trailing_newline_are_accepted(tmp_path: Path) -> None:
    data = b'\n{"a": 1}\r\n\n   \n{"a": 2}\n\n{"a": 3}'
    result = write_ndjson(pieces(data, 3), tmp_path / "out.parquet")
    assert read_rows(result.path) == [{"a": 1}, {"a": 2}, {"a": 3}]


def test_a_line_longer_than_a_block_is_parsed(tmp_path: Path, small_blocks: None) -> None:
    rows = [{"big": "x" * (3 << 20)}, {"big": "y"}]
    result = write_ndjson(pieces(ndjson(rows), 1 << 16), tmp_path / "out.parquet")
    assert read_rows(result.path) == rows


def test_sink_result_describes_the_file(tmp_path: Path) -> None:
    result = write_ndjson([ndjson(ROWS)], tmp_path / "out.parquet", row_group_rows=700)
    metadata = pq.read_metadata(result.path)
    assert result == SinkResult(
        path=str(tmp_path / "out.parquet"),
        rows=len(ROWS),
        bytes=(tmp_path / "out.parquet").stat().st_size,
        schema=pq.read_schema(result.path),
        row_groups=metadata.num_row_groups,
    )


def test_row_groups_gather_blocks_up_to_row_group_rows(tmp_path: Path, small_blocks: None) -> None:
    data = ndjson([{"id": i, "pad": "p" * 40} for i in range(10_000)])
    result = write_ndjson(pieces(data, 1000), tmp_path / "out.parquet", row_group_rows=3_000)
    metadata = pq.read_metadata(result.path)
    sizes = [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)]
    assert sizes == [3_000, 3_000, 3_000, 1_000]
    assert result.row_groups == 4


def test_parent_folders_are_created(tmp_path: Path) -> None:
    result = write_ndjson(
        [b'{"a": 1}\n'], tmp_path / "provider" / "asset" / "date=2026-11-01" / "p.parquet"
    )
    assert read_rows(result.path) == [{"a": 1}]


# --- inference traps -----------------------------------------------------------------------


def test_column_null_for_200k_rows_then_string_keeps_every_value(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, small_blocks: None
) -> None:
    rows = [{"id": i, "late": None if i < 200_000 else f"v{i}"} for i in range(250_000)]
    caplog.set_level(logging.INFO, logger=parquet.__name__)
    result = write_ndjson(pieces(ndjson(rows), 1 << 20), tmp_path / "out.parquet")
    assert "rewritten" in caplog.text
    table = pq.read_table(result.path)
    assert table.schema.field("late").type == pa.string()
    assert table.column("late").to_pylist() == [row["late"] for row in rows]
    assert pq.read_metadata(result.path).num_row_groups == 2


def test_key_first_appearing_after_the_first_row_group_becomes_a_column(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, small_blocks: None
) -> None:
    rows: list[dict[str, Any]] = [{"id": i} for i in range(250_000)]
    for i in range(200_000, 250_000, 7):
        rows[i]["extra"] = {"n": i}
    caplog.set_level(logging.INFO, logger=parquet.__name__)
    result = write_ndjson(pieces(ndjson(rows), 1 << 20), tmp_path / "out.parquet")
    assert "rewritten" in caplog.text
    assert read_rows(result.path) == [{"id": r["id"], "extra": r.get("extra")} for r in rows]
    assert folder_listing(tmp_path) == ["out.parquet"]


def test_integers_then_floats_become_float64(tmp_path: Path, small_blocks: None) -> None:
    rows = [{"x": i} for i in range(20_000)] + [{"x": i + 0.5} for i in range(100)]
    result = write_ndjson([ndjson(rows)], tmp_path / "out.parquet", row_group_rows=5_000)
    assert result.schema.field("x").type == pa.float64()
    assert read_rows(result.path) == [{"x": float(row["x"])} for row in rows]


def test_numbers_and_strings_in_one_column_become_json_text(
    tmp_path: Path, small_blocks: None
) -> None:
    values: list[Any] = [*range(10_000), "ten", 11, 12.5, True, {"k": 1}, *range(10_000)]
    rows = [{"v": value} for value in values]
    result = write_ndjson([ndjson(rows)], tmp_path / "out.parquet", row_group_rows=4_000)
    assert result.schema.field("v").type == pa.string()
    expected = [v if isinstance(v, str) else json.dumps(v, separators=(",", ":")) for v in values]
    assert [row["v"] for row in read_rows(result.path)] == expected


def test_timestamp_like_strings_stay_strings_with_their_text(
    tmp_path: Path, small_blocks: None
) -> None:
    texts = ["2026-01-01T00:00:00Z", "2026-01-01T02:00:00+02:00", "2026-01-01"] * 3_000
    rows = [{"at": text} for text in [*texts, "not a date"]]
    result = write_ndjson([ndjson(rows)], tmp_path / "out.parquet", row_group_rows=2_000)
    assert result.schema.field("at").type == pa.string()
    assert read_rows(result.path) == rows


def test_nested_keys_appearing_late_widen_the_struct(tmp_path: Path, small_blocks: None) -> None:
    rows = [{"a": {"x": i}} for i in range(5_000)] + [{"a": {"x": 1, "y": [1.5]}}]
    result = write_ndjson([ndjson(rows)], tmp_path / "out.parquet", row_group_rows=1_000)
    assert read_rows(result.path) == [{"a": {"x": r["a"]["x"], "y": r["a"].get("y")}} for r in rows]


def test_objects_already_written_become_json_text_when_a_string_follows(
    tmp_path: Path, small_blocks: None
) -> None:
    rows: list[dict[str, Any]] = [{"v": {"a": i, "b": [i]}} for i in range(5_000)]
    rows += [{"v": "plain"}, {"v": {"a": 1}}]
    result = write_ndjson([ndjson(rows)], tmp_path / "out.parquet", row_group_rows=1_000)
    values = [row["v"] for row in read_rows(result.path)]
    assert values[:2] == ['{"a":0,"b":[0]}', '{"a":1,"b":[1]}']
    assert values[-2:] == ["plain", '{"a":1}']


def test_empty_objects_are_kept_as_json_text(tmp_path: Path) -> None:
    rows: list[dict[str, Any]] = [{"meta": {}}, {"meta": None}]
    result = write_ndjson([ndjson(rows)], tmp_path / "out.parquet")
    assert read_rows(result.path) == [{"meta": "{}"}, {"meta": None}]


# --- lists whose first item is null (pyarrow's inference drops it: apache/arrow#51305) -------

LISTS_STARTING_WITH_NULL = [
    pytest.param([None, True], [None, True], id="null-then-bool"),
    pytest.param([None], [None], id="one-null"),
    pytest.param([None, None], [None, None], id="only-nulls"),
    pytest.param([None, 1, "a"], [None, "1", "a"], id="mixed-kinds-become-text"),
    pytest.param([[None, 1]], [[None, 1]], id="nested-list"),
    pytest.param([{"a": None}, {"a": 1}], [{"a": None}, {"a": 1}], id="objects"),
    pytest.param({"c": [None, 2]}, {"c": [None, 2]}, id="inside-an-object"),
]


def test_pyarrow_reads_a_list_starting_with_null_whole() -> None:
    table = parquet._read_json(memoryview(b'{"b": [null, 1]}\n{"b": [2]}\n'), None)
    table.validate(full=True)
    assert table.to_pylist() == [{"b": [None, 1]}, {"b": [2]}]


def test_a_list_of_only_nulls_pyarrow_cannot_read_is_refused_not_returned_broken() -> None:
    with pytest.raises(pa.ArrowInvalid):
        parquet._read_json(memoryview(b'{"b": [null, null]}\n'), None)


@pytest.mark.parametrize("contract", ["variant", "evolve"])
@pytest.mark.parametrize(("value", "stored"), LISTS_STARTING_WITH_NULL)
def test_an_undeclared_list_starting_with_null_reads_back_whole(
    tmp_path: Path, contract: SchemaContract, value: Any, stored: Any
) -> None:
    rows = [{"id": 1, "b": value}, {"id": 2, "b": None}]
    result = write_under(contract, [ndjson(rows)], tmp_path / "t")
    assert result.rows == 2
    for reader, read in read_by_every_reader(tmp_path / "t").items():
        assert read == [{"id": 1, "b": stored}, {"id": 2, "b": None}], reader


@pytest.mark.parametrize("contract", ["variant", "evolve"])
@pytest.mark.parametrize("value", [[None, True], [None, None], [None]])
def test_a_declared_list_starting_with_null_reads_back_whole(
    tmp_path: Path, contract: SchemaContract, value: list[bool | None]
) -> None:
    declared = {"properties": {"b": {"type": "array", "items": {"type": "boolean"}}}}
    result = write_under(contract, [ndjson([{"id": 1, "b": value}])], tmp_path / "t", declared)
    assert result.schema.field("b").type == pa.list_(pa.bool_())
    for reader, read in read_by_every_reader(tmp_path / "t").items():
        assert read == [{"b": value, "id": 1}], reader


@pytest.mark.parametrize("contract", ["variant", "evolve"])
def test_lists_of_nulls_for_many_blocks_then_a_list_starting_with_null_keep_every_value(
    tmp_path: Path, contract: SchemaContract, small_blocks: None
) -> None:
    # The first blocks make the column list<null>, which cannot be a parse hint: later blocks
    # are inferred again, each with its own list starting with null.
    rows: list[dict[str, Any]] = [{"id": i, "b": [None] * (i % 3)} for i in range(20_000)]
    rows += [{"id": 20_000 + i, "b": [None, i % 2 == 0]} for i in range(5_000)]
    write_under(contract, pieces(ndjson(rows), 1 << 16), tmp_path / "t", row_group_rows=4_096)
    for reader, read in read_by_every_reader(tmp_path / "t").items():
        assert read == rows, reader


# --- with a JSON Schema --------------------------------------------------------------------

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "at": {"type": "string", "format": "date-time"},
        "day": {"type": "string", "format": "date"},
        "meta": {"description": "anything"},
    },
    "required": ["id"],
}


def test_json_schema_fixes_the_columns_and_parses_both_timestamp_spellings(tmp_path: Path) -> None:
    rows = [
        {"id": 1, "at": "2026-01-01T00:00:00.000Z", "day": "2026-01-02", "meta": {"k": [1]}},
        {"id": 2, "at": "2026-01-01T00:00:00Z", "day": None, "meta": "plain"},
    ]
    result = write_ndjson([ndjson(rows)], tmp_path / "out.parquet", json_schema=SCHEMA)
    assert result.schema == pa.schema(
        [
            pa.field("id", pa.int64(), nullable=False),
            ("at", UTC_MICROS),
            ("day", pa.date32()),
            ("meta", pa.string()),
        ]
    )
    midnight = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert read_rows(result.path) == [
        {"id": 1, "at": midnight, "day": dt.date(2026, 1, 2), "meta": '{"k":[1]}'},
        {"id": 2, "at": midnight, "day": None, "meta": "plain"},
    ]


def test_keys_the_json_schema_does_not_declare_are_kept(tmp_path: Path) -> None:
    rows: list[dict[str, Any]] = [{"id": 1, "surprise": 2.5}, {"id": 2, "surprise": None}]
    result = write_ndjson([ndjson(rows)], tmp_path / "out.parquet", json_schema=SCHEMA)
    assert result.schema.field("surprise").type == pa.float64()
    assert [row["surprise"] for row in read_rows(result.path)] == [2.5, None]


def test_missing_required_value_makes_the_column_nullable_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    result = write_ndjson(
        [b'{"id": 1}\n{"at": null}\n'], tmp_path / "out.parquet", json_schema=SCHEMA
    )
    assert result.schema.field("id").nullable
    assert [row["id"] for row in read_rows(result.path)] == [1, None]
    assert "required column 'id'" in caplog.text


def test_value_that_does_not_fit_its_declared_type_widens_the_column_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, small_blocks: None
) -> None:
    rows = [{"id": i, "day": "2026-01-02"} for i in range(5_000)] + [{"id": 1.5, "day": "soon"}]
    result = write_ndjson(
        [ndjson(rows)], tmp_path / "out.parquet", json_schema=SCHEMA, row_group_rows=1_000
    )
    assert result.schema.field("id").type == pa.float64()
    assert result.schema.field("day").type == pa.string()
    assert read_rows(result.path)[-2:] == [
        {"id": 4999.0, "at": None, "day": "2026-01-02", "meta": None},
        {"id": 1.5, "at": None, "day": "soon", "meta": None},
    ]
    assert "column 'id' holds values that are not int64" in caplog.text


# --- zero rows, atomicity, completeness ----------------------------------------------------


def test_zero_rows_with_a_json_schema_write_an_empty_file_with_that_schema(tmp_path: Path) -> None:
    result = write_ndjson([b"\n", b""], tmp_path / "out.parquet", json_schema=SCHEMA)
    assert result.rows == 0
    assert pq.read_table(result.path).schema.equals(result.schema)
    assert result.schema.names == ["id", "at", "day", "meta"]


@pytest.mark.parametrize("write", [write_ndjson, write_records])
def test_zero_rows_without_a_schema_are_refused_as_a_file_without_columns_would_be(
    tmp_path: Path, write: Any
) -> None:
    with pytest.raises(OutputError, match="Declare the columns in the JSON schema"):
        write([], tmp_path / "out.parquet")
    assert folder_listing(tmp_path) == []


def test_rows_without_a_field_wait_for_a_later_row_to_bring_a_column(
    tmp_path: Path, small_blocks: None
) -> None:
    data = ndjson([{}] * 30_000 + [{"id": 1}])
    result = write_ndjson(pieces(data, 4096), tmp_path / "out.parquet", row_group_rows=1_000)

    assert result.rows == 30_001
    for rows in read_with_all(tmp_path, None, READERS).values():
        assert rows == [{"id": 1}] + [{"id": None}] * 30_000


def test_records_without_a_field_in_a_batch_of_their_own_are_kept_as_rows_of_nulls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parquet, "_RECORDS_PER_BATCH", 2)
    result = write_records([{"id": 1}, {}, {}, {}, {"id": 5}], tmp_path / "out.parquet")

    assert result.rows == 5
    assert read_rows(result.path) == [{"id": n} for n in [1, None, None, None, 5]]


def test_rows_without_a_field_among_rows_read_exactly_are_kept_as_rows_of_nulls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parquet, "_FALLBACK_ROWS", 2)  # a slice of `{}` rows alone
    lines = b'{"n": 1}\n{"n": "x"}\n{}\n{}\n{"n": 2}\n'  # number and text: read exactly
    result = write_ndjson([lines], tmp_path / "out.parquet", expected_rows=5)

    assert read_rows(result.path) == [{"n": v} for v in ["1", "x", None, None, "2"]]


def test_records_without_any_field_are_refused_as_ndjson_rows_are(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="1 rows have no field to store"):
        write_records([{}], tmp_path / "out.parquet")
    assert folder_listing(tmp_path) == []


def test_rows_without_any_field_are_refused_and_the_target_is_left_as_it_was(
    tmp_path: Path,
) -> None:
    target = tmp_path / "out.parquet"
    write_ndjson([b'{"old": true}\n'], target)
    before = target.read_bytes()

    with pytest.raises(OutputError, match="2 rows have no field to store"):
        write_ndjson([b"{}\n{}\n"], target, expected_rows=2)
    assert target.read_bytes() == before
    assert folder_listing(tmp_path) == ["out.parquet"]


@pytest.mark.parametrize("other", [b'{"a": 2}', b'{"a": "x"}'])
def test_a_null_line_is_a_row_of_nulls_whatever_the_rest_of_its_block(
    tmp_path: Path, other: bytes
) -> None:
    result = write_ndjson([b'{"a": 1}\nnull\n' + other + b"\n"], tmp_path / "out.parquet")
    assert [row["a"] for row in read_rows(result.path)][1] is None
    assert result.rows == 3


def test_a_last_line_cut_mid_way_is_an_incomplete_result_not_a_bad_row(tmp_path: Path) -> None:
    with pytest.raises(IncompleteResultError, match="row 2, the last, ends mid-way"):
        write_ndjson([b'{"a": 1}\n{"a": 2, "b'], tmp_path / "out.parquet")
    assert folder_listing(tmp_path) == []


def test_a_bad_line_before_the_last_is_a_bad_row(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="row 2 is not valid JSON"):
        write_ndjson([b'{"a": 1}\n{"a": 2, "b\n{"a": 3}'], tmp_path / "out.parquet")


def test_rows_without_a_field_are_rows_of_nulls_in_a_declared_table(tmp_path: Path) -> None:
    result = write_ndjson([b"{}\n{}\n"], tmp_path / "out.parquet", json_schema=SCHEMA)

    assert result.rows == 2
    assert read_rows(result.path) == [dict.fromkeys(["id", "at", "day", "meta"])] * 2


def failing_after(data: bytes, count: int, error: BaseException) -> Iterator[bytes]:
    for index, chunk in enumerate(pieces(data, 4096)):
        if index == count:
            raise error
        yield chunk


@pytest.mark.parametrize("error", [ConnectionError("dropped"), KeyboardInterrupt()])
def test_iterator_failing_midway_leaves_the_previous_target_and_no_temp_file(
    tmp_path: Path, small_blocks: None, error: BaseException
) -> None:
    target = tmp_path / "out.parquet"
    write_ndjson([b'{"old": true}\n'], target)
    before = target.read_bytes()
    data = ndjson([{"id": i, "pad": "p" * 50} for i in range(20_000)])
    with pytest.raises(type(error)):
        write_ndjson(failing_after(data, 200, error), target, row_group_rows=1_000)
    assert target.read_bytes() == before
    assert folder_listing(tmp_path) == ["out.parquet"]


def test_a_failing_parquet_write_propagates_and_leaves_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(path: Path, schema: pa.Schema) -> pq.ParquetWriter:
        path.write_bytes(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(parquet, "_open_writer", refuse)
    with pytest.raises(OSError, match="disk full"):
        write_ndjson([ndjson(ROWS)], tmp_path / "out.parquet", row_group_rows=100)
    assert folder_listing(tmp_path) == []


def test_invalid_json_raises_with_its_row_number_and_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="row 3 is not valid JSON"):
        write_ndjson([b'{"a": 1}\n{"a": 2}\n{"a": \n'], tmp_path / "out.parquet")
    assert folder_listing(tmp_path) == []


def test_expected_rows_mismatch_raises_and_leaves_no_file(tmp_path: Path) -> None:
    with pytest.raises(IncompleteResultError, match="2 rows arrived but 3 were expected"):
        write_ndjson([b'{"a": 1}\n{"a": 2}\n'], tmp_path / "out.parquet", expected_rows=3)
    assert folder_listing(tmp_path) == []


def test_expected_rows_match_commits(tmp_path: Path) -> None:
    assert write_ndjson([b'{"a": 1}\n'], tmp_path / "out.parquet", expected_rows=1).rows == 1


# --- records -------------------------------------------------------------------------------


def test_records_round_trip(tmp_path: Path) -> None:
    result = write_records(iter(ROWS), tmp_path / "out.parquet")
    assert read_rows(result.path) == reference(ndjson(ROWS))


def test_records_with_late_keys_and_mixed_types_across_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parquet, "_RECORDS_PER_BATCH", 1_000)
    records: list[dict[str, Any]] = [{"id": i, "v": i} for i in range(5_000)]
    records += [{"id": 5_000, "v": "five thousand", "late": [1, 2]}]
    result = write_records(records, tmp_path / "out.parquet", row_group_rows=2_000)
    rows = read_rows(result.path)
    assert rows[0] == {"id": 0, "v": "0", "late": None}
    assert rows[-1] == {"id": 5_000, "v": "five thousand", "late": [1, 2]}
    assert len(rows) == 5_001


def test_records_parse_declared_timestamps(tmp_path: Path) -> None:
    records = [{"id": 1, "at": "2026-01-01T00:00:00.000Z"}, {"id": 2, "at": "2026-01-01T00:00:00Z"}]
    result = write_records(records, tmp_path / "out.parquet", json_schema=SCHEMA)
    midnight = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert [row["at"] for row in read_rows(result.path)] == [midnight, midnight]


def test_records_expected_rows_mismatch_raises(tmp_path: Path) -> None:
    with pytest.raises(IncompleteResultError):
        write_records([{"a": 1}], tmp_path / "out.parquet", expected_rows=2)
    assert folder_listing(tmp_path) == []


def test_records_that_are_not_objects_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="row 2 is a list"):
        write_records([{"a": 1}, [1, 2]], tmp_path / "out.parquet")  # type: ignore[list-item]


def test_objects_sent_where_the_table_holds_lists_of_nulls_go_whole_to_json_as_sent(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "linkup" / "t"
    lines = [b'{"o": []}\n', b'{"o": {"a": 1}}\n{"o": {"b": null}}\n']
    for index, text in enumerate(lines):  # the first file makes `o` a list of nulls
        with TableWriter(folder) as table:
            table.stage_ndjson([text], folder / f"part-{index}.parquet")
            table.publish()

    rows = read_with_all(folder, None, ("pyarrow", "duckdb", "polars", "pandas"))
    for reader, got in rows.items():
        assert sorted(filter(None, (row["o__v_json"] for row in got))) == [
            '{"a":1}',
            '{"b":null}',
        ], reader
