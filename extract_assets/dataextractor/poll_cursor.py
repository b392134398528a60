"""The polling sensor's cursor: what it knows of the listing, in a size that does not grow with it.

The listing is ordered newest first by (`created_at`, `id`) and has no filter on time, so the
cursor splits it at a `floor` a little below the newest dataset it listed (`known_top`):

- Above the floor, each tick lists again (the *top pass*, usually one page). What is above
  `known_top` is new; so is anything between the floor and `known_top` whose id is not in
  `recent`, the ids listed there: a dataset that shows up late with an older `created_at`
  (clock skew between the provider's machines, a slow commit) is caught the next tick.
- Below the floor, a *sweep* lists the lookback a page a tick and compares each day with its
  fingerprint in `days` (the count and XOR of a 64-bit hash of every dataset known on it: its
  id, and once final its status and `updated_at`). A day that differs is read again: a dataset
  that showed up later than the overlap, one that entered a filtered listing (`is_verified`),
  a final one updated (ground truth saved), one that vanished.
- `watching` holds the datasets seen `processing`, each with its day, until they are final:
  the only ones kept one by one, besides `recent`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
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


def _hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def processing_term(dataset_id: str) -> int:
    """A processing dataset's share of its day's fingerprint: its id alone, so the fingerprint
    does not move while it is processing."""
    return _hash(f"{dataset_id}\x00processing")


def dataset_term(dataset: Dataset) -> int:
    """The dataset's share of its day's fingerprint as listed now."""
    if dataset.status not in FINAL_STATUSES:
        return processing_term(dataset.id)
    updated = "" if dataset.updated_at is None else dataset.updated_at.isoformat()
    return _hash(f"{dataset.id}\x00{dataset.status}\x00{updated}")


@dataclass
class Fingerprint:
    """How many datasets a day holds and the XOR of their terms: equal for equal sets (but
    for a 64-bit collision), and updated one dataset at a time."""

    count: int = 0
    xor: int = 0

    def add(self, term: int) -> None:
        self.count += 1
        self.xor ^= term

    def remove(self, term: int) -> None:
        self.count -= 1
        self.xor ^= term

    def digest(self) -> str:
        return f"{self.count}-{self.xor:016x}"

    def saved(self) -> list[Any]:
        return [self.count, f"{self.xor:016x}"]

    @classmethod
    def read(cls, saved: list[Any]) -> Fingerprint:
        return cls(int(saved[0]), int(saved[1], 16))


@dataclass
class Found:
    """What a tick found: the datasets that became final, by day, and the days a sweep found
    changed, each with the fingerprint it listed."""

    final: dict[str, list[str]] = field(default_factory=dict)
    changed: dict[str, str] = field(default_factory=dict)

    def days(self) -> list[str]:
        return sorted(set(self.final) | set(self.changed))


@dataclass
class Sweep:
    """A sweep cycle under way (`reached` set): the provider's cursor of its next page (None =
    from the newest, skipping what is at or above `reached`), the day it is listing and what it
    listed of that day."""

    page: str | None = None
    reached: Position | None = None
    day: str | None = None
    listed: Fingerprint = field(default_factory=Fingerprint)

    def to_json(self) -> dict[str, Any]:
        return {
            "page": self.page,
            "reached": _saved(self.reached),
            "day": self.day,
            "listed": self.listed.saved(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Sweep:
        return cls(
            page=data.get("page"),
            reached=_position(data.get("reached")),
            day=data.get("day"),
            listed=Fingerprint.read(data.get("listed", [0, "0"])),
        )


@dataclass
class PollCursor(SensorCursor):
    """See the module's docstring. Version 3; versions 1 and 2 are read: their watched datasets
    carry over, and neither requests again what it handled.

    >>> cursor = PollCursor.parse('{"version": 1, "processing": {"ds_1": "2026-11-20"},'
    ...                           ' "handled": {"ds_2": "2026-11-19"}}')
    >>> cursor.watching, cursor.legacy_handled
    ({'ds_1': '2026-11-20'}, {'ds_2': '2026-11-19'})
    >>> PollCursor.parse(cursor.dump()) == cursor
    True
    """

    VERSION = 3

    watching: dict[str, str] = field(default_factory=dict)
    known_top: Position | None = None
    # None until the first pass has listed the whole lookback.
    floor: Position | None = None
    # Every dataset listed at or above `floor`: id -> created_at.
    recent: dict[str, str] = field(default_factory=dict)
    # The top pass under way: its first dataset, the last it listed, the provider's cursor of
    # the page after it (None = from the newest), and how many it listed.
    pass_top: Position | None = None
    reached: Position | None = None
    page: str | None = None
    listed: int = 0
    last_pass_listed: int = 0
    days: dict[str, Fingerprint] = field(default_factory=dict)
    sweep: Sweep = field(default_factory=Sweep)
    # After an upgrade the fingerprints are unknown: the first sweep cycle records them.
    adopt: bool = False
    # The watched dataset looked up last: the next tick's lookups start after it.
    looked_up: str | None = None
    # Final datasets a version-1 cursor handled: consulted until the first pass finishes.
    legacy_handled: dict[str, str] = field(default_factory=dict)
    # Days found before their partition exists (our tomorrow) -> the key of their run.
    early: dict[str, str] = field(default_factory=dict)

    # The top pass.

    def note(self, dataset: Dataset, found: Found, overlap: timedelta) -> bool:
        """Take the next dataset of the top pass; False when it is below the floor, where
        the pass may stop."""
        position = position_of(dataset)
        if self.pass_top is None:
            self.pass_top = position
        # Only when an expired cursor made the pass list again from the newest.
        if self.reached is not None and position >= self.reached:
            return True
        self.reached = position
        self.listed += 1
        if self.floor is not None and position < self.floor:
            self.update(dataset, found)
            return False
        if dataset.id in self.recent:
            self.update(dataset, found)
        else:
            self._first_sighting(dataset, found)
        top = max(self.pass_top, self.known_top or self.pass_top)
        if position[0] >= top[0] - overlap:
            self.recent[dataset.id] = position[0].isoformat()
        return True

    def finish_pass(self, overlap: timedelta) -> None:
        """The top pass reached the floor, the lookback's end or the listing's: the next one
        starts at the newest and goes down to `overlap` below the newest it knows."""
        if self.pass_top is not None:
            self.known_top = max(self.pass_top, self.known_top or self.pass_top)
        if self.known_top is not None:
            lowest = (self.known_top[0] - overlap, "")
            # Only ever raised: `recent` holds what was listed above the old floor.
            self.floor = lowest if self.floor is None else max(self.floor, lowest)
            floor = self.floor
            self.recent = {
                key: created
                for key, created in self.recent.items()
                if (datetime.fromisoformat(created), key) >= floor
            }
        self.pass_top = self.reached = self.page = None
        self.last_pass_listed, self.listed = self.listed, 0
        self.legacy_handled = {}

    def pass_under_way(self) -> bool:
        return self.pass_top is not None

    # What any listing or lookup tells.

    def update(self, dataset: Dataset, found: Found) -> None:
        """A dataset listed or looked up again: a watched one that is now final joins
        `found` under its day."""
        if dataset.id not in self.watching or dataset.status not in FINAL_STATUSES:
            return
        day = self.watching.pop(dataset.id)
        self._change(dataset, processing_term(dataset.id), dataset_term(dataset))
        found.final.setdefault(day, []).append(dataset.id)

    def gone(self, dataset_id: str) -> None:
        """A watched dataset no longer exists."""
        day = self.watching.pop(dataset_id, None)
        if day is not None and day in self.days:
            # Its place is unknown, so the sweep is not told: if it listed it, the day
            # differs, and a day that lost a dataset is to be read again anyway.
            self.days[day].remove(processing_term(dataset_id))

    def _first_sighting(self, dataset: Dataset, found: Found) -> None:
        day = created_day(dataset).isoformat()
        self._change(dataset, None, dataset_term(dataset))
        if dataset.status not in FINAL_STATUSES:
            self.watching[dataset.id] = day
        elif self.watching.pop(dataset.id, None) is not None or (
            dataset.id not in self.legacy_handled
        ):
            found.final.setdefault(day, []).append(dataset.id)

    def _change(self, dataset: Dataset, old: int | None, new: int | None) -> None:
        """Replace the dataset's term in its day's fingerprint, and in what the sweep listed
        of that day when the sweep has passed its place and will not list it this cycle."""
        day = created_day(dataset).isoformat()
        fingerprints = [self.days.setdefault(day, Fingerprint())]
        sweep = self.sweep
        if sweep.day == day and sweep.reached is not None and position_of(dataset) >= sweep.reached:
            fingerprints.append(sweep.listed)
        for fingerprint in fingerprints:
            if old is not None:
                fingerprint.remove(old)
            if new is not None:
                fingerprint.add(new)

    # The sweep.

    def sweep_ready(self) -> bool:
        """Whether the fingerprints cover the lookback: once the first pass has finished."""
        return self.floor is not None

    def sweep_take(self, dataset: Dataset, found: Found, cutoff: date) -> bool | None:
        """Take the next dataset of the sweep: True when it moved the sweep on, False when
        this cycle had listed it already, None when the cycle ended here (at the lookback's
        end)."""
        position = position_of(dataset)
        sweep = self.sweep
        if sweep.reached is not None and position >= sweep.reached:
            return False
        day = created_day(dataset)
        if day < cutoff:
            self.end_sweep(found, cutoff)
            return None
        self._sweep_into(day.isoformat(), found)
        # Changes made before `reached` moves here are the sweep's own: not told to it twice.
        counted = True
        if dataset.id in self.watching:
            self.update(dataset, found)
        elif self.floor is not None and position >= self.floor and dataset.id not in self.recent:
            # The top pass's to see first; it tells the sweep when it does.
            counted = False
        elif dataset.status not in FINAL_STATUSES:
            # Never seen, still processing: watched from now on, not a difference.
            self.watching[dataset.id] = day.isoformat()
            self._change(dataset, None, processing_term(dataset.id))
        sweep.reached = position
        if counted:
            sweep.listed.add(dataset_term(dataset))
        return True

    def end_sweep(self, found: Found, cutoff: date) -> None:
        """The sweep reached the lookback's end or the listing's: close what is left, and the
        next cycle starts at the newest."""
        sweep = self.sweep
        if sweep.day is not None:
            self._close(sweep.day, sweep.listed, found)
        self._close_unlisted(found, below=sweep.day, from_day=cutoff.isoformat())
        self.sweep = Sweep()
        self.adopt = False

    def _sweep_into(self, day: str, found: Found) -> None:
        sweep = self.sweep
        if sweep.day == day:
            return
        if sweep.day is not None:
            self._close(sweep.day, sweep.listed, found)
        # Days between the two (or above the first) that the listing no longer has.
        self._close_unlisted(found, below=sweep.day, from_day=day, inclusive=False)
        sweep.day, sweep.listed = day, Fingerprint()

    def _close_unlisted(
        self, found: Found, *, below: str | None, from_day: str, inclusive: bool = True
    ) -> None:
        for day in list(self.days):
            above = day >= from_day if inclusive else day > from_day
            if above and (below is None or day < below):
                self._close(day, Fingerprint(), found)

    def _close(self, day: str, listed: Fingerprint, found: Found) -> None:
        """The sweep listed all of `day`: when it differs from what the sensor knew, the
        day is read again, and what was listed is known from now on."""
        known = self.days.get(day, Fingerprint())
        if known == listed:
            return
        if not self.adopt:
            found.changed[day] = listed.digest()
        if listed.count:
            self.days[day] = listed
        else:
            self.days.pop(day, None)

    # Watched datasets.

    def lookups(self, skip: set[str]) -> list[str]:
        """Watched datasets to look up, leaving out `skip`; those after the last looked up
        first, so that a tick out of time never starves the same ones."""
        ids = sorted(key for key in self.watching if key not in skip)
        after = [key for key in ids if self.looked_up is not None and key > self.looked_up]
        return after + [key for key in ids if key not in after]

    def stragglers(self, cutoff: date) -> list[str]:
        """Watched datasets created before `cutoff`, which the listing no longer reaches."""
        return sorted(key for key, day in self.watching.items() if day < cutoff.isoformat())

    def forget_before(self, cutoff: date) -> list[str]:
        """Stop watching datasets created before `cutoff`; the ids dropped."""
        dropped = self.stragglers(cutoff)
        for key in dropped:
            del self.watching[key]
        return dropped

    def prune(self, cutoff: date) -> None:
        """Forget the fingerprints of days that left the lookback."""
        first = cutoff.isoformat()
        self.days = {day: known for day, known in self.days.items() if day >= first}
        if self.sweep.day is not None and self.sweep.day < first:
            self.sweep = Sweep()

    # Saving.

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        return cls(
            watching=_ungroup(data.get("watching", {})),
            known_top=_position(data.get("known_top")),
            floor=_position(data.get("floor")),
            recent=dict(data.get("recent", {})),
            pass_top=_position(data.get("pass_top")),
            reached=_position(data.get("reached")),
            page=data.get("page"),
            listed=data.get("listed", 0),
            last_pass_listed=data.get("last_pass_listed", 0),
            days={day: Fingerprint.read(saved) for day, saved in data.get("days", {}).items()},
            sweep=Sweep.from_json(data.get("sweep", {})),
            adopt=bool(data.get("adopt", False)),
            looked_up=data.get("looked_up"),
            legacy_handled=_ungroup(data.get("legacy_handled", {})),
            early=dict(data.get("early", {})),
        )

    @classmethod
    def upgrade(cls, version: object, data: dict[str, Any]) -> Self:
        if version == 1:
            return cls(
                watching=dict(data.get("processing", {})),
                legacy_handled=dict(data.get("handled", {})),
            )
        if version == 2:
            known_top = _position(data.get("known_top"))
            # Version 2 listed everything up to `known_top` and kept no ids: the floor starts
            # there, and the first sweep records the days' fingerprints instead of comparing.
            return cls(
                watching=_ungroup(data.get("watching", {})),
                known_top=known_top,
                floor=known_top,
                pass_top=_position(data.get("pass_top")),
                reached=_position(data.get("reached")),
                page=data.get("page"),
                listed=data.get("listed", 0),
                adopt=known_top is not None,
                legacy_handled=_ungroup(data.get("legacy_handled", {})),
            )
        return cls()

    def to_json(self) -> dict[str, Any]:
        # Grouped by day, the ids are saved once each and the days once per day.
        return {
            "watching": _group(self.watching),
            "known_top": _saved(self.known_top),
            "floor": _saved(self.floor),
            "recent": self.recent,
            "pass_top": _saved(self.pass_top),
            "reached": _saved(self.reached),
            "page": self.page,
            "listed": self.listed,
            "last_pass_listed": self.last_pass_listed,
            "days": {day: known.saved() for day, known in sorted(self.days.items())},
            "sweep": self.sweep.to_json(),
            "adopt": self.adopt,
            "looked_up": self.looked_up,
            "legacy_handled": _group(self.legacy_handled),
            "early": self.early,
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
