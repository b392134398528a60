"""`call_ahead`: one call on a thread of its own, its result or error in a future."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from extract_assets.core.read_ahead import call_ahead


def test_the_future_holds_the_calls_result() -> None:
    assert call_ahead(lambda: "page 2").result(timeout=30) == "page 2"


def test_the_calls_error_is_raised_by_the_future() -> None:
    def fail() -> str:
        raise ConnectionError("the service went away")

    with pytest.raises(ConnectionError, match="went away"):
        call_ahead(fail).result(timeout=30)


def test_the_call_runs_while_the_caller_goes_on() -> None:
    release = threading.Event()
    future = call_ahead(lambda: release.wait(30))
    assert not future.done()
    release.set()
    assert future.result(timeout=30) is True


def test_a_call_nobody_waits_for_does_not_keep_the_process_alive() -> None:
    program = (
        "import time\n"
        "from extract_assets.core.read_ahead import call_ahead\n"
        "call_ahead(lambda: time.sleep(600))\n"
    )
    done = subprocess.run([sys.executable, "-c", program], timeout=120, check=False)
    assert done.returncode == 0
