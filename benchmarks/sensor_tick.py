"""Sensor ticks as the number of tracked tasks grows: wall time and HTTP requests per tick.

    python -m benchmarks.sensor_tick --tasks 100 --tasks 1000 --tasks 10000

The Linkup task-outputs sensor lists the organization's tasks newest `updatedAt` first and
stops at its watermark. For each N the emulator (a process of its own, on loopback) is seeded
with N completed tasks started outside Dagster; then two ticks are evaluated the way the daemon
evaluates them, against a Dagster instance of their own: the first (no cursor: it scans all N
and requests N runs) and the next, after `--new` more tasks finished (it reads one page). The
baseline, measured in the same run with the same client: a naive poller that GETs every
tracked task once per tick. The client's pacing is off (`requests_per_minute=None`), so a tick
measures the sensor's own cost, not the 120/min limiter; the tick keeps its 20 s budget.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import dagster as dg

from benchmarks.emulated_source import KEY, emulator
from benchmarks.table import Row
from extract_assets.emulator import EmulatorControl
from extract_assets.linkup.resource import LinkupResource
from extract_assets.linkup.sensors import build_linkup_sensor, build_linkup_task_outputs_asset

BENCHMARK = "sensor tick"
NAIVE = "GET each task (naive poll)"
DEFAULT_TASKS = (100, 1_000, 10_000)


@dataclass(frozen=True)
class Tick:
    """What one tick cost and what it asked Dagster for."""

    seconds: float
    requests: int
    run_requests: int
    cursor: str | None


@dataclass(frozen=True)
class Measured:
    """Both ticks and the naive poll at one number of tracked tasks."""

    tasks: int
    first: Tick
    next: Tick
    naive_seconds: float
    naive_requests: int


class _Ticker:
    """Evaluates the Linkup sensor against one instance, counting requests in the emulator."""

    def __init__(self, url: str, instance: dg.DagsterInstance, output_dir: str) -> None:
        self.control = EmulatorControl(url)
        self.instance = instance
        self.resource = LinkupResource(
            api_key=KEY, base_url=f"{url}/linkup", requests_per_minute=None
        )
        outputs = build_linkup_task_outputs_asset(output_dir=output_dir)
        self.sensor = build_linkup_sensor([], outputs)
        self.definitions = dg.Definitions(
            assets=[outputs], sensors=[self.sensor], resources={"linkup": self.resource}
        )

    def tick(self, cursor: str | None) -> Tick:
        before = self._requests()
        with dg.build_sensor_context(
            instance_ref=self.instance.get_ref(),
            cursor=cursor,
            definitions=self.definitions,
            resources={"linkup": self.resource},
        ) as context:
            started = time.perf_counter()
            result = self.sensor.evaluate_tick(context)
            seconds = time.perf_counter() - started
        return Tick(
            seconds, self._requests() - before, len(result.run_requests or []), result.cursor
        )

    def naive_poll(self, task_ids: list[str]) -> tuple[float, int]:
        before = self._requests()
        started = time.perf_counter()
        with self.resource.get_client() as client:
            for task_id in task_ids:
                client.get(task_id)
        return time.perf_counter() - started, self._requests() - before

    def _requests(self) -> int:
        return len(self.control.requests("linkup"))


@contextmanager
def _ticker(url: str) -> Iterator[_Ticker]:
    with dg.instance_for_test() as instance, tempfile.TemporaryDirectory() as tmp:
        yield _Ticker(url, instance, tmp)


def measure(url: str, tasks: int, new: int) -> Measured:
    """Seed `tasks` finished outside tasks, tick twice (`new` finish in between), poll naively."""
    control = EmulatorControl(url)
    control.reset()
    task_ids = control.seed_linkup_tasks(tasks)
    with _ticker(url) as ticker:
        first = ticker.tick(None)
        if first.run_requests != tasks:
            raise RuntimeError(f"the first tick requested {first.run_requests} of {tasks} runs")
        control.seed_linkup_tasks(new, q="new outside task", spacing_seconds=0.001)
        later = ticker.tick(first.cursor)
        if later.run_requests != new:
            raise RuntimeError(f"the next tick requested {later.run_requests} of {new} runs")
        naive_seconds, naive_requests = ticker.naive_poll(task_ids)
    return Measured(tasks, first, later, naive_seconds, naive_requests)


def rows(results: list[Measured], new: int) -> list[Row]:
    """Each tick's time and requests against the naive poll at the same number of tasks."""
    table = []
    for result in results:
        for label, tick in (
            ("first tick (empty cursor)", result.first),
            (f"next tick ({new} new)", result.next),
        ):
            case = f"Linkup sensor, {result.tasks:,} tasks, {label}"
            table += [
                Row(BENCHMARK, case, "tick s", tick.seconds, NAIVE, result.naive_seconds),
                Row(BENCHMARK, case, "HTTP requests", tick.requests, NAIVE, result.naive_requests),
            ]
    return table


def collect(argv: list[str] | None = None) -> list[Row]:
    """Run the benchmark with these arguments; the rows of the results table."""
    args = _parser().parse_args(argv)
    with emulator() as url:
        results = [measure(url, tasks, args.new) for tasks in args.tasks or DEFAULT_TASKS]
    return rows(results, args.new)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, action="append", help="tracked tasks; repeatable")
    parser.add_argument("--new", type=int, default=10, help="tasks finishing between ticks")
    return parser


def main(argv: list[str] | None = None) -> int:
    from benchmarks.table import markdown

    print(markdown(collect(argv)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
