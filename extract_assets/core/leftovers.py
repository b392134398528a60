"""Temp files and folders that name the process that made them, so a later run can remove
those a dead run left behind.

A run writes temp files beside a table's folder (see `parquet`) and spools rows in the system's
temp folder. A run killed mid-way cannot remove them; the next run of the same table can, once
it knows their owner is gone: each name carries ``{pid}@{host}``. An owner on this host whose
process no longer exists is dead; an owner on another host (a shared filesystem) is taken as
dead only when its file is a day old.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import socket
import tempfile
import time
from pathlib import Path

__all__ = ["owner_token", "remove_leftovers", "temp_dir"]

logger = logging.getLogger(__name__)

_OTHER_HOST_AGE_SECONDS = 86_400
_OWNER = r"(?P<pid>\d+)@(?P<host>[A-Za-z0-9._-]+?)"
_TEMP_DIR_PREFIX = "extract-assets-"


def owner_token() -> str:
    """``{pid}@{host}`` of this process, as temp names carry it."""
    host = re.sub(r"[^A-Za-z0-9._-]", "-", socket.gethostname()) or "host"
    return f"{os.getpid()}@{host}"


def temp_dir(kind: str) -> tempfile.TemporaryDirectory[str]:
    """A private temp folder (`kind`: spool, upload, datasets) that names its owner."""
    return tempfile.TemporaryDirectory(prefix=f"{_TEMP_DIR_PREFIX}{kind}-{owner_token()}-")


def remove_leftovers(staging: Path | None, table: str) -> int:
    """Remove what dead runs left: `table`'s temp files in `staging`, and our temp folders.

    Returns how many files and folders were removed.
    """
    removed = 0
    if staging is not None and staging.is_dir():
        pattern = re.compile(rf"^\.{re.escape(table)}\.{_OWNER}\.[0-9a-f]{{32}}(\.\d+)?\.tmp$")
        for entry in staging.iterdir():
            if (match := pattern.match(entry.name)) and _dead(match, entry):
                entry.unlink(missing_ok=True)
                removed += 1
    temp_pattern = re.compile(rf"^{_TEMP_DIR_PREFIX}[a-z]+-{_OWNER}-[^/]*$")
    for entry in Path(tempfile.gettempdir()).glob(f"{_TEMP_DIR_PREFIX}*"):
        if (match := temp_pattern.match(entry.name)) and entry.is_dir() and _dead(match, entry):
            shutil.rmtree(entry, ignore_errors=True)
            removed += 1
    if removed:
        logger.info("removed %d temp files and folders left by runs that died", removed)
    return removed


def _dead(match: re.Match[str], entry: Path) -> bool:
    pid, host = int(match["pid"]), match["host"]
    if host != owner_token().partition("@")[2]:
        try:
            return time.time() - entry.stat().st_mtime > _OTHER_HOST_AGE_SECONDS
        except FileNotFoundError:
            return False
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
