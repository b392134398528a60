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

The dataextractor.io polling sensor, paced at the documented 60 reads a minute (the resource's
default; `--reads-per-minute` for a smoke run that need not wait) with its 20 s budget a tick. The
emulator holds N datasets created in the last two days, 3 of them still processing for an hour;
ticks come a minute apart on the emulator's clock until the first pass has listed them all, then: a
tick with the 3 stragglers processing (each looked up once), the tick an hour later when they
completed, an idle tick (nothing new), and a tick after `--new-datasets` datasets were created.
Before each of these the client's rate bucket is refilled, as a minute between ticks does.
Baselines, measured in the same run with the same client: the goal of issue 14 (an idle tick of at
most 2 requests and 1 s) and the tick before it (`old tick`: re-list the lookback from the newest,
page after page, until the lookback ends or the 20 s budget does).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import dagster as dg

from benchmarks.emulated_source import KEY, emulator
from benchmarks.table import Row
from extract_assets.dataextractor.assets import build_dataextractor_assets
from extract_assets.dataextractor.contract import HEADROOM, READ_BURST, READS_PER_MINUTE
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
# Issue 14's goal for an idle tick of the polling sensor.
GOAL_REQUESTS = 2
GOAL_SECONDS = 1.0
# Datasets of the lookback still processing after the first pass: each looked up once a tick.
STRAGGLERS = 3


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
    """The ticks of the dataextractor.io polling sensor's first pass, then a tick with
    stragglers processing, the tick they complete, an idle tick, a tick after new datasets;
    and the old tick at the same size."""

    datasets: int
    first_pass: list[Tick]
    stragglers: Tick
    done: Tick
    idle: Tick
    new: Tick
    old_seconds: float
    old_requests: int


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


def measure_polling(
    url: str, datasets: int, new: int, reads_per_minute: float = READS_PER_MINUTE
) -> PollingMeasured:
    """Seed `datasets` datasets of the last two days, 3 of them processing for an hour; tick
    until the first pass is done, then the straggler, idle and new ticks; then the old tick."""
    control = EmulatorControl(url)
    control.reset()
    control.add_dataextractor_key(DX_KEY, account=DX_ACCOUNT)
    today = datetime.now(UTC).date()
    control.seed_dataextractor_datasets(
        datasets,
        account=DX_ACCOUNT,
        date_from=(today - timedelta(days=2)).isoformat(),
        processing_share=STRAGGLERS / datasets,
        processing_seconds=3_600,
    )
    spec = DataExtractorDatasetsSpec(name="docs", start_date=today - timedelta(days=30))
    resource = DataExtractorResource(
        api_key=DX_KEY, base_url=f"{url}/dataextractor", reads_per_minute=reads_per_minute
    )
    sensor = build_dataextractor_polling_sensor(spec)
    assets = build_dataextractor_assets([spec])
    with _instance() as instance:
        ticker = _Ticker(
            url, "dataextractor", sensor, assets, {"dataextractor": resource}, instance
        )
        first_pass: list[Tick] = []
        cursor: str | None = None
        while len(first_pass) < MAX_PASS_TICKS and not (first_pass and _pass_done(cursor)):
            first_pass.append(ticker.tick(cursor))
            cursor = first_pass[-1].cursor
            control.advance_clock(60)
        _refill(reads_per_minute)
        stragglers = ticker.tick(cursor)
        _expect("stragglers'", stragglers.run_requests, 0)
        control.advance_clock(3_600)
        _refill(reads_per_minute)
        # The stragglers completed: looked up once more, and their days requested.
        done = ticker.tick(stragglers.cursor)
        control.advance_clock(60)
        _refill(reads_per_minute)
        idle = ticker.tick(done.cursor)
        _expect("idle", idle.run_requests, 0)
        _refill(reads_per_minute)
        old_seconds, old_requests = _old_tick(ticker, resource, today - timedelta(days=3))
        control.advance_clock(60)
        # Created a second ago by our clock: the emulator's runs an hour ahead by now, and near
        # midnight its today is our tomorrow, a day partition that does not exist yet.
        ahead = (control.now() - datetime.now(UTC)).total_seconds()
        control.seed_dataextractor_datasets(new, created_seconds_ago=ahead + 1, account=DX_ACCOUNT)
        _refill(reads_per_minute)
        fresh = ticker.tick(idle.cursor)
        _expect("new datasets'", fresh.run_requests, 1)
    return PollingMeasured(
        datasets, first_pass, stragglers, done, idle, fresh, old_seconds, old_requests
    )


def _refill(reads_per_minute: float) -> None:
    """Wait until the client's read bucket is full again, as it is after a minute between
    ticks (its burst at the rate the client keeps to)."""
    time.sleep(READ_BURST * 60 / (reads_per_minute * HEADROOM) + 0.1)


def _old_tick(
    ticker: _Ticker, resource: DataExtractorResource, cutoff: date, budget: float = 20.0
) -> tuple[float, int]:
    """The tick before issue 14, idle: list from the newest until the lookback or the budget
    ends. Its seconds and requests."""
    before = ticker.requests()
    started = time.perf_counter()
    with resource.get_client() as client:
        page_cursor: str | None = None
        while True:
            page = client.dataset_page(cursor=page_cursor)
            page_cursor = page.next_cursor
            oldest = page.datasets[-1].created_at.date() if page.datasets else cutoff
            if page_cursor is None or oldest < cutoff:
                break
            if time.perf_counter() - started > budget:
                break
    return time.perf_counter() - started, ticker.requests() - before


def _pass_done(cursor: str | None) -> bool:
    return json.loads(cursor or "{}").get("pass_top") is None


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


def polling_rows(results: list[PollingMeasured], new: int) -> list[Row]:
    """The idle tick against the goal and the old tick; the other ticks against the old tick;
    the first pass for scale."""
    table = []
    for result in results:
        name = f"dataextractor.io polling sensor, {result.datasets:,} datasets"
        old = "old tick (re-list the lookback, 20 s budget)"
        first = result.first_pass
        ticks = f"{len(first)} tick{'s' if len(first) > 1 else ''}"
        busiest = max(tick.requests for tick in first)
        idle = f"{name}, idle tick after the first pass"
        table += [
            Row(
                BENCHMARK,
                f"{name}, first pass ({ticks})",
                "HTTP requests, busiest tick",
                busiest,
                old,
                result.old_requests,
            ),
            Row(BENCHMARK, idle, "HTTP requests", result.idle.requests, "goal", GOAL_REQUESTS),
            Row(BENCHMARK, idle, "tick s", result.idle.seconds, "goal", GOAL_SECONDS),
            Row(BENCHMARK, idle, "HTTP requests", result.idle.requests, old, result.old_requests),
            Row(BENCHMARK, idle, "tick s", result.idle.seconds, old, result.old_seconds),
        ]
        for label, tick in (
            (f"tick after {new} new datasets", result.new),
            (f"tick with {STRAGGLERS} stragglers processing", result.stragglers),
            (f"tick the {STRAGGLERS} stragglers complete", result.done),
        ):
            case = f"{name}, {label}"
            table += [
                Row(BENCHMARK, case, "HTTP requests", tick.requests, old, result.old_requests),
                Row(BENCHMARK, case, "tick s", tick.seconds, old, result.old_seconds),
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
            table += polling_rows(
                [
                    measure_polling(url, datasets, args.new_datasets, args.reads_per_minute)
                    for datasets in sizes
                ],
                args.new_datasets,
            )
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
    parser.add_argument(
        "--new-datasets",
        type=int,
        default=250,
        help="dataextractor.io datasets created before the tick after the idle one",
    )
    parser.add_argument(
        "--reads-per-minute",
        type=float,
        default=READS_PER_MINUTE,
        help="the dataextractor.io client's read limit (default: the documented one)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    from benchmarks.table import markdown

    print(markdown(collect(argv)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
