"""Fitting rows to a table: lossless conversions first, then the schema contract decides."""

import datetime as dt
from collections import Counter

import pyarrow as pa
import pytest

from extract_assets.core.contract import (
    SchemaChanges,
    SchemaContract,
    SchemaContractError,
    fit_table,
    variant_name,
)
from extract_assets.core.records_arrow import records_tables

INT = pa.schema([("n", pa.int64())])


def fit(
    rows: dict[str, list[object]],
    schema: pa.Schema = INT,
    contract: SchemaContract = "variant",
    declared: frozenset[str] = frozenset({"n"}),
) -> tuple[pa.Table, pa.Schema, SchemaChanges]:
    changes = SchemaChanges()
    table, grown = fit_table(
        pa.table(rows), schema, declared=declared, contract=contract, changes=changes
    )
    return table, grown, changes


def test_integer_text_converts_to_an_integer_and_is_counted() -> None:
    table, schema, changes = fit({"n": ["3185", "-7", None]})
    assert table.column("n").to_pylist() == [3185, -7, None]
    assert schema == INT
    assert changes.converted == {"n": 2}


@pytest.mark.parametrize("text", ["007", "+5", "1.5", "1e3", " 12", "12 ", "ten", ""])
def test_text_that_is_not_exactly_an_integer_is_not_converted(text: str) -> None:
    table, _, changes = fit({"n": [text]})
    assert table.column("n").to_pylist() == [None]
    assert table.column("n__v_text").to_pylist() == [text]
    assert changes.to_variant == {"n__v_text": 1}


def test_an_integer_beyond_int64_is_kept_as_text() -> None:
    table, _, _ = fit({"n": ["99999999999999999999"]})
    assert table.column("n__v_text").to_pylist() == ["99999999999999999999"]


def test_number_text_converts_to_a_double() -> None:
    schema = pa.schema([("x", pa.float64())])
    table, _, changes = fit({"x": ["12.5", "-3", "1e-2"]}, schema, declared=frozenset({"x"}))
    assert table.column("x").to_pylist() == [12.5, -3.0, 0.01]
    assert changes.converted == {"x": 3}


def test_an_integral_float_converts_to_an_integer_but_a_fraction_goes_to_a_variant() -> None:
    table, schema, _ = fit({"n": [12.0, 12.5]})
    assert table.column("n").to_pylist() == [12, None]
    assert table.column("n__v_double").to_pylist() == [None, 12.5]
    assert schema.names == ["n", "n__v_double"]


def test_an_inferred_integer_column_widens_to_double_for_a_fraction() -> None:
    table, schema, changes = fit({"n": [1.0, 12.5]}, declared=frozenset())
    assert schema.field("n").type == pa.float64()
    assert table.column("n").to_pylist() == [1.0, 12.5]
    assert changes.widened == {"n": ("int64", "double")}


def test_timestamps_with_offsets_become_utc_instants_and_naive_ones_are_taken_as_utc() -> None:
    schema = pa.schema([("at", pa.timestamp("us", tz="UTC"))])
    table, _, _ = fit(
        {"at": ["2026-11-29T00:10:00+02:00", "2026-11-29 00:10:00", "2026-11-29T00:10:00Z"]},
        schema,
        declared=frozenset({"at"}),
    )
    utc = dt.UTC
    assert [v.astimezone(utc) for v in table.column("at").to_pylist()] == [
        dt.datetime(2026, 11, 28, 22, 10, tzinfo=utc),
        dt.datetime(2026, 11, 29, 0, 10, tzinfo=utc),
        dt.datetime(2026, 11, 29, 0, 10, tzinfo=utc),
    ]


def test_a_timestamp_in_rfc_3339s_lower_case_keeps_its_column_a_timestamp() -> None:
    schema = pa.schema([("at", pa.timestamp("us", tz="UTC"))])
    table, grown, changes = fit(
        {"at": ["2026-11-29t00:10:00z", "2026-11-29t00:10:00+02:00"]},
        schema,
        declared=frozenset({"at"}),
    )
    assert grown == schema and not changes.to_variant
    assert [v.hour for v in table.column("at").to_pylist()] == [0, 22]


def test_anything_fits_a_text_column_as_its_json_text() -> None:
    schema = pa.schema([("s", pa.string())])
    table, _, _ = fit({"s": [1, 2]}, schema, declared=frozenset({"s"}))
    assert table.column("s").to_pylist() == ["1", "2"]


def test_evolve_widens_the_column_to_hold_the_value() -> None:
    table, schema, changes = fit({"n": ["3185", "n/a"]}, contract="evolve")
    assert schema.field("n").type == pa.string()
    assert table.column("n").to_pylist() == ["3185", "n/a"]
    assert changes.widened == {"n": ("int64", "string")}


def test_freeze_names_the_column_both_types_and_the_setting() -> None:
    with pytest.raises(SchemaContractError) as raised:
        fit({"n": ["n/a"]}, contract="freeze")
    message = str(raised.value)
    assert "'n'" in message and "int64" in message and "string" in message
    assert "schema_contract" in message and "Nothing was written" in message


def test_freeze_refuses_a_new_column() -> None:
    with pytest.raises(SchemaContractError, match="new column 'extra'"):
        fit({"n": [1], "extra": ["x"]}, contract="freeze")


@pytest.mark.parametrize("contract", ["freeze", "discard_value", "discard_row"])
def test_a_new_key_holding_only_nulls_leaves_a_fixed_table_as_it_was(
    contract: SchemaContract,
) -> None:
    table, schema, changes = fit(
        {"n": [1, 2], "promo": pa.nulls(2, pa.string())}, contract=contract
    )
    assert (schema, table.to_pylist()) == (INT, [{"n": 1}, {"n": 2}])
    assert changes.summary() == "no change"


def test_freeze_accepts_values_that_convert_without_loss() -> None:
    table, _, _ = fit({"n": ["12"]}, contract="freeze")
    assert table.column("n").to_pylist() == [12]


def test_discard_value_drops_the_value_and_counts_it() -> None:
    table, schema, changes = fit({"n": ["1", "n/a"]}, contract="discard_value")
    assert table.column("n").to_pylist() == [1, None]
    assert schema == INT
    assert changes.discarded_values == {"n": 1}


def test_discard_row_drops_the_row_and_counts_it() -> None:
    table, _, changes = fit({"n": ["1", "n/a", None]}, contract="discard_row")
    assert table.column("n").to_pylist() == [1, None]
    assert changes.discarded_rows == 1


def test_a_new_column_joins_after_the_known_ones() -> None:
    table, schema, changes = fit({"late": ["x"], "n": [1]})
    assert schema.names == ["n", "late"]
    assert table.schema == schema
    assert changes.added == ["late"]


def test_a_column_the_batch_lacks_is_null() -> None:
    table, _, _ = fit({"other": [1]}, declared=frozenset())
    assert table.column("n").to_pylist() == [None]


def test_nested_values_go_to_a_json_variant() -> None:
    table, _, _ = fit({"n": [{"a": 1}]})
    assert table.column("n__v_json").to_pylist() == ['{"a":1}']


def test_variant_names_follow_the_values_kind() -> None:
    assert [variant_name("c", t) for t in (pa.string(), pa.float64(), pa.bool_())] == [
        "c__v_text",
        "c__v_double",
        "c__v_bool",
    ]


def test_an_integer_a_double_cannot_hold_exactly_goes_to_a_variant() -> None:
    schema = pa.schema([("x", pa.float64())])
    table, _, changes = fit({"x": [2**53 + 1, 5]}, schema, declared=frozenset({"x"}))
    assert table.column("x").to_pylist() == [None, 5.0]
    assert table.column("x__v_bigint").to_pylist() == [2**53 + 1, None]
    assert changes.converted == {}


def test_an_inferred_column_seen_only_null_takes_the_type_of_its_first_values() -> None:
    table, schema, changes = fit(
        {"b": [[None, True]]}, pa.schema([("b", pa.null())]), declared=frozenset()
    )
    assert schema == pa.schema([("b", pa.list_(pa.bool_()))])
    assert table.column("b").to_pylist() == [[None, True]]
    assert not changes.to_variant


def test_values_read_before_the_table_knew_their_column_keep_their_kinds_when_fitted() -> None:
    # A day's later pages may be read while the table does not know a column yet, and fitted
    # once earlier pages made it an integer column.
    (read,) = records_tables(
        [{"n": False}, {"n": 0}, {"n": "x"}], pa.schema([]), converted=Counter()
    )
    changes = SchemaChanges()
    table, _ = fit_table(read, INT, declared=frozenset(), contract="variant", changes=changes)

    assert table.to_pylist() == [
        {"n": None, "n__v_bool": False, "n__v_text": None},
        {"n": 0, "n__v_bool": None, "n__v_text": None},
        {"n": None, "n__v_bool": None, "n__v_text": "x"},
    ]
