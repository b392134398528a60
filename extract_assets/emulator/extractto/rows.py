"""Deterministic rows of a data table, generated a page at a time.

Row `i` of (extract, account, date) is a function of those four values only, computed with a
couple of integer mixes: any page of a range of millions of rows costs only its own rows, and a
re-synced date shows the same values again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, Literal

ColumnType = Literal["string", "integer", "number", "date", "datetime"]

DEFAULT_FIELDS = ("campaign_id", "campaign_name", "impressions", "clicks", "cost", "conversions")
LEADING_COLUMNS: tuple[tuple[str, ColumnType], ...] = (
    ("date", "date"),
    ("account_id", "string"),
    ("account_name", "string"),
)
INSERT_DATE_COLUMN: tuple[str, ColumnType] = ("__insert_date", "datetime")

_MASK = (1 << 64) - 1
_ADJECTIVES = ("Summer", "Winter", "Brand", "Evergreen", "Launch", "Retargeting", "Holiday",
               "Spring", "Search", "Display", "Video", "Local")  # fmt: skip
_NOUNS = ("Sale", "Awareness", "Leads", "Promo", "Shoes", "Outdoor", "Gifts", "Travel",
          "Deals", "Newsletter", "Webinar")  # fmt: skip
_WORDS = ("alpha", "bravo", "delta", "echo", "orbit", "quartz", "river", "summit", "timber",
          "vector", "willow", "zenith")  # fmt: skip
_COUNTRIES = ("US", "GB", "FR", "DE", "ES", "BR", "JP", "CA", "AU", "IN")
_DEVICES = ("DESKTOP", "MOBILE", "TABLET")

Value = str | int | float | None
# (row index, per-row hash, per-entity hash) -> value; the entity hash ignores the date, so a
# campaign keeps its id and name from one day to the next.
FieldFn = Callable[[int, int, int], Value]


def stable_hash(text: str) -> int:
    """A 64-bit hash that is the same in every process (unlike `hash`)."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def default_rows_per_day(account_id: str, day: date) -> int:
    """How many rows an account has on a day when no count is set: 20 to 30, stable."""
    return 20 + stable_hash(f"{account_id}:{day.isoformat()}") % 11


def column_type(name: str) -> ColumnType:
    """The type of a field's column; names the generator does not know hold text."""
    return _TYPES.get(name, "string")


def generate(
    extract_id: str,
    account_id: str,
    account_name: str,
    day: date,
    start: int,
    stop: int,
    columns: Sequence[str],
    written: frozenset[str],
    inserted: str,
) -> list[dict[str, Any]]:
    """Rows `start..stop-1` of one account and day; columns the sync did not write are null."""
    row_seed = stable_hash(f"{extract_id}:{account_id}:{day.isoformat()}")
    entity_seed = stable_hash(f"{extract_id}:{account_id}")
    prefix = str(1000 + entity_seed % 9000)
    fns = [(name, _field_fn(name, prefix) if name in written else _null) for name in columns]
    iso_day = day.isoformat()
    rows = []
    for i in range(start, stop):
        h = _mix(row_seed + i)
        e = _mix(entity_seed + i)
        row: dict[str, Any] = {
            "date": iso_day,
            "account_id": account_id,
            "account_name": account_name,
        }
        for name, fn in fns:
            row[name] = fn(i, h, e)
        row["__insert_date"] = inserted
        rows.append(row)
    return rows


def _mix(x: int) -> int:
    """splitmix64's finalizer: consecutive inputs give unrelated 64-bit outputs."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def _impressions(h: int) -> int:
    return 50 + h % 20_000


def _clicks(h: int) -> int:
    return _impressions(h) * ((h >> 16) % 90) // 1000


def _cost(h: int) -> float:
    return round(_clicks(h) * (5 + (h >> 24) % 300) / 100, 2)


def _conversions(h: int) -> float | None:
    if (h >> 34) % 10 == 0:
        return None
    return round(_clicks(h) * ((h >> 38) % 120) / 1000, 2)


def _campaign_name(i: int, e: int) -> str:
    return f"{_ADJECTIVES[e % len(_ADJECTIVES)]} {_NOUNS[(e >> 8) % len(_NOUNS)]} {i + 1}"


def _null(i: int, h: int, e: int) -> Value:
    return None


def _field_fn(name: str, prefix: str) -> FieldFn:
    known = _FIELDS.get(name)
    if known is not None:
        return lambda i, h, e: known(i, h, e, prefix)
    salt = stable_hash(name)

    def text(i: int, h: int, e: int) -> Value:
        mixed = _mix(e ^ salt)
        return f"{_WORDS[mixed % len(_WORDS)]} {_WORDS[(mixed >> 8) % len(_WORDS)]}"

    return text


def _ctr(h: int) -> float:
    return round(_clicks(h) / _impressions(h), 4)


def _cpc(h: int) -> float | None:
    clicks = _clicks(h)
    return round(_cost(h) / clicks, 2) if clicks else None


_FIELDS: dict[str, Callable[[int, int, int, str], Value]] = {
    "campaign_id": lambda i, h, e, p: f"{p}{i:06d}",
    "campaign_name": lambda i, h, e, p: _campaign_name(i, e),
    "ad_group_id": lambda i, h, e, p: f"{p}{i:06d}{(e >> 20) % 100:02d}",
    "ad_group_name": lambda i, h, e, p: (
        f"{_campaign_name(i, e)} - {_WORDS[(e >> 28) % len(_WORDS)]}"
    ),
    "impressions": lambda i, h, e, p: _impressions(h),
    "clicks": lambda i, h, e, p: _clicks(h),
    "reach": lambda i, h, e, p: _impressions(h) * (60 + (h >> 52) % 40) // 100,
    "cost": lambda i, h, e, p: _cost(h),
    "spend": lambda i, h, e, p: _cost(h),
    "conversions": lambda i, h, e, p: _conversions(h),
    "conversion_value": lambda i, h, e, p: round((_conversions(h) or 0) * (10 + h % 90), 2),
    "ctr": lambda i, h, e, p: _ctr(h),
    "cpc": lambda i, h, e, p: _cpc(h),
    "currency": lambda i, h, e, p: "USD",
    "device": lambda i, h, e, p: _DEVICES[(h >> 58) % len(_DEVICES)],
    "country": lambda i, h, e, p: _COUNTRIES[(e >> 36) % len(_COUNTRIES)],
}
_TYPES: dict[str, ColumnType] = {
    "impressions": "integer",
    "clicks": "integer",
    "reach": "integer",
    "cost": "number",
    "spend": "number",
    "conversions": "number",
    "conversion_value": "number",
    "ctr": "number",
    "cpc": "number",
}
