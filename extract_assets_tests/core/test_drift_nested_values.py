"""A later run sends an object or a list where the table holds another type: the value lands
whole and unchanged in the column's JSON variant, read back alike by every reader."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from extract_assets.core.day_folders import write_day_folders
from extract_assets.core.iceberg_catalog import (
    CATALOG_ENV,
    CatalogSettings,
    IcebergTarget,
    open_catalog,
)
from extract_assets.core.json_text import loads
from extract_assets_tests.iceberg_readers import assert_iceberg_readers_agree
from extract_assets_tests.readers import WITHOUT_SPARK, assert_all_readers_agree

FIRST, SECOND = date(2026, 11, 1), date(2026, 11, 2)
DECLARED = {
    "properties": {
        "n": {"type": "integer"},
        "o": {"type": "object", "properties": {"a": {"type": "integer"}}},
    }
}


@pytest.fixture(autouse=True)
def _default_catalog(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CATALOG_ENV, raising=False)


def materialize(
    output: Path,
    day: date,
    body: str,
    *,
    json_schema: Mapping[str, Any] | None = None,
    iceberg: bool = False,
) -> None:
    """One run of one day, its rows parsed from JSON text as a provider's page is."""
    rows = [{**row, "date": day.isoformat()} for row in loads(body)]
    target = None
    if iceberg:
        target = IcebergTarget(CatalogSettings(), output, ("extractto",), "ads", ("date", "date"))
    write_day_folders(
        [rows],
        output / "extractto" / "ads",
        [day],
        json_schema=json_schema,
        iceberg=target,
    )


def second_day(rows: list[dict[str, Any]]) -> dict[str, Any]:
    (row,) = [row for row in rows if row["date"] == SECOND.isoformat()]
    return row


def test_a_list_inside_a_declared_object_lands_whole_and_unchanged_in_its_variant(
    tmp_path: Path,
) -> None:
    materialize(tmp_path, FIRST, '[{"o": {"a": 1}}]', json_schema=DECLARED)
    materialize(tmp_path, SECOND, '[{"o": {"a": [1, 2]}}]', json_schema=DECLARED)

    rows = assert_all_readers_agree(tmp_path / "extractto" / "ads", "date")
    moved = second_day(rows)
    assert moved["o"] is None
    assert json.loads(moved["o__v_json"]) == {"a": [1, 2]}


def test_a_list_sent_to_a_declared_integer_column_lands_in_its_json_variant(
    tmp_path: Path,
) -> None:
    materialize(tmp_path, FIRST, '[{"n": 1}]', json_schema=DECLARED)
    materialize(tmp_path, SECOND, '[{"n": [1, 2]}]', json_schema=DECLARED)

    rows = assert_all_readers_agree(tmp_path / "extractto" / "ads", "date")
    moved = second_day(rows)
    assert moved["n"] is None and "n__v_text" not in moved
    assert json.loads(moved["n__v_json"]) == [1, 2]


def test_an_object_inside_an_iceberg_object_field_lands_whole_and_unchanged_in_its_variant(
    tmp_path: Path,
) -> None:
    materialize(tmp_path, FIRST, '[{"o": {"a": 1}}]', iceberg=True)
    materialize(tmp_path, SECOND, '[{"o": {"a": {"z": 1}}}]', iceberg=True)

    table = open_catalog(CatalogSettings(), tmp_path).load_table("extractto.ads")
    moved = second_day(assert_iceberg_readers_agree(table, "date"))
    assert "o" not in moved  # the readers' rows leave nulls out
    assert json.loads(moved["o__v_json"]) == {"a": {"z": 1}}


def test_an_object_whose_keys_differ_in_case_turned_to_text_keeps_the_keys_sent(
    tmp_path: Path,
) -> None:
    materialize(tmp_path, FIRST, '[{"o": {"p": {"X": 1, "x": 2, "": 3}}}]')
    # `o.p` widens to text: the first day's object is rewritten as its JSON text.
    materialize(tmp_path, SECOND, '[{"o": {"p": "s"}}]')

    rows = assert_all_readers_agree(tmp_path / "extractto" / "ads", "date")
    (first,) = [row for row in rows if row["date"] == FIRST.isoformat()]
    assert json.loads(first["o"]["p"]) == {"X": 1, "x": 2, "": 3}


def test_objects_in_an_iceberg_list_of_text_are_stored_with_the_keys_sent(
    tmp_path: Path,
) -> None:
    materialize(tmp_path, FIRST, '[{"l": ["a"]}]', iceberg=True)
    materialize(tmp_path, SECOND, '[{"l": [{"K": 1, "k": "2"}]}]', iceberg=True)

    table = open_catalog(CatalogSettings(), tmp_path).load_table("extractto.ads")
    moved = second_day(assert_iceberg_readers_agree(table, "date"))
    assert [json.loads(item) for item in moved["l"]] == [{"K": 1, "k": "2"}]


def test_an_integer_beyond_2_53_in_a_declared_number_beside_a_declared_timestamp_is_not_rounded(
    tmp_path: Path,
) -> None:
    event = {
        "type": "object",
        "properties": {
            "at": {"type": "string", "format": "date-time"},
            "n": {"type": "number"},
        },
    }
    materialize(
        tmp_path,
        FIRST,
        '[{"ev": {"at": "2026-11-01T10:00:00Z", "n": 9007199254740993}}]',
        json_schema={"properties": {"ev": event}},
    )

    (row,) = assert_all_readers_agree(tmp_path / "extractto" / "ads", "date")
    assert row["ev"] is None
    assert json.loads(row["ev__v_json"])["n"] == 9007199254740993


def test_a_number_sent_for_a_declared_timestamp_keeps_its_kind_in_the_variants(
    tmp_path: Path,
) -> None:
    event = {"type": "object", "properties": {"at": {"type": "string", "format": "date-time"}}}
    declared = {"properties": {"ts": {"type": "string", "format": "date-time"}, "ev": event}}
    first = '[{"ts": "2026-11-01T10:00:00+02:00", "ev": {"at": "2026-11-01T10:00:00"}}]'
    materialize(tmp_path, FIRST, first, json_schema=declared)
    second = '[{"ts": 1730000000, "ev": {"at": 1730000000}}]'
    materialize(tmp_path, SECOND, second, json_schema=declared)

    moved = second_day(assert_all_readers_agree(tmp_path / "extractto" / "ads", "date"))
    assert moved["ts__v_bigint"] == 1730000000 and "ts__v_text" not in moved
    assert json.loads(moved["ev__v_json"]) == {"at": 1730000000}


def test_objects_sent_where_a_declared_list_holds_text_are_stored_as_sent_without_added_keys(
    tmp_path: Path,
) -> None:
    declared = {"properties": {"tags": {"type": "array", "items": {"type": "string"}}}}
    materialize(tmp_path, FIRST, '[{"tags": ["a"]}]', json_schema=declared)
    materialize(tmp_path, SECOND, '[{"tags": [{"a": 1}, {"b": 2}]}]', json_schema=declared)

    moved = second_day(assert_all_readers_agree(tmp_path / "extractto" / "ads", "date"))
    assert [json.loads(item) for item in moved["tags"]] == [{"a": 1}, {"b": 2}]


def test_an_object_sent_to_an_undeclared_integer_column_lands_in_its_json_variant(
    tmp_path: Path,
) -> None:
    materialize(tmp_path, FIRST, '[{"x": 1}]')
    materialize(tmp_path, SECOND, '[{"x": {"a": 1}}, {"x": 2}]')

    rows = assert_all_readers_agree(tmp_path / "extractto" / "ads", "date", WITHOUT_SPARK)
    later = [row for row in rows if row["date"] == SECOND.isoformat()]
    assert {(row["x"], row.get("x__v_json")) for row in later} == {(None, '{"a":1}'), (2, None)}
    assert "x__v_text" not in rows[0]


def test_a_string_spelling_an_object_stays_apart_from_an_object_in_the_variants(
    tmp_path: Path,
) -> None:
    materialize(tmp_path, FIRST, '[{"x": 1}]')
    materialize(tmp_path, SECOND, '[{"x": {"a": 1}}, {"x": "{\\"a\\": 1}"}]')

    later = [
        row
        for row in assert_all_readers_agree(tmp_path / "extractto" / "ads", "date", WITHOUT_SPARK)
        if row["x"] is None
    ]
    assert {(row["x__v_json"], row["x__v_text"]) for row in later} == {
        ('{"a":1}', None),
        (None, '{"a": 1}'),
    }


def test_values_of_each_kind_sent_to_an_integer_column_keep_their_kind_in_the_variants(
    tmp_path: Path,
) -> None:
    materialize(tmp_path, FIRST, '[{"x": 1}]')
    materialize(tmp_path, SECOND, '[{"x": true}, {"x": "n/a"}, {"x": [1]}, {"x": 2}]')

    later = [
        {key: value for key, value in row.items() if value is not None and key != "date"}
        for row in assert_all_readers_agree(tmp_path / "extractto" / "ads", "date", WITHOUT_SPARK)
        if row["date"] == SECOND.isoformat()
    ]
    assert sorted(later, key=str) == sorted(
        [{"x__v_bool": True}, {"x__v_text": "n/a"}, {"x__v_json": "[1]"}, {"x": 2}], key=str
    )


def test_an_object_and_a_text_in_two_pages_of_one_day_each_keep_their_kind(
    tmp_path: Path,
) -> None:
    materialize(tmp_path, FIRST, '[{"x": 1}]')
    day = SECOND.isoformat()
    pages = [
        [{"x": 2, "date": day}, {"x": "n/a", "date": day}],
        [{"x": 3, "date": day}, {"x": {"a": 1}, "date": day}],
    ]
    write_day_folders(pages, tmp_path / "extractto" / "ads", [SECOND])

    rows = assert_all_readers_agree(tmp_path / "extractto" / "ads", "date", WITHOUT_SPARK)
    moved = {(row["x__v_text"], row["x__v_json"]) for row in rows if row["x"] is None}
    assert moved == {("n/a", None), (None, '{"a":1}')}


def test_numbers_sent_to_an_object_column_keep_their_kind_in_the_variants(
    tmp_path: Path,
) -> None:
    materialize(tmp_path, FIRST, '[{"o": {"a": 1}}]', json_schema=DECLARED)
    materialize(tmp_path, SECOND, '[{"o": 9007199254740993}, {"o": 0.5}]', json_schema=DECLARED)

    rows = assert_all_readers_agree(tmp_path / "extractto" / "ads", "date", WITHOUT_SPARK)
    moved = {(row["o__v_bigint"], row["o__v_double"]) for row in rows if row["o"] is None}
    assert moved == {(9007199254740993, None), (None, 0.5)}


def test_an_integer_beyond_64_bits_beside_another_is_its_text_and_the_other_an_integer(
    tmp_path: Path,
) -> None:
    materialize(tmp_path, FIRST, '[{"o": {"a": 1}}]', json_schema=DECLARED)
    materialize(tmp_path, SECOND, '[{"o": 18446744073709551616}, {"o": 0}]', json_schema=DECLARED)

    rows = assert_all_readers_agree(tmp_path / "extractto" / "ads", "date", WITHOUT_SPARK)
    moved = {(row["o__v_text"], row["o__v_bigint"]) for row in rows if row["o"] is None}
    assert moved == {("18446744073709551616", None), (None, 0)}


def test_a_column_seen_only_null_takes_the_type_a_later_days_values_make_together(
    tmp_path: Path,
) -> None:
    materialize(tmp_path, FIRST, '[{"o": null}]')
    materialize(tmp_path, SECOND, '[{"o": 0.5}, {"o": {"a": 1}}]')

    rows = assert_all_readers_agree(tmp_path / "extractto" / "ads", "date", WITHOUT_SPARK)
    assert sorted(repr(row["o"]) for row in rows if row["o"] is not None) == [
        "'0.5'",
        "'{\"a\":1}'",
    ]
    assert set(rows[0]) == {"o", "date"}  # no variant column
