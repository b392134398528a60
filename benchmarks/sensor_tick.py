"""Sensor ticks as the number of tracked tasks grows: wall time and HTTP requests per tick.

    python -m benchmarks.sensor_tick --tasks 100 --tasks 1000 --tasks 10000
    python -m benchmarks.sensor_tick --only dataextractor --tasks 1000 --tasks 10000

Each tick is evaluated the way the daemon evaluates it, against a Dagster instance of its own,
with the emulator (a process of its own, on loopback) counting the requests.

The Linkup task-outputs sensor lists the organization's tasks newest `updatedAt` first and
stops at its watermark. The emulator holds N completed tasks started outside Dagster; the first
scan (no cursor) requests a run for each, at most 1,000 a tick, over as many ticks as it takes;
then one more tick runs after `--new` more tasks finished. Baseline, measured in the same run
with the same client: a naive poller that GETs every tracked task once per tick. The client's
pacing is off (`requests_per_minute=None`), so a tick measures the sensor's own cost, not the
120/min limiter; the tick keeps its 20 s budget.

The dataextractor.io polling sensor lists the datasets of its 3-day lookback at the
documented 60 reads a minute, within its 20 s budget a tick; a pass the budget cuts short goes
on at the next tick. The emulator holds N datasets created in the last two days, half of them
still processing; ticks come a minute apart on the emulator's clock until the first pass has
listed them all (at most 30 ticks), then one more. Baselines: the same tick at the smallest N,
and the N datasets a pass should see.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import dagster as dg

from benchmarks.emulated_source import KEY, emulator
from benchmarks.table import Row
from extract_assets.dataextractor.assets import build_dataextractor_assets
from extract_assets.dataextractor.resource import DataExtractorResource
from extract_assets.dataextractor.sensors import build_dataextractor_polling_sensor
from extract_assets.dataextractor.spec import DataExtractorDatasetsSpec
from extract_assets.emulator import EmulatorControl
from extract_assets.linkup.resource import LinkupResource
from extract_assets.linkup.sensors import build_linkup_sensor, build_linkup_task_outputs_asset

BENCHMARK = "sensor tick"
NAIVE = "GET each task (naive poll)"
DEFAULT_TASKS = (100, 1_000, 10_000)
DX_KEY = "dx-bench-sensor"
DX_ACCOUNT = "acct_bench_sensor"
MAX_PASS_TICKS = 30


@dataclass(frozen=True)
class Tick:
    """What one tick cost and what it asked Dagster for."""

    seconds: float
    requests: int
    run_requests: int
    cursor: str | None


@dataclass(frozen=True)
class LinkupMeasured:
    """The ticks of the first scan, the next tick and the naive poll at one number of tasks."""

    tasks: int
    first_scan: list[Tick]
    next: Tick
    naive_seconds: float
    naive_requests: int


@dataclass(frozen=True)
class PollingMeasured:
    """The ticks of the dataextractor.io polling sensor's first pass, the tick after it, and
    how many datasets each listed."""

    datasets: int
    first_pass: list[Tick]
    listed: list[int]
    next: Tick
    next_listed: int


class _Ticker:
    """Evaluates one sensor against one instance, counting the provider's requests."""

    def __init__(
        self,
        url: str,
        provider: str,
        sensor: dg.SensorDefinition,
        assets: list[dg.AssetsDefinition],
        resources: dict[str, Any],
        instance: dg.DagsterInstance,
    ) -> None:
        self.control = EmulatorControl(url)
        self.provider = provider
        self.sensor = sensor
        self.resources = resources
        self.instance = instance
        self.definitions = dg.Definitions(assets=assets, sensors=[sensor], resources=resources)

    def tick(self, cursor: str | None) -> Tick:
        before = self.requests()
        with dg.build_sensor_context(
            instance_ref=self.instance.get_ref(),
            cursor=cursor,
            definitions=self.definitions,
            resources=self.resources,
        ) as context:
            started = time.perf_counter()
            result = self.sensor.evaluate_tick(context)
            seconds = time.perf_counter() - started
        runs = len(result.run_requests or [])
        return Tick(seconds, self.requests() - before, runs, result.cursor)

    def requests(self) -> int:
        return len(self.control.requests(self.provider))


@contextmanager
def _instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as instance:
        yield instance


def measure_linkup(url: str, tasks: int, new: int) -> LinkupMeasured:
    """Seed `tasks` finished outside tasks, tick twice (`new` finish in between), poll naively."""
    control = EmulatorControl(url)
    control.reset()
    task_ids = control.seed_linkup_tasks(tasks)
    resource = LinkupResource(api_key=KEY, base_url=f"{url}/linkup", requests_per_minute=None)
    with _instance() as instance, tempfile.TemporaryDirectory() as tmp:
        outputs = build_linkup_task_outputs_asset(output_dir=tmp)
        sensor = build_linkup_sensor([], outputs)
        ticker = _Ticker(url, "linkup", sensor, [outputs], {"linkup": resource}, instance)
        first_scan = [ticker.tick(None)]
        while sum(t.run_requests for t in first_scan) < tasks and first_scan[-1].run_requests:
            first_scan.append(ticker.tick(first_scan[-1].cursor))
        _expect("first scan's", sum(t.run_requests for t in first_scan), tasks)
        control.seed_linkup_tasks(new, q="new outside task", spacing_seconds=0.001)
        later = ticker.tick(first_scan[-1].cursor)
        _expect("next", later.run_requests, new)
        before = ticker.requests()
        started = time.perf_counter()
        with resource.get_client() as client:
            for task_id in task_ids:
                client.get(task_id)
        naive_seconds = time.perf_counter() - started
        naive_requests = ticker.requests() - before
    return LinkupMeasured(tasks, first_scan, later, naive_seconds, naive_requests)


def measure_polling(url: str, datasets: int) -> PollingMeasured:
    """Seed `datasets` of the last two days, half processing; tick twice, a minute apart."""
    control = EmulatorControl(url)
    control.reset()
    control.add_dataextractor_key(DX_KEY, account=DX_ACCOUNT)
    today = datetime.now(UTC).date()
    control.seed_dataextractor_datasets(
        datasets,
        account=DX_ACCOUNT,
        date_from=(today - timedelta(days=2)).isoformat(),
        processing_share=0.5,
        processing_seconds=86_400,
    )
    spec = DataExtractorDatasetsSpec(name="docs", start_date=today - timedelta(days=30))
    resource = DataExtractorResource(api_key=DX_KEY, base_url=f"{url}/dataextractor")
    sensor = build_dataextractor_polling_sensor(spec)
    assets = build_dataextractor_assets([spec])
    with _instance() as instance:
        ticker = _Ticker(
            url, "dataextractor", sensor, assets, {"dataextractor": resource}, instance
        )
        first_pass: list[Tick] = []
        listed: list[int] = []
        cursor: str | None = None
        while len(first_pass) < MAX_PASS_TICKS and not (first_pass and _pass_done(cursor)):
            first_pass.append(ticker.tick(cursor))
            listed.append(_listed(cursor, first_pass[-1].cursor))
            cursor = first_pass[-1].cursor
            control.advance_clock(60)
        later = ticker.tick(cursor)
    return PollingMeasured(datasets, first_pass, listed, later, _listed(cursor, later.cursor))


def _pass_done(cursor: str | None) -> bool:
    return json.loads(cursor or "{}").get("pass_top") is None


def _listed(before: str | None, after: str | None) -> int:
    """Datasets a tick listed, from the pass counts of the cursors around it."""
    old, new = json.loads(before or "{}"), json.loads(after or "{}")
    so_far = new.get("last_pass_listed", 0) if _pass_done(after) else new.get("listed", 0)
    return int(so_far) - int(old.get("listed", 0))


def _expect(tick: str, run_requests: int, expected: int) -> None:
    if run_requests != expected:
        raise RuntimeError(f"the {tick} ticks requested {run_requests} runs, not {expected}")


def linkup_rows(results: list[LinkupMeasured], new: int) -> list[Row]:
    """The first scan's slowest tick and its requests, and the next tick's, against the naive
    poll at the same number of tasks."""
    table = []
    for result in results:
        scan = result.first_scan
        ticks = f"{len(scan)} tick{'s' if len(scan) > 1 else ''}"
        first = f"Linkup sensor, {result.tasks:,} tasks, first scan (empty cursor, {ticks})"
        later = f"Linkup sensor, {result.tasks:,} tasks, next tick ({new} new)"
        slowest = max(tick.seconds for tick in scan)
        requests = sum(tick.requests for tick in scan)
        naive_s, naive_requests = result.naive_seconds, result.naive_requests
        table += [
            Row(BENCHMARK, first, "slowest tick s", slowest, NAIVE, naive_s),
            Row(BENCHMARK, first, "HTTP requests", requests, NAIVE, naive_requests),
            Row(BENCHMARK, later, "tick s", result.next.seconds, NAIVE, naive_s),
            Row(BENCHMARK, later, "HTTP requests", result.next.requests, NAIVE, naive_requests),
        ]
    return table


def polling_rows(results: list[PollingMeasured]) -> list[Row]:
    """Each tick against the same tick at the smallest N; the datasets it saw against N; the
    first pass's ticks, its busiest tick and the datasets all its ticks listed."""
    smallest = min(results, key=lambda result: result.datasets)
    reference = f"same tick at {smallest.datasets:,} datasets"
    table = []
    for result in results:
        first, base = result.first_pass, smallest.first_pass
        ticks = f"{len(first)} tick{'s' if len(first) > 1 else ''}"
        case = f"dataextractor.io polling sensor, {result.datasets:,} datasets, first pass"
        case += f" ({ticks}, a minute apart)"
        pass_reference = f"first pass at {smallest.datasets:,} datasets"
        table += [
            Row(BENCHMARK, case, "ticks", len(first), pass_reference, len(base)),
            Row(
                BENCHMARK,
                case,
                "HTTP requests, busiest tick",
                max(tick.requests for tick in first),
                pass_reference,
                max(tick.requests for tick in base),
            ),
            Row(
                BENCHMARK,
                case,
                "datasets listed",
                sum(result.listed),
                "datasets in the lookback",
                result.datasets,
            ),
            Row(
                BENCHMARK,
                case,
                "cursor bytes",
                len(first[-1].cursor or ""),
                pass_reference,
                len(base[-1].cursor or ""),
            ),
        ]
        for label, tick, base_tick, listed in (
            ("first tick (empty cursor)", first[0], base[0], result.listed[0]),
            ("next tick (after the first pass)", result.next, smallest.next, result.next_listed),
        ):
            case = f"dataextractor.io polling sensor, {result.datasets:,} datasets, {label}"
            table += [
                Row(BENCHMARK, case, "tick s", tick.seconds, reference, base_tick.seconds),
                Row(BENCHMARK, case, "HTTP requests", tick.requests, reference, base_tick.requests),
                Row(
                    BENCHMARK,
                    case,
                    "datasets listed",
                    listed,
                    "datasets in the lookback",
                    result.datasets,
                ),
            ]
    return table


def collect(argv: list[str] | None = None) -> list[Row]:
    """Run the benchmark with these arguments; the rows of the results table."""
    args = _parser().parse_args(argv)
    sizes = args.tasks or DEFAULT_TASKS
    table: list[Row] = []
    with emulator() as url:
        if args.only in (None, "linkup"):
            table += linkup_rows(
                [measure_linkup(url, tasks, args.new) for tasks in sizes], args.new
            )
        if args.only in (None, "dataextractor"):
            table += polling_rows([measure_polling(url, datasets) for datasets in sizes])
    return table


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--tasks", type=int, action="append", help="tracked tasks or datasets; repeatable"
    )
    parser.add_argument(
        "--only", choices=("linkup", "dataextractor"), help="run one sensor's part (default both)"
    )
    parser.add_argument("--new", type=int, default=10, help="Linkup tasks finishing between ticks")
    return parser


def main(argv: list[str] | None = None) -> int:
    from benchmarks.table import markdown

    print(markdown(collect(argv)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
