"""A dataset: one document's extraction, its status read off the emulator clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, Literal

from extract_assets.emulator.clock import iso_z
from extract_assets.emulator.dataextractor.accuracy import Accuracy, match
from extract_assets.emulator.dataextractor.content import Document, read_document
from extract_assets.emulator.dataextractor.models import DatasetType

Status = Literal["processing", "complete", "failed"]


@dataclass
class Review:
    """Ground truth saved for a dataset, and how the extraction matched it."""

    truth: list[tuple[str, str | None]]
    accuracy: Accuracy
    at: float

    def matching_json(self) -> dict[str, Any]:
        """The Dataset's `matching`, also sent as `data.matching` of `matching.completed`."""
        return {
            "status": "complete",
            "matched_fields": self.accuracy.matched,
            "total_fields": len(self.accuracy.scores),
            "overall_accuracy": self.accuracy.overall,
            "completed_at": iso_z(self.at),
        }


@dataclass
class Dataset:
    """A document's extraction, fixed at creation; only the ground truth changes later.

    Processing ends strictly after `finished_at`, so a new dataset is always `processing`, even
    with no processing time.
    """

    id: str
    account: str
    dataset_type: DatasetType
    customer_id: str | None
    filename: str
    created_at: float
    finished_at: float
    error: str | None
    content_seed: str
    review: Review | None = None

    @cached_property
    def document(self) -> Document:
        """What was read in the document; drawn on first use, so seeding thousands is quick."""
        issued = datetime.fromtimestamp(self.created_at, UTC).date()
        return read_document(self.dataset_type, self.content_seed, issued)

    @cached_property
    def search_text(self) -> str:
        """Every extracted value, lower-cased."""
        return self.document.search_text()

    @property
    def sort_key(self) -> tuple[float, str]:
        """Listing order, newest first: `created_at` then `id`, both descending."""
        return self.created_at, self.id

    def status_at(self, now: float) -> Status:
        """The status at emulator time `now`."""
        if now <= self.finished_at:
            return "processing"
        return "failed" if self.error is not None else "complete"

    def verify(self, truth: list[tuple[str, str | None]], now: float) -> Review:
        """Save ground truth (replacing any earlier) and match the extraction against it."""
        self.review = Review(truth, match(self.document.values(), truth), now)
        return self.review

    def as_json(self, now: float) -> dict[str, Any]:
        """The whole Dataset, as the API returns it at `now`."""
        status = self.status_at(now)
        complete = status == "complete"
        review = self.review
        updated = max(self.created_at, self.finished_at if status != "processing" else 0.0)
        if review is not None:
            updated = max(updated, review.at)
        return {
            "id": self.id,
            "status": status,
            "dataset_type": self.dataset_type,
            "customer_id": self.customer_id,
            "is_verified": review is not None,
            "filename": self.filename,
            "created_at": iso_z(self.created_at),
            "updated_at": iso_z(updated),
            "error": self.error if status == "failed" else None,
            "fields": [f.as_json() for f in self.document.fields] if complete else [],
            "line_items": [i.as_json() for i in self.document.line_items] if complete else [],
            "ground_truth": (
                [{"name": n, "value": v} for n, v in review.truth] if review is not None else []
            ),
            "accuracy": review.accuracy.as_json() if review is not None else None,
            "matching": review.matching_json() if review is not None else None,
        }
