"""Table rewrite: one more day whose rows bring a new column, against one more day without.

    python -m benchmarks.table_rewrite --days 90 --days 365

Every file of a table has exactly the table's schema, so a day whose rows carry a key the table
has never seen (a new column) makes `write_day_folders` rewrite every earlier day file to the
grown schema, file by file, row group by row group. This measures what that costs: a table of
N days of ad-campaign rows (deterministic) is built once per size with `write_day_folders`;
then, each time on a fresh copy of it (copied outside the clock), one more day is written
either with the same columns (the baseline: nothing is rewritten) or with one new column
(every earlier file is rewritten). Each write runs in a child process of its own, so that its
peak RSS is its own; the median wall time of `--repeat` runs counts, and the highest peak RSS.
Peak RSS is also read against the table's uncompressed size and against the smallest table's:
a rewrite holds one row group at a time, so it should not grow with the table.

The reader's side: DuckDB reads the whole table (count and sum over every file, Hive-style)
before and after the rewrite; every file on one schema should read as fast as before.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from benchmarks.rss import peak_rss_mb, run_child
from benchmarks.table import Row, number

BENCHMARK = "table rewrite"
BASELINE = "one more day, no new column"
TABLE = "ads"
FIRST_DAY = date(2025, 1, 1)
NEW_COLUMN = "video_views"
DUCKDB_READS = 9

# The columns the source declares; a new key in the rows (NEW_COLUMN) is not among them.
ROW_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "campaign_id": {"type": "integer"},
        "ad_group_id": {"type": "integer"},
        "campaign_name": {"type": "string"},
        "channel": {"type": "string", "enum": ["search", "display", "social", "video"]},
        "country": {"type": "string"},
        "device": {"type": "string"},
        "impressions": {"type": "integer"},
        "clicks": {"type": "integer"},
        "conversions": {"type": "integer"},
        "spend": {"type": "number"},
        "revenue": {"type": "number"},
        "ctr": {"type": "number"},
        "updated_at": {"type": "string", "format": "date-time"},
    },
}

_CHANNELS = ("search", "display", "social", "video")
_COUNTRIES = ("US", "FR", "DE", "GB", "JP", "BR", "IN", "ES")
_DEVICES = ("desktop", "mobile", "tablet")
_THEMES = ("spring sale", "brand", "retargeting", "launch", "black friday", "always on")


def day_rows(day: date, count: int, new_column: bool = False) -> list[dict[str, Any]]:
    """The rows of one day, the same on every run; `new_column` adds NEW_COLUMN to each."""
    rng = random.Random(day.toordinal())
    rows = []
    for index in range(count):
        campaign = rng.randrange(1, 400)
        impressions = rng.randrange(100, 200_000)
        clicks = rng.randrange(0, max(impressions // 20, 1))
        spend = round(clicks * rng.uniform(0.05, 3.0), 2)
        row: dict[str, Any] = {
            "date": day.isoformat(),
            "campaign_id": campaign,
            "ad_group_id": campaign * 1000 + index % 50,
            "campaign_name": f"{_THEMES[campaign % len(_THEMES)]} #{campaign}",
            "channel": _CHANNELS[campaign % len(_CHANNELS)],
            "country": rng.choice(_COUNTRIES),
            "device": rng.choice(_DEVICES),
            "impressions": impressions,
            "clicks": clicks,
            "conversions": rng.randrange(0, clicks + 1) // 10,
            "spend": spend,
            "revenue": round(spend * rng.uniform(0.0, 4.0), 2),
            "ctr": round(clicks / impressions, 6),
            "updated_at": f"{day.isoformat()}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:"
            f"{rng.randrange(60):02d}.{rng.randrange(1000):03d}Z",
        }
        if new_column:
            row[NEW_COLUMN] = rng.randrange(0, impressions)
        rows.append(row)
    return rows


def _months(days: list[date]) -> Iterator[list[date]]:
    month: list[date] = []
    for day in days:
        if month and (day.year, day.month) != (month[0].year, month[0].month):
            yield month
            month = []
        month.append(day)
    if month:
        yield month


def build_table(folder: Path, days_count: int, rows_per_day: int) -> None:
    """The table of `days_count` days from FIRST_DAY, written one month per call."""
    from extract_assets.core.day_folders import write_day_folders

    days = [FIRST_DAY + timedelta(days=n) for n in range(days_count)]
    for month in _months(days):
        pages = (day_rows(day, rows_per_day) for day in month)
        written = write_day_folders(pages, folder, month, json_schema=ROW_SCHEMA)
        if written.table.rewritten:
            raise RuntimeError(f"building {folder} rewrote {written.table.rewritten} files")


@dataclass(frozen=True)
class TableSize:
    """A table's files on disk: how many, their bytes, and their uncompressed bytes."""

    files: int
    rows: int
    bytes: int
    uncompressed: int


def table_size(folder: Path) -> TableSize:
    import pyarrow.parquet as pq

    files = sorted(folder.glob("*=*/*.parquet"))
    rows = uncompressed = 0
    for path in files:
        meta = pq.read_metadata(path)
        rows += meta.num_rows
        uncompressed += sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    return TableSize(len(files), rows, sum(p.stat().st_size for p in files), uncompressed)


def copy_table(source: Path, target: Path) -> None:
    """The table's folder and its schema document, as a table of its own at `target`."""
    shutil.rmtree(target, ignore_errors=True)
    _document(target).unlink(missing_ok=True)
    shutil.copytree(source, target)
    shutil.copy2(_document(source), _document(target))


def _document(folder: Path) -> Path:
    from extract_assets.core.paths import schema_document

    document = schema_document(folder)
    assert isinstance(document, Path)
    return document


# --- one write, in a child process ---------------------------------------------------------


def run_write(folder: Path, day: date, rows_per_day: int, new_column: bool) -> dict[str, Any]:
    """Write one more day to the table at `folder` and measure it (called in the child)."""
    from extract_assets.core.day_folders import write_day_folders

    rows = day_rows(day, rows_per_day, new_column=new_column)
    before_rss_mb = peak_rss_mb()
    started = time.perf_counter()
    written = write_day_folders([rows], folder, [day], json_schema=ROW_SCHEMA)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "rows": written.rows,
        "rewritten": written.table.rewritten,
        "columns": len(written.table.schema),
        "changes": written.table.changes.summary(),
        "day_bytes": written.days[day].bytes,
        "peak_rss_mb": peak_rss_mb(),
        "before_rss_mb": before_rss_mb,
    }


def write_in_child(folder: Path, day: date, rows_per_day: int, new_column: bool) -> dict[str, Any]:
    arguments = ["--run-write", str(folder), "--day", day.isoformat()]
    arguments += ["--rows-per-day", str(rows_per_day)]
    return run_child(
        "benchmarks.table_rewrite", arguments + (["--new-column"] if new_column else [])
    )


# --- the reader's side ---------------------------------------------------------------------


def duckdb_reads(before: Path, after: Path, reads: int) -> tuple[float, float, int, int]:
    """The median seconds DuckDB takes to count and sum each whole table, reading them in
    turns (after one read of each to warm up), and the rows it counted in each."""
    import duckdb

    times: dict[Path, list[float]] = {before: [], after: []}
    counts: dict[Path, int] = {}
    for _ in range(reads + 1):
        for folder in (before, after):
            query = (
                f"SELECT count(*), sum(spend) FROM read_parquet('{folder}/*/*.parquet', "
                "hive_partitioning = true)"
            )
            with duckdb.connect() as connection:
                started = time.perf_counter()
                found = connection.execute(query).fetchone()
                times[folder].append(time.perf_counter() - started)
            assert found is not None
            counts[folder] = int(found[0])
    median = {folder: statistics.median(taken[1:]) for folder, taken in times.items()}
    return median[before], median[after], counts[before], counts[after]


def _check_new_column(folder: Path, rows: int) -> None:
    """Every file has the new column: it reads without `union_by_name`, set on the new day."""
    import duckdb

    query = (
        f"SELECT count({NEW_COLUMN}), count(*) FROM read_parquet('{folder}/*/*.parquet', "
        "hive_partitioning = true)"
    )
    with duckdb.connect() as connection:
        found = connection.execute(query).fetchone()
    if found is None or int(found[0]) != rows:
        raise RuntimeError(f"{NEW_COLUMN} holds {found} values after the rewrite, not {rows}")


# --- measuring -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Measured:
    """Both writes on one table size, and DuckDB's reads before and after the rewrite."""

    days: int
    rows_per_day: int
    size: TableSize
    size_after: TableSize
    append: dict[str, Any]
    widen: dict[str, Any]
    read_before: float
    read_after: float


def _chosen(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run of median wall time, with the highest peak RSS of all runs."""
    median = statistics.median(run["seconds"] for run in runs)
    chosen = min(runs, key=lambda run: abs(run["seconds"] - median))
    return {**chosen, "seconds": median, "peak_rss_mb": max(r["peak_rss_mb"] for r in runs)}


def measure_size(root: Path, days_count: int, rows_per_day: int, repeat: int) -> Measured:
    base = root / f"base-{days_count}" / TABLE
    build_table(base, days_count, rows_per_day)
    size = table_size(base)
    next_day = FIRST_DAY + timedelta(days=days_count)
    runs: dict[bool, list[dict[str, Any]]] = {False: [], True: []}
    copy = root / f"copy-{days_count}" / TABLE
    for _ in range(repeat):
        for new_column in (False, True):  # taking turns, so noise does not land on one only
            copy_table(base, copy)
            run = write_in_child(copy, next_day, rows_per_day, new_column)
            expected = days_count if new_column else 0
            if run["rewritten"] != expected:
                raise RuntimeError(f"rewrote {run['rewritten']} files, not {expected}: {run}")
            runs[new_column].append(run)
    # `copy` is now the table after the last rewrite; `base` the same table before it.
    size_after = table_size(copy)
    _check_new_column(copy, rows_per_day)
    read_before, read_after, counted, counted_after = duckdb_reads(base, copy, DUCKDB_READS)
    if (counted, counted_after) != (size.rows, size.rows + rows_per_day):
        raise RuntimeError(f"DuckDB counted {counted} and {counted_after} rows of {size.rows}")
    shutil.rmtree(base.parent)
    shutil.rmtree(copy.parent)
    return Measured(
        days=days_count,
        rows_per_day=rows_per_day,
        size=size,
        size_after=size_after,
        append=_chosen(runs[False]),
        widen=_chosen(runs[True]),
        read_before=read_before,
        read_after=read_after,
    )


def measure(sizes: list[int], rows_per_day: int, repeat: int) -> list[Measured]:
    with tempfile.TemporaryDirectory(prefix="table-rewrite-") as tmp:
        return [measure_size(Path(tmp), days, rows_per_day, repeat) for days in sizes]


# --- reporting -----------------------------------------------------------------------------


def _mb(size: float) -> float:
    return size / 1e6


def _written_mb_per_s(result: Measured, run: dict[str, Any]) -> float:
    """Parquet MB the write put on disk per second: the new day, or the whole table when every
    earlier file was rewritten."""
    written = result.size_after.bytes if run["rewritten"] else run["day_bytes"]
    return _mb(written) / run["seconds"]


def _case(result: Measured) -> str:
    return (
        f"{result.days} days x {result.rows_per_day:,} rows "
        f"({number(_mb(result.size.bytes))} MB Parquet), one more day + {NEW_COLUMN}"
    )


def table_rows(results: list[Measured]) -> list[Row]:
    """Each table size: the write that rewrites against the one that does not, DuckDB's read
    after the rewrite against before, and peak RSS against the table's size; then peak RSS at
    the largest table against the smallest."""
    rows: list[Row] = []
    for result in results:
        case, append, widen = _case(result), result.append, result.widen
        uncompressed = _mb(result.size.uncompressed)
        rows += [
            Row(BENCHMARK, case, "wall s", widen["seconds"], BASELINE, append["seconds"]),
            Row(BENCHMARK, case, "files rewritten", widen["rewritten"], BASELINE, 0),
            Row(
                BENCHMARK,
                case,
                "Parquet MB/s written",
                _written_mb_per_s(result, widen),
                BASELINE,
                _written_mb_per_s(result, append),
            ),
            Row(
                BENCHMARK,
                case,
                "peak RSS MB",
                widen["peak_rss_mb"],
                BASELINE,
                append["peak_rss_mb"],
            ),
            Row(
                BENCHMARK,
                case,
                "peak RSS above imports MB",
                widen["peak_rss_mb"] - widen["before_rss_mb"],
                f"the table uncompressed ({number(uncompressed)} MB)",
                uncompressed,
            ),
            Row(
                BENCHMARK,
                f"DuckDB count + sum over {result.days} days, after the rewrite",
                "read s",
                result.read_after,
                "same read before the rewrite",
                result.read_before,
            ),
        ]
    if len(results) > 1:
        small, large = results[0], results[-1]
        for label, run_small, run_large in (
            (f"one more day + {NEW_COLUMN}", small.widen, large.widen),
            (BASELINE, small.append, large.append),
        ):
            for figure, key in (("peak RSS MB", None), ("peak RSS above imports MB", "x")):
                rows.append(
                    Row(
                        BENCHMARK,
                        f"{label}, {large.days} days",
                        figure,
                        _rss(run_large, key is not None),
                        f"same at {small.days} days",
                        _rss(run_small, key is not None),
                    )
                )
    return rows


def _rss(run: dict[str, Any], above_imports: bool) -> float:
    peak = float(run["peak_rss_mb"])
    return peak - float(run["before_rss_mb"]) if above_imports else peak


def report(results: list[Measured]) -> None:
    """This script's own, more detailed table."""
    for result in results:
        size, after = result.size, result.size_after
        print(
            f"\n{result.days} days x {result.rows_per_day:,} rows: {size.files} files, "
            f"{size.rows:,} rows, {_mb(size.bytes):.1f} MB Parquet "
            f"({_mb(size.uncompressed):.1f} MB uncompressed); after the rewrite "
            f"{_mb(after.bytes):.1f} MB"
        )
        header = (
            f"{'one more day':<28} {'wall s':>7} {'rewritten':>9} {'MB/s':>6} "
            f"{'peak RSS MB':>11} {'before write':>12} {'vs baseline':>11}"
        )
        print(header)
        print("-" * len(header))
        for label, run in (
            ("same columns (baseline)", result.append),
            (f"+ {NEW_COLUMN}", result.widen),
        ):
            ratio = run["seconds"] / result.append["seconds"]
            print(
                f"{label:<28} {run['seconds']:>7.2f} {run['rewritten']:>9} "
                f"{_written_mb_per_s(result, run):>6.1f} {run['peak_rss_mb']:>11.0f} "
                f"{run['before_rss_mb']:>12.0f} {ratio:>10.2f}x"
            )
        print(f"changes: {result.widen['changes']}")
        print(
            f"DuckDB count + sum of the table: {result.read_before * 1000:.0f} ms before, "
            f"{result.read_after * 1000:.0f} ms after the rewrite "
            f"({result.read_after / result.read_before:.2f}x)"
        )
    if len(results) > 1:
        small, large = results[0], results[-1]
        grown = large.widen["peak_rss_mb"] / small.widen["peak_rss_mb"]
        print(
            f"\nrewrite's peak RSS: {small.widen['peak_rss_mb']:.0f} MB at {small.days} days, "
            f"{large.widen['peak_rss_mb']:.0f} MB at {large.days} days ({grown:.2f}x)"
        )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, action="append", help="table size; repeatable")
    parser.add_argument("--rows-per-day", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per write; the median counts")
    parser.add_argument("--run-write", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--day", type=date.fromisoformat, help=argparse.SUPPRESS)
    parser.add_argument("--new-column", action="store_true", help=argparse.SUPPRESS)
    return parser


def _measure(args: argparse.Namespace) -> list[Measured]:
    return measure(sorted(args.days or [90, 365]), args.rows_per_day, args.repeat)


def collect(argv: list[str] | None = None) -> list[Row]:
    """Run the benchmark with these arguments; the rows of the results table."""
    return table_rows(_measure(_parser().parse_args(argv)))


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.run_write:
        result = run_write(args.run_write, args.day, args.rows_per_day, args.new_column)
        print(json.dumps(result))
        return 0
    report(_measure(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
