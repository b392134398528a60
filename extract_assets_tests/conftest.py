"""Shared fixtures: one emulator on 127.0.0.1:0 for the whole session, reset after each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from extract_assets.emulator import EmulatorServer


@pytest.fixture(scope="session")
def emulator() -> Iterator[EmulatorServer]:
    """The emulator, started once; tests that use it see it freshly reset."""
    with EmulatorServer() as server:
        yield server


@pytest.fixture(autouse=True)
def _reset_emulator_after_test(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    # Only tests that used the emulator may have changed it; the others must not start it.
    if "emulator" in request.fixturenames:
        server: EmulatorServer = request.getfixturevalue("emulator")
        server.control.reset()


@pytest.fixture
def linkup_url(emulator: EmulatorServer) -> str:
    """Base URL of the emulated Linkup API."""
    return emulator.base_url("linkup")


@pytest.fixture
def linkup_key() -> str:
    """The emulator's default Linkup key: unlimited credits, extract enabled."""
    return "demo-linkup-key"
