"""Dates as Extract.to reads them: strict ISO `YYYY-MM-DD`, days counted in UTC."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_iso_date(value: Any) -> date:
    """`YYYY-MM-DD` as a date; anything else (timestamps, `20250101`, datetimes) is refused."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError(f"expected an ISO date (YYYY-MM-DD), got {value!r}")
    return date.fromisoformat(value)


IsoDate = Annotated[date, BeforeValidator(parse_iso_date)]


def today(now: float) -> date:
    """The UTC date at emulator time `now`."""
    return datetime.fromtimestamp(now, UTC).date()


def yesterday(now: float) -> date:
    """The last complete day at emulator time `now`: the default range of a run."""
    return today(now) - timedelta(days=1)


def month_start(now: float) -> float:
    """Epoch seconds of the first instant of the UTC month holding `now`."""
    day = today(now)
    return datetime(day.year, day.month, 1, tzinfo=UTC).timestamp()
