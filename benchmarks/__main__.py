"""`make bench`: every benchmark script, one results table, also written to RESULTS.md.

    python -m benchmarks            # the sizes below; about 14 minutes on 2 cores
    python -m benchmarks --quick    # tiny sizes: checks that every script still runs

Each script also runs alone with its own arguments (`python -m benchmarks.<script> --help`)
and then prints its own, more detailed table.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import (
    dagster_overhead,
    dataextractor_sync,
    download_transport,
    extractto_backfill,
    iceberg_output,
    machine,
    ndjson_to_parquet,
    schema_check,
    sensor_tick,
    shared_rate,
    table_rewrite,
)
from benchmarks.table import Row, markdown, number

RESULTS = Path(__file__).parent / "RESULTS.md"
NDJSON_PATHS = ["--paths", "duckdb", "polars", "pyarrow", "pandas", "ours", "ours-http"]

Collect = Callable[[list[str]], list[Row]]

# (name, script, arguments of the full run, arguments of the quick run)
PLAN: list[tuple[str, Collect, list[str], list[str]]] = [
    (
        "ndjson_to_parquet",
        ndjson_to_parquet.collect,
        [
            *["--rows", "1000000", "--rows", "4000000", *NDJSON_PATHS],
            *["--skip", "pandas@4000000", "--skip", "pyarrow@4000000"],
        ],
        [
            *["--rows", "1000", "--rows", "2000", *NDJSON_PATHS],
            *["--late-rows", "3000", "--late-after", "2000"],
        ],
    ),
    (
        "download_transport",
        download_transport.collect,
        ["--rows", "1000000", "--repeat", "5"],
        ["--rows", "1000", "--repeat", "1"],
    ),
    (
        "schema_check",
        schema_check.collect,
        ["--rows", "1000000", "--before-rows", "50000"],
        ["--rows", "2000", "--before-rows", "500"],
    ),
    (
        "extractto_backfill",
        extractto_backfill.collect,
        ["--days", "60"],
        ["--days", "3", "--rows-per-day", "50", "--repeat", "1"],
    ),
    (
        "dataextractor_sync",
        dataextractor_sync.collect,
        ["--datasets", "2000", "--speed", "10"],
        ["--datasets", "200", "--speed", "10"],
    ),
    (
        "shared_rate",
        shared_rate.collect,
        ["--reads", "125", "--speed", "6"],
        ["--reads", "8", "--speed", "12", "--runs", "1", "--runs", "2"],
    ),
    (
        "sensor_tick",
        sensor_tick.collect,
        ["--tasks", "100", "--tasks", "1000", "--tasks", "10000"],
        [
            *["--tasks", "10", "--tasks", "30", "--new", "3", "--new-datasets", "20"],
            *["--reads-per-minute", "600"],
        ],
    ),
    (
        "dagster_overhead",
        dagster_overhead.collect,
        ["--repeat", "5", "--specs", "100"],
        ["--repeat", "1", "--specs", "5"],
    ),
    (
        "table_rewrite",
        table_rewrite.collect,
        ["--days", "90", "--days", "365"],
        ["--days", "5", "--days", "20", "--rows-per-day", "200", "--repeat", "1"],
    ),
    (
        "iceberg_output",
        iceberg_output.collect,
        ["--rows", "1000000", "--days", "365", "--rows-per-day", "2000"],
        [
            "--rows",
            "7000",
            "--days",
            "20",
            "--rows-per-day",
            "100",
            "--repeat",
            "1",
            "--reads",
            "1",
        ],
    ),
]


def report(rows: list[Row], seconds: dict[str, float], quick: bool, load: float) -> str:
    """The results file: the table, how to read it, each script's wall time and the machine
    it ran on."""
    mode = "python -m benchmarks --quick (tiny sizes: a smoke run)" if quick else "make bench"
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Benchmark results",
        "",
        f"`{mode}`, {when}, {sum(seconds.values()) / 60:.1f} min in all. Every baseline was "
        "measured in the",
        "same run; ratio = value ÷ baseline value (for MB/s, rows/s, reads/min and datasets",
        "listed higher is better; for peak RSS, requests, 429s and seconds lower is better;",
        "peak reads in 60 s should stay at or under the limit).",
        "",
        markdown(rows),
        "",
        "Wall time per script: "
        + ", ".join(f"{name} {number(taken)} s" for name, taken in seconds.items())
        + ".",
        "",
        "Machine:",
        "",
        *[f"- {line}" for line in machine.describe()],
        f"- load average (1 min) when the run started: {load:.1f}",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help=f"where to write the results (default {RESULTS.name}; none with --quick)",
    )
    args = parser.parse_args(argv)
    load = os.getloadavg()[0]
    rows: list[Row] = []
    seconds: dict[str, float] = {}
    for name, collect, full, quick in PLAN:
        started = time.perf_counter()
        rows += collect(quick if args.quick else full)
        seconds[name] = time.perf_counter() - started
    text = report(rows, seconds, args.quick, load)
    print(text)
    output = args.output or (None if args.quick else RESULTS)
    if output is not None:
        partial = output.with_name(output.name + ".partial")
        partial.write_text(text, encoding="utf-8")
        partial.replace(output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
