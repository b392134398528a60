"""dataextractor.io: a large sync paced under the documented rate limits.

    python -m benchmarks.dataextractor_sync --datasets 5000 --speed 10

The emulator (a process of its own, on loopback) holds the datasets and enforces 60 reads a
minute per key by ITS clock, which runs `--speed` times faster than the wall clock so the run is
short; the client is told the same limit in wall-clock terms (60 x speed). Two passes read every
dataset: a page size of 100 (the API's maximum) and of 20 (the default, five times the requests).
Each prints the reads per minute achieved in emulator time against the limit, the 429s answered,
and the wall time against the theoretical minimum (requests at exactly the limit). A third pass,
the baseline, reads with no client-side pacing at all and relies on `Retry-After`: its 429s are
the point; its wall time is inflated, since it sleeps `Retry-After` (emulator seconds) in wall
seconds while the emulator's clock runs faster.
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime
from typing import Any

from benchmarks.emulated_source import emulator
from benchmarks.table import Row
from extract_assets.core.retry import RetryPolicy
from extract_assets.dataextractor.client import DataExtractorClient
from extract_assets.emulator import EmulatorControl

BENCHMARK = "dataextractor.io rate limit"
ACCOUNT = "acct_bench"
PAGE_100 = "ours, page size 100"
PAGE_20 = "ours, page size 20"
UNPACED = "unpaced client, Retry-After only"
LIMIT = 60.0


def sync(url: str, speed: float, page_size: int, paced: bool) -> dict[str, Any]:
    """One full read of the account with a key of its own, so its counters are its alone."""
    control = EmulatorControl(url)
    key = f"dx-bench-{page_size}-{'paced' if paced else 'unpaced'}"
    control.add_dataextractor_key(key, account=ACCOUNT)
    rate = LIMIT * speed if paced else 1e9
    started = time.perf_counter()
    with DataExtractorClient(
        key,
        base_url=f"{url}/dataextractor",
        reads_per_minute=rate,
        retry=RetryPolicy(max_attempts=50, deadline_seconds=3600),
    ) as client:
        count = sum(len(page) for page in client.iter_dataset_pages(page_size=page_size))
    seconds = time.perf_counter() - started
    usage = next(u for u in control.dataextractor_usage() if u["key"] == key)["buckets"]["read"]
    first, last = (datetime.fromisoformat(usage[k]) for k in ("first_at", "last_at"))
    span = (last - first).total_seconds()
    per_minute = (usage["requests"] - 1) / span * 60 if span else float("nan")
    minimum = (usage["requests"] - 1) * 60 / LIMIT / speed
    return {
        "datasets": count,
        "requests": usage["requests"],
        "per_minute": per_minute,
        "rate_limited": usage["rate_limited"],
        "seconds": seconds,
        "minimum": minimum,
    }


def measure(datasets: int, speed: float) -> list[tuple[str, dict[str, Any]]]:
    """Seed `datasets` and read them all three ways, the baseline last."""
    with emulator() as url:
        control = EmulatorControl(url)
        control.add_dataextractor_key("dx-bench-seed", account=ACCOUNT)
        control.seed_dataextractor_datasets(datasets, account=ACCOUNT)
        control.set_speed(speed)
        return [
            (PAGE_100, sync(url, speed, 100, paced=True)),
            (PAGE_20, sync(url, speed, 20, paced=True)),
            (UNPACED, sync(url, speed, 20, paced=False)),
        ]


def table_rows(datasets: int, runs: list[tuple[str, dict[str, Any]]]) -> list[Row]:
    """Our reads a minute against the documented limit, our 429s and reads a minute against
    the unpaced client's, our wall time against the minimum the limit allows."""
    unpaced = dict(runs)[UNPACED]
    limit = f"documented limit ({LIMIT:.0f}/min)"
    table = []
    for label, run in runs:
        if label == UNPACED:
            continue
        case = f"{datasets:,} datasets, {label}"
        table += [
            Row(BENCHMARK, case, "reads/min", run["per_minute"], limit, LIMIT),
            Row(
                BENCHMARK,
                case,
                "429 responses",
                run["rate_limited"],
                UNPACED,
                unpaced["rate_limited"],
            ),
            Row(BENCHMARK, case, "wall s", run["seconds"], "minimum at the limit", run["minimum"]),
        ]
        if run["requests"] == unpaced["requests"]:
            table.append(
                Row(BENCHMARK, case, "reads/min", run["per_minute"], UNPACED, unpaced["per_minute"])
            )
    return table


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=5000)
    parser.add_argument("--speed", type=float, default=10.0, help="emulator clock speed-up")
    return parser


def collect(argv: list[str] | None = None) -> list[Row]:
    """Run the benchmark with these arguments; the rows of the results table."""
    args = _parser().parse_args(argv)
    return table_rows(args.datasets, measure(args.datasets, args.speed))


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    runs = measure(args.datasets, args.speed)
    print(
        f"\nsync of {args.datasets:,} datasets, read limit {LIMIT:.0f}/min per key, "
        f"emulator clock x{args.speed:g}"
    )
    header = (
        f"{'client':<27} {'datasets':>8} {'reads':>6} {'reads/min':>9} {'vs limit':>8} "
        f"{'429s':>5} {'wall s':>7} {'minimum s':>9} {'vs minimum':>10}"
    )
    print(header)
    print("-" * len(header))
    for label, run in runs:
        print(
            f"{label:<27} {run['datasets']:>8,} {run['requests']:>6} {run['per_minute']:>9.1f} "
            f"{run['per_minute'] / LIMIT:>7.2f}x {run['rate_limited']:>5} {run['seconds']:>7.1f} "
            f"{run['minimum']:>9.1f} {run['seconds'] / run['minimum']:>9.2f}x"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
