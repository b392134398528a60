"""The rows_match_schema check: the same report as the jsonschema library row by row, fast."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extract_assets.core.arrow_schema import json_schema_to_arrow
from extract_assets.core.contract import Fitter, SchemaContract
from extract_assets.core.parquet import publish, stage_ndjson
from extract_assets.core.storage import location
from extract_assets.core.validation import SchemaReport, check_rows, check_rows_one_by_one


def written(
    folder: Path,
    rows: list[dict[str, Any]],
    schema: dict[str, Any],
    contract: SchemaContract = "variant",
) -> Path:
    """`rows` as the Linkup asset writes them: NDJSON fitted to the schema's columns."""
    target = folder / "part-0.parquet"
    data = b"".join(json.dumps(row, ensure_ascii=False).encode() + b"\n" for row in rows)
    known = json_schema_to_arrow(schema)
    fitter = Fitter(declared=frozenset(known.names), contract=contract)
    staged = stage_ndjson([data], location(target), folder, known=known, fitter=fitter)
    publish(staged)
    return target


def report(path: Path, schema: dict[str, Any]) -> SchemaReport:
    """The fast check's report, after asserting it equals the library's row by row."""
    fast = check_rows(path, schema)
    assert fast == check_rows_one_by_one(path, schema)
    return fast


def props(required: list[str] | None = None, **properties: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required or []}


PERSON = props(
    ["id", "name"],
    id={"type": "integer", "minimum": 0},
    name={"type": "string", "minLength": 1},
    status={"enum": ["active", "churned"]},
)


def test_rows_that_follow_the_schema_pass(tmp_path: Path) -> None:
    rows = [{"id": 1, "name": "Ada", "status": "active"}, {"id": 2, "name": "Zoë"}]
    assert report(written(tmp_path, rows, PERSON), PERSON) == SchemaReport(2, 0, [])


def test_a_missing_required_value_is_reported_in_the_librarys_words(tmp_path: Path) -> None:
    rows = [{"id": 1, "name": "Ada"}, {"id": 2}, {"id": 3, "name": None}]
    assert report(written(tmp_path, rows, PERSON), PERSON) == SchemaReport(
        3,
        2,
        ["row 1: row: 'name' is a required property", "row 2: row: 'name' is a required property"],
    )


def test_every_bad_row_is_counted_and_the_first_five_quoted(tmp_path: Path) -> None:
    rows = [{"id": -i, "name": "x"} for i in range(1, 9)]
    result = report(written(tmp_path, rows, PERSON), PERSON)
    assert (result.invalid_rows, len(result.examples)) == (8, 5)
    assert result.examples[0] == "row 0: id: -1 is less than the minimum of 0"


def test_an_enum_breach_names_the_value_and_the_choices(tmp_path: Path) -> None:
    rows = [{"id": 1, "name": "Ada", "status": "gone"}]
    assert report(written(tmp_path, rows, PERSON), PERSON).examples == [
        "row 0: status: 'gone' is not one of ['active', 'churned']"
    ]


def test_numbers_sent_as_text_are_judged_as_the_numbers_they_became(tmp_path: Path) -> None:
    rows = [{"id": "3185", "name": "Ada"}, {"id": "-4", "name": "Ken"}]
    result = report(written(tmp_path, rows, PERSON), PERSON)
    assert result.examples == ["row 1: id: -4 is less than the minimum of 0"]


def test_a_value_moved_to_a_variant_column_is_judged_as_sent(tmp_path: Path) -> None:
    # "n/a" cannot be an integer: it goes to id__v_text, and is judged as the id it was sent as
    rows = [{"id": "n/a", "name": "Ada"}]
    assert report(written(tmp_path, rows, PERSON), PERSON).examples == [
        "row 0: id: 'n/a' is not of type 'integer'"
    ]


def test_an_object_moved_to_its_json_variant_is_judged_as_the_object_sent(
    tmp_path: Path,
) -> None:
    schema = props(meta={"type": "object", "properties": {"a": {"type": "integer"}}})
    rows = [{"meta": {"a": 1}}, {"meta": [1, {"b": None}]}]
    assert report(written(tmp_path, rows, schema), schema).examples == [
        "row 1: meta: [1, {'b': None}] is not of type 'object'"
    ]


def test_a_moved_value_the_property_allows_passes(tmp_path: Path) -> None:
    schema = props(n={"type": ["integer", "string"]})
    rows = [{"n": 1}, {"n": "n/a"}]
    assert report(written(tmp_path, rows, schema), schema) == SchemaReport(2, 0, [])


def test_a_variant_column_breaks_a_schema_without_additional_properties(tmp_path: Path) -> None:
    schema = {**props(score={"type": "number"}), "additionalProperties": False}
    rows = [{"score": 1.5}, {"score": "high"}]
    assert report(written(tmp_path, rows, schema), schema).invalid_rows == 1


def test_a_null_inside_a_list_is_json_null(tmp_path: Path) -> None:
    schema = props(tags={"type": "array", "items": {"type": "string"}, "maxItems": 2})
    rows = [{"tags": ["a", None]}, {"tags": ["a", "b"]}, {"tags": None}, {"tags": ["a", "b", "c"]}]
    assert report(written(tmp_path, rows, schema), schema).invalid_rows == 2


def test_a_null_inside_an_object_is_an_absent_key(tmp_path: Path) -> None:
    address = props(
        ["city"], city={"type": "string"}, zip={"type": "string", "pattern": "^[0-9]+$"}
    )
    schema = props(address=address)
    rows = [{"address": {"city": "Oslo", "zip": None}}, {"address": {"zip": "0150"}}]
    assert report(written(tmp_path, rows, schema), schema).examples == [
        "row 1: address: 'city' is a required property"
    ]


def test_timestamps_with_an_offset_or_without_one_are_date_times(tmp_path: Path) -> None:
    schema = props(at={"type": "string", "format": "date-time"})
    rows = [{"at": "2026-11-01T09:30:00+02:00"}, {"at": "2026-11-01T09:30:00"}]
    assert report(written(tmp_path, rows, schema), schema) == SchemaReport(2, 0, [])


def test_text_that_is_no_date_time_is_reported(tmp_path: Path) -> None:
    schema = props(at={"type": "string", "format": "date-time"})
    rows = [{"at": "2026-11-01T09:30:00Z"}, {"at": "soon"}, {"at": 12345}]
    assert report(written(tmp_path, rows, schema), schema).examples == [
        "row 1: at: 'soon' is not a 'date-time'",
        "row 2: at: 12345 is not of type 'string'",
    ]


def test_a_fractional_bound_on_big_integers_is_exact(tmp_path: Path) -> None:
    # 2**53 + 1 rounds to 2**53 as a double: only an exact comparison finds it above the bound
    schema = props(n={"type": "integer", "maximum": float(2**53)})
    rows = [{"n": 2**53}, {"n": 2**53 + 1}, {"n": 2**63 - 1}]
    assert report(written(tmp_path, rows, schema), schema).invalid_rows == 2


def test_lengths_count_characters_not_bytes(tmp_path: Path) -> None:
    schema = props(name={"type": "string", "maxLength": 3})
    rows = [{"name": "Zoë"}, {"name": "🙂🙂🙂"}, {"name": "José"}]
    assert report(written(tmp_path, rows, schema), schema).invalid_rows == 1


def test_patterns_follow_pythons_regular_expressions(tmp_path: Path) -> None:
    # Python's `$` also matches before a final newline; Rust's and RE2's do not
    plain = props(code={"type": "string", "pattern": "^a$"})
    combined = props(code={"anyOf": [{"type": "string", "pattern": "^a$"}, {"type": "integer"}]})
    rows = [{"code": "a\n"}, {"code": "b"}]
    path = written(tmp_path, rows, plain)
    assert report(path, plain).invalid_rows == report(path, combined).invalid_rows == 1


def test_formats_are_the_librarys_own_checks(tmp_path: Path) -> None:
    # the library checks an email for an "@"; a uri only when rfc3987 is installed
    plain = props(mail={"type": "string", "format": "email"}, home={"format": "uri"})
    combined = props(
        mail={"anyOf": [{"type": "string", "format": "email"}]},
        home={"anyOf": [{"format": "uri"}]},
    )
    rows = [{"mail": "ada@example.com", "home": "not a uri"}, {"mail": "ada"}]
    path = written(tmp_path, rows, plain)
    assert report(path, plain).invalid_rows == report(path, combined).invalid_rows
    assert "row 1: mail: 'ada' is not a 'email'" in report(path, plain).examples


def test_a_fractional_multiple_follows_the_librarys_float_division(tmp_path: Path) -> None:
    # 0.3 / 0.1 is 2.9999999999999996 in floats: the library rejects 0.3, exact decimals would not
    schema = props(step={"type": "number", "multipleOf": 0.1})
    rows = [{"step": 0.3}, {"step": 0.5}]
    assert report(written(tmp_path, rows, schema), schema).invalid_rows == 1


def test_keywords_that_tie_columns_together_judge_whole_rows(tmp_path: Path) -> None:
    schema = {**props(a={"type": "integer"}, b={"type": "integer"}), "minProperties": 2}
    rows = [{"a": 1, "b": 2}, {"a": 1}]
    assert report(written(tmp_path, rows, schema), schema).invalid_rows == 1


def test_nan_and_infinity_are_judged_by_the_library(tmp_path: Path) -> None:
    path = tmp_path / "nan.parquet"
    pq.write_table(pa.table({"x": [1.0, float("nan"), float("inf")]}), path)
    for node in ({"type": "number", "maximum": 5}, {"anyOf": [{"type": "number"}]}):
        schema = props(x=node)
        report(path, schema)


# --- generated schemas and rows --------------------------------------------------------------

_TEXT = st.text(alphabet=st.sampled_from("ab1 é🙂\n-@:"), max_size=6)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**64), 2**64),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    _TEXT,
    st.sampled_from(
        ["3185", "12.5", "007", "true", "a@b", "2026-11-01", "2026-11-01T09:30:00+02:00",
         "2026-11-01T09:30:00", "2026-11-01T09:30:00.250Z", "::1", "1.2.3.4"]
    ),
)  # fmt: skip
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from("xyz"), inner, max_size=3),
    ),
    max_leaves=6,
)


def _bounded(kind: str) -> st.SearchStrategy[dict[str, Any]]:
    number = st.one_of(st.integers(-5, 5), st.floats(-5, 5, width=16))
    keywords = st.fixed_dictionaries(
        {},
        optional={
            "minimum": number,
            "maximum": number,
            "exclusiveMinimum": number,
            "exclusiveMaximum": number,
            "multipleOf": st.sampled_from([2, 3, 0.5, 0.1]),
            "enum": st.lists(_SCALARS, max_size=3),
        },
    )
    return keywords.map(lambda extra: {"type": kind, **extra})


_STRING_NODES = st.fixed_dictionaries(
    {"type": st.just("string")},
    optional={
        "minLength": st.integers(0, 3),
        "maxLength": st.integers(0, 4),
        "pattern": st.sampled_from(["^a", "b$", "^[0-9]+$", r"\d", "é"]),
        "format": st.sampled_from(["email", "date-time", "date", "ipv4", "ipv6", "uri", "time"]),
        "enum": st.lists(_TEXT, max_size=3),
    },
)
_SCALAR_NODES = st.one_of(
    _bounded("integer"),
    _bounded("number"),
    _STRING_NODES,
    st.just({"type": "boolean"}),
    st.just({"type": ["string", "null"]}),
    st.just({"type": "string", "format": "date-time"}),
    st.just({"type": "string", "format": "date"}),
    st.lists(_SCALARS, min_size=1, max_size=3).map(lambda members: {"enum": members}),
    st.just({}),
)
_NODES = st.recursive(
    _SCALAR_NODES,
    lambda inner: st.one_of(
        st.builds(
            lambda items, low: {"type": "array", "items": items, "minItems": low},
            inner,
            st.integers(0, 2),
        ),
        st.builds(
            lambda properties, required, extra: {
                "type": "object",
                "properties": properties,
                "required": required,
                **extra,
            },
            st.dictionaries(st.sampled_from("xyz"), inner, min_size=1, max_size=3),
            st.lists(st.sampled_from("xyz"), max_size=2, unique=True),
            st.sampled_from([{}, {"additionalProperties": False}]),
        ),
        st.lists(inner, min_size=1, max_size=2).map(lambda options: {"anyOf": options}),
    ),
    max_leaves=4,
)
_ROOTS = st.builds(
    lambda properties, required, extra: {
        "type": "object",
        "properties": properties,
        "required": required,
        **extra,
    },
    st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), _NODES, min_size=1, max_size=4),
    st.lists(st.sampled_from(["a", "b", "c", "e"]), max_size=2, unique=True),
    st.sampled_from([{}, {"additionalProperties": False}, {"minProperties": 1}]),
)
_ROWS = st.lists(
    st.dictionaries(st.sampled_from(["a", "b", "c", "d", "e"]), _VALUES, max_size=5),
    min_size=1,
    max_size=12,
)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    schema=_ROOTS,
    rows=_ROWS,
    contract=st.sampled_from(["variant", "evolve", "discard_value", "discard_row"]),
)
def test_generated_rows_get_the_librarys_verdicts_counts_and_examples(
    tmp_path_factory: Any, schema: dict[str, Any], rows: list[dict[str, Any]], contract: str
) -> None:
    folder = tmp_path_factory.mktemp("rows")
    path = written(folder, rows, schema, contract)  # type: ignore[arg-type]
    assert check_rows(path, schema) == check_rows_one_by_one(path, schema)
