"""The rows_match_schema check on a table written as an asset writes it: a row is judged as it
was sent, whatever column its values landed in."""

from __future__ import annotations

from pathlib import Path

from extract_assets.core.table import TableWriter
from extract_assets.core.validation import check_rows


def test_a_value_of_another_kind_is_reported_whatever_column_it_landed_in(tmp_path: Path) -> None:
    schema = {
        "type": "object",
        "properties": {"id": {"type": "integer"}, "price": {"type": "number"}},
        "required": ["id"],
    }
    rows = [{"id": 1, "price": 2.5}, {"id": "abc"}, {"id": True}, {"id": 2, "price": "cheap"}]
    folder = tmp_path / "t"
    with TableWriter(folder, json_schema=schema) as table:
        table.stage_records(rows, folder / "part-0.parquet")
        table.publish()
    assert check_rows(folder / "part-0.parquet", schema).examples == [
        "row 1: id: 'abc' is not of type 'integer'",
        "row 2: id: True is not of type 'integer'",
        "row 3: price: 'cheap' is not of type 'number'",
    ]
