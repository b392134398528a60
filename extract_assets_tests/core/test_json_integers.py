"""Integers beyond int64 in NDJSON keep every digit, however the bytes are cut into blocks;
floats as large stay floats."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.json as pj
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extract_assets.core import parquet
from extract_assets.core.json_integers import may_hold_rounded_integers
from extract_assets.core.parquet import write_ndjson
from extract_assets.core.table import TableWriter
from extract_assets_tests.readers import assert_all_readers_agree

UINT64_MAX = 2**64 - 1


def parsed(text: bytes) -> pa.Table:
    return pj.read_json(io.BytesIO(text))


def written(text: bytes, target: Path) -> pa.Table:
    write_ndjson([text], target)
    return pq.read_table(target)


def test_pyarrow_alone_rounds_a_uint64_id_which_is_why_this_check_exists() -> None:
    assert parsed(b'{"id": 18446744073709551615}').column("id").to_pylist() == [2.0**64]


def test_an_integer_beyond_2_53_in_a_double_column_is_flagged() -> None:
    line = b'{"n": 0.5}\n{"n": 9007199254740993}\n'
    assert may_hold_rounded_integers(parsed(line), line)


@pytest.mark.parametrize("how", ["records", "ndjson"])
def test_an_integer_beyond_2_53_for_a_number_column_keeps_its_digits_however_it_came(
    tmp_path: Path, how: str
) -> None:
    folder = tmp_path / "t"
    with TableWriter(folder) as table:
        table.stage_records([{"n": 2.5}], folder / "date=2026-11-01" / "part-0.parquet")
        table.publish()
    with TableWriter(folder) as table:
        target = folder / "date=2026-11-02" / "part-0.parquet"
        if how == "records":
            table.stage_records([{"n": 9007199254740993}], target)
        else:
            table.stage_ndjson([b'{"n": 9007199254740993}\n'], target)
        table.publish()
    assert pq.read_table(target).to_pylist() == [{"n": None, "n__v_bigint": 9007199254740993}]


def test_a_uint64_id_is_flagged() -> None:
    line = b'{"id": 18446744073709551615}'
    assert may_hold_rounded_integers(parsed(line), line)


def test_an_integer_below_minus_two_to_the_63_is_flagged() -> None:
    line = b'{"id": 1.5}\n{"id": -9223372036854775809}'
    assert may_hold_rounded_integers(parsed(line), line)


def test_a_large_float_written_with_an_exponent_or_a_fraction_is_not_flagged() -> None:
    line = b'{"mass": 1.9891e30}\n{"mass": 100000000000000000000.0}\n{"mass": 1E+19}'
    assert not may_hold_rounded_integers(parsed(line), line)


def test_an_integer_inside_an_object_inside_a_list_is_flagged() -> None:
    line = b'{"a": {"b": [1, 18446744073709551615]}}'
    assert may_hold_rounded_integers(parsed(line), line)


def test_floats_below_two_to_the_63_are_not_looked_at_as_text() -> None:
    line = b'{"score": 12.5, "note": "ref 12345678901234567890"}'
    assert not may_hold_rounded_integers(parsed(line), line)


def test_a_uint64_id_lands_as_its_exact_digits(tmp_path: Path) -> None:
    table = written(b'{"id": 1}\n{"id": 18446744073709551615}\n', tmp_path / "t" / "ids.parquet")
    assert table.column("id").to_pylist() == ["1", "18446744073709551615"]


def test_large_floats_stay_floats(tmp_path: Path) -> None:
    table = written(b'{"mass": 1.9891e30}\n{"mass": 2.5}\n', tmp_path / "t" / "mass.parquet")
    assert table.schema.field("mass").type == pa.float64()


def test_a_number_beyond_the_doubles_lands_as_its_text_not_as_infinity(tmp_path: Path) -> None:
    table = written(b'{"cost": 2.5}\n{"cost": 1e400}\n', tmp_path / "t" / "cost.parquet")
    assert table.column("cost").to_pylist() == ["2.5", "1e400"]


def test_an_id_beyond_int64_after_many_int64_rows_widens_the_column_losing_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parquet, "_BLOCK_BYTES", 1 << 10)
    rows = b"".join(b'{"id": %d}\n' % n for n in range(500)) + b'{"id": 18446744073709551615}\n'
    folder = tmp_path / "ids"
    write_ndjson([rows], folder / "part-0.parquet")
    read = assert_all_readers_agree(folder, None)
    assert sorted(row["id"] for row in read) == sorted([*map(str, range(500)), str(UINT64_MAX)])


def test_records_with_a_uint64_id_keep_its_digits(tmp_path: Path) -> None:
    folder = tmp_path / "ids"
    with TableWriter(folder) as table:
        table.stage_records([{"id": 1}, {"id": UINT64_MAX}], folder / "part-0.parquet")
        table.publish()
    read = assert_all_readers_agree(folder, None)
    assert sorted(row["id"] for row in read) == ["1", str(UINT64_MAX)]


INTEGERS = st.integers(-(2**70), 2**70) | st.sampled_from(
    [2**63 - 1, 2**63, -(2**63), -(2**63) - 1, UINT64_MAX, 2**53 + 1]
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    ids=st.lists(INTEGERS, min_size=1, max_size=60),
    block_bytes=st.integers(16, 400),
    cut=st.integers(1, 50),
)
def test_integers_of_any_size_keep_their_digits_however_the_blocks_fall(
    tmp_path_factory: pytest.TempPathFactory, ids: list[int], block_bytes: int, cut: int
) -> None:
    text = b"".join(json.dumps({"id": n}).encode() + b"\n" for n in ids)
    target = tmp_path_factory.mktemp("ids") / "t" / "ids.parquet"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parquet, "_BLOCK_BYTES", block_bytes)
        write_ndjson([text[i : i + cut] for i in range(0, len(text), cut)], target)
    assert [str(value) for value in pq.read_table(target).column("id").to_pylist()] == [
        str(n) for n in ids
    ]
