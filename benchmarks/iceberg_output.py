"""Iceberg output against plain Parquet: writing, peak memory, and DuckDB reading the table.

    python -m benchmarks.iceberg_output --rows 1000000 --days 365

The write: `--rows` ad-campaign rows over seven days (one partition window) go through
`write_day_folders`, once to Parquet day folders (the baseline) and once to an Iceberg table in
a SQLite catalog, each in a child process of its own so that its peak RSS is its own; rows/s
and peak RSS of each, the median of `--repeat` runs taken in turns.

The read: a table of `--days` days (`--rows-per-day` each) is written both ways, one
materialization per month; DuckDB then counts and sums the whole table, Parquet with
`read_parquet(..., hive_partitioning = true)`, Iceberg with the iceberg extension's
`iceberg_scan` on the table's metadata file; the median of several reads in turns.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from benchmarks.rss import peak_rss_mb, run_child
from benchmarks.table import Row, markdown
from benchmarks.table_rewrite import FIRST_DAY, ROW_SCHEMA, _months, day_rows

BENCHMARK = "iceberg output"
PARQUET = "Parquet day folders"
WEEK = 7
DUCKDB_READS = 7


def _target(output: Path) -> Any:
    from extract_assets.core.iceberg_catalog import CatalogSettings, IcebergTarget

    # A variable no one sets: the default SQLite catalog under the output, whatever the shell has.
    settings = CatalogSettings(uri_env="EXTRACT_ASSETS_BENCHMARK_NO_CATALOG")
    return IcebergTarget(settings, output, ("bench",), "ads", ("date", "date"))


def _pages(days: list[date], rows: int) -> Any:
    """`rows` rows spread over `days`, in pages of at most 10,000 rows as an API sends them."""
    per_day = rows // len(days)
    for day in days:
        for start in range(0, per_day, 10_000):
            page = day_rows(day, min(10_000, per_day - start))
            yield page


def write(output: Path, days: list[date], rows: int, fmt: str) -> Any:
    from extract_assets.core.day_folders import write_day_folders

    iceberg = _target(output) if fmt == "iceberg" else None
    return write_day_folders(
        _pages(days, rows), output / "bench" / "ads", days, json_schema=ROW_SCHEMA, iceberg=iceberg
    )


def run_write(output: Path, rows: int, fmt: str) -> dict[str, Any]:
    """One window of seven days, measured (called in the child)."""
    days = [FIRST_DAY + timedelta(days=n) for n in range(WEEK)]
    started = time.perf_counter()
    written = write(output, days, rows, fmt)
    return {
        "seconds": time.perf_counter() - started,
        "rows": written.rows,
        "peak_rss_mb": peak_rss_mb(),
    }


def build_year(output: Path, days_count: int, rows_per_day: int, fmt: str) -> None:
    days = [FIRST_DAY + timedelta(days=n) for n in range(days_count)]
    for month in _months(days):
        write(output, month, rows_per_day * len(month), fmt)


def duckdb_reads(parquet: Path, iceberg: str, reads: int) -> dict[str, tuple[float, int]]:
    """Median seconds and rows counted for each table, read in turns after a warm-up read."""
    import duckdb
    import duckdb_extension_avro
    import duckdb_extension_iceberg

    queries = {
        "parquet": f"SELECT count(*), sum(spend) FROM read_parquet('{parquet}/*/*.parquet', "
        "hive_partitioning = true)",
        "iceberg": f"SELECT count(*), sum(spend) FROM iceberg_scan('{iceberg}')",
    }
    times: dict[str, list[float]] = {name: [] for name in queries}
    counts: dict[str, int] = {}
    for _ in range(reads + 1):
        for name, query in queries.items():
            with duckdb.connect() as connection:
                for package, ext in (
                    (duckdb_extension_avro, "avro"),
                    (duckdb_extension_iceberg, "iceberg"),
                ):
                    folder = Path(package.__file__).parent / "extensions" / f"v{duckdb.__version__}"
                    connection.load_extension(str(folder / f"{ext}.duckdb_extension"))
                started = time.perf_counter()
                found = connection.execute(query).fetchone()
                times[name].append(time.perf_counter() - started)
            assert found is not None
            counts[name] = int(found[0])
    return {name: (statistics.median(taken[1:]), counts[name]) for name, taken in times.items()}


def collect(argv: list[str]) -> list[Row]:
    args = _parser().parse_args(argv)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="iceberg-bench-") as tmp:
        runs: dict[str, list[dict[str, Any]]] = {"parquet": [], "iceberg": []}
        for turn in range(args.repeat):
            for fmt in runs:
                out = Path(tmp) / f"write-{fmt}-{turn}"
                run = run_child(
                    "benchmarks.iceberg_output",
                    ["--run-write", str(out), "--format", fmt, "--rows", str(args.rows)],
                )
                if run["rows"] != args.rows // WEEK * WEEK:
                    raise RuntimeError(f"{fmt} wrote {run['rows']} rows, not {args.rows}")
                runs[fmt].append(run)
        seconds = {fmt: statistics.median(r["seconds"] for r in done) for fmt, done in runs.items()}
        rss = {fmt: max(r["peak_rss_mb"] for r in done) for fmt, done in runs.items()}
        case = f"{args.rows:,} rows, {WEEK} days, one materialization"
        rows += [
            Row(
                BENCHMARK,
                case,
                "rows/s",
                args.rows / seconds["iceberg"],
                PARQUET,
                args.rows / seconds["parquet"],
            ),
            Row(BENCHMARK, case, "peak RSS MB", rss["iceberg"], PARQUET, rss["parquet"]),
        ]
        year = Path(tmp) / "year"
        for fmt in ("parquet", "iceberg"):
            build_year(year / fmt, args.days, args.rows_per_day, fmt)
        from extract_assets.core.iceberg_catalog import open_catalog

        target = _target(year / "iceberg")
        table = open_catalog(target.catalog, target.output).load_table(target.identifier)
        read = duckdb_reads(year / "parquet" / "bench" / "ads", table.metadata_location, args.reads)
        if read["parquet"][1] != read["iceberg"][1]:
            raise RuntimeError(f"DuckDB counted different rows: {read}")
        case = f"{args.days} days x {args.rows_per_day:,} rows, DuckDB count + sum"
        rows.append(Row(BENCHMARK, case, "read s", read["iceberg"][0], PARQUET, read["parquet"][0]))
    return rows


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the written week")
    parser.add_argument("--days", type=int, default=365, help="days of the table DuckDB reads")
    parser.add_argument("--rows-per-day", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=3, help="writes of each format")
    parser.add_argument("--reads", type=int, default=DUCKDB_READS)
    parser.add_argument("--run-write", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--format", choices=("parquet", "iceberg"), help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = _parser().parse_args(argv)
    if args.run_write is not None:
        print(json.dumps(run_write(args.run_write, args.rows, args.format)))
        return 0
    print(f"load average (1 min): {os.getloadavg()[0]:.1f}")
    print(markdown(collect(argv)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
