"""Where files live: a local folder, or any fsspec URL (`s3://`, `gs://`, `memory://`).

Files are always written locally first (streaming, fsync) and, for a URL, uploaded to their
final key in one call. Object stores make an object visible only once its PUT or multipart
upload completes, and s3fs aborts a multipart upload that fails, so a reader never sees a
partial object and no temporary key is ever created. On filesystems without that guarantee
(SFTP, say) the upload is only as atomic as the filesystem's own `put_file`.

Credentials and endpoints come from the usual places (AWS_* variables, `~/.aws`, fsspec's
config), plus `EXTRACT_ASSETS_STORAGE_OPTIONS`: a JSON object of keyword arguments for the
filesystem, e.g. ``{"endpoint_url": "http://127.0.0.1:9000"}``. Its values are never logged.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import fsspec
    import pyarrow.parquet as pq
    from fsspec.callbacks import Callback

__all__ = [
    "STORAGE_OPTIONS_ENV",
    "Location",
    "RemotePath",
    "exists",
    "glob_files",
    "is_url",
    "location",
    "open_parquet",
    "read_text",
    "storage_options",
    "upload",
]

STORAGE_OPTIONS_ENV = "EXTRACT_ASSETS_STORAGE_OPTIONS"


@dataclass(frozen=True)
class RemotePath:
    """A file or folder at an fsspec URL, joined with `/` the way a `Path` is.

    >>> RemotePath("s3://lake/raw") / "linkup" / "team"
    RemotePath(url='s3://lake/raw/linkup/team')
    >>> (RemotePath("s3://lake/raw/team") / "part-0.parquet").parent.name
    'team'
    """

    url: str

    def __truediv__(self, part: str) -> RemotePath:
        if not part or part.startswith("/") or ".." in part.split("/"):
            raise ValueError(f"{part!r} cannot be joined to {self.url}: give a relative name")
        return RemotePath(f"{self.url.rstrip('/')}/{part}")

    def __str__(self) -> str:
        return self.url

    @property
    def parent(self) -> RemotePath:
        head, _, _ = self.url.rstrip("/").rpartition("/")
        return RemotePath(head)

    @property
    def name(self) -> str:
        return self.url.rstrip("/").rpartition("/")[2]

    def filesystem(self) -> tuple[fsspec.AbstractFileSystem, str]:
        """The fsspec filesystem (with `storage_options()`) and the path inside it."""
        # fsspec loads with the first remote path (~65 ms), not with every code location.
        from fsspec.core import url_to_fs

        fs, path = url_to_fs(self.url, **storage_options())
        return fs, path


Location = Path | RemotePath


def is_url(where: str | os.PathLike[str]) -> bool:
    """Whether `where` names a place outside the local filesystem.

    >>> is_url("s3://lake/raw"), is_url("/srv/lake"), is_url("file:///srv/lake")
    (True, False, False)
    """
    text = os.fspath(where)
    scheme = urlsplit(text).scheme
    # A one-letter scheme is a Windows drive ("C:\\data"), not a URL.
    return "://" in text and len(scheme) > 1 and scheme != "file"


def location(where: str | os.PathLike[str] | RemotePath) -> Location:
    """A URL as a `RemotePath`, anything else (a `file://` URL too) as a local `Path`.

    >>> location("s3://lake/raw/")
    RemotePath(url='s3://lake/raw')
    >>> location("/srv/lake")
    PosixPath('/srv/lake')
    """
    if isinstance(where, RemotePath):
        return where
    text = os.fspath(where)
    if is_url(text):
        return RemotePath(text.rstrip("/"))
    if text.startswith("file://"):
        return Path(urlsplit(text).path)
    return Path(text)


def storage_options() -> dict[str, Any]:
    """The filesystem keyword arguments in `EXTRACT_ASSETS_STORAGE_OPTIONS` (JSON), if any."""
    text = os.environ.get(STORAGE_OPTIONS_ENV, "").strip()
    if not text:
        return {}
    try:
        options = json.loads(text)
    except json.JSONDecodeError as error:
        # The message names the position only: the text may hold a secret.
        raise ValueError(
            f"{STORAGE_OPTIONS_ENV} is not valid JSON (line {error.lineno}, column "
            f'{error.colno}); give an object such as {{"endpoint_url": "http://host:9000"}}'
        ) from None
    if not isinstance(options, dict):
        raise ValueError(
            f"{STORAGE_OPTIONS_ENV} must be a JSON object of filesystem options, "
            f"not a {type(options).__name__}"
        )
    return options


def upload(
    local: Path,
    target: RemotePath,
    *,
    part_bytes: int | None = None,
    callback: Callback | None = None,
) -> None:
    """Copy a finished local file to `target`, which appears only once the copy is complete.

    `part_bytes` sets the multipart chunk size of filesystems that take one (s3fs: at least
    5 MiB; by default 50 MiB); `callback` is told each part's bytes once it has been sent.
    """
    from fsspec.callbacks import DEFAULT_CALLBACK

    fs, path = target.filesystem()
    extra: dict[str, Any] = {"chunksize": part_bytes} if part_bytes is not None else {}
    fs.put_file(os.fspath(local), path, callback=callback or DEFAULT_CALLBACK, **extra)


def open_parquet(where: str | os.PathLike[str] | RemotePath) -> pq.ParquetFile:
    """A Parquet file, local or at a URL, opened for reading (footer first)."""
    # Imported here: the definitions locate files without loading pyarrow (test_package.py).
    import pyarrow.parquet as pq

    place = location(where)
    if isinstance(place, Path):
        return pq.ParquetFile(place)
    fs, path = place.filesystem()
    return pq.ParquetFile(path, filesystem=fs)


def glob_files(folder: Location, pattern: str) -> list[Location]:
    """The files under `folder` matching `pattern` (e.g. ``date=*/*.parquet``), sorted."""
    if isinstance(folder, Path):
        return [*sorted(folder.glob(pattern))]
    fs, path = folder.filesystem()
    found = fs.glob(f"{path.rstrip('/')}/{pattern}")
    return [RemotePath(fs.unstrip_protocol(name)) for name in sorted(found)]


def read_text(where: Location) -> str | None:
    """A small file's text (UTF-8), or None when there is none."""
    if isinstance(where, Path):
        return where.read_text(encoding="utf-8") if where.exists() else None
    fs, path = where.filesystem()
    # One whole GET: a file opened for reading checks each range against the object it first
    # saw, and a writer replacing the file in between made the reader fail.
    try:
        return fs.cat_file(path).decode("utf-8")
    except FileNotFoundError:
        return None


def exists(where: Location) -> bool:
    """Whether a file or folder is there."""
    if isinstance(where, Path):
        return where.exists()
    fs, path = where.filesystem()
    return bool(fs.exists(path))
