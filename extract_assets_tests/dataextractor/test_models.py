"""dataextractor.io answers read tolerantly: no dataset lost because one field looks different."""

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from extract_assets.core.payload import parse_each
from extract_assets.dataextractor.models import Dataset, ExtractedField
from extract_assets.dataextractor.tables import ROWS

BASE: dict[str, Any] = {
    "id": "ds_1",
    "status": "complete",
    "created_at": "2026-11-29T00:10:00+02:00",
}


def field_row(value: Any, kind: str | None = None, **extra: Any) -> dict[str, Any]:
    dataset = Dataset.model_validate(
        {**BASE, "fields": [{"name": "total", "value": value, "type": kind, **extra}]}
    )
    (row,) = ROWS["fields"](dataset)
    return row


@pytest.mark.parametrize(
    ("value", "kind", "text", "number"),
    [
        (1234.5, "number", "1234.5", 1234.5),
        (7, "currency", "7", 7.0),
        ("1,234.50", "currency", "1,234.50", 1234.5),
        ("-12.5", "number", "-12.5", -12.5),
        ("12,34", "number", "12,34", None),
        ("INV-1", "text", "INV-1", None),
        ("1234", "text", "1234", None),
        (10**400, "number", "1" + "0" * 400, None),
        ("9" * 400, "number", "9" * 400, None),
    ],
)
def test_a_value_is_kept_as_sent_with_a_number_beside_it_where_it_is_one(
    value: Any, kind: str, text: str, number: float | None
) -> None:
    row = field_row(value, kind)
    assert (row["value"], row["value_number"]) == (text, number)


@pytest.mark.parametrize(("value", "expected"), [(True, True), ("false", False), ("yes", None)])
def test_a_boolean_field_gets_a_boolean_beside_its_text(value: Any, expected: bool | None) -> None:
    row = field_row(value, "boolean")
    assert row["value_boolean"] is expected
    assert row["value"] == (value if isinstance(value, str) else "true")


def test_a_bounding_box_may_be_an_array() -> None:
    row = field_row("x", bounding_box=[1, 2, 3, 4])
    assert (row["page"], row["x"], row["y"], row["width"], row["height"]) == (None, 1, 2, 3, 4)


@pytest.mark.parametrize("box", [None, "n/a", 5])
def test_a_bounding_box_that_is_missing_or_odd_is_empty(box: Any) -> None:
    assert field_row("x", bounding_box=box)["x"] is None


def test_accuracy_fields_may_be_a_map() -> None:
    dataset = Dataset.model_validate(
        {**BASE, "accuracy": {"overall_accuracy": 0.9, "fields": {"total": 0.8, "date": 1}}}
    )
    assert [(r["name"], r["score"]) for r in ROWS["accuracy"](dataset)] == [
        ("total", 0.8),
        ("date", 1.0),
    ]


def test_a_dataset_is_filed_on_the_utc_day_of_its_creation() -> None:
    (row,) = ROWS["datasets"](Dataset.model_validate(BASE))
    assert row["date"] == "2026-11-28"


def test_a_field_value_of_an_unknown_kind_is_kept_as_json_text() -> None:
    assert ExtractedField.model_validate({"name": "a", "value": {"x": 1}}).value == '{"x":1}'


def test_a_dataset_that_cannot_be_read_is_named_and_the_others_are_kept() -> None:
    items = [BASE, {**BASE, "id": "ds_2", "created_at": "yesterday"}, {**BASE, "id": "ds_3"}]
    datasets, unreadable = parse_each(Dataset, items)
    assert [d.id for d in datasets] == ["ds_1", "ds_3"]
    assert [(u.id, u.reason.split(":")[0]) for u in unreadable] == [("ds_2", "created_at")]


SCALAR = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
VALUE = SCALAR | st.lists(SCALAR, max_size=3) | st.dictionaries(st.text(), SCALAR, max_size=3)
TEXT = st.none() | st.text() | st.integers()
FIELD = st.fixed_dictionaries(
    {"name": st.text() | st.integers(), "value": VALUE},
    optional={
        "type": st.sampled_from(["string", "number", "date", "currency", "boolean"]) | TEXT,
        "confidence": st.none() | st.floats(0, 1),
        "bounding_box": st.none()
        | st.lists(st.floats(0, 1), max_size=5)
        | st.fixed_dictionaries({"page": st.integers(1, 9), "x": st.floats(0, 1)}),
    },
)
FIELDS = st.none() | st.lists(FIELD, max_size=4)
DATASET = st.fixed_dictionaries(
    {
        "id": st.text(min_size=1) | st.integers(),
        "created_at": st.just(BASE["created_at"]),
        "status": st.sampled_from(["processing", "complete", "failed"]),
    },
    optional={
        "customer_id": TEXT,
        "dataset_type": TEXT,
        "filename": TEXT,
        "is_verified": st.none() | st.booleans(),
        "error": TEXT | st.dictionaries(st.text(), SCALAR, max_size=2),
        "fields": FIELDS,
        "line_items": st.none()
        | st.lists(
            st.fixed_dictionaries({"index": st.integers(0, 9), "fields": FIELDS}), max_size=3
        ),
        "ground_truth": st.none()
        | st.lists(st.fixed_dictionaries({"name": st.text(), "value": VALUE}), max_size=3),
        "accuracy": st.none()
        | st.fixed_dictionaries(
            {"overall_accuracy": st.none() | st.floats(0, 1)},
            optional={
                "fields": st.none()
                | st.dictionaries(st.text(), st.none() | st.floats(0, 1), max_size=3)
            },
        ),
    },
)


@given(DATASET)
def test_a_dataset_in_any_shape_real_services_send_gives_a_row_for_each_of_its_parts(
    sent: dict[str, Any],
) -> None:
    dataset = Dataset.model_validate(json.loads(json.dumps(sent)))
    rows = {table: list(rows(dataset)) for table, rows in ROWS.items()}
    assert len(rows["datasets"]) == 1
    assert len(rows["fields"]) == len(sent.get("fields") or [])
    items = sent.get("line_items") or []
    assert len(rows["line_items"]) == sum(len(item["fields"] or []) for item in items)
    assert len(rows["ground_truth"]) == len(sent.get("ground_truth") or [])
    for row in rows["fields"] + rows["line_items"]:
        assert row["value"] is None or isinstance(row["value"], str)
