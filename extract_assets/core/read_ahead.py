"""Reading the next item of a slow source while the current one is used.

A page of rows costs the service time to produce and us time to write; one after the other,
the two add up. Here a thread asks for the next page while the caller writes the current one,
so a read costs about the longer of the two. At most one item waits ahead, so memory holds
two pages, not the result. `call_ahead` starts one call of that kind on its own.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from typing import TypeVar

__all__ = ["call_ahead", "read_ahead"]

T = TypeVar("T")

_POLL_SECONDS = 0.1


class _End:
    """The source is exhausted."""


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def read_ahead(items: Iterable[T]) -> Iterator[T]:
    """`items` in order, the next one read on a thread while the caller holds this one.

    The source's errors are raised here, where the item would have come. When the caller stops
    early (or fails), the thread stops asking and closes the source itself (a generator can
    only be closed on the thread that runs it), and this waits for it: nothing runs on after.
    """
    handoff: queue.Queue[T | _End | _Failed] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def offer(item: T | _End | _Failed) -> bool:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        source = iter(items)
        try:
            for item in source:
                if not offer(item):
                    break
            else:
                offer(_End())
        except BaseException as error:  # handed to the caller's thread, raised there
            offer(_Failed(error))
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=produce, name="read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item = handoff.get()
            if isinstance(item, _End):
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item
    finally:
        stop.set()
        thread.join()


def call_ahead(call: Callable[[], T]) -> Future[T]:
    """`call()` started on a thread of its own; the future holds its result or its error.

    A daemon thread: a caller that no longer wants the result (a reader that stopped early)
    never keeps the process from exiting while the call is still retrying.

    >>> call_ahead(lambda: 6 * 7).result()
    42
    """
    future: Future[T] = Future()

    def run() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(call())
        except BaseException as error:  # handed to whoever asks for the result
            future.set_exception(error)

    threading.Thread(target=run, name="call-ahead", daemon=True).start()
    return future
