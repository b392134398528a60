"""The security suite's fixtures: each provider in turn, a fresh instance on disk per test, and
output captured at every level so a leaked secret has nowhere to hide."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from extract_assets.emulator import EmulatorServer

from .providers import CASES, ProviderCase


@pytest.fixture(params=CASES, ids=[case.name for case in CASES])
def case(request: pytest.FixtureRequest, emulator: EmulatorServer, tmp_path: Path) -> ProviderCase:
    cls: type[ProviderCase] = request.param
    return cls(emulator, tmp_path / "output")


@pytest.fixture(scope="module")
def instance() -> Iterator[dg.DagsterInstance]:
    """A SQLite instance in a temporary folder, whose files on disk are scanned too; shared by
    a module's tests, as creating one takes seconds, so each scan covers the runs before it."""
    with dg.instance_for_test() as test_instance:
        yield test_instance


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every Python log record, DEBUG included (httpx and httpcore log requests there)."""
    caplog.set_level(logging.DEBUG)
    # A run on an instance that manages these loggers leaves them at its python_log_level (INFO)
    # for the rest of the process, which would hide DEBUG records from the scan.
    for name in ("extract_assets", "httpx", "httpcore"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog
