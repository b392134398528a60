"""Whether the output location will take a table's files, asked before a provider is paid; and
the operating system's refusal to write there as one line that says what to do.

A run that pays for a Linkup task or an Extract.to sync, then finds a file where its folder should
be, has paid for rows it cannot keep: pressing Materialize again pays again. So the runs ask
first, without creating anything (an empty table folder would be a table of no file to readers).
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator

from extract_assets.core.errors import OutputError
from extract_assets.core.storage import Location, RemotePath

__all__ = ["check_writable", "output_errors"]


@contextlib.contextmanager
def output_errors(folder: Location) -> Iterator[None]:
    """An operating system's refusal to write under `folder` as one line that says what to do."""
    try:
        yield
    except (ConnectionError, TimeoutError):
        raise  # the source's network, not the output location
    except OSError as error:
        where = error.filename or folder
        if error.errno == errno.ENOSPC:
            what = f"the disk holding {where} is full: free space there, or"
        elif isinstance(error, NotADirectoryError | FileExistsError):
            what = f"{where} is in the way: part of the output path is a file, not a folder;"
        elif isinstance(error, PermissionError):
            what = f"{where} is not writable for this process: grant write access, or"
        else:
            what = f"writing under {folder} failed ({error.strerror or error});"
        raise OutputError(
            f"Cannot write the table at {folder}: {what} set EXTRACT_ASSETS_OUTPUT (or the "
            "definitions' output_dir) to a writable folder. Nothing was changed."
        ) from error


def check_writable(folder: Location) -> None:
    """Raise `OutputError` where writing a table under the local `folder` would fail for
    certain: a file in the way of its path, or a folder this process may not write in. A URL's
    store is only asked when written (a test write would cost a request and leave an object).

    >>> import tempfile, pathlib
    >>> lake = pathlib.Path(tempfile.mkdtemp())
    >>> check_writable(lake / "linkup" / "team")
    >>> _ = (lake / "linkup").write_text("")
    >>> check_writable(lake / "linkup" / "team")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    extract_assets.core.errors.OutputError: Cannot write the table at ...: ... is in the way: ...
    """
    if isinstance(folder, RemotePath):
        return
    existing = folder
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    with output_errors(folder):
        if not existing.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(existing))
        if not os.access(existing, os.W_OK | os.X_OK):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(existing))
