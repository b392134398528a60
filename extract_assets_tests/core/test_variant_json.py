"""An object or a list that goes to its JSON variant column is the JSON text of the value as
sent: the keys sent and no other, each value of the kind sent, read back alike by DuckDB,
pyarrow, Polars and pandas, whichever reader staged the rows."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import pytest

from extract_assets.core.table import TableWriter
from extract_assets_tests.readers import WITHOUT_SPARK, Row, assert_all_readers_agree

Source = Literal["ndjson", "records"]
SOURCES: list[Source] = ["ndjson", "records"]
DECLARED_K = {
    "properties": {"o": {"type": "object", "properties": {"k": {"type": "integer"}}}},
}


def land(
    folder: Path, rows: Sequence[Mapping[str, Any]], how: Source, json_schema: Mapping[str, Any]
) -> list[Row]:
    """The rows written as one Linkup-style table, read back whole by four readers."""
    table = folder / "linkup" / "t"
    with TableWriter(table, json_schema=json_schema) as writer:
        target = table / "part-0.parquet"
        if how == "ndjson":
            body = "".join(json.dumps(row) + "\n" for row in rows).encode()
            writer.stage_ndjson([body], target)
        else:
            writer.stage_records(rows, target)
        writer.publish()
    return assert_all_readers_agree(table, None, WITHOUT_SPARK)


def moved(rows: list[Row], column: str = "o") -> list[str]:
    return [row[f"{column}__v_json"] for row in rows if row.get(f"{column}__v_json") is not None]


@pytest.mark.parametrize("how", SOURCES)
def test_a_moved_object_holds_the_keys_sent_and_none_another_row_had(
    tmp_path: Path, how: Source
) -> None:
    rows = [{"o": {"k": "bad", "a": 1}}, {"o": {"k": 1, "b": 2}}]

    assert moved(land(tmp_path, rows, how, DECLARED_K)) == ['{"k":"bad","a":1}']


@pytest.mark.parametrize("how", SOURCES)
def test_a_null_sent_inside_a_moved_object_is_kept(tmp_path: Path, how: Source) -> None:
    rows = [{"o": {"k": "bad", "n": None}}, {"o": {"k": 1, "b": 2}}]

    assert [json.loads(text) for text in moved(land(tmp_path, rows, how, DECLARED_K))] == [
        {"k": "bad", "n": None}
    ]


@pytest.mark.parametrize("how", SOURCES)
def test_a_number_in_a_moved_object_stays_a_number_where_another_row_sent_text(
    tmp_path: Path, how: Source
) -> None:
    rows = [{"o": {"k": "bad", "z": 0.5}}, {"o": {"k": 1, "z": "s"}}]

    assert [json.loads(text) for text in moved(land(tmp_path, rows, how, DECLARED_K))] == [
        {"k": "bad", "z": 0.5}
    ]


@pytest.mark.parametrize("how", SOURCES)
def test_an_integer_beyond_2_53_in_a_moved_object_stays_exact_beside_a_fraction_elsewhere(
    tmp_path: Path, how: Source
) -> None:
    rows = [{"o": {"k": "bad", "z": 2**53 + 1}}, {"o": {"k": 1, "z": 0.5}}]

    assert [json.loads(text) for text in moved(land(tmp_path, rows, how, DECLARED_K))] == [
        {"k": "bad", "z": 2**53 + 1}
    ]


@pytest.mark.parametrize("how", SOURCES)
def test_a_moved_list_keeps_its_items_as_sent(tmp_path: Path, how: Source) -> None:
    declared = {
        "properties": {
            "l": {
                "type": "array",
                "items": {"type": "object", "properties": {"k": {"type": "integer"}}},
            }
        }
    }
    rows = [{"l": [{"k": "bad"}, {"q": 0.5}]}, {"l": [{"k": 1, "q": "s"}]}]

    assert [json.loads(text) for text in moved(land(tmp_path, rows, how, declared), "l")] == [
        [{"k": "bad"}, {"q": 0.5}]
    ]


def test_an_object_whose_declared_date_is_not_one_moves_as_sent_from_a_block_pyarrow_reads(
    tmp_path: Path,
) -> None:
    dated = {
        "properties": {
            "o": {"type": "object", "properties": {"d": {"type": "string", "format": "date"}}}
        }
    }
    rows = [{"o": {"d": "soon", "a": 1}}, {"o": {"d": "2026-11-01", "b": 2}}]

    assert moved(land(tmp_path, rows, "ndjson", dated)) == ['{"d":"soon","a":1}']
