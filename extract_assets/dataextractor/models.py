"""dataextractor.io payloads, parsed once at the edge."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, ConfigDict, Field, field_validator, model_validator

from extract_assets.core.instants import UtcDateTime
from extract_assets.core.json_text import json_text
from extract_assets.core.payload import Items, Message, Payload, Status


class _Model(Payload):
    model_config = ConfigDict(extra="allow")


def _scalar(value: Any) -> Any:
    return json_text(value) if isinstance(value, dict | list) else value


Value = Annotated[str | bool | int | float | None, BeforeValidator(_scalar)]
"""A value kept as sent: text, a number or a boolean; an object or a list as its JSON text."""


class BoundingBox(_Model):
    """Where a value sits on its page; also read from an array ``[x, y, width, height]``."""

    page: int | None = None
    x: float | None = None
    y: float | None = None
    width: float | None = None
    height: float | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_array(cls, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return dict(zip(("x", "y", "width", "height"), value, strict=False))
        return value


class ExtractedField(_Model):
    """One extracted value, kept as sent: text, a number or a boolean (types number, currency
    and boolean may arrive as JSON numbers and booleans)."""

    name: str
    value: Value = None
    type: str | None = None
    confidence: float | None = None
    bounding_box: BoundingBox | None = None

    @field_validator("bounding_box", mode="before")
    @classmethod
    def _box_or_none(cls, value: Any) -> Any:
        return value if isinstance(value, dict | list | tuple) else None


class LineItem(_Model):
    index: int
    fields: Items[ExtractedField] = Field(default_factory=list)


class TruthValue(_Model):
    name: str
    value: Value = None


class FieldScore(_Model):
    name: str
    score: float | None = None


class Accuracy(_Model):
    """Scores; `fields` is also read from a map ``{"total": 0.9}``."""

    overall_accuracy: float | None = None
    fields: Items[FieldScore] = Field(default_factory=list)

    @field_validator("fields", mode="before")
    @classmethod
    def _from_map(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return [{"name": name, "score": score} for name, score in value.items()]
        return value


class Dataset(_Model):
    """One document's extraction: fields, line items, ground truth and accuracy."""

    id: str
    status: Status
    dataset_type: str | None = None
    customer_id: str | None = None
    is_verified: bool | None = False
    filename: str | None = None
    created_at: UtcDateTime
    updated_at: UtcDateTime | None = None
    error: Message | None = None
    fields: Items[ExtractedField] = Field(default_factory=list)
    line_items: Items[LineItem] = Field(default_factory=list)
    ground_truth: Items[TruthValue] = Field(default_factory=list)
    accuracy: Accuracy | None = None
    matching: Any = None


class WebhookEvent(_Model):
    """A webhook delivery: `event_id` makes a repeated delivery harmless. A signed delivery is
    genuine, so nothing else in it may get it refused: a `created_at` that is not a time is kept
    as its text, and `data: null` is read as no data."""

    event_id: str
    event_type: str
    created_at: UtcDateTime | str | None = Field(default=None, union_mode="left_to_right")
    data: dict[str, Any] = Field(default_factory=dict)

    @field_validator("data", mode="before")
    @classmethod
    def _no_data(cls, value: Any) -> Any:
        return {} if value is None else value

    @property
    def dataset_id(self) -> str | None:
        """The dataset the event is about, read as every id is: a whole number as its digits.

        >>> WebhookEvent(event_id="e", event_type="t", data={"dataset_id": 98765}).dataset_id
        '98765'
        """
        value = self.data.get("dataset_id")
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return value if isinstance(value, str) and value else None
