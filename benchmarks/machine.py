"""The machine a benchmark ran on, in a few lines fit for a results file."""

from __future__ import annotations

import os
import platform
from importlib import metadata
from pathlib import Path

LIBRARIES = ("dagster", "httpx", "pyarrow", "pandas", "duckdb", "polars")


def describe() -> list[str]:
    """CPU model, cores, RAM, OS, Python and the versions of the libraries measured.

    >>> any(line.startswith("Python ") for line in describe())
    True
    """
    versions = ", ".join(f"{name} {_version(name)}" for name in LIBRARIES)
    return [
        f"CPU: {_cpu_model()}, {os.cpu_count()} cores",
        f"RAM: {_ram_gib():.1f} GiB",
        f"OS: {platform.system()} {platform.release()}",
        f"Python {platform.python_version()}; {versions}",
    ]


def _cpu_model() -> str:
    for line in _read_lines("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def _ram_gib() -> float:
    for line in _read_lines("/proc/meminfo"):
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024**2
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3


def _read_lines(path: str) -> list[str]:
    try:
        return Path(path).read_text().splitlines()
    except OSError:
        return []


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"
