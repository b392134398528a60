"""Instances as the repo configures them: a temp DAGSTER_HOME with the repo's dagster.yaml, and
the pool limits its comments document, applied with the `dagster` command they show."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
DAGSTER_YAML = REPO / "dagster.yaml"
DAGSTER_POSTGRES_YAML = REPO / "dagster-postgres.yaml"
PROVIDER_POOLS = {"linkup", "extractto", "dataextractor"}

_SET_COMMAND = re.compile(r"^#\s+dagster instance concurrency set (\S+) (\d+)\s*$", re.MULTILINE)


def documented_pool_limits(path: Path = DAGSTER_YAML) -> dict[str, int]:
    """The limit each `dagster instance concurrency set <pool> <n>` line of the file documents."""
    return {pool: int(limit) for pool, limit in _SET_COMMAND.findall(path.read_text())}


def pools_settings(path: Path = DAGSTER_YAML) -> dict[str, Any]:
    """The file's `concurrency: pools:` settings."""
    settings: dict[str, Any] = yaml.safe_load(path.read_text())["concurrency"]["pools"]
    return settings


def new_home(folder: Path, source: Path = DAGSTER_YAML) -> Path:
    """A DAGSTER_HOME in `folder` holding a copy of the repo's dagster.yaml (or `source`)."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, folder / "dagster.yaml")
    return folder


def set_pool_limit(home: Path, pool: str, limit: int) -> None:
    """Run `dagster instance concurrency set <pool> <limit>` against the instance in `home`."""
    dagster = Path(sys.executable).with_name("dagster")
    command = [str(dagster), "instance", "concurrency", "set", pool, str(limit)]
    environment = os.environ | {"DAGSTER_HOME": str(home)}
    done = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=180)
    if done.returncode != 0:
        raise AssertionError(f"{' '.join(command)} failed: {done.stderr}")


# Dagster's own command-line entry point, given each command in turn: one process pays for
# importing Dagster once instead of once a pool (about 5 CPU-seconds each).
_SET_EACH = """
import sys
from dagster._cli import ENV_PREFIX, cli

pairs = sys.argv[1:]
for pool, limit in zip(pairs[::2], pairs[1::2]):
    cli.main(
        ["instance", "concurrency", "set", pool, limit],
        prog_name="dagster",
        auto_envvar_prefix=ENV_PREFIX,
        standalone_mode=False,
    )
"""


def set_pool_limits(home: Path, limits: dict[str, int]) -> None:
    """Run `dagster instance concurrency set <pool> <limit>` for every pool of `limits` against
    the instance in `home`, all in one process."""
    pairs = [str(part) for pool, limit in limits.items() for part in (pool, limit)]
    command = [sys.executable, "-c", _SET_EACH, *pairs]
    environment = os.environ | {"DAGSTER_HOME": str(home)}
    done = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=180)
    if done.returncode != 0:
        raise AssertionError(f"dagster instance concurrency set {limits} failed: {done.stderr}")
