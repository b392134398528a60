"""A value of another kind in a declared text column: converted to its JSON text, and counted,
as the README's rules say, whichever reader read it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from extract_assets.core.table import TableWriter

NAME = {"type": "object", "properties": {"name": {"type": "string"}}}


def published(folder: Path, rows: list[dict[str, Any]], how: str) -> Any:
    with TableWriter(folder, json_schema=NAME) as table:
        if how == "records":
            table.stage_records(rows, folder / "part-0.parquet")
        else:
            lines = b"".join(json.dumps(row).encode() + b"\n" for row in rows)
            table.stage_ndjson([lines], folder / "part-0.parquet")
        return table.publish()


@pytest.mark.parametrize("how", ["records", "ndjson"])
@pytest.mark.parametrize(
    ("sent", "stored"),
    [(5, "5"), (2.5, "2.5"), (True, "true"), ({"a": 1}, '{"a":1}'), ([1, "x"], '[1,"x"]')],
    ids=["integer", "fraction", "boolean", "object", "list"],
)
def test_a_value_of_another_kind_in_a_text_column_is_counted_as_converted(
    tmp_path: Path, how: str, sent: Any, stored: str
) -> None:
    folder = tmp_path / "t"
    written = published(folder, [{"name": "Ada"}, {"name": sent}], how)
    assert written.changes.converted == {"name": 1}
    assert written.changes.to_variant == {}
    assert pq.read_table(folder / "part-0.parquet").column("name").to_pylist() == ["Ada", stored]
