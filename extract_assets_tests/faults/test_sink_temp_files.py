"""Regression: the sink's temp files never sit inside a table's folder, where a reader of the
folder (Polars refuses any file that is not Parquet) would meet them, mid-write or after a kill."""

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from extract_assets.core.day_folders import day_file
from extract_assets.core.parquet import write_ndjson

# About 15 MB: the sink parses up to two 4 MiB blocks ahead of the one it adds, so only once a
# fourth block is being read are the first block's row groups sure to be on disk.
ROWS = 160_000
OBSERVE_AT = 150_000


def not_parquet(folder: Path) -> list[str]:
    return sorted(
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*")
        if path.is_file() and path.suffix != ".parquet"
    )


def rows(
    observe: dict[str, object] | None = None, base: Path = Path(), table: Path = Path()
) -> Iterator[bytes]:
    """NDJSON rows; once the first parse block went to disk, what is there is recorded."""
    for start in range(0, ROWS, 1_000):
        if observe is not None and start == OBSERVE_AT:
            observe["inside the table"] = not_parquet(table)
            observe["under the base"] = not_parquet(base)
            observe["polars rows"] = pl.scan_parquet(table).select(pl.len()).collect().item()
        lines = (json.dumps({"id": i, "pad": "p" * 80}) + "\n" for i in range(start, start + 1_000))
        yield "".join(lines).encode()


def test_a_write_in_progress_keeps_its_temp_file_out_of_the_table_folder(tmp_path: Path) -> None:
    table = tmp_path / "extractto" / "ads"
    target = day_file(table, date(2026, 11, 1))
    write_ndjson([b'{"id": -1, "pad": "old"}\n'], target)
    observed: dict[str, object] = {}

    written = write_ndjson(rows(observed, tmp_path, table), target, row_group_rows=10_000)

    assert observed["inside the table"] == []
    assert observed["under the base"] != [], "no row group was written before the end"
    assert observed["polars rows"] == 1
    assert written.rows == ROWS
    assert not_parquet(tmp_path) == []


def test_a_failed_write_leaves_no_temp_file_anywhere(tmp_path: Path) -> None:
    target = tmp_path / "linkup" / "team" / "part-0.parquet"

    def broken() -> Iterator[bytes]:
        yield from rows()
        raise ConnectionError("dropped")

    with pytest.raises(ConnectionError):
        write_ndjson(broken(), target, row_group_rows=10_000)
    assert not_parquet(tmp_path) == []
