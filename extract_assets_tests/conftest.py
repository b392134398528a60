"""Shared fixtures: one emulator on 127.0.0.1:0 for the whole session (of each xdist worker),
reset after each test; an Iceberg REST catalog beside it for the tests that ask; and the order
in which `make test` hands the modules to its workers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from extract_assets.core.iceberg_catalog import CATALOG_ENV
from extract_assets.emulator import EmulatorServer

if TYPE_CHECKING:
    from extract_assets_tests.iceberg_rest_server import IcebergRestServer


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules holding a `slow` test come first, each still whole and in its own order.

    `make test` hands each module whole to one xdist worker (`--dist loadfile`, in this order):
    a slow one handed out last would keep one worker busy while the others sit idle."""
    slow = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow)


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


@pytest.fixture(scope="session")
def iceberg_rest(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IcebergRestServer]:
    """An Iceberg REST catalog, started once: each test's output folder is its own warehouse."""
    # Imported here: most tests never load pyiceberg.
    from extract_assets_tests.iceberg_rest_server import IcebergRestServer

    with IcebergRestServer(tmp_path_factory.mktemp("iceberg-rest")) as server:
        yield server


@pytest.fixture(params=["sqlite", "rest"])
def iceberg_catalog_kind(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The test once with the default SQLite catalog and once through the REST catalog."""
    if request.param == "rest":
        server: IcebergRestServer = request.getfixturevalue("iceberg_rest")
        monkeypatch.setenv(CATALOG_ENV, server.url)
    return str(request.param)
