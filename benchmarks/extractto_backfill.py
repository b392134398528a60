"""Extract.to backfills: single-run against one run per partition, and page reads into Parquet.

    python -m benchmarks.extractto_backfill --days 365 --repeat 5

Both backfills materialize the same date-partitioned extract asset, in process, against the
emulator (a process of its own, on loopback), with the same sync time per extract run. The
per-partition mode is Dagster's default policy of one run per partition; in-process runs leave
out the ~4.5 s a real run process costs, so its wall time here is a lower bound. Then the rows of
the whole range are read page by page into Parquet by our client and day-folder writer, against
a plain baseline: httpx pages → `pyarrow.Table.from_pylist` → one `pyarrow.parquet` file.
The two reads take turns `--repeat` times against the same emulator; each figure is the median,
and the load average is printed before each turn (the machine is shared).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import httpx
import pyarrow as pa
import pyarrow.parquet as pq

from benchmarks.emulated_source import emulator
from benchmarks.table import Row
from extract_assets.core.day_folders import write_day_folders
from extract_assets.emulator import EmulatorControl
from extract_assets.extractto.assets import build_extractto_assets
from extract_assets.extractto.client import ExtractToClient
from extract_assets.extractto.resource import ExtractToResource
from extract_assets.extractto.spec import ExtractToExtractSpec

BENCHMARK = "Extract.to backfill"
KEY = "demo-extractto-key"
SYNC_SECONDS = 0.2


def _requests(control: EmulatorControl) -> int:
    return len(control.requests("extractto"))


def backfill(url: str, days: list[date], single_run: bool, out: Path) -> dict[str, Any]:
    """Materialize `days` with one run, or one run per day; count requests and time."""
    control = EmulatorControl(url)
    control.reset()
    control.extractto_settings(sync_seconds=SYNC_SECONDS)
    demo = control.extractto_demo()
    spec = ExtractToExtractSpec(name="ads", extract_id=demo["extract_id"], start_date=days[0])
    policy = dg.BackfillPolicy.single_run() if single_run else dg.BackfillPolicy.multi_run(1)
    (asset,) = build_extractto_assets([spec], output_dir=str(out), backfill_policy=policy)
    resource = ExtractToResource(
        api_key=KEY,
        base_url=f"{url}/extractto",
        poll_initial_seconds=0.05,
        poll_max_seconds=0.2,
        requests_per_minute=None,
    )
    ranges = [(days[0], days[-1])] if single_run else [(day, day) for day in days]
    with dg.instance_for_test() as instance:
        # A fresh instance takes seconds to create; that is neither mode's cost.
        started = time.perf_counter()
        for first, last in ranges:
            result = dg.materialize(
                [asset],
                resources={"extractto": resource},
                instance=instance,
                tags={
                    "dagster/asset_partition_range_start": first.isoformat(),
                    "dagster/asset_partition_range_end": last.isoformat(),
                },
            )
            assert result.success
        seconds = time.perf_counter() - started
    runs = [r for r in control.requests("extractto") if str(r["path"]).endswith("/run")]
    return {"runs": len(runs), "requests": _requests(control), "seconds": seconds}


def read_ours(url: str, days: list[date], out: Path) -> tuple[int, float]:
    control = EmulatorControl(url)
    table_id = control.extractto_demo()["data_table_id"]
    started = time.perf_counter()
    with ExtractToClient(KEY, base_url=f"{url}/extractto") as client:
        pages = client.iter_row_pages(table_id, days[0], days[-1])
        written = write_day_folders(pages, out, days)
    return written.rows, time.perf_counter() - started


def read_plain_pyarrow(url: str, days: list[date], out: Path) -> tuple[int, float]:
    control = EmulatorControl(url)
    table_id = control.extractto_demo()["data_table_id"]
    started = time.perf_counter()
    tables: list[pa.Table] = []
    params: dict[str, Any] = {
        "date_from": days[0].isoformat(),
        "date_to": days[-1].isoformat(),
        "limit": 10_000,
    }
    headers = {"Authorization": f"Bearer {KEY}"}
    with httpx.Client(base_url=f"{url}/extractto", headers=headers, timeout=60) as http:
        while True:
            body = http.get(f"/data-tables/{table_id}/rows", params=params).json()
            tables.append(pa.Table.from_pylist(body["data"]))
            if not body["next_cursor"]:
                break
            params["cursor"] = body["next_cursor"]
    table = pa.concat_tables(tables, promote_options="default")
    pq.write_table(table, out / "rows.parquet")
    return table.num_rows, time.perf_counter() - started


@dataclass(frozen=True)
class Measured:
    """Both backfills and both page reads of one run."""

    days: int
    single: dict[str, Any]
    multi: dict[str, Any]
    plain_rows: int
    plain_seconds: float
    ours_rows: int
    ours_seconds: float


def measure(days_count: int, rows_per_day: int, repeat: int = 1) -> Measured:
    """Backfill the last `days_count` days both ways, then read their rows both ways."""
    yesterday = date.today() - timedelta(days=1)
    days = [yesterday - timedelta(days=n) for n in reversed(range(days_count))]
    with emulator() as url, tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        single = backfill(url, days, True, out / "single")
        multi = backfill(url, days, False, out / "multi")
        control = EmulatorControl(url)
        control.reset()
        extract_id = control.extractto_demo()["extract_id"]
        control.set_extractto_extract_scenario(extract_id, rows_per_day=rows_per_day)
        control.sync_extractto_extract(extract_id, days[0].isoformat(), days[-1].isoformat())
        control.advance_clock(3600)
        plain: list[float] = []
        ours: list[float] = []
        for turn in range(repeat):
            print(f"page reads, turn {turn + 1}: load average {os.getloadavg()[0]:.1f}")
            plain_rows, seconds = read_plain_pyarrow(url, days, out)
            plain.append(seconds)
            ours_rows, seconds = read_ours(url, days, out / f"ours{turn}")
            ours.append(seconds)
    return Measured(
        days_count,
        single,
        multi,
        plain_rows,
        statistics.median(plain),
        ours_rows,
        statistics.median(ours),
    )


def table_rows(result: Measured) -> list[Row]:
    """The single run against one run per partition; our page reads against plain pyarrow."""
    case = f"{result.days}-day backfill, single run"
    per_partition = "one run per partition"
    single, multi = result.single, result.multi
    reads = f"{result.ours_rows:,} rows of pages → Parquet, ours"
    return [
        Row(BENCHMARK, case, "extract runs", single["runs"], per_partition, multi["runs"]),
        Row(BENCHMARK, case, "API requests", single["requests"], per_partition, multi["requests"]),
        Row(BENCHMARK, case, "wall s", single["seconds"], per_partition, multi["seconds"]),
        Row(
            BENCHMARK,
            reads,
            "rows/s",
            result.ours_rows / result.ours_seconds,
            "httpx pages → pyarrow, one file",
            result.plain_rows / result.plain_seconds,
        ),
    ]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--rows-per-day", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3, help="turns of the two page reads")
    return parser


def collect(argv: list[str] | None = None) -> list[Row]:
    """Run the benchmark with these arguments; the rows of the results table."""
    args = _parser().parse_args(argv)
    return table_rows(measure(args.days, args.rows_per_day, args.repeat))


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    result = measure(args.days, args.rows_per_day, args.repeat)
    single, multi = result.single, result.multi
    print(f"\n{args.days}-day backfill of one Extract.to extract ({SYNC_SECONDS} s per sync)")
    print(f"{'mode':<26} {'extract runs':>12} {'API requests':>12} {'wall s':>8}")
    for label, run in (("single run (ours)", single), ("one run per partition", multi)):
        print(f"{label:<26} {run['runs']:>12} {run['requests']:>12} {run['seconds']:>8.1f}")
    print(
        f"ratio: {multi['requests'] / single['requests']:.0f}x fewer requests, "
        f"{multi['seconds'] / single['seconds']:.1f}x faster"
    )
    print(
        f"\nreading {result.ours_rows:,} rows of data-table pages into Parquet "
        f"(median of {args.repeat})"
    )
    print(f"{'path':<34} {'rows':>10} {'rows/s':>10} {'vs baseline':>12}")
    plain_speed = result.plain_rows / result.plain_seconds
    for label, rows, seconds in (
        ("plain pyarrow (baseline)", result.plain_rows, result.plain_seconds),
        ("ours (client + day folders)", result.ours_rows, result.ours_seconds),
    ):
        ratio = (rows / seconds) / plain_speed
        print(f"{label:<34} {rows:>10,} {rows / seconds:>10,.0f} {ratio:>11.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
