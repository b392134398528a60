"""Numbers are never stored as a different number: text converts to a double only without
loss, an integral float to an integer column exactly, and an integer meets fractions as JSON
readers read it (beyond 2**53, its nearest double; beyond 64 bits, its text)."""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extract_assets.core import parquet
from extract_assets.core.arrow_schema import python_column
from extract_assets.core.contract import SchemaChanges, SchemaContract, convert_values, fit_table
from extract_assets.core.parquet import write_ndjson, write_records
from extract_assets.core.records_arrow import records_tables
from extract_assets.core.table import TableWriter

TWO_53 = 2**53
UINT64_MAX = 2**64 - 1
NUMBER = pa.schema([("x", pa.float64())])
INTEGER = pa.schema([("x", pa.int64())])
DECLARED_INTEGER = {"type": "object", "properties": {"x": {"type": "integer"}}}
DECLARED_NUMBER = {"type": "object", "properties": {"x": {"type": "number"}}}


@pytest.fixture(autouse=True)
def _quiet_widening_warnings() -> Iterator[None]:
    logging.disable(logging.WARNING)
    yield
    logging.disable(logging.NOTSET)


def fit_number(texts: list[Any], contract: SchemaContract = "variant") -> pa.Table:
    table, _ = fit_table(
        pa.table({"x": texts}),
        NUMBER,
        declared=frozenset({"x"}),
        contract=contract,
        changes=SchemaChanges(),
    )
    return table


def ndjson(rows: list[Mapping[str, Any]]) -> bytes:
    return b"".join(json.dumps(row).encode() + b"\n" for row in rows)


def written(rows: list[Mapping[str, Any]], target: Path, **options: Any) -> list[Any]:
    return pq.read_table(write_ndjson([ndjson(rows)], target, **options).path)["x"].to_pylist()


# --- text into a double column -------------------------------------------------------------


def test_text_of_an_integer_a_double_holds_exactly_converts() -> None:
    table = fit_number(["9007199254740992", "-12", "18446744073709551616"])
    assert table["x"].to_pylist() == [2.0**53, -12.0, 2.0**64]


@pytest.mark.parametrize("text", ["9007199254740993", "-9223372036854775807", str(UINT64_MAX)])
def test_text_of_an_integer_a_double_would_round_goes_to_the_variant_column(text: str) -> None:
    table = fit_number([text])
    assert table.to_pylist() == [{"x": None, "x__v_text": text}]


@pytest.mark.parametrize("text", ["1e400", "-1e400", "1" * 400])
def test_text_beyond_the_doubles_is_not_infinity(text: str) -> None:
    table = fit_number([text])
    assert table.to_pylist() == [{"x": None, "x__v_text": text}]


def test_text_with_a_fraction_or_an_exponent_is_its_nearest_double_as_json_reads_it() -> None:
    texts = ["0.1", "1.5e300", "9007199254740993.0", "1e-400"]
    assert fit_number(texts)["x"].to_pylist() == [json.loads(text) for text in texts]


def test_under_evolve_text_a_double_would_round_widens_the_column_to_text() -> None:
    table = fit_number(["0.5", "12345678901234567890123"], contract="evolve")
    assert table["x"].to_pylist() == ["0.5", "12345678901234567890123"]


def test_python_text_converts_to_a_double_by_the_same_rule() -> None:
    values = ["0.5", "9007199254740992", "9007199254740993", "1e400"]
    assert convert_values(values, pa.float64()) == (
        [0.5, 2.0**53, "9007199254740993", "1e400"],
        2,
    )


# --- integers meeting fractions in Python values -------------------------------------------


def test_integral_floats_convert_to_integers_for_an_integer_column_and_are_counted() -> None:
    values = [1.0, TWO_53 + 1, 2.5, 1e19, -0.0]
    assert convert_values(values, pa.int64()) == ([1, TWO_53 + 1, 2.5, 1e19, 0], 2)


def test_an_integer_a_double_holds_exactly_and_fractions_make_a_double_column() -> None:
    assert python_column([0.5, 2**60]).to_pylist() == [0.5, 2.0**60]


def test_an_integer_beyond_2_53_meeting_fractions_is_its_nearest_double_as_json_reads_it() -> None:
    assert python_column([0.5, TWO_53 + 1]).to_pylist() == [0.5, float(TWO_53 + 1)]


# --- through the sink -------------------------------------------------------------------------


@pytest.mark.parametrize("big", [TWO_53 + 1, 2**63 - 1])
def test_a_declared_integer_column_keeps_a_large_integer_beside_an_integral_float(
    tmp_path: Path, big: int
) -> None:
    rows = [{"x": 1.0}, {"x": big}]
    assert written(rows, tmp_path / "t" / "part-0.parquet", json_schema=DECLARED_INTEGER) == [
        1,
        big,
    ]


@pytest.mark.parametrize("big", [TWO_53 + 1, 2**63 - 1])
def test_a_declared_integer_column_of_a_table_keeps_a_large_integer_beside_an_integral_float(
    tmp_path: Path, big: int
) -> None:
    folder = tmp_path / "t"
    with TableWriter(folder, json_schema=DECLARED_INTEGER) as table:
        table.stage_ndjson([ndjson([{"x": 1.0}, {"x": big}])], folder / "part-0.parquet")
        table.publish()
    assert pq.read_table(folder / "part-0.parquet").to_pylist() == [{"x": 1}, {"x": big}]


def staged(folder: Path, rows: list[Mapping[str, Any]], how: str, **options: Any) -> list[Any]:
    """The rows as a table's file, staged as NDJSON or as records, read back."""
    with TableWriter(folder, **options) as table:
        if how == "ndjson":
            table.stage_ndjson([ndjson(rows)], folder / "part-0.parquet")
        else:
            table.stage_records(rows, folder / "part-0.parquet")
        table.publish()
    return pq.read_table(folder / "part-0.parquet").to_pylist()


@pytest.mark.parametrize("how", ["ndjson", "records"])
def test_a_declared_integer_column_keeps_a_large_integer_beside_a_fraction(
    tmp_path: Path, how: str
) -> None:
    rows = [{"x": TWO_53 + 1}, {"x": 0.5}]
    assert staged(tmp_path / "t", rows, how, json_schema=DECLARED_INTEGER) == [
        {"x": TWO_53 + 1, "x__v_double": None},
        {"x": None, "x__v_double": 0.5},
    ]


@pytest.mark.parametrize("how", ["ndjson", "records"])
def test_a_declared_number_column_moves_a_large_integer_beside_a_fraction_to_the_variant_column(
    tmp_path: Path, how: str
) -> None:
    rows = [{"x": 0.5}, {"x": -(TWO_53 + 1)}]
    assert staged(tmp_path / "t", rows, how, json_schema=DECLARED_NUMBER) == [
        {"x": 0.5, "x__v_bigint": None},
        {"x": None, "x__v_bigint": -(TWO_53 + 1)},
    ]


@pytest.mark.parametrize("how", ["ndjson", "records"])
def test_a_declared_integer_inside_an_object_keeps_a_large_integer_beside_a_fraction(
    tmp_path: Path, how: str
) -> None:
    declared = {
        "type": "object",
        "properties": {"o": {"type": "object", "properties": {"k": {"type": "integer"}}}},
    }
    rows = [{"o": {"k": TWO_53 + 1}}, {"o": {"k": 0.5}}]
    stored = staged(tmp_path / "t", rows, how, json_schema=declared)
    assert stored[0] == {"o": {"k": TWO_53 + 1}, "o__v_json": None}
    assert stored[1]["o"] is None and json.loads(stored[1]["o__v_json"]) == {"k": 0.5}


def test_records_of_a_declared_column_read_a_large_integer_apart_from_a_fraction() -> None:
    rows = [{"x": TWO_53 + 1}, {"x": 0.25}]
    (table,) = records_tables(rows, INTEGER, converted=Counter(), exact=frozenset({"x"}))
    columns = zip(table.schema, table.columns, strict=True)
    assert [(f.name, f.type, c.to_pylist()) for f, c in columns] == [
        ("x", pa.int64(), [TWO_53 + 1, None]),
        ("x", pa.float64(), [None, 0.25]),
    ]


@pytest.mark.parametrize("write", [write_ndjson, write_records])
def test_a_declared_number_column_a_file_widens_holds_an_integer_a_double_cannot_as_text(
    tmp_path: Path, write: Any
) -> None:
    rows = [{"x": TWO_53 + 1}, {"x": 2}]
    source = [ndjson(rows)] if write is write_ndjson else rows
    result = write(source, tmp_path / "t" / "part-0.parquet", json_schema=DECLARED_NUMBER)
    assert pq.read_table(result.path)["x"].to_pylist() == [str(TWO_53 + 1), "2"]


def test_a_declared_number_column_keeps_text_that_would_round_as_text(tmp_path: Path) -> None:
    rows = [{"x": 0.5}, {"x": "9007199254740993"}, {"x": "1e400"}]
    assert written(rows, tmp_path / "t" / "part-0.parquet", json_schema=DECLARED_NUMBER) == [
        "0.5",
        "9007199254740993",
        "1e400",
    ]


def test_a_double_column_from_an_earlier_block_keeps_later_long_integers_exact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parquet, "_BLOCK_BYTES", 64)
    rows = [{"x": 0.5}] * 8 + [{"x": "12345678901234567890123"}, {"x": UINT64_MAX}]
    values = written(rows, tmp_path / "t" / "part-0.parquet")
    assert values[-2:] == ["12345678901234567890123", str(UINT64_MAX)]


def test_a_uint64_id_after_a_fraction_in_an_earlier_task_goes_to_the_variant_column(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "t"
    for task, row in (("a", {"x": 0.5}), ("b", {"x": UINT64_MAX})):
        with TableWriter(folder) as table:
            table.stage_ndjson([ndjson([row])], folder / f"task_id={task}" / "part-0.parquet")
            table.publish()
    later = pq.read_table(folder / "task_id=b" / "part-0.parquet").to_pylist()
    assert later == [{"x": None, "x__v_text": str(UINT64_MAX)}]


# --- any mix --------------------------------------------------------------------------------

_EDGES = [
    *(s * n + d for s in (1, -1) for n in (TWO_53, 2**63) for d in (-1, 0, 1)),
    UINT64_MAX,
    2**64,
    2**70 + 1,
]
INTEGERS = st.sampled_from(_EDGES) | st.integers(-(2**66), 2**66) | st.integers(-1000, 1000)
FLOATS = st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(2**60), 2**60).map(float)
NUMERIC_TEXT = (
    INTEGERS.map(str)
    | FLOATS.map(repr)
    | st.sampled_from(["0.1", "1e400", "-1e400", "9007199254740993.0", "12.50", "007", "n/a"])
)
VALUES = st.one_of(INTEGERS, FLOATS, NUMERIC_TEXT)
SCHEMAS = st.sampled_from([None, DECLARED_INTEGER, DECLARED_NUMBER])
_DIGITS = re.compile(r"-?(0|[1-9][0-9]*)")
_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")


def spelled(text: str) -> int | float | None:
    """The JSON number `text` spells, as a JSON reader reads it, or None."""
    if not _NUMBER.fullmatch(text):
        return None
    return int(text) if _DIGITS.fullmatch(text) else float(text)


def assert_same_number(sent: Any, stored: Any) -> None:
    """`stored` is what `sent` means, never another number: text stays text unless it
    converts (the exact reader may spell it as the number it converted to, when the column
    turns to text later), and a number is the JSON number sent."""
    if isinstance(stored, str) and isinstance(sent, str):
        assert stored == sent or json.loads(stored) == spelled(sent)
    elif isinstance(stored, str):
        assert json.loads(stored) == sent
    elif isinstance(sent, str):
        assert stored == spelled(sent)
    else:
        assert stored == sent


def assert_as_json_reads_it(sent: Any, stored: Any, *, declared: bool) -> None:
    """`assert_same_number`, but for an integer within int64 that met fractions in a column
    nobody declared: like any JSON reader, the sink holds it as its nearest double (documented
    in the README). A declared column holds every number exactly."""
    read_as_double = not declared and isinstance(sent, int) and abs(sent) < 2**63
    if read_as_double and isinstance(stored, float):
        assert stored == float(sent)
    elif read_as_double and isinstance(stored, str) and stored != str(sent):
        assert json.loads(stored) == float(sent)
    else:
        assert_same_number(sent, stored)


_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@_SETTINGS
@given(values=st.lists(VALUES, min_size=1, max_size=12), json_schema=SCHEMAS)
def test_records_of_any_mix_of_numbers_keep_every_number_as_json_reads_it(
    tmp_path_factory: pytest.TempPathFactory,
    values: list[Any],
    json_schema: Mapping[str, Any] | None,
) -> None:
    target = tmp_path_factory.mktemp("mix") / "t" / "part-0.parquet"
    result = write_records([{"x": v} for v in values], target, json_schema=json_schema)
    for sent, stored in zip(values, pq.read_table(result.path)["x"].to_pylist(), strict=True):
        assert_as_json_reads_it(sent, stored, declared=json_schema is not None)


@_SETTINGS
@given(
    values=st.lists(VALUES, min_size=1, max_size=12),
    json_schema=SCHEMAS,
    block_bytes=st.integers(16, 200),
)
def test_ndjson_of_any_mix_of_numbers_keeps_every_number_as_json_reads_it(
    tmp_path_factory: pytest.TempPathFactory,
    values: list[Any],
    json_schema: Mapping[str, Any] | None,
    block_bytes: int,
) -> None:
    target = tmp_path_factory.mktemp("mix") / "t" / "part-0.parquet"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parquet, "_BLOCK_BYTES", block_bytes)
        stored_values = written([{"x": v} for v in values], target, json_schema=json_schema)
    for sent, stored in zip(values, stored_values, strict=True):
        assert_as_json_reads_it(sent, stored, declared=json_schema is not None)
