"""Matching extracted values against ground truth: per-field scores and their mean."""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any


@dataclass(frozen=True)
class Accuracy:
    """Scores in 0..1 for each ground-truth field, in the order the truth was given."""

    overall: float
    scores: tuple[tuple[str, float], ...]

    @property
    def matched(self) -> int:
        """Fields extracted exactly right."""
        return sum(1 for _, score in self.scores if score == 1.0)

    def as_json(self) -> dict[str, Any]:
        """The Dataset's `accuracy`."""
        return {
            "overall_accuracy": self.overall,
            "fields": [{"name": name, "score": score} for name, score in self.scores],
        }


def score(extracted: str | None, truth: str | None) -> float:
    """1.0 when equal; else the similarity of the two strings, below 1; 0.0 when one is missing."""
    if extracted == truth:
        return 1.0
    if extracted is None or truth is None:
        return 0.0
    # Rounding must not turn a near miss on a long value into a match.
    return min(round(SequenceMatcher(None, extracted, truth).ratio(), 4), 0.9999)


def match(extracted: dict[str, str | None], truth: list[tuple[str, str | None]]) -> Accuracy:
    """Score every ground-truth field against the extracted value of the same name."""
    scores = tuple((name, score(extracted.get(name), value)) for name, value in truth)
    overall = round(sum(s for _, s in scores) / len(scores), 4) if scores else 0.0
    return Accuracy(overall, scores)
