"""Run a function in several fresh processes at once and collect what each returned.

Each process is fresh: it shares no engine, connection, file handle or lock with the test's
process, just as a run worker on another machine shares none. They come from a fork server
(itself started like `spawn`: a clean interpreter that has only imported the modules below), so
starting one takes milliseconds rather than the second or two of importing everything anew.
They see the environment of when that server started: pass what they need as arguments.
The function's `go()` releases them together once every one is ready.
"""

from __future__ import annotations

import multiprocessing
import queue
import traceback
from collections.abc import Callable, Sequence
from typing import Any

CONTEXT = multiprocessing.get_context("forkserver")
# Imported once by the fork server; nothing here opens a connection or a file at import.
CONTEXT.set_forkserver_preload(
    [
        "sqlalchemy",
        "psycopg2",
        "extract_assets.core.state",
        "extract_assets.core.ratelimit",
        "extract_assets.dataextractor.ledger",
        "extract_assets.dataextractor.webhooks",
        "extract_assets_tests.state.test_state",
        "extract_assets_tests.state.test_shared_ratelimit",
        "extract_assets_tests.state.test_ledger",
        "extract_assets_tests.state.test_webhook_store",
    ]
)
# Starting an interpreter and importing SQLAlchemy takes a second or two on a busy machine.
START_SECONDS = 60.0


class WorkerFailed(AssertionError):
    """A worker process raised: its traceback is the message."""


def run_together(
    target: Callable[..., Any], calls: Sequence[tuple[Any, ...]], *, timeout: float = 120.0
) -> list[Any]:
    """`target(go, *args)` for each `args` of `calls`, each in its own process; returns the
    results in the order of `calls`. `target` calls `go()` once it is ready: no process goes
    past it before every process has reached it."""
    barrier = CONTEXT.Barrier(len(calls))
    results = CONTEXT.Queue()
    processes = [
        CONTEXT.Process(target=_run, args=(target, args, barrier, results, index), daemon=True)
        for index, args in enumerate(calls)
    ]
    for process in processes:
        process.start()
    answers: dict[int, tuple[bool, Any]] = {}
    try:
        while len(answers) < len(processes):
            try:
                index, ok, value = results.get(timeout=timeout)
            except queue.Empty:
                raise WorkerFailed(f"a worker gave no answer within {timeout} s") from None
            answers[index] = (ok, value)
    finally:
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
                process.join()
    failures = [value for ok, value in answers.values() if not ok]
    if failures:
        raise WorkerFailed("\n".join(failures))
    return [answers[index][1] for index in range(len(processes))]


def _run(
    target: Callable[..., Any],
    args: tuple[Any, ...],
    barrier: Any,
    results: Any,
    index: int,
) -> None:
    def go() -> None:
        barrier.wait(START_SECONDS)

    try:
        results.put((index, True, target(go, *args)))
    except BaseException:
        barrier.abort()  # the others must not wait for a process that will never arrive
        results.put((index, False, traceback.format_exc()))
