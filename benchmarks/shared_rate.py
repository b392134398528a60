"""dataextractor.io: concurrent runs on one key, paced together through the shared state.

    python -m benchmarks.shared_rate --reads 125 --speed 6 --runs 1 --runs 2 --runs 4

1, 2 and 4 runs of the `documents` datasets asset (its five day-partitioned tables) are
materialized at once, each in an OS process of its own, with ONE dataextractor.io key, against
the emulator (served on loopback by this process, which only waits meanwhile). The emulator's
clock runs `--speed` times faster than the wall clock so the runs are short, and the resource
is told the limits in wall-clock terms (60 x speed reads a minute); every figure is per
emulator minute. The account holds enough datasets for about `--reads` listing pages in all,
so each case keeps the key busy for over two emulator minutes whatever the number of runs.

With the shared state (`EXTRACT_ASSETS_STATE_URL` on a throwaway PostgreSQL server; SQLite when
PostgreSQL's binaries are missing, as the case then says) every process books its reads from
one budget. The baseline is the same runs without it: each process paces alone, so n processes
offer n times the limit. The figures come from the emulator alone: its per-key counters (reads
admitted, 429s answered) and its request log (every read sent, for the busiest 60 s). Goal: at
least 0.9x the documented limit whatever the number of runs, and no 429.

The baseline's 429s and busiest minute are the point. Its reads a minute can exceed the limit:
the emulator, like the API, admits up to 60 reads in any 60 s, so over a busy period of a minute
or two a first burst of 60 lifts the average. The emulator's `Retry-After` counts emulator
seconds, so the runs read it divided by the speed-up, as the same wait in wall seconds; the
client's own backoff after a 429 (half a wall second and up) still lasts `--speed` times longer
in emulator time than it would against the real API.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import IO, Any

import dagster as dg

from benchmarks.table import Row, markdown
from extract_assets.core import http
from extract_assets.core.retry import parse_retry_after
from extract_assets.core.state import STATE_URL_ENV, sqlite_url
from extract_assets.dataextractor.assets import build_dataextractor_assets
from extract_assets.dataextractor.contract import (
    PAGE_SIZE,
    READS_PER_MINUTE,
    WRITES_PER_MINUTE,
)
from extract_assets.dataextractor.resource import DataExtractorResource
from extract_assets.dataextractor.spec import DataExtractorDatasetsSpec
from extract_assets.emulator import EmulatorServer
from extract_assets_tests.production.postgres import PostgresUnavailable, postgres_server

BENCHMARK = "dataextractor.io shared rate limit"
ACCOUNT = "acct_shared_rate"
ASSET = "documents"
LIMIT = READS_PER_MINUTE
GOAL = 0.9
WINDOW = 60.0
LIMIT_LABEL = f"documented limit ({LIMIT:.0f}/min)"
DAYS = 7
_RESULT = "@@result "


# --- one run, in a worker process -------------------------------------------------------------


def materialize(job: dict[str, Any]) -> dict[str, Any]:
    """One run of the datasets asset over the job's days, with or without the shared state."""
    if job["state_url"]:
        os.environ[STATE_URL_ENV] = job["state_url"]
    else:
        os.environ.pop(STATE_URL_ENV, None)
    speed = float(job["speed"])
    _retry_after_in_wall_seconds(speed)
    spec = DataExtractorDatasetsSpec(name=ASSET, start_date=date.fromisoformat(job["start"]))
    resource = DataExtractorResource(
        api_key=job["key"],
        base_url=job["base_url"],
        reads_per_minute=READS_PER_MINUTE * speed,
        writes_per_minute=WRITES_PER_MINUTE * speed,
        # The baseline's runs must finish too, however many 429s they are answered.
        max_attempts=1_000,
        retry_deadline_seconds=3_600,
    )
    started = time.perf_counter()
    result = dg.materialize(
        build_dataextractor_assets([spec], output_dir=job["output"]),
        resources={"dataextractor": resource},
        tags={
            "dagster/asset_partition_range_start": job["first"],
            "dagster/asset_partition_range_end": job["last"],
        },
        raise_on_error=False,
    )
    return {"success": result.success, "seconds": time.perf_counter() - started}


def _retry_after_in_wall_seconds(speed: float) -> None:
    """The emulator's `Retry-After` counts emulator seconds; the client sleeps wall seconds.
    Divided by the speed-up, a 429 costs the baseline what it would against the real API."""
    http.parse_retry_after = partial(_scaled_retry_after, speed=speed)


def _scaled_retry_after(
    value: str | None, now: datetime | None = None, *, speed: float
) -> float | None:
    seconds = parse_retry_after(value, now)
    return None if seconds is None else seconds / speed


def worker() -> int:
    """Serve runs: one JSON job a line on stdin, one result line on stdout each.

    A worker serves every case, so the seconds Dagster takes to import are paid once; each run
    is still a process of its own beside the others of its case."""
    out = sys.stdout
    # Dagster's own output goes to stderr, away from the results.
    sys.stdout = sys.stderr
    _answer(out, {"ready": True})
    for line in sys.stdin:
        _answer(out, materialize(json.loads(line)))
    return 0


def _answer(out: IO[str], payload: dict[str, Any]) -> None:
    out.write(_RESULT + json.dumps(payload) + "\n")
    out.flush()


class Worker:
    """A worker process and the file its stderr goes to."""

    def __init__(self, log_dir: Path, index: int) -> None:
        self.log = log_dir / f"worker-{index}.log"
        self._log_handle = self.log.open("w", encoding="utf-8")
        command = [sys.executable, "-m", "benchmarks.shared_rate", "--worker"]
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log_handle,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )

    def send(self, job: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(job) + "\n")
        self.process.stdin.flush()

    def receive(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith(_RESULT):
                answer: dict[str, Any] = json.loads(line[len(_RESULT) :])
                return answer
        tail = self.log.read_text(encoding="utf-8", errors="replace")[-4000:]
        raise RuntimeError(f"a benchmark worker ended ({self.process.poll()}):\n{tail}")

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log_handle.close()


@contextlib.contextmanager
def workers(count: int, log_dir: Path) -> Iterator[list[Worker]]:
    started = [Worker(log_dir, index) for index in range(count)]
    try:
        yield started
    finally:
        for one in started:
            one.close()


# --- the cases ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """n concurrent runs on one key, and what the emulator saw of them."""

    runs: int
    shared: bool
    failed: int
    reads: int  # admitted
    sent: int  # admitted or answered 429
    rate_limited: int
    per_minute: float  # admitted reads per emulator minute, first to last
    busy_minutes: float
    peak_sent: int  # most reads sent in any 60 s of emulator time
    peak_admitted: int
    wall_seconds: float


@dataclass(frozen=True)
class Setup:
    server: EmulatorServer
    speed: float
    reads: int
    state_url: str
    state_label: str
    out: Path


def run_case(setup: Setup, pool: list[Worker], runs: int, shared: bool) -> Case:
    """Fresh emulator state, one key, datasets for `reads` pages in all; `runs` runs at once."""
    control = setup.server.control
    gc.unfreeze()
    control.reset()
    key = f"dx-shared-rate-{runs}-{'shared' if shared else 'alone'}"
    control.add_dataextractor_key(key, account=ACCOUNT)
    today = control.now().date()
    first, last = today - timedelta(days=DAYS), today - timedelta(days=1)
    pages_per_run = max(1, math.ceil(setup.reads / runs))
    control.seed_dataextractor_datasets(
        pages_per_run * PAGE_SIZE,
        account=ACCOUNT,
        date_from=first.isoformat(),
        date_to=last.isoformat(),
    )
    # The emulator serves from this process: its datasets are frozen out of the garbage
    # collector's reach, whose pauses over them would otherwise stall it, `--speed` times
    # longer in emulator time.
    gc.collect()
    gc.freeze()
    control.set_speed(setup.speed)
    label = f"{runs}-{'shared' if shared else 'alone'}"
    started = time.perf_counter()
    for index, one in enumerate(pool[:runs]):
        one.send(
            {
                "key": key,
                "base_url": setup.server.base_url("dataextractor"),
                "speed": setup.speed,
                "state_url": setup.state_url if shared else None,
                "start": (first - timedelta(days=30)).isoformat(),
                "first": first.isoformat(),
                "last": last.isoformat(),
                "output": str(setup.out / label / str(index)),
            }
        )
    answers = [one.receive() for one in pool[:runs]]
    wall = time.perf_counter() - started
    usage = next(u for u in control.dataextractor_usage() if u["key"] == key)["buckets"]["read"]
    log = [
        entry
        for entry in control.requests("dataextractor")
        if entry["method"] == "GET" and str(entry["path"]).startswith("/api/v1/datasets")
    ]
    sent = [_seconds(entry["time"]) for entry in log]
    admitted = [_seconds(entry["time"]) for entry in log if entry["status"] == 200]
    span = _seconds(usage["last_at"]) - _seconds(usage["first_at"]) if usage["first_at"] else 0
    return Case(
        runs=runs,
        shared=shared,
        failed=sum(not answer["success"] for answer in answers),
        reads=int(usage["requests"]),
        sent=len(sent),
        rate_limited=int(usage["rate_limited"]),
        per_minute=(usage["requests"] - 1) / span * 60 if span else 0.0,
        busy_minutes=span / 60,
        peak_sent=peak(sent),
        peak_admitted=peak(admitted),
        wall_seconds=wall,
    )


def _seconds(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def peak(times: Sequence[float], window: float = WINDOW) -> int:
    """The most events in any `window` seconds (a window holds the times t with
    start <= t < start + window).

    >>> peak([0, 10, 59.9, 60, 61, 200])
    4
    """
    ordered = sorted(times)
    most, start = 0, 0
    for end, moment in enumerate(ordered):
        while ordered[start] <= moment - window:
            start += 1
        most = max(most, end - start + 1)
    return most


@contextlib.contextmanager
def state_database(tmp: Path) -> Iterator[tuple[str, str]]:
    """A throwaway PostgreSQL database for the shared state, else a SQLite file: its URL and a
    label for the table."""
    with contextlib.ExitStack() as stack:
        try:
            server = stack.enter_context(postgres_server())
        except PostgresUnavailable as exc:
            reason = str(exc).splitlines()[0]
            print(f"shared_rate: no PostgreSQL server ({reason}); using SQLite", file=sys.stderr)
            yield sqlite_url(tmp / "state.sqlite3"), "SQLite: no PostgreSQL binaries here"
            return
        server.create_database("extract_assets_state")
        url = (
            f"postgresql://{server.user}:{server.password}@{server.host}:{server.port}"
            "/extract_assets_state"
        )
        yield url, "PostgreSQL"


def measure(
    runs: list[int], baseline: list[int], reads: int, speed: float
) -> tuple[str, list[Case]]:
    """Every case, shared first; the label of the shared state's database and the cases."""
    with tempfile.TemporaryDirectory(prefix="bench-shared-rate-") as tmp_name:
        tmp = Path(tmp_name)
        with (
            workers(max([*runs, *baseline]), tmp) as pool,
            state_database(tmp) as (state_url, state_label),
            EmulatorServer() as server,
        ):
            setup = Setup(server, speed, reads, state_url, state_label, tmp / "out")
            for one in pool:
                if not one.receive().get("ready"):
                    raise RuntimeError("a benchmark worker did not start")
            # Each worker's first run pays for Dagster's lazy imports; none of the cases should.
            run_case(replace(setup, reads=len(pool), speed=1.0), pool, len(pool), shared=False)
            cases = [run_case(setup, pool, n, shared=True) for n in runs]
            cases += [run_case(setup, pool, n, shared=False) for n in baseline]
            gc.unfreeze()
        return state_label, cases


# --- the results ----------------------------------------------------------------------------


def _runs(n: int) -> str:
    return f"{n} concurrent run{'s' if n > 1 else ''}"


def shared_case(state_label: str, case: Case) -> str:
    return f"{_runs(case.runs)}, shared state ({state_label})"


def alone_case(case: Case) -> str:
    failed = f", {case.failed} failed" if case.failed else ""
    return f"{_runs(case.runs)}, each pacing alone (no shared state{failed})"


def table_rows(state_label: str, cases: list[Case]) -> list[Row]:
    """Per number of runs, with the shared state: reads a minute and the busiest 60 s against
    the documented limit, 429s against the reads admitted and against the same runs pacing
    alone; then the baseline's own."""
    alone = {case.runs: case for case in cases if not case.shared}
    table = []
    for case in cases:
        shared = case.shared
        label = shared_case(state_label, case) if shared else alone_case(case)
        reads_goal = f"{LIMIT_LABEL}, goal ≥ {GOAL}x" if shared else LIMIT_LABEL
        peak_goal = f"{LIMIT_LABEL}, goal ≤ 1x" if shared else LIMIT_LABEL
        errors = "429 responses (goal 0)" if shared else "429 responses"
        table += [
            Row(BENCHMARK, label, "reads/min", case.per_minute, reads_goal, LIMIT),
            Row(BENCHMARK, label, "peak reads in 60 s", case.peak_sent, peak_goal, LIMIT),
            Row(BENCHMARK, label, errors, case.rate_limited, "reads admitted", case.reads),
        ]
        if shared and case.runs in alone:
            baseline = alone[case.runs]
            same = "same runs, each pacing alone"
            table += [
                Row(BENCHMARK, label, errors, case.rate_limited, same, baseline.rate_limited),
                Row(
                    BENCHMARK,
                    label,
                    "peak reads in 60 s",
                    case.peak_sent,
                    same,
                    baseline.peak_sent,
                ),
            ]
    return table


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--runs", type=int, action="append", help="concurrent runs of a case (default 1, 2, 4)"
    )
    parser.add_argument(
        "--baseline",
        type=int,
        action="append",
        help="runs of a baseline case, pacing alone (default: those of --runs above 1)",
    )
    parser.add_argument(
        "--reads", type=int, default=125, help="listing pages read by each case, all runs together"
    )
    parser.add_argument("--speed", type=float, default=6.0, help="emulator clock speed-up")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    return parser


def _measure(args: argparse.Namespace) -> tuple[str, list[Case]]:
    runs = args.runs or [1, 2, 4]
    baseline = args.baseline if args.baseline is not None else [n for n in runs if n > 1]
    return measure(runs, baseline, args.reads, args.speed)


def collect(argv: list[str] | None = None) -> list[Row]:
    """Run the benchmark with these arguments; the rows of the results table."""
    return table_rows(*_measure(_parser().parse_args(argv)))


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.worker:
        return worker()
    state_label, cases = _measure(args)
    print(
        f"\ndataextractor.io, one key, read limit {LIMIT:.0f}/min; emulator clock x{args.speed:g}; "
        f"about {args.reads} listing pages per case; per emulator minute"
    )
    header = (
        f"{'case':<55} {'reads':>5} {'busy min':>8} {'reads/min':>9} {'vs limit':>8} "
        f"{'peak 60 s':>9} {'vs limit':>8} {'429s':>5} {'wall s':>6}  goal: ≥{GOAL}x, ≤1x, 0 429s"
    )
    print(header)
    print("-" * len(header))
    for case in cases:
        label = shared_case(state_label, case) if case.shared else alone_case(case)
        met = (
            case.per_minute / LIMIT >= GOAL
            and case.peak_sent <= LIMIT
            and case.rate_limited == 0
            and not case.failed
        )
        verdict = ("met" if met else "NOT met") if case.shared else "(baseline)"
        print(
            f"{label:<55} {case.reads:>5} {case.busy_minutes:>8.2f} {case.per_minute:>9.1f} "
            f"{case.per_minute / LIMIT:>7.2f}x {case.peak_sent:>9} "
            f"{case.peak_sent / LIMIT:>7.2f}x {case.rate_limited:>5} {case.wall_seconds:>6.1f}  "
            f"{verdict}"
        )
    print("\nIts rows of the results table (`python -m benchmarks`):\n")
    print(markdown(table_rows(state_label, cases)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
