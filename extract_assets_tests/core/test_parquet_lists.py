"""Lists full of nulls through the NDJSON sink, on rows we did not shape: whatever mix of nulls,
empty lists and values a column receives, and wherever the blocks and row groups split it,
every reader the README names reads back every value."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extract_assets.core import parquet
from extract_assets.core.contract import SchemaContract
from extract_assets_tests.core.test_parquet import ndjson, pieces, read_by_every_reader, write_under

ITEMS: dict[str, st.SearchStrategy[Any]] = {
    "boolean": st.booleans(),
    "integer": st.integers(-(2**53), 2**53),
    "string": st.text(max_size=5),
    "list of integers": st.lists(st.none() | st.integers(-100, 100), max_size=3),
    "object": st.fixed_dictionaries({"a": st.none() | st.integers(-100, 100)}),
}


@st.composite
def null_heavy_column(draw: st.DrawFn) -> list[Any]:
    """One column's values: maybe a run of nulls first (a field that appears late), then mostly
    null rows, empty lists and lists of nulls, some with items of one kind (as a column of one
    API field would carry), in any order."""
    item = ITEMS[draw(st.sampled_from(sorted(ITEMS)))]
    mostly_null = st.one_of(st.none(), st.none(), item)
    value = st.one_of(st.none(), st.lists(mostly_null, max_size=4))
    late = [None] * draw(st.integers(0, 100))
    return late + draw(st.lists(value, min_size=1, max_size=300))


@pytest.fixture
def tiny_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of 512 bytes, so that a column of a few hundred rows spans many of them."""
    monkeypatch.setattr(parquet, "_BLOCK_BYTES", 512)


@pytest.mark.parametrize("contract", ["variant", "evolve"])
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(values=null_heavy_column(), row_group_rows=st.sampled_from([7, 64, 131_072]))
def test_every_reader_reads_back_every_value_of_a_null_heavy_list_column(
    tiny_blocks: None,
    contract: SchemaContract,
    values: list[Any],
    row_group_rows: int,
) -> None:
    rows = [{"id": i, "b": value} for i, value in enumerate(values)]
    data = ndjson(rows)
    with tempfile.TemporaryDirectory() as folder:
        table = Path(folder) / "t"
        result = write_under(contract, pieces(data, 97), table, row_group_rows=row_group_rows)
        assert result.rows == len(rows)
        assert not [name for name in result.schema.names if name.startswith("b__v")]
        for reader, read in read_by_every_reader(table).items():
            assert read == json.loads(json.dumps(rows)), reader


def test_a_column_null_for_a_whole_row_group_takes_the_list_type_of_its_first_values(
    tmp_path: Path,
) -> None:
    # A whole first row group (131,072 rows) of nulls: the table knows `b` as a null column
    # when its first lists arrive; under variant they still land in `b` itself.
    rows: list[dict[str, Any]] = [{"id": i, "b": None} for i in range(131_072)]
    rows += [{"id": 131_072 + i, "b": [None, i % 2 == 0]} for i in range(10)]
    result = write_under("variant", [ndjson(rows)], tmp_path / "t")
    assert result.schema.field("b").type == pa.list_(pa.bool_())
    assert result.schema.names == ["id", "b"]
    assert pq.ParquetFile(result.path).metadata.num_row_groups == 2
    for reader, read in read_by_every_reader(tmp_path / "t").items():
        assert read[131_070:] == rows[131_070:], reader
        assert len(read) == len(rows), reader
