"""Rows a test chooses for a data table, value for value, and the `messy` data profile.

Served rows are kept as the JSON objects a test sent and served as they are: the emulator only
adds `date` (first) when a row has none, and `__insert_date` (last) when a row has none. The
`messy` profile builds such rows for the dates of each sync, reproducing a real data table
whose values drift from what its columns declare.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from extract_assets.emulator.extractto import rows
from extract_assets.emulator.extractto.resources import Account

Profile = Literal["generated", "messy", "served"]
Row = dict[str, Any]

MESSY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("campaign_id", "string"),
    ("campaign_name", "string"),
    ("impressions", "integer"),
    ("clicks", "integer"),
    ("cost", "number"),
    ("notes", "string"),
)
MESSY_FIELDS = tuple(name for name, _ in MESSY_COLUMNS)
# How many rows of a day carry a string impression, and how many last rows carry `label`.
_FEW = 3


@dataclass(frozen=True)
class ServedDays:
    """The rows of each day, never changed once built (a sync keeps the one it started with)."""

    days: Mapping[int, tuple[Row, ...]]

    @classmethod
    def of(cls, days: Mapping[date, Sequence[Row]]) -> ServedDays:
        """From rows keyed by date."""
        return cls({day.toordinal(): tuple(found) for day, found in days.items()})

    def rows(self, day: int) -> tuple[Row, ...]:
        """The rows of a day (by ordinal); none when the day is not given."""
        return self.days.get(day, ())

    def count(self, day: int) -> int:
        """How many rows a day holds."""
        return len(self.rows(day))

    def summary(self) -> dict[str, int]:
        """Rows per ISO date, for the control API."""
        return {date.fromordinal(d).isoformat(): len(r) for d, r in sorted(self.days.items())}


def serve(row: Row, iso_day: str, inserted: str) -> Row:
    """A copy of a stored row as the API returns it; its own keys keep their order and values."""
    served = dict(row) if "date" in row else {"date": iso_day, **row}
    served.setdefault("__insert_date", inserted)
    return served


def messy_days(
    seed: int,
    first: date,
    last: date,
    accounts: Sequence[Account],
    rows_per_day: int | None,
) -> dict[date, list[Row]]:
    """The rows the `messy` profile writes for one sync of `first..last` (see `ExtractSeed`).

    Every value is a function of the seed, the range, the account and the row's place, so the
    same sync after a reset writes the same rows.
    """
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    rng = random.Random(f"messy:{seed}:{first.isoformat()}:{last.isoformat()}")
    # Empty days: never the first two (the integer then float cost) nor the last (the label).
    middle = days[2:-1]
    empty = set(rng.sample(middle, max(1, len(middle) // 3))) if middle else set()
    built: dict[date, list[Row]] = {}
    for day in days:
        if day in empty:
            continue
        built[day] = [
            _messy_row(seed, day, account, i, whole_cost=day == first)
            for account in accounts
            for i in range(
                rows.default_rows_per_day(account.id, day) if rows_per_day is None else rows_per_day
            )
        ]
    filled = [day for day in days if built.get(day)]
    for day in sorted(rng.sample(filled, min(2, len(filled)))):
        day_rows = built[day]
        for i in rng.sample(range(len(day_rows)), min(_FEW, len(day_rows))):
            day_rows[i]["impressions"] = str(day_rows[i]["impressions"])
    ordered = [row for day in days for row in built.get(day, ())]
    for index, row in enumerate(ordered):
        if index < len(ordered) // 2:
            row["notes"] = None
    if built.get(last):
        for row in built[last][-_FEW:]:
            campaign = row["campaign_id"]
            row["label"] = f"label {rows.stable_hash(f'{seed}:{campaign}') % 1000}"
    return built


def _messy_row(seed: int, day: date, account: Account, i: int, *, whole_cost: bool) -> Row:
    h = rows.stable_hash(f"messy:{seed}:{account.id}:{day.isoformat()}:{i}")
    impressions = 50 + h % 20_000
    clicks = impressions * ((h >> 16) % 90) // 1000
    cents = 1 + (h >> 32) % 99
    cost: int | float = clicks if whole_cost else round(clicks + cents / 100, 2)
    return {
        "date": day.isoformat(),
        "account_id": account.id,
        "account_name": account.name,
        "campaign_id": f"{1000 + rows.stable_hash(f'{seed}:{account.id}') % 9000}{i:06d}",
        "campaign_name": f"Campaign {i + 1}",
        "impressions": impressions,
        "clicks": clicks,
        "cost": cost,
        "notes": f"note {h % 997}",
    }
