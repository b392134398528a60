"""Arrow tables kept by key in arrival order, in memory up to a budget, beyond it on disk.

A write that must see all its input before it writes (every day of a range, rows in any order)
holds what it has read here. Past `budget_bytes` everything held goes to one Arrow IPC file per
key, each run of tables of one schema as one IPC stream, and is read back memory-mapped: no
text to parse again, and memory bounded by the budget, whatever the input's size.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa

from extract_assets.core.arrow_schema import concat_tables

__all__ = ["TableSpill"]


class TableSpill:
    """Tables by key; `tables(key)` gives a key's tables back in the order they were added."""

    def __init__(self, folder: Path, budget_bytes: int = 64 << 20) -> None:
        self._folder = folder
        self._budget = budget_bytes
        self._held: defaultdict[str, list[pa.Table]] = defaultdict(list)
        self._held_bytes = 0
        self._spilled: set[str] = set()

    def add(self, key: str, table: pa.Table) -> None:
        self._held[key].append(table)
        self._held_bytes += table.nbytes
        if self._held_bytes > self._budget:
            self._spill()

    def tables(self, key: str) -> Iterator[pa.Table]:
        """The key's tables, runs of one schema joined into one table."""
        if key in self._spilled:
            with pa.memory_map(str(self._path(key))) as source:
                while source.tell() < source.size():
                    yield pa.ipc.open_stream(source).read_all()
        yield from _runs(self._held.get(key, []))

    def _spill(self) -> None:
        for key, tables in self._held.items():
            with self._path(key).open("ab") as handle:
                for run in _runs(tables):
                    with pa.ipc.new_stream(handle, run.schema) as writer:
                        writer.write_table(run)
            self._spilled.add(key)
        self._held.clear()
        self._held_bytes = 0

    def _path(self, key: str) -> Path:
        return self._folder / f"{key or 'none'}.arrows"


def _runs(tables: list[pa.Table]) -> Iterator[pa.Table]:
    """Consecutive tables of one schema as one table (chunks are kept, nothing is copied)."""
    start = 0
    for end in range(1, len(tables) + 1):
        if end == len(tables) or not tables[end].schema.equals(tables[start].schema):
            run = tables[start:end]
            yield concat_tables(run)
            start = end
