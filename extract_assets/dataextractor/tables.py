"""The five tables made of datasets: one row per dataset, and long tables of its parts.

Each row carries `date` (the UTC day the dataset was created), which becomes its folder.

A field's `value` is kept as sent, as text (a JSON number or boolean as its JSON text: ``1234.5``,
``true``). Beside it, `value_number` holds the number where the value is one: a JSON number, or,
for fields of type number or currency, text such as ``"1,234.50"`` or ``"-12.5"`` (commas as
thousands separators, a dot for decimals); `value_boolean` holds a JSON boolean, or for fields of
type boolean the text ``true``/``false``. Anything else leaves them null: nothing is guessed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from typing import Any

from extract_assets.core.json_text import json_text
from extract_assets.dataextractor.models import Dataset, ExtractedField

Row = dict[str, Any]

_NUMBER = {"type": "number"}
_STRING = {"type": "string"}
_TIMESTAMP = {"type": "string", "format": "date-time"}
_BOX = {
    "page": {"type": "integer"},
    "x": _NUMBER,
    "y": _NUMBER,
    "width": _NUMBER,
    "height": _NUMBER,
}
_FIELD = {
    "name": _STRING,
    "value": _STRING,
    "value_number": _NUMBER,
    "value_boolean": {"type": "boolean"},
    "type": _STRING,
    "confidence": _NUMBER,
    **_BOX,
}
_NUMERIC_TYPES = frozenset({"number", "currency"})
_NUMBER_TEXT = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")


def _schema(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": {"dataset_id": _STRING, **properties}}


SCHEMAS: dict[str, dict[str, Any]] = {
    "datasets": _schema(
        {
            "dataset_type": _STRING,
            "customer_id": _STRING,
            "status": _STRING,
            "is_verified": {"type": "boolean"},
            "overall_accuracy": _NUMBER,
            "filename": _STRING,
            "created_at": _TIMESTAMP,
            "updated_at": _TIMESTAMP,
            "error": _STRING,
        }
    ),
    "fields": _schema(_FIELD),
    "line_items": _schema({"line_index": {"type": "integer"}, **_FIELD}),
    "ground_truth": _schema({"name": _STRING, "value": _STRING}),
    "accuracy": _schema({"name": _STRING, "score": _NUMBER}),
}


def _day(dataset: Dataset) -> str:
    return dataset.created_at.date().isoformat()


def _stamp(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _text(value: str | bool | float | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json_text(value)


def _number(field: ExtractedField) -> float | None:
    value = field.value
    if isinstance(value, str) and field.type in _NUMERIC_TYPES and _NUMBER_TEXT.match(value):
        value = value.replace(",", "")
    elif isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    # Past a double's range the number is left to `value`, which keeps its digits.
    return number if math.isfinite(number) else None


def _boolean(field: ExtractedField) -> bool | None:
    value = field.value
    if isinstance(value, bool):
        return value
    if field.type == "boolean" and value in {"true", "false"}:
        return value == "true"
    return None


def _field_row(field: ExtractedField) -> Row:
    box = field.bounding_box
    return {
        "name": field.name,
        "value": _text(field.value),
        "value_number": _number(field),
        "value_boolean": _boolean(field),
        "type": field.type,
        "confidence": field.confidence,
        "page": box.page if box else None,
        "x": box.x if box else None,
        "y": box.y if box else None,
        "width": box.width if box else None,
        "height": box.height if box else None,
    }


def dataset_rows(dataset: Dataset) -> Iterator[Row]:
    yield {
        "date": _day(dataset),
        "dataset_id": dataset.id,
        "dataset_type": dataset.dataset_type,
        "customer_id": dataset.customer_id,
        "status": dataset.status,
        "is_verified": dataset.is_verified,
        "overall_accuracy": dataset.accuracy.overall_accuracy if dataset.accuracy else None,
        "filename": dataset.filename,
        "created_at": _stamp(dataset.created_at),
        "updated_at": _stamp(dataset.updated_at),
        "error": dataset.error,
    }


def field_rows(dataset: Dataset) -> Iterator[Row]:
    for field in dataset.fields:
        yield {"date": _day(dataset), "dataset_id": dataset.id, **_field_row(field)}


def line_item_rows(dataset: Dataset) -> Iterator[Row]:
    for item in dataset.line_items:
        for field in item.fields:
            yield {
                "date": _day(dataset),
                "dataset_id": dataset.id,
                "line_index": item.index,
                **_field_row(field),
            }


def ground_truth_rows(dataset: Dataset) -> Iterator[Row]:
    for truth in dataset.ground_truth:
        yield {
            "date": _day(dataset),
            "dataset_id": dataset.id,
            "name": truth.name,
            "value": _text(truth.value),
        }


def accuracy_rows(dataset: Dataset) -> Iterator[Row]:
    for score in dataset.accuracy.fields if dataset.accuracy else []:
        yield {
            "date": _day(dataset),
            "dataset_id": dataset.id,
            "name": score.name,
            "score": score.score,
        }


ROWS: dict[str, Callable[[Dataset], Iterator[Row]]] = {
    "datasets": dataset_rows,
    "fields": field_rows,
    "line_items": line_item_rows,
    "ground_truth": ground_truth_rows,
    "accuracy": accuracy_rows,
}
