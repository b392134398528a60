"""Rows of a date range into one Parquet folder per day: `{folder}/date=YYYY-MM-DD/part-0.parquet`.

Rows arrive in pages, in whatever order; the next page is read while one is written (see
`read_ahead`). Each page's rows are grouped by day and each group is
made an Arrow table once (see `records_arrow`), held by day (see `spill`: memory up to a budget,
then Arrow files); the days are then staged in order by the folder's `TableWriter` and all
published together on the table's schema (see `table`), replacing those days' previous files.
Each day is read with the types known before the write and fitted as the days before it left
the table, as when each day was parsed on its own. The day lives in the folder name,
Hive-style, and not in the file: DuckDB, Spark and pyarrow read `date` back from the path, and
a second `date` column would clash with it.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from extract_assets.core.contract import DEFAULT_CONTRACT, SchemaContract
from extract_assets.core.instants import utc_day
from extract_assets.core.leftovers import temp_dir
from extract_assets.core.parquet import SinkResult
from extract_assets.core.paths import partition_file
from extract_assets.core.read_ahead import read_ahead
from extract_assets.core.records_arrow import records_tables
from extract_assets.core.spill import TableSpill
from extract_assets.core.state import SharedState
from extract_assets.core.storage import Location
from extract_assets.core.table import TableWrite, TableWriter

logger = logging.getLogger("extract_assets.day_folders")


@dataclass(frozen=True)
class DayFolders:
    """What `write_day_folders` wrote: each day's result, and rows dated outside the range."""

    days: dict[date, SinkResult]
    outside_range: int
    table: TableWrite

    @property
    def rows(self) -> int:
        return sum(result.rows for result in self.days.values())


def day_file(folder: Location, day: date) -> Location:
    """Where one day's rows live.

    >>> day_file(Path("/lake/extractto/ads"), date(2026, 11, 1))
    PosixPath('/lake/extractto/ads/date=2026-11-01/part-0.parquet')
    """
    return partition_file(folder, "date", day.isoformat())


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
) -> DayFolders:
    """Write every day in `days` (a day without rows gets an empty file, so old rows go).

    A row's day is its `date_field` as a plain date, or the UTC day of a timestamp there (an
    offset is honoured, none means UTC); a row without a readable date counts as outside.
    `json_schema` types the columns (without `date_field`); every file of the folder gets the
    table's schema, which follows `contract` (see `contract`). Writers sharing a `state` take
    turns publishing, on any machine.
    """
    wanted = {day.isoformat(): day for day in days}
    with (
        temp_dir("spool") as spool_dir,
        TableWriter(
            folder, json_schema=json_schema, contract=contract, where=where, state=state
        ) as table,
    ):
        held = TableSpill(Path(spool_dir))
        known = table.schema
        counts: Counter[str] = Counter()
        outside = 0
        for page in read_ahead(pages):
            for key, rows in _by_day(page, date_field).items():
                if key not in wanted:
                    outside += len(rows)
                    continue
                for part in records_tables(
                    rows,
                    known,
                    leave_out=date_field,
                    first_row=counts[key] + 1,
                    converted=table.converted,
                ):
                    held.add(key, part)
                counts[key] += len(rows)
        if outside:
            logger.warning("%d rows were dated outside %s..%s", outside, days[0], days[-1])
        for key, day in wanted.items():
            table.stage_tables(held.tables(key), day_file(folder, day), expected_rows=counts[key])
        published = table.publish()
    written = {day: published.files[str(day_file(folder, day))] for day in days}
    return DayFolders(days=written, outside_range=outside, table=published)


def _by_day(
    rows: Sequence[Mapping[str, Any]], date_field: str
) -> dict[str, list[Mapping[str, Any]]]:
    """The rows by the ISO text of their UTC day ("" when unreadable), in arrival order.

    `utc_day` is asked once per distinct value: a page holds a few dates, many rows each.
    """
    days: dict[Any, str] = {}
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        value = row.get(date_field)
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


def _day_key(value: Any) -> str:
    day = utc_day(value)
    return day.isoformat() if day is not None else ""
