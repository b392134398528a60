"""Property: any pages of messy rows land in an Iceberg table that every reader reads with the
values the Parquet day folders hold for the same pages.

The pages are those of `test_day_folders`: timestamps with offsets across midnight and naive,
numbers as text, a late column whose type drifts between days, rows dated outside the window.
"""

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extract_assets.core.day_folders import write_day_folders
from extract_assets.core.iceberg_catalog import CatalogSettings, IcebergTarget, open_catalog
from extract_assets.core.iceberg_read import read_iceberg
from extract_assets_tests.core.test_day_folders import DAYS, SCHEMA, _pages
from extract_assets_tests.iceberg_readers import assert_iceberg_readers_agree, normalised
from extract_assets_tests.readers import read_pyarrow

# A variable no one sets: the default SQLite catalog under the output, whatever the shell has.
CATALOG = CatalogSettings(uri_env="EXTRACT_ASSETS_TEST_NO_CATALOG")


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(pages=_pages(), declared=st.booleans())
def test_every_reader_returns_every_row_with_the_values_of_the_parquet_path(
    tmp_path_factory: pytest.TempPathFactory, pages: list[list[dict[str, Any]]], declared: bool
) -> None:
    schema = SCHEMA if declared else None
    parquet = tmp_path_factory.mktemp("parquet") / "ads"
    output = tmp_path_factory.mktemp("iceberg")
    target = IcebergTarget(CATALOG, output, ("extractto",), "ads", ("date", "date"))

    theirs = write_day_folders(pages, parquet, DAYS, json_schema=schema)
    ours = write_day_folders(pages, output / "ads", DAYS, json_schema=schema, iceberg=target)

    assert {d: r.rows for d, r in ours.days.items()} == {d: r.rows for d, r in theirs.days.items()}
    assert (ours.outside_range, ours.undated) == (theirs.outside_range, theirs.undated)
    table = open_catalog(CATALOG, output).load_table("extractto.ads")
    rows = assert_iceberg_readers_agree(table, "date")
    types = {field.name: field.type for field in table.schema().as_arrow()}
    if len(theirs.table.schema):
        assert rows == normalised(read_pyarrow(parquet, "date"), types, "date")
    else:
        assert rows == []  # no column at all: the Parquet path writes no file either
    io_manager = read_iceberg(target, DAYS, "ads").to_pylist()
    assert normalised(io_manager, types, "date") == rows
