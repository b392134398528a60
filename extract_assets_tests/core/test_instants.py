"""Timestamps are instants: placed by their UTC day, whatever offset the text carries."""

from datetime import UTC, date, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from extract_assets.core.instants import UtcDateTime, parse_instant, parse_span, utc_day


class Stamped(BaseModel):
    at: UtcDateTime


def test_an_offset_timestamp_is_on_the_utc_day_of_its_instant() -> None:
    assert utc_day("2026-11-29T00:10:00+02:00") == date(2026, 11, 28)
    assert utc_day("2026-11-28T22:10:00-05:00") == date(2026, 11, 29)


def test_a_timestamp_without_an_offset_is_taken_as_utc() -> None:
    assert parse_instant("2026-12-04 16:01:14") == datetime(2026, 12, 4, 16, 1, 14, tzinfo=UTC)


def test_rfc_3339s_lower_case_t_and_z_read_as_their_capitals() -> None:
    assert parse_instant("2026-12-04t16:01:14z") == datetime(2026, 12, 4, 16, 1, 14, tzinfo=UTC)


def test_a_plain_date_is_its_own_day() -> None:
    assert utc_day("2026-11-29") == date(2026, 11, 29)


def test_text_that_is_no_date_has_no_day() -> None:
    assert utc_day("not a date") is None and utc_day(None) is None and utc_day(17) is None


def test_models_hold_every_timestamp_as_a_utc_instant() -> None:
    naive = Stamped.model_validate({"at": "2026-12-04 16:01:14"}).at
    offset = Stamped.model_validate({"at": "2026-12-04T18:01:14+02:00"}).at
    assert naive == offset and naive.tzinfo == UTC


@given(
    moment=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    minutes=st.one_of(st.just(0), st.integers(min_value=-14 * 60, max_value=14 * 60)),
    zulu=st.sampled_from(["Z", "z", "+00:00"]),
    separator=st.sampled_from(["T", "t", " "]),
)
def test_any_spelling_of_an_instant_gives_the_same_day(
    moment: datetime, minutes: int, zulu: str, separator: str
) -> None:
    local = moment.astimezone(timezone(timedelta(minutes=minutes)))
    spelled = local.isoformat(separator).replace("+00:00", zulu)
    assert utc_day(spelled) == moment.date()
    assert parse_instant(spelled) == moment


# How a service may write a moment, each as far as its precision goes (truncated, not rounded).
SPELLINGS = [
    "%Y-%m-%d",
    "%Y-%m-%dT%H",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y%m%dT%H%M%S",
]


@given(
    moment=st.datetimes(
        min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    spelling=st.sampled_from(SPELLINGS),
    fraction_digits=st.integers(min_value=1, max_value=6),
    offset_minutes=st.sampled_from([0, 120, -300, 330]),
)
def test_a_truncated_stamp_spans_the_moment_it_was_cut_from(
    moment: datetime, spelling: str, fraction_digits: int, offset_minutes: int
) -> None:
    zone = timezone(timedelta(minutes=offset_minutes))
    local = moment.astimezone(zone)
    text = local.strftime(spelling)
    if spelling.endswith("%f"):
        text = text[: len(text) - 6 + fraction_digits]
    if spelling != "%Y-%m-%d":
        text += local.strftime("%z")
    elif offset_minutes:
        return  # a plain date has no offset: it is the day as written
    span = parse_span(text)
    assert span is not None
    start, length = span
    assert start <= moment < start + length


def test_a_datetime_spans_no_more_than_itself() -> None:
    moment = datetime(2026, 12, 4, 16, 1, 14, tzinfo=UTC)
    assert parse_span(moment) == (moment, timedelta(0))


def test_text_that_is_no_timestamp_has_no_span() -> None:
    assert parse_span("soon") is None and parse_span(None) is None
