"""Runs launched from the test process, as `dagster job execute` would launch them: each in a
process of its own with its own instance on the PostgreSQL database, orchestrating its steps
through the Celery executor (the steps themselves execute in the workers).

Processes, not threads: Dagster configures Python logging (`logging.config.dictConfig`) as each
run starts, which deadlocks with runs logging in other threads of the same process. They come
from a fork server, which has imported Dagster once, so a run costs a fork.
"""

from __future__ import annotations

import multiprocessing
import os
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path

import dagster as dg

from extract_assets_tests.distributed.code_location import definitions, reconstructable_job
from extract_assets_tests.distributed.observe import step_executions

_CONTEXT = multiprocessing.get_context("forkserver")
# A fork server started earlier in the session keeps the environment it had then: the run's
# environment is set in each run process, without these (another test may have set them).
_UNSET = ("EXTRACT_ASSETS_STATE_URL", "EXTRACT_ASSETS_STORAGE_OPTIONS", "EXTRACT_ASSETS_CONFIG")
LABEL_TAG = "extract_assets_tests/label"
RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"
PARTITION = "dagster/partition"


@dataclass(frozen=True)
class Launch:
    """A run to start: the job, a label naming it in the test, and its tags (partitions)."""

    label: str
    job: str
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Finished:
    """How a launched run ended."""

    launch: Launch
    run_id: str | None
    success: bool
    error: str | None = None


def execute(launch: Launch, home: Path) -> Finished:
    """Execute the run to its end; an exception is kept as the run's error."""
    try:
        with dg.DagsterInstance.from_config(str(home)) as instance:
            result = dg.execute_job(
                reconstructable_job(launch.job),
                instance=instance,
                tags={LABEL_TAG: launch.label, **launch.tags},
            )
            return Finished(launch, result.run_id, result.success)
    except Exception:
        return Finished(launch, None, False, traceback.format_exc())


def _execute_in_process(
    launch: Launch, home: Path, environment: Mapping[str, str], report: Connection
) -> None:
    for name in _UNSET:
        os.environ.pop(name, None)
    os.environ.update(environment)
    os.environ["DAGSTER_HOME"] = str(home)
    report.send(execute(launch, home))
    report.close()


@dataclass
class _Started:
    launch: Launch
    process: BaseProcess
    report: Connection


class RunPool:
    """Runs started at once, each in a process of its own; `wait` collects how they ended.
    As a context manager, it kills the processes of runs still going when the block ends."""

    def __init__(self, home: Path, environment: Mapping[str, str]) -> None:
        self.home = home
        self.environment = dict(environment)
        self._started: list[_Started] = []

    def __enter__(self) -> RunPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        for started in self._started:
            if started.process.is_alive():
                started.process.kill()
                started.process.join()

    def start(self, launches: Sequence[Launch]) -> None:
        for launch in launches:
            receive, send = _CONTEXT.Pipe(duplex=False)
            process = _CONTEXT.Process(
                target=_execute_in_process,
                args=(launch, self.home, self.environment, send),
                name=launch.label,
            )
            process.start()
            send.close()
            self._started.append(_Started(launch, process, receive))

    @property
    def running(self) -> bool:
        return any(started.process.is_alive() for started in self._started)

    def wait(self, timeout: float) -> list[Finished]:
        """How each run ended; a run still going after `timeout` seconds fails (killed)."""
        deadline = time.monotonic() + timeout
        finished = []
        for started in self._started:
            finished.append(self._result(started, deadline, timeout))
            started.process.join(timeout=max(0.0, deadline - time.monotonic()) + 5)
        return finished

    @staticmethod
    def _result(started: _Started, deadline: float, timeout: float) -> Finished:
        if started.report.poll(max(0.0, deadline - time.monotonic())):
            try:
                result: Finished = started.report.recv()
                return result
            except EOFError:
                pass
        started.process.join(timeout=1)
        error = f"did not report within {timeout:.0f} s (exit code {started.process.exitcode})"
        return Finished(started.launch, None, False, error)


def partition_tags(days: Sequence[str]) -> dict[str, str]:
    """Tags of a run over `days` (one day, or a range run as a single-run backfill does)."""
    if len(days) == 1:
        return {PARTITION: days[0]}
    return {RANGE_START: days[0], RANGE_END: days[-1]}


def wait_until_steps_execute(
    instance: dg.DagsterInstance, labels: Sequence[str], timeout: float
) -> None:
    """Until a Celery worker has begun a step of each labelled run (its engine event)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        started = 0
        for label in labels:
            runs = instance.get_runs(filters=dg.RunsFilter(tags={LABEL_TAG: label}))
            if runs and step_executions(instance, runs[0].run_id):
                started += 1
        if started == len(labels):
            return
        time.sleep(0.2)
    raise AssertionError(f"the steps of {labels} did not start in a worker within {timeout} s")


@dataclass
class SensorTicks:
    """Ticks of one sensor evaluated in the test process, as the daemon would, cursor kept."""

    sensor_name: str
    home: Path
    cursor: str | None = None
    run_requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    count: int = 0

    def tick(self) -> None:
        defs = definitions()
        sensor = defs.resolve_sensor_def(self.sensor_name)
        resources = {key: (defs.resources or {})[key] for key in sensor.required_resource_keys}
        try:
            with (
                dg.DagsterInstance.from_config(str(self.home)) as instance,
                dg.build_sensor_context(
                    instance=instance, cursor=self.cursor, definitions=defs, resources=resources
                ) as context,
            ):
                result = sensor.evaluate_tick(context)
        except Exception:
            self.errors.append(traceback.format_exc())
            return
        self.count += 1
        self.cursor = result.cursor
        self.run_requests += [str(r.partition_key) for r in result.run_requests or []]


def while_running(pool: RunPool, action: Callable[[], None], *, every: float, times: int) -> None:
    """Call `action` every `every` seconds while the pool's runs go, at most `times` times."""
    for _ in range(times):
        time.sleep(every)
        if not pool.running:
            return
        action()
