"""The content-addressed store of result files, without HTTP."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import BinaryIO

from extract_assets.emulator.files import ResultStore


def test_same_key_is_written_once(tmp_path: Path) -> None:
    calls = []

    def write(out: BinaryIO, cancel: threading.Event) -> None:
        calls.append(1)
        out.write(b'{"a":1}\n')

    store = ResultStore(tmp_path)
    try:
        store.ensure("k", ".ndjson", write)
        store.ensure("k", ".ndjson", write)
        assert asyncio.run(store.path("k")).read_bytes() == b'{"a":1}\n'
    finally:
        store.close()
    assert calls == [1]


def test_file_already_on_disk_is_reused(tmp_path: Path) -> None:
    (tmp_path / "k.ndjson").write_bytes(b"old\n")
    store = ResultStore(tmp_path)
    try:
        store.ensure("k", ".ndjson", lambda out, cancel: out.write(b"new\n"))
        assert asyncio.run(store.path("k")).read_bytes() == b"old\n"
    finally:
        store.close()


def test_writer_stopped_by_close_leaves_no_file(tmp_path: Path) -> None:
    started = threading.Event()

    def write(out: BinaryIO, cancel: threading.Event) -> None:
        started.set()
        cancel.wait(5)
        out.write(b"partial\n")

    store = ResultStore(tmp_path)
    store.ensure("k", ".ndjson", write)
    started.wait(5)
    store.close()
    assert list(tmp_path.iterdir()) == []
