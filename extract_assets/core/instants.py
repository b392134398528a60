"""Timestamps read as instants and placed by their UTC day, whatever offset the text carries.

A service may send ``2026-11-29T00:10:00+02:00``, ``…-05:00``, ``…Z`` or a timestamp without any
offset. Every timestamp that decides a partition, a stop or a cursor is read as an instant; one
without an offset is taken as UTC. Its day is the UTC day of that instant, never the date
written in the text (``2026-11-29T00:10:00+02:00`` is on 2026-11-28).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from pydantic import AfterValidator

__all__ = ["UtcDateTime", "parse_instant", "parse_span", "utc_day", "utc_instant"]

# The time of day as ISO-8601 writes it, with or without colons: hours, then minutes, seconds
# and a fraction as far as the text goes.
_TIME_OF_DAY = re.compile(r"[Tt ]\d{2}(?::?(\d{2})(?::?(\d{2})(?:[.,](\d+))?)?)?")


def utc_instant(moment: datetime) -> datetime:
    """`moment` in UTC; a naive one is taken as UTC.

    >>> utc_instant(datetime.fromisoformat("2026-11-29T00:10:00+02:00")).isoformat()
    '2026-11-28T22:10:00+00:00'
    >>> utc_instant(datetime(2026, 12, 4, 16, 1, 14)).isoformat()
    '2026-12-04T16:01:14+00:00'
    """
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


UtcDateTime = Annotated[datetime, AfterValidator(utc_instant)]
"""A pydantic field type: any ISO-8601 timestamp, held as a UTC instant."""


def parse_instant(value: Any) -> datetime | None:
    """An ISO-8601 timestamp (text or datetime) as a UTC instant; None if it is not one.

    >>> parse_instant("2026-12-04 16:01:14").isoformat()
    '2026-12-04T16:01:14+00:00'
    >>> parse_instant("2026-12-04t16:01:14z").isoformat()
    '2026-12-04T16:01:14+00:00'
    >>> parse_instant("yesterday") is None
    True
    """
    if isinstance(value, datetime):
        return utc_instant(value)
    if not isinstance(value, str) or not value:
        return None
    if value[-1] == "z":  # RFC 3339 allows it, Python reads only "Z"
        value = value[:-1] + "Z"
    try:
        return utc_instant(datetime.fromisoformat(value))
    except ValueError:
        return None


def parse_span(value: Any) -> tuple[datetime, timedelta] | None:
    """A timestamp as the UTC instant it starts at and the span its text leaves open: a plain
    date is a whole day, a time to the second a second (a stamp truncated to its precision may
    stand for any moment of that span); None if it is not a timestamp.

    >>> [str(parse_span(text)[1]) for text in ("2026-12-04", "2026-12-04 16:01:14")]
    ['1 day, 0:00:00', '0:00:01']
    >>> start, span = parse_span("2026-12-04T16:01:14.250+02:00")
    >>> start.isoformat(), span.total_seconds()
    ('2026-12-04T14:01:14.250000+00:00', 0.001)
    """
    instant = parse_instant(value)
    if instant is None:
        return None
    if not isinstance(value, str):
        return instant, timedelta(0)
    time_of_day = _TIME_OF_DAY.search(value, 8)
    if time_of_day is None:
        return instant, timedelta(days=1)
    minutes, seconds, fraction = time_of_day.groups()
    if minutes is None:
        return instant, timedelta(hours=1)
    if seconds is None:
        return instant, timedelta(minutes=1)
    if fraction is None:
        return instant, timedelta(seconds=1)
    return instant, timedelta(microseconds=10 ** max(6 - len(fraction), 0))


def utc_day(value: Any) -> date | None:
    """The UTC day of a row's date: a plain date as it is, a timestamp by its instant.

    >>> utc_day("2026-11-29"), utc_day("2026-11-29T00:10:00+02:00"), utc_day("soon")
    (datetime.date(2026, 11, 29), datetime.date(2026, 11, 28), None)
    """
    if isinstance(value, datetime):
        return utc_instant(value).date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    moment = parse_instant(value)
    return moment.date() if moment is not None else None
