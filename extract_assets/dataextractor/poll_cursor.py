"""The polling sensor's cursor: one pass down the listing, resumed tick after tick.

The listing is ordered newest first by (`created_at`, `id`), and a dataset's place in it never
changes, so positions stand in for per-dataset lists: every dataset at or below `known_top` was
listed by a finished pass, and in the pass under way everything from `pass_top` down to
`reached` is listed. Only the datasets still `processing` are kept one by one, because only they
can still change in a way the sensor reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Self

from extract_assets.core.cursor import SensorCursor
from extract_assets.dataextractor.contract import FINAL_STATUSES
from extract_assets.dataextractor.models import Dataset

Position = tuple[datetime, str]


def created_day(dataset: Dataset) -> date:
    """The UTC day the dataset was created: the day partition it belongs to."""
    created = dataset.created_at
    if created.tzinfo is None:
        return created.date()
    return created.astimezone(UTC).date()


def position_of(dataset: Dataset) -> Position:
    """Where the dataset sits in the listing (larger = listed earlier)."""
    created = dataset.created_at
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return created.astimezone(UTC), dataset.id


@dataclass
class PollCursor(SensorCursor):
    """Where the pass under way stopped, and the datasets seen `processing`, each with its day.

    Version 2; a version-1 cursor (`processing` and `handled`, both id → day) is read: its
    watched datasets carry over and its handled ones are not requested again.

    >>> cursor = PollCursor.parse('{"version": 1, "processing": {"ds_1": "2026-11-20"},'
    ...                           ' "handled": {"ds_2": "2026-11-19"}}')
    >>> cursor.watching, cursor.legacy_handled
    ({'ds_1': '2026-11-20'}, {'ds_2': '2026-11-19'})
    >>> PollCursor.parse(cursor.dump()) == cursor
    True
    """

    VERSION = 2

    watching: dict[str, str] = field(default_factory=dict)
    known_top: Position | None = None
    pass_top: Position | None = None
    reached: Position | None = None
    # The provider's cursor of the page after `reached`; None = list from the newest.
    page: str | None = None
    listed: int = 0
    last_pass_listed: int = 0
    # Final datasets a version-1 cursor handled: consulted until the first pass finishes, when
    # `known_top` takes over, so it never grows.
    legacy_handled: dict[str, str] = field(default_factory=dict)

    def note(self, dataset: Dataset, newly_final: dict[str, list[str]]) -> None:
        """Take the next dataset of the pass; a final one not handled before joins
        `newly_final` under its day."""
        position = position_of(dataset)
        if self.pass_top is None:
            self.pass_top = position
        # Only when an expired cursor made the pass list again from the newest: what it had
        # listed is not new again, and what was created since is new to the next pass.
        already_listed = self.reached is not None and position >= self.reached
        if not already_listed:
            self.reached = position
            self.listed += 1
        new = (
            not already_listed
            and (self.known_top is None or position > self.known_top)
            and dataset.id not in self.legacy_handled
        )
        self.take(dataset, newly_final, new=new)

    def take(self, dataset: Dataset, newly_final: dict[str, list[str]], *, new: bool) -> None:
        """Record the dataset's state; a final one that was watched, or is `new`, joins
        `newly_final`."""
        day = created_day(dataset).isoformat()
        if dataset.status not in FINAL_STATUSES:
            self.watching[dataset.id] = day
            return
        if self.watching.pop(dataset.id, None) is not None or new:
            newly_final.setdefault(day, []).append(dataset.id)

    def finish_pass(self) -> None:
        """The listing reached its end or the lookback's: the next pass starts at the newest."""
        if self.pass_top is not None:
            self.known_top = max(self.pass_top, self.known_top or self.pass_top)
        self.pass_top = self.reached = self.page = None
        self.last_pass_listed, self.listed = self.listed, 0
        self.legacy_handled = {}

    def stragglers(self, cutoff: date) -> list[str]:
        """Watched datasets created before `cutoff`, which the listing no longer reaches."""
        return sorted(key for key, day in self.watching.items() if day < cutoff.isoformat())

    def forget_before(self, cutoff: date) -> list[str]:
        """Stop watching datasets created before `cutoff`; the ids dropped."""
        dropped = self.stragglers(cutoff)
        for key in dropped:
            del self.watching[key]
        return dropped

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        return cls(
            watching=_ungroup(data.get("watching", {})),
            known_top=_position(data.get("known_top")),
            pass_top=_position(data.get("pass_top")),
            reached=_position(data.get("reached")),
            page=data.get("page"),
            listed=data.get("listed", 0),
            last_pass_listed=data.get("last_pass_listed", 0),
            legacy_handled=_ungroup(data.get("legacy_handled", {})),
        )

    @classmethod
    def upgrade(cls, version: object, data: dict[str, Any]) -> Self:
        if version == 1:
            return cls(
                watching=dict(data.get("processing", {})),
                legacy_handled=dict(data.get("handled", {})),
            )
        return cls()

    def to_json(self) -> dict[str, Any]:
        # Grouped by day, the ids are saved once each and the days once per day.
        return {
            "watching": _group(self.watching),
            "known_top": _saved(self.known_top),
            "pass_top": _saved(self.pass_top),
            "reached": _saved(self.reached),
            "page": self.page,
            "listed": self.listed,
            "last_pass_listed": self.last_pass_listed,
            "legacy_handled": _group(self.legacy_handled),
        }


def _group(day_of: dict[str, str]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for key, day in sorted(day_of.items()):
        grouped.setdefault(day, []).append(key)
    return grouped


def _ungroup(grouped: dict[str, list[str]]) -> dict[str, str]:
    return {key: day for day, keys in grouped.items() for key in keys}


def _saved(position: Position | None) -> list[str] | None:
    return None if position is None else [position[0].isoformat(), position[1]]


def _position(saved: list[str] | None) -> Position | None:
    return None if saved is None else (datetime.fromisoformat(saved[0]), saved[1])
