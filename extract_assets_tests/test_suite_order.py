"""The order in which `make test` hands the modules to its xdist workers (see conftest.py): the
modules holding a slow test first, each still whole and in its own order."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from extract_assets_tests.conftest import pytest_collection_modifyitems


@dataclass(frozen=True)
class Collected:
    """What the hook reads of a collected test: its module's path and its marks."""

    path: Path
    name: str
    slow: bool = False

    def get_closest_marker(self, name: str) -> Any:
        return pytest.mark.slow.mark if self.slow and name == "slow" else None


def order(items: list[Collected]) -> list[str]:
    pytest_collection_modifyitems(items)  # stand-ins: the hook reads .path and the marks
    return [f"{item.path.name}::{item.name}" for item in items]


def test_modules_holding_a_slow_test_come_first_whole_and_in_their_own_order() -> None:
    items = [
        Collected(Path("test_a.py"), "one"),
        Collected(Path("test_b.py"), "one"),
        Collected(Path("test_b.py"), "two", slow=True),
        Collected(Path("test_b.py"), "three"),
        Collected(Path("test_c.py"), "one"),
        Collected(Path("test_d.py"), "one", slow=True),
        Collected(Path("test_a.py"), "two"),
    ]
    assert order(items) == [
        "test_b.py::one",
        "test_b.py::two",
        "test_b.py::three",
        "test_d.py::one",
        "test_a.py::one",
        "test_c.py::one",
        "test_a.py::two",
    ]


def test_without_a_slow_test_the_collection_order_is_kept() -> None:
    items = [Collected(Path(f"test_{name}.py"), "one") for name in "cab"]
    assert order(items) == ["test_c.py::one", "test_a.py::one", "test_b.py::one"]


def test_the_suites_slow_modules_are_collected_first(request: pytest.FixtureRequest) -> None:
    """In this very session: no test of a module without a slow test comes before one of a
    module with a slow test."""
    items = request.session.items
    slow = {item.path for item in items if item.get_closest_marker("slow")}
    seen_other = False
    for item in items:
        if item.path in slow:
            assert not seen_other, f"{item.nodeid} comes after a module without a slow test"
        else:
            seen_other = True
