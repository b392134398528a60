"""dataextractor.io payloads, parsed once at the edge."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class BoundingBox(_Model):
    page: int | None = None
    x: float | None = None
    y: float | None = None
    width: float | None = None
    height: float | None = None


class ExtractedField(_Model):
    name: str
    value: str | None = None
    type: str | None = None
    confidence: float | None = None
    bounding_box: BoundingBox | None = None


class LineItem(_Model):
    index: int
    fields: list[ExtractedField] = Field(default_factory=list)


class TruthValue(_Model):
    name: str
    value: str | None = None


class FieldScore(_Model):
    name: str
    score: float | None = None


class Accuracy(_Model):
    overall_accuracy: float | None = None
    fields: list[FieldScore] = Field(default_factory=list)


class Dataset(_Model):
    """One document's extraction: fields, line items, ground truth and accuracy."""

    id: str
    status: str
    dataset_type: str | None = None
    customer_id: str | None = None
    is_verified: bool = False
    filename: str | None = None
    created_at: datetime
    updated_at: datetime | None = None
    error: str | None = None
    fields: list[ExtractedField] = Field(default_factory=list)
    line_items: list[LineItem] = Field(default_factory=list)
    ground_truth: list[TruthValue] = Field(default_factory=list)
    accuracy: Accuracy | None = None
    matching: Any = None


class WebhookEvent(_Model):
    """A webhook delivery: `event_id` makes a repeated delivery harmless."""

    event_id: str
    event_type: str
    created_at: datetime | None = None
    data: dict[str, Any] = Field(default_factory=dict)
