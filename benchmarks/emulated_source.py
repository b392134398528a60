"""A Linkup result of N rows served by the emulator, in a process of its own, over loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

KEY = "demo-linkup-key"
URL_ENV = "BENCH_LINKUP_URL"
TASK_ENV = "BENCH_LINKUP_TASK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def emulator() -> Iterator[str]:
    """`extract-assets emulate` on a free loopback port; yields its base URL."""
    port = _free_port()
    command = [sys.executable, "-m", "extract_assets.cli", "emulate", "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{url}/_emulator/health").raise_for_status()
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def completed_task(url: str, rows: int, schema: dict[str, Any]) -> str:
    """Create a task whose result has `rows` rows and wait until it is completed."""
    q = f"benchmark rows {rows}"
    httpx.post(f"{url}/_emulator/linkup/scenarios", json={"match": q, "rows": rows})
    headers = {"Authorization": f"Bearer {KEY}"}
    body = {"q": q, "url": "https://example.com/bench", "schema": schema}
    task = httpx.post(f"{url}/linkup/v1/extract", json=body, headers=headers).json()
    while task["status"] not in {"completed", "failed"}:
        time.sleep(0.5)
        task = httpx.get(f"{url}/linkup/v1/extract/{task['id']}", headers=headers).json()
    if task["status"] != "completed":
        raise RuntimeError(f"benchmark task failed: {task['error']}")
    return str(task["id"])


def download(url: str, task_id: str, target: Path) -> Path:
    """The task's result file on disk: the same bytes every baseline reads."""
    headers = {"Authorization": f"Bearer {KEY}"}
    task = httpx.get(f"{url}/linkup/v1/extract/{task_id}", headers=headers).json()
    partial = target.with_suffix(".partial")
    with httpx.stream("GET", task["output"]["resultUrl"], timeout=None) as response:
        response.raise_for_status()
        with partial.open("wb") as handle:
            for chunk in response.iter_raw(1 << 20):
                handle.write(chunk)
    partial.rename(target)
    return target


def expose(url: str, task_id: str) -> None:
    """Tell child processes where the task is."""
    os.environ[URL_ENV] = f"{url}/linkup"
    os.environ[TASK_ENV] = task_id
