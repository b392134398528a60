"""Property: any JSON rows, however they are cut into pieces and blocks, land as one table that
every reader reads alike, with every row, and a value wherever a row had one.

The rows are shaped by no provider: keys apart only by case, empty or with dots and spaces;
integers beyond int64, floats, text with escapes, NUL and emoji, text that looks like a date or a
number; lists and objects nested in each other, empty ones and ones of nulls.
"""

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extract_assets.core import parquet
from extract_assets.core.column_names import column_key
from extract_assets.core.errors import OutputError
from extract_assets.core.parquet import write_ndjson, write_records
from extract_assets_tests.readers import assert_all_readers_agree

KEYS = st.sampled_from(["a", "A", "b", "", "c d", "x.y", "é"])
TEXT = st.text(alphabet=st.sampled_from('ab 1é🙂\n"\\\t-:\x00'), max_size=5)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    TEXT,
    st.sampled_from(["2026-11-01T09:30:00+02:00", "2026-11-01", "12", "1e5", "true", "{}", "[]"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=3)),
    max_leaves=8,
)
ROWS = st.lists(st.dictionaries(KEYS, VALUES, max_size=4), min_size=1, max_size=15)

pytestmark = pytest.mark.slow  # sixty tables read by five readers, Spark included: ~20 s


def written(rows: list[dict[str, Any]], how: str, size: int, target: Path) -> int:
    """`rows` written to `target` as NDJSON in pieces of `size` bytes (and blocks of about as
    many), or as records in batches of `size` rows; the rows the sink counted."""
    with pytest.MonkeyPatch.context() as patch:
        if how == "ndjson":
            patch.setattr(parquet, "_BLOCK_BYTES", size)
            text = b"".join(json.dumps(row).encode() + b"\n" for row in rows)
            pieces = [text[i : i + size] for i in range(0, len(text), size)]
            return write_ndjson(pieces, target).rows
        patch.setattr(parquet, "_RECORDS_PER_BATCH", size)
        return write_records(rows, target).rows


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rows=ROWS,
    how=st.sampled_from(["ndjson", "records"]),
    size=st.one_of(st.integers(1, 3), st.integers(4, 300)),
)
def test_any_rows_land_whole_as_one_table_every_reader_reads_alike(
    tmp_path_factory: pytest.TempPathFactory, rows: list[dict[str, Any]], how: str, size: int
) -> None:
    folder = tmp_path_factory.mktemp("rows")
    try:
        counted = written(rows, how, size, folder / "t.parquet")
    except OutputError:
        assert not any(rows), "only rows of no key may leave a table without a column"
        assert list(folder.iterdir()) == []
        return
    assert counted == len(rows)
    read = assert_all_readers_agree(folder, None)
    assert len(read) == len(rows)
    with_values = sorted(
        sorted(column_key(key) for key, value in row.items() if value is not None) for row in read
    )
    assert with_values == sorted(
        sorted(key for key, value in row.items() if value is not None) for row in rows
    )
