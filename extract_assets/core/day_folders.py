"""Rows of a date range into one Parquet folder per day: `{folder}/date=YYYY-MM-DD/part-0.parquet`.

Rows arrive in pages, in whatever order; they are spooled to local NDJSON files, one per day,
and each day is then staged by the folder's `TableWriter` and all days are published together
on the table's schema (see `table`), replacing those days' previous files. The day lives in
the folder name, Hive-style, and not in the file: DuckDB, Spark and pyarrow read `date` back
from the path, and a second `date` column would clash with it.
"""

from __future__ import annotations

import json
import logging
from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any

from extract_assets.core.contract_setting import DEFAULT_CONTRACT, SchemaContract
from extract_assets.core.instants import utc_day
from extract_assets.core.leftovers import temp_dir
from extract_assets.core.parquet import SinkResult
from extract_assets.core.paths import day_file
from extract_assets.core.state import SharedState
from extract_assets.core.storage import Location
from extract_assets.core.table import TableWrite, TableWriter

logger = logging.getLogger("extract_assets.day_folders")

_OPEN_FILES = 64
_READ_CHUNK = 1 << 20


@dataclass(frozen=True)
class DayFolders:
    """What `write_day_folders` wrote: each day's result, and rows dated outside the range."""

    days: dict[date, SinkResult]
    outside_range: int
    table: TableWrite

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
        spool = _Spool(Path(spool_dir))
        outside = 0
        try:
            for page in pages:
                for row in page:
                    record = dict(row)
                    day = utc_day(record.pop(date_field, None))
                    key = day.isoformat() if day is not None else ""
                    if key not in wanted:
                        outside += 1
                        continue
                    spool.add(key, record)
        finally:
            spool.close()
        if outside:
            logger.warning("%d rows were dated outside %s..%s", outside, days[0], days[-1])
        for key, day in wanted.items():
            table.stage_ndjson(
                spool.chunks(key), day_file(folder, day), expected_rows=spool.counts[key]
            )
        published = table.publish()
    written = {day: published.files[str(day_file(folder, day))] for day in days}
    return DayFolders(days=written, outside_range=outside, table=published)


class _Spool:
    """One append-only NDJSON file per day, with a bounded number of them open at once."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.counts: Counter[str] = Counter()
        self._open: OrderedDict[str, IO[bytes]] = OrderedDict()

    def add(self, key: str, record: Mapping[str, Any]) -> None:
        handle = self._handle(key)
        handle.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode())
        handle.write(b"\n")
        self.counts[key] += 1

    def _handle(self, key: str) -> IO[bytes]:
        handle = self._open.get(key)
        if handle is not None:
            self._open.move_to_end(key)
            return handle
        if len(self._open) >= _OPEN_FILES:
            _, oldest = self._open.popitem(last=False)
            oldest.close()
        handle = (self.root / f"{key}.ndjson").open("ab")
        self._open[key] = handle
        return handle

    def close(self) -> None:
        for handle in self._open.values():
            handle.close()
        self._open.clear()

    def chunks(self, key: str) -> Iterator[bytes]:
        path = self.root / f"{key}.ndjson"
        if not path.exists():
            return
        with path.open("rb") as handle:
            while chunk := handle.read(_READ_CHUNK):
                yield chunk
