"""The day-folder writer against the path it replaced: rows spooled as NDJSON per day, each day
parsed by the sink on its own (kept here as the reference), for pages of any shape the
contract allows, read back with pyarrow, DuckDB, Polars and pandas."""

from __future__ import annotations

import json
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extract_assets.core import day_folders
from extract_assets.core.day_folders import DayFolders, day_file, write_day_folders
from extract_assets.core.errors import OutputError
from extract_assets.core.instants import utc_day
from extract_assets.core.read_ahead import read_ahead
from extract_assets.core.records_arrow import records_tables
from extract_assets.core.spill import TableSpill
from extract_assets.core.table import TableWriter
from extract_assets_tests.core import test_contract_any_values as any_values
from extract_assets_tests.readers import READERS as EVERY_READER
from extract_assets_tests.readers import WITHOUT_SPARK, assert_all_readers_agree, read_with_all

DAYS = [date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3)]
SCHEMA = {
    "type": "object",
    "properties": {
        "clicks": {"type": "integer"},
        "cost": {"type": "number"},
        "name": {"type": "string"},
        "at": {"type": "string", "format": "date-time"},
        "day": {"type": "string", "format": "date"},
    },
}
READERS = ("pyarrow", "duckdb", "polars", "pandas")


def reference(
    pages: Sequence[Sequence[Mapping[str, Any]]],
    folder: Path,
    days: Sequence[date],
    json_schema: Mapping[str, Any] | None = None,
) -> DayFolders:
    """The former writer: each row's UTC day in Python, one NDJSON text per day, each day
    parsed by the sink on its own, all days published together."""
    texts: defaultdict[str, list[bytes]] = defaultdict(list)
    outside = undated = 0
    for page in pages:
        for row in page:
            record = dict(row)
            day = utc_day(record.pop("date", None))
            if day is None:
                undated += 1
                continue
            if day not in days:
                outside += 1
                continue
            line = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
            texts[day.isoformat()].append(line.encode() + b"\n")
    with TableWriter(folder, json_schema=json_schema) as table:
        for day in days:
            lines = texts[day.isoformat()]
            table.stage_ndjson([b"".join(lines)], day_file(folder, day), expected_rows=len(lines))
        published = table.publish()
    written = {day: published.files[str(day_file(folder, day))] for day in days}
    return DayFolders(days=written, outside_range=outside, table=published, undated=undated)


# --- generated pages ---------------------------------------------------------------------------

_DATES = st.one_of(
    st.sampled_from([d.isoformat() for d in DAYS]),
    # Timestamps in every form the contract allows, offsets crossing midnight UTC both ways.
    st.builds(
        lambda day, seconds, fraction, zone: (
            f"{day}{'T' if seconds % 2 else ' '}"
            f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}{fraction}{zone}"
        ),
        st.sampled_from(["2026-10-31", *[d.isoformat() for d in DAYS], "2026-11-04"]),
        st.sampled_from([0, 30, 1800, 43_200, 84_600, 86_399]),
        st.sampled_from(["", ".5", ".123456"]),
        st.sampled_from(["", "Z", "+00:00", "+02:00", "-05:00", "+14:00"]),
    ),
    st.sampled_from([None, "soon", "2026-12-01"]),
)
_CLICKS = st.one_of(st.none(), st.integers(0, 10**6), st.integers(0, 999).map(str))
_COST = st.one_of(
    st.none(),
    st.integers(0, 1000),
    st.floats(0, 1e6, allow_nan=False).map(lambda x: round(x, 2)),
    st.sampled_from(["12.5", "0"]),
)
_AT = st.one_of(
    st.none(),
    st.sampled_from(
        ["2026-11-02T10:00:00Z", "2026-11-02T10:00:00.250+02:00", "2026-11-02 23:30:00"]
    ),
)
_ROW = st.fixed_dictionaries(
    {
        "date": _DATES,
        "clicks": _CLICKS,
        "cost": _COST,
        "name": st.one_of(st.none(), st.text(max_size=6)),
        "at": _AT,
        "day": st.one_of(st.none(), st.sampled_from(["2026-11-01", "2026-11-30"])),
    },
    optional={"extra": st.integers(-5, 5)},
)


@st.composite
def _pages(draw: st.DrawFn, min_rows: int = 0) -> list[list[dict[str, Any]]]:
    """Pages of rows; a late column appears after the first page, one kind per day (its type
    drifts between days, never within one)."""
    rows = draw(st.lists(_ROW, min_size=min_rows, max_size=40))
    late_kind = {
        d: draw(st.sampled_from(["int", "text", "null"])) for d in range(-1, len(DAYS) + 1)
    }
    cut = draw(st.integers(0, len(rows)))
    for index, row in enumerate(rows[cut:], start=cut):
        day = utc_day(row["date"])
        slot = DAYS.index(day) if day in DAYS else -1
        kind = late_kind[slot]
        if kind != "null" or index % 2:
            row["late"] = index if kind == "int" else (f"v{index}" if kind == "text" else None)
    sizes = draw(st.lists(st.integers(1, 15), min_size=1, max_size=8))
    pages, start = [], 0
    for size in sizes * 10:
        if start >= len(rows):
            break
        pages.append(rows[start : start + size])
        start += size
    return pages


_EXAMPLES = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@_EXAMPLES
@given(pages=_pages(), declared=st.booleans())
def test_pages_land_as_the_reference_path_lands_them(
    tmp_path_factory: pytest.TempPathFactory, pages: list[list[dict[str, Any]]], declared: bool
) -> None:
    _assert_lands_as_the_reference(tmp_path_factory, pages, declared)


@st.composite
def _pages_mostly_in_order(draw: st.DrawFn) -> list[list[dict[str, Any]]]:
    """Pages in date order, as a service usually sends them, with a few rows moved later: the
    days staged while later pages are read must come out as if staged after the last."""
    pages = draw(_pages(min_rows=12))
    rows = sorted(
        (row for page in pages for row in page),
        key=lambda row: (utc_day(row["date"]) or date.min).isoformat(),
    )
    for _ in range(draw(st.integers(0, 2))):
        early = draw(st.integers(0, len(rows) - 1))
        rows.insert(draw(st.integers(early, len(rows) - 1)), rows.pop(early))
    size = draw(st.integers(1, 4))
    return [rows[start : start + size] for start in range(0, len(rows), size)]


@_EXAMPLES
@given(pages=_pages_mostly_in_order(), declared=st.booleans())
def test_pages_mostly_in_date_order_land_as_the_reference_path_lands_them(
    tmp_path_factory: pytest.TempPathFactory, pages: list[list[dict[str, Any]]], declared: bool
) -> None:
    _assert_lands_as_the_reference(tmp_path_factory, pages, declared)


def _assert_lands_as_the_reference(
    tmp_path_factory: pytest.TempPathFactory, pages: list[list[dict[str, Any]]], declared: bool
) -> None:
    schema = SCHEMA if declared else None
    ours_folder = tmp_path_factory.mktemp("ours") / "ads"
    theirs_folder = tmp_path_factory.mktemp("reference") / "ads"

    ours = write_day_folders(pages, ours_folder, DAYS, json_schema=schema)
    theirs = reference(pages, theirs_folder, DAYS, json_schema=schema)

    assert (ours.outside_range, ours.undated) == (theirs.outside_range, theirs.undated)
    assert {d: r.rows for d, r in ours.days.items()} == {d: r.rows for d, r in theirs.days.items()}
    # The same columns of the same types. Their order may differ: the old path moved columns
    # seen only null behind the others whenever a day held text pyarrow took for a timestamp.
    assert _fields(ours.table.schema) == _fields(theirs.table.schema)
    assert ours.table.changes.converted == theirs.table.changes.converted
    if len(ours.table.schema) == 0:
        return  # no column at all: no files to read (see `table`)
    assert read_with_all(ours_folder, "date", READERS) == read_with_all(
        theirs_folder, "date", READERS
    )


def _fields(schema: pa.Schema) -> dict[str, pa.DataType]:
    return {field.name: field.type for field in schema}


# --- what the writer is built from -----------------------------------------------------------


def test_a_write_larger_than_the_memory_budget_lands_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    days = [date(2026, 11, 1) + timedelta(days=n) for n in range(5)]
    pages = [
        [
            {"date": days[(p + n) % 5].isoformat(), "n": p * 100 + n, "s": f"row {n}" * 20}
            for n in range(100)
        ]
        for p in range(20)
    ]
    spilled = tmp_path / "spill"
    spilled.mkdir()
    held = TableSpill(spilled, budget_bytes=10_000)
    for page in pages:
        held.add(page[0]["date"], pa.Table.from_pylist(page))

    assert list(spilled.iterdir())  # the budget was passed: tables went to disk
    back = pa.concat_tables(held.tables(days[0].isoformat()))
    assert back.column("n").to_pylist() == [
        n
        for page in pages
        if page[0]["date"] == days[0].isoformat()
        for n in range(page[0]["n"], page[0]["n"] + 100)
    ]

    # Rows let go after 150, Arrow to disk past 10 kB: most of the write goes through both.
    monkeypatch.setattr(day_folders, "_PENDING_ROWS", 150)
    monkeypatch.setattr(day_folders, "_HELD_BYTES", 10_000)
    ours = write_day_folders(pages, tmp_path / "ours" / "t", days)
    theirs = reference(pages, tmp_path / "theirs" / "t", days)
    assert read_with_all(tmp_path / "ours" / "t", "date", READERS) == read_with_all(
        tmp_path / "theirs" / "t", "date", READERS
    )
    assert ours.rows == theirs.rows == 2000


def test_tables_of_changing_schemas_come_back_from_the_spill_in_order(tmp_path: Path) -> None:
    held = TableSpill(tmp_path, budget_bytes=0)
    held.add("a", pa.table({"n": [1, 2]}))
    held.add("a", pa.table({"n": ["x"]}))
    held.add("a", pa.table({"n": [3]}))
    held.add("b", pa.table({"m": [9]}))

    assert [t.to_pydict() for t in held.tables("a")] == [{"n": [1, 2]}, {"n": ["x"]}, {"n": [3]}]
    assert [t.to_pydict() for t in held.tables("b")] == [{"m": [9]}]
    assert list(held.tables("c")) == []


def test_a_page_source_that_fails_fails_the_write_and_leaves_the_days_as_they_were(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "ads"
    write_day_folders([[{"date": "2026-11-01", "n": 1}]], folder, DAYS[:1])

    def pages() -> Iterator[list[dict[str, Any]]]:
        yield [{"date": "2026-11-01", "n": 2}]
        raise ConnectionError("the service went away")

    with pytest.raises(ConnectionError, match="went away"):
        write_day_folders(pages(), folder, DAYS[:1])

    assert read_with_all(folder, "date", ("pyarrow",))["pyarrow"] == [
        {"n": 1, "date": "2026-11-01"}
    ]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_days_are_staged_while_later_pages_are_still_being_read(tmp_path: Path) -> None:
    days = [date(2026, 11, 1) + timedelta(days=n) for n in range(5)]
    staged_before_last_page: list[int] = []

    def pages() -> Iterator[list[dict[str, Any]]]:
        for day in days[:-1]:
            yield [{"date": day.isoformat(), "n": 1}]
            yield [{"date": day.isoformat(), "n": 2}]
        # Days 1 to 3 are complete once a page of day 4 came: give them time to be staged.
        for _ in range(400):
            if len(list(tmp_path.glob("*.tmp"))) >= 3:
                break
            time.sleep(0.05)
        staged_before_last_page.append(len(list(tmp_path.glob("*.tmp"))))
        yield [{"date": days[-1].isoformat(), "n": 3}]

    written = write_day_folders(pages(), tmp_path / "ads", days)

    assert staged_before_last_page[0] >= 3
    assert [written.days[day].rows for day in days] == [2, 2, 2, 2, 1]


def test_a_page_back_in_time_restages_the_days_from_the_one_it_brings_rows_to(
    tmp_path: Path,
) -> None:
    days = [date(2026, 11, 1) + timedelta(days=n) for n in range(4)]
    in_order = [[{"date": day.isoformat(), "n": n}] for n, day in enumerate(days)]
    # Day 2 is staged with `n` whole numbers, day 3 after it; then day 2 gets text and a column.
    late = [{"date": days[1].isoformat(), "n": "many", "note": "late"}]
    pages = [*in_order, late, [{"date": days[3].isoformat(), "n": 9}]]

    ours = write_day_folders(pages, tmp_path / "ours" / "ads", days)
    theirs = reference(pages, tmp_path / "theirs" / "ads", days)

    assert [ours.days[day].rows for day in days] == [1, 2, 1, 2]
    assert _fields(ours.table.schema) == _fields(theirs.table.schema)
    assert ours.table.changes.summary() == theirs.table.changes.summary()
    assert read_with_all(tmp_path / "ours" / "ads", "date", EVERY_READER) == read_with_all(
        tmp_path / "theirs" / "ads", "date", EVERY_READER
    )
    assert not list((tmp_path / "ours").glob("*.tmp"))


_ONLY_DATES = [{"date": "2026-11-01"}, {"date": "2026-11-01T23:30:00-05:00"}]
_WITH_A_COLUMN = [{"date": "2026-11-03", "n": 7}]


@pytest.mark.parametrize(
    "pages",
    [
        [_ONLY_DATES, _WITH_A_COLUMN],
        [_WITH_A_COLUMN, _ONLY_DATES],
        [_ONLY_DATES + _WITH_A_COLUMN],
    ],
    ids=["in date order", "back in time", "one page"],
)
def test_rows_holding_only_their_date_are_rows_of_nulls_in_the_columns_other_days_bring(
    tmp_path: Path, pages: list[list[dict[str, Any]]]
) -> None:
    written = write_day_folders(pages, tmp_path / "ads", DAYS)

    assert [written.days[day].rows for day in DAYS] == [1, 1, 1]
    expected = [
        {"n": None, "date": "2026-11-01"},
        {"n": None, "date": "2026-11-02"},
        {"n": 7, "date": "2026-11-03"},
    ]
    for rows in read_with_all(tmp_path / "ads", "date", EVERY_READER).values():
        assert rows == expected


def test_rows_holding_only_their_date_are_stored_with_nulls_in_a_declared_table(
    tmp_path: Path,
) -> None:
    written = write_day_folders([_ONLY_DATES], tmp_path / "ads", DAYS[:2], json_schema=SCHEMA)

    assert [written.days[day].rows for day in DAYS[:2]] == [1, 1]
    rows = read_with_all(tmp_path / "ads", "date", ("duckdb",))["duckdb"]
    assert [row["date"] for row in rows] == ["2026-11-01", "2026-11-02"]
    assert {value for row in rows for key, value in row.items() if key != "date"} == {None}


def test_rows_holding_only_their_date_in_a_table_without_columns_fail_and_write_nothing(
    tmp_path: Path,
) -> None:
    with pytest.raises(OutputError, match="Declare the table's columns in its JSON schema"):
        write_day_folders([_ONLY_DATES], tmp_path / "ads", DAYS[:2])

    assert not list((tmp_path / "ads").rglob("*.parquet"))
    assert not list(tmp_path.rglob("*.tmp"))


def test_read_ahead_gives_every_item_in_order_and_raises_the_sources_error() -> None:
    assert list(read_ahead(iter(range(100)))) == list(range(100))

    def failing() -> Iterator[int]:
        yield 1
        raise ValueError("page 2 is broken")

    items = read_ahead(failing())
    assert next(items) == 1
    with pytest.raises(ValueError, match="page 2"):
        next(items)


def test_a_reader_that_stops_early_closes_the_source_on_its_thread() -> None:
    closed_on: list[str] = []

    def source() -> Iterator[int]:
        try:
            yield from range(1000)
        finally:
            closed_on.append(threading.current_thread().name)

    items = read_ahead(source())
    assert next(items) == 0
    items.close()

    assert closed_on == ["read-ahead"]


@pytest.mark.parametrize("item", [None, ["2026-11-01", 7], 12])
def test_an_item_of_a_page_that_is_no_object_is_of_no_day_and_the_rest_land(
    tmp_path: Path, item: Any
) -> None:
    day = date(2026, 11, 1)
    page = [{"date": "2026-11-01", "clicks": 3}, item, {"date": "2026-11-01", "clicks": 5}]
    written = write_day_folders([page], tmp_path / "ads", [day])
    assert written.undated == 1
    assert pq.read_table(written.days[day].path).column("clicks").to_pylist() == [3, 5]


# --- a day too large to keep whole ------------------------------------------------------------

_D1, _D2 = DAYS[0].isoformat(), DAYS[1].isoformat()


@pytest.mark.parametrize(
    "pages",
    [
        # A list after an earlier day's object goes to the JSON variant, beside a boolean that
        # goes to its own.
        [
            [{"date": _D1, "o": {"a": 1}}],
            [{"date": _D2, "o": {"a": 2}}],
            [{"date": _D2, "o": ["1e400", False]}, {"date": _D2, "o": False}],
        ],
        # ...inside an object whose key an earlier day made text.
        [
            [{"date": _D1, "o": {"a": "x"}}],
            [{"date": _D2, "o": {"a": "y"}}],
            [{"date": _D2, "o": {"a": ["1e400", False]}}],
        ],
    ],
    ids=["list after an object", "list inside an object"],
)
def test_a_day_that_spills_stores_each_value_as_a_day_kept_whole_stores_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pages: list[list[dict[str, Any]]]
) -> None:
    whole = write_day_folders(pages, tmp_path / "whole" / "t", DAYS[:2])
    monkeypatch.setattr(day_folders, "_PENDING_ROWS", 1)  # every page's rows are let go
    spilled = write_day_folders(pages, tmp_path / "spilled" / "t", DAYS[:2])

    assert spilled.table.changes.to_variant == whole.table.changes.to_variant
    expected = assert_all_readers_agree(tmp_path / "whole" / "t", "date", WITHOUT_SPARK)
    assert assert_all_readers_agree(tmp_path / "spilled" / "t", "date", WITHOUT_SPARK) == expected
    assert ["1e400", False] in _json_values(expected)


def test_a_list_let_go_before_its_day_made_the_column_an_object_goes_whole_to_json_as_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(day_folders, "_PENDING_ROWS", 1)
    pages = [[{"date": _D2, "o": {"a": 2}}], [{"date": _D2, "o": ["1e400", False]}]]
    write_day_folders(pages, tmp_path / "t", DAYS[1:2])

    rows = assert_all_readers_agree(tmp_path / "t", "date", WITHOUT_SPARK)
    assert {json.dumps(row["o"]): row["o__v_json"] for row in rows} == {
        '{"a": 2}': None,
        "null": '["1e400",false]',
    }


def _json_values(rows: list[dict[str, Any]]) -> list[Any]:
    """The values of the JSON lists stored as text in the rows' `o` and `o__v_json`."""
    return [json.loads(text) for row in rows for text in _texts(row["o"], row.get("o__v_json"))]


def _texts(*values: Any) -> list[str]:
    """The JSON texts among a row's values, at any depth of an object."""
    found = []
    for value in values:
        if isinstance(value, dict):
            found.extend(_texts(*value.values()))
        elif isinstance(value, str) and value.startswith("["):
            found.append(value)
    return found


@settings(max_examples=25, deadline=None)
@given(days=any_values.DAYS, declared=st.booleans(), in_order=st.booleans())
def test_any_values_of_days_that_spill_are_each_kept_in_their_column_or_a_variant(
    days: list[list[dict[str, Any]]], declared: bool, in_order: bool
) -> None:
    """Every page's rows let go at once (as a day past `_PENDING_ROWS` lets them go), pages of
    two rows, in date order or not, all days in one write."""
    days = any_values.numbered(days)
    page = [
        {**any_values.as_text(row), "date": DAYS[index].isoformat()}
        for index, rows in enumerate(days)
        for row in rows
    ]
    if not in_order:
        page.reverse()
    pages = [page[start : start + 2] for start in range(0, len(page), 2)]
    schema = any_values.DECLARED if declared else None
    with tempfile.TemporaryDirectory() as place, pytest.MonkeyPatch.context() as patch:
        patch.setattr(day_folders, "_PENDING_ROWS", 1)
        written = write_day_folders(pages, Path(place) / "t", DAYS, json_schema=schema)
        stored = assert_all_readers_agree(Path(place) / "t", "date", WITHOUT_SPARK)
    any_values.assert_every_value_kept(
        any_values.as_text(days), stored, written.table.changes.renamed
    )


def test_an_object_let_go_before_its_day_made_the_column_a_list_goes_whole_to_json_as_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(day_folders, "_PENDING_ROWS", 1)
    pages = [
        [{"date": _D1, "o": []}],
        [{"date": _D2, "o": {"a": None}}, {"date": _D2, "o": {"b": 1}}],
    ]
    write_day_folders(pages, tmp_path / "t", DAYS[:2])

    rows = assert_all_readers_agree(tmp_path / "t", "date", WITHOUT_SPARK)
    assert sorted(filter(None, (row["o__v_json"] for row in rows))) == ['{"a":null}', '{"b":1}']


def test_pages_in_date_order_of_objects_are_each_made_arrow_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A day's first page is read with the types the days before it left, as its later pages
    are: read with fewer, its objects came with their text sent and the others without, and
    the whole day was read again when staged."""
    read: list[int] = []

    def counted(records: Sequence[Mapping[str, Any]], *args: Any, **kwargs: Any) -> Any:
        read.append(len(records))
        return records_tables(records, *args, **kwargs)

    monkeypatch.setattr(day_folders, "records_tables", counted)
    pages = [[{"date": day.isoformat(), "o": {"a": n}}] for day in DAYS for n in range(2)]
    write_day_folders(pages, tmp_path / "t", DAYS)

    assert sum(read) == len(pages)
