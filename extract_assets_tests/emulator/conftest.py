"""Fixtures of the emulator's own tests: an HTTP client of Linkup and the control client."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from extract_assets.emulator import EmulatorControl, EmulatorServer


@pytest.fixture
def control(emulator: EmulatorServer) -> EmulatorControl:
    """The control API of the session's emulator."""
    return emulator.control


@pytest.fixture
def linkup(linkup_url: str, linkup_key: str) -> Iterator[httpx.Client]:
    """A plain HTTP client of the emulated Linkup API, authenticated with the default key."""
    headers = {"Authorization": f"Bearer {linkup_key}"}
    with httpx.Client(base_url=linkup_url, headers=headers, timeout=10) as client:
        yield client


@pytest.fixture
def frozen(control: EmulatorControl) -> EmulatorControl:
    """The control client with the emulator clock stopped: time moves only when a test says."""
    control.set_speed(0)
    return control
