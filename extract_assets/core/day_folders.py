"""Rows of a date range into one Parquet folder per day: `{folder}/date=YYYY-MM-DD/part-0.parquet`.

Rows arrive in pages, in whatever order; the next page is read while one is written (see
`read_ahead`). Each page's rows are grouped by day, and each group is made an Arrow table once
(see `records_arrow`) with no JSON text written or parsed again; a day's tables are checked
against how the day would have been read on its own when it is staged (see `_DayRows`). Days
are staged in order by the folder's `TableWriter`, while later pages are read when the pages
come in date order (see `_DaysInOrder`), and all published together on the table's schema (see
`table`, `commit`), replacing those days' previous files. The day lives in the
folder name, Hive-style, and not in the file: DuckDB, Spark and pyarrow read `date` back from
the path, and a second `date` column would clash with it.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa

from extract_assets.core.arrow_schema import concat_tables
from extract_assets.core.column_names import keyed
from extract_assets.core.contract import SchemaContractError
from extract_assets.core.contract_setting import DEFAULT_CONTRACT, SchemaContract
from extract_assets.core.iceberg_catalog import IcebergTarget
from extract_assets.core.instants import utc_day
from extract_assets.core.leftovers import temp_dir
from extract_assets.core.parquet import SinkResult
from extract_assets.core.paths import day_file
from extract_assets.core.read_ahead import read_ahead
from extract_assets.core.records_arrow import records_tables
from extract_assets.core.spill import TableSpill
from extract_assets.core.state import SharedState
from extract_assets.core.storage import Location
from extract_assets.core.table import TableMark, TableWrite, TableWriter

logger = logging.getLogger("extract_assets.day_folders")

# Rows held as Python objects (about 1 kB each) beside their Arrow tables, to read a day again.
_PENDING_ROWS = 100_000
# Arrow held in memory beyond that before it goes to disk.
_HELD_BYTES = 64 << 20


@dataclass(frozen=True)
class DayFolders:
    """What `write_day_folders` wrote: each day's result, the rows dated outside the range,
    and the rows with no readable date (left out: they belong to no day)."""

    days: dict[date, SinkResult]
    outside_range: int
    table: TableWrite
    undated: int = 0

    @property
    def rows(self) -> int:
        return sum(result.rows for result in self.days.values())


def write_day_folders(
    pages: Iterable[Sequence[Mapping[str, Any]]],
    folder: Location,
    days: Sequence[date],
    *,
    json_schema: Mapping[str, Any] | None = None,
    date_field: str = "date",
    contract: SchemaContract = DEFAULT_CONTRACT,
    where: str | None = None,
    state: SharedState | None = None,
    iceberg: IcebergTarget | None = None,
) -> DayFolders:
    """Write every day in `days` (a day without rows gets an empty file, so old rows go).

    A row's day is its `date_field` as a plain date, or the UTC day of a timestamp there (an
    offset is honoured, none means UTC). A row without a readable date belongs to no day: it is
    left out, counted and logged with examples; under `freeze` it fails the write before
    anything is written.
    `json_schema` types the columns (without `date_field`); every file of the folder gets the
    table's schema, which follows `contract` (see `contract`). Writers sharing a `state` take
    turns publishing, on any machine. With `iceberg` the days land in that Iceberg table
    instead, as one snapshot (see `iceberg`).
    """
    wanted = {day.isoformat(): day for day in days}
    with (
        temp_dir("spool") as spool_dir,
        _writer(folder, json_schema, contract, where, state, iceberg) as table,
    ):
        held = _DayRows(TableSpill(Path(spool_dir), _HELD_BYTES), table, date_field)
        staging = _DaysInOrder(held, table, folder, wanted)
        outside = 0
        undated: Counter[str] = Counter()
        for page in read_ahead(pages):
            by_day = _by_day(page, date_field)
            # The days before the page's are staged first: its rows are then read with the
            # types those left, as the rest of their day will be.
            staging.page_read([key for key in by_day if key in wanted])
            for key, rows in by_day.items():
                if key in wanted:
                    held.add(key, rows)
                elif key == "":
                    undated.update(repr(_date_of(row, date_field))[:40] for row in rows)
                else:
                    outside += len(rows)
        if outside:
            logger.warning("%d rows were dated outside %s..%s", outside, days[0], days[-1])
        if undated:
            _left_undated(undated, date_field, contract, where)
        staging.stage_rest()
        published = table.publish()
    written = {day: published.files[str(day_file(folder, day))] for day in days}
    return DayFolders(days=written, outside_range=outside, table=published, undated=undated.total())


def _left_undated(
    values: Counter[str], date_field: str, contract: SchemaContract, where: str | None
) -> None:
    """Rows with no readable date, by the text of their date: fail under freeze, else warn."""
    examples = ", ".join(sorted(values)[:3])
    what = (
        f"{values.total()} rows have no readable `{date_field}` (such as {examples}), so they "
        "belong to no day"
    )
    if contract == "freeze":
        raise SchemaContractError(
            f"{where or 'the table'} is set to schema_contract: freeze, and {what}. Nothing was "
            "written. Fix the source, or set schema_contract to another choice to leave such "
            "rows out (they are counted in extract_assets/rows_without_date)."
        )
    logger.warning("%s: %s; they are left out", where or "the table", what)


def _writer(
    folder: Location,
    json_schema: Mapping[str, Any] | None,
    contract: SchemaContract,
    where: str | None,
    state: SharedState | None,
    iceberg: IcebergTarget | None,
) -> TableWriter:
    if iceberg is None:
        return TableWriter(
            folder, json_schema=json_schema, contract=contract, where=where, state=state
        )
    from extract_assets.core.iceberg import IcebergTableWriter

    return IcebergTableWriter(
        folder, iceberg, json_schema=json_schema, contract=contract, where=where
    )


class _DaysInOrder:
    """Stages each day while the next pages are read, as long as the pages come in date order.

    Staged after the last page, the days kept the reader of pages idle (and a 60-day backfill
    spent a fifth of its time there). The contract promises no order, so a day staged early is
    a guess: a day is staged once a page starts after it and no page so far went back in time;
    a page that brings rows of a staged day rolls the table back to before that day (see
    `TableWriter.mark`), and from the first page out of order on, the days left are staged after
    the last page. Either way every day is staged, in order, from all its rows.
    """

    def __init__(
        self, held: _DayRows, table: TableWriter, folder: Location, wanted: dict[str, date]
    ) -> None:
        self._held = held
        self._table = table
        self._folder = folder
        self._days = list(wanted.items())
        self._marks: list[TableMark] = []  # before each staged day, in order
        self._latest = ""  # the latest day any page brought
        self._in_order = True

    def page_read(self, keys: Sequence[str]) -> None:
        """Before a page's rows of the days `keys` (ISO text, in the range) are held."""
        if not keys:
            return
        first = min(keys)
        staged = len(self._marks)
        if staged and first <= self._days[staged - 1][0]:
            back = next(index for index, (key, _) in enumerate(self._days) if key >= first)
            self._table.roll_back(self._marks[back])
            del self._marks[back:]
        if first < self._latest:
            self._in_order = False
        elif self._in_order and self._latest:
            while len(self._marks) < len(self._days) and self._days[len(self._marks)][0] < first:
                key, day = self._days[len(self._marks)]
                if not self._storable(key):
                    break
                self._stage(key, day)
        self._latest = max(self._latest, max(keys))

    def stage_rest(self) -> None:
        """Stages the days not staged yet, in order; a day whose rows have no column but the
        date waits until the days after it gave the table its columns (its rows get nulls)."""
        waiting = []
        for key, day in self._days[len(self._marks) :]:
            if self._storable(key):
                self._stage(key, day)
            else:
                waiting.append((key, day))
        for key, day in waiting:
            self._stage(key, day)

    def _storable(self, key: str) -> bool:
        """Whether the day's rows can be stored now: a Parquet file needs a column."""
        return bool(self._table.schema.names) or self._held.has_columns(key)

    def _stage(self, key: str, day: date) -> None:
        mark = self._table.mark()
        self._table.stage_tables(
            self._held.tables(key),
            day_file(self._folder, day),
            expected_rows=self._held.counts[key],
        )
        self._marks.append(mark)


@dataclass
class _Part:
    """Rows of one day from one page, made Arrow as they came, with what that converted."""

    rows: list[Mapping[str, Any]]
    tables: list[pa.Table]
    converted: Counter[str]
    told: pa.Schema  # the table's schema they were read with


class _DayRows:
    """Rows by day, made Arrow as pages come (while the next page is read), each day's checked
    against how it would have been read when it is staged.

    The old writer read each day from its own NDJSON file when the days before it were in the
    table: with the types those left (`TableWriter.schema`), all the day's rows at once. Rows
    made Arrow early are kept if that changes nothing: the day's pages gave one schema, read
    with the types the table still has for those columns. Otherwise (a column's type drifted,
    or a column is `12` on one page and `12.5` on the next) the day is read again from its rows,
    so a number in a column an earlier day made text keeps its JSON text. Past `_PENDING_ROWS`
    rows are let go, their tables kept as they are (see `spill`), so memory stays bounded.
    """

    def __init__(self, held: TableSpill, table: TableWriter, date_field: str) -> None:
        self.counts: Counter[str] = Counter()
        self._held = held
        self._table = table
        self._date_field = date_field
        self._parts: dict[str, list[_Part]] = {}
        self._with_columns: set[str] = set()
        self._spilled_converted: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self._pending_rows = 0

    def add(self, key: str, rows: list[Mapping[str, Any]]) -> None:
        converted: Counter[str] = Counter()
        # Read with the types the table has now, the days staged so far included: a part
        # let go past `_PENDING_ROWS` is never read again, and read without them a value
        # sent whole to a variant column would lose its kinds (`["1e400", false]` for an
        # object column: `["1e400","false"]`).
        told = self._table.schema
        tables = list(self._read(rows, told, self.counts[key], converted))
        if any(table.num_columns for table in tables):
            self._with_columns.add(key)
        self._parts.setdefault(key, []).append(_Part(rows, tables, converted, told))
        self.counts[key] += len(rows)
        self._pending_rows += len(rows)
        if self._pending_rows >= _PENDING_ROWS:
            for early, parts in self._parts.items():
                for part in parts:
                    self._spilled_converted[early].update(part.converted)
                    for table in part.tables:
                        self._held.add(early, table)
            self._parts.clear()
            self._pending_rows = 0

    def has_columns(self, key: str) -> bool:
        """Whether any row of the day has a field besides the date."""
        return key in self._with_columns

    def tables(self, key: str) -> Iterator[pa.Table]:
        """The day's tables in arrival order; call it for each day in order, as it is staged
        (again, after the table was rolled back to before it)."""
        self._table.converted.update(self._spilled_converted[key])
        yield from self._held.tables(key)
        parts = self._parts.get(key, [])
        if not parts:
            return
        if self._as_read(parts):
            for part in parts:
                self._table.converted.update(part.converted)
            yield concat_tables([t for part in parts for t in part.tables])
            return
        rows = [row for part in parts for row in part.rows]
        first = self.counts[key] - len(rows)
        yield from self._read(rows, self._table.schema, first, self._table.converted)

    def _as_read(self, parts: list[_Part]) -> bool:
        schema = parts[0].tables[0].schema
        now = keyed(self._table.schema)
        return all(
            all(t.schema.equals(schema) for t in part.tables) and _still_alike(part, schema, now)
            for part in parts
        )

    def _read(
        self, rows: list[Mapping[str, Any]], known: pa.Schema, before: int, converted: Counter[str]
    ) -> Iterator[pa.Table]:
        return records_tables(
            rows,
            known,
            leave_out=self._date_field,
            first_row=before + 1,
            converted=converted,
            exact=self._table.exact,
        )


def _still_alike(part: _Part, schema: pa.Schema, now: pa.Schema) -> bool:
    """Whether the part's columns (`schema`) read the same now that the table is `now`."""
    told = keyed(part.told)
    return all(_read_alike(_type_of(told, f.name), f.type, _type_of(now, f.name)) for f in schema)


def _read_alike(told: pa.DataType | None, got: pa.DataType, known: pa.DataType | None) -> bool:
    """Whether a column read when told `told` reads the same now that the table knows `known`:
    the same hint, or no hint and a type that is the known one (or only nulls)."""
    if told == known:
        return True
    return told is None and (got == known or pa.types.is_null(got))


def _type_of(schema: pa.Schema, name: str) -> pa.DataType | None:
    index = schema.get_field_index(name)
    return schema.field(index).type if index >= 0 else None


def _by_day(
    rows: Sequence[Mapping[str, Any]], date_field: str
) -> dict[str, list[Mapping[str, Any]]]:
    """The rows by the ISO text of their UTC day ("" when unreadable), in arrival order.

    `utc_day` is asked once per distinct value: a page holds a few dates, many rows each.
    """
    days: dict[Any, str] = {}
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        value = _date_of(row, date_field)
        try:
            key = days[value]
        except KeyError:
            key = days[value] = _day_key(value)
        except TypeError:  # unhashable: a list or an object, never a date
            key = ""
        group = groups.get(key)
        if group is None:
            groups[key] = [row]
        else:
            group.append(row)
    return groups


def _date_of(row: Any, date_field: str) -> Any:
    """The row's date; none for an item that is no object (`null`, a list), which a page may
    hold and which is therefore of no day."""
    return row.get(date_field) if isinstance(row, Mapping) else None


def _day_key(value: Any) -> str:
    day = utc_day(value)
    return day.isoformat() if day is not None else ""
