"""Peak memory of a process, and running one benchmark step in a child process of its own."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def peak_rss_mb() -> float:
    """This program's peak resident set size in MB.

    Linux's `getrusage` keeps the peak of the process before its `exec`, so a child started
    by a large parent would report the parent's size; `VmHWM` starts afresh with the program.

    >>> peak_rss_mb() > 0
    True
    """
    try:
        status = Path("/proc/self/status").read_text().splitlines()
    except OSError:
        status = []
    for line in status:
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_child(module: str, arguments: Sequence[str]) -> dict[str, Any]:
    """Run `python -m module *arguments` and return the JSON object on its last stdout line.

    A child of its own gives each step its own peak RSS and a cold Python heap.
    """
    command = [sys.executable, "-m", module, *arguments]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result
