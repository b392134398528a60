"""Result files: generated once in worker threads, handed out through pre-signed URLs."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import hmac
import os
import threading
import uuid
from collections.abc import AsyncIterator, Callable
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

import anyio.to_thread
from starlette.responses import FileResponse, PlainTextResponse, Response, StreamingResponse

NDJSON = "application/x-ndjson"
_CHUNK = 1 << 20

FileWriter = Callable[[BinaryIO, threading.Event], None]


class ResultStore:
    """Content-addressed files under one folder, each written once, off the event loop.

    The same content key always names the same bytes, so a repeated task reuses the file and the
    store survives an emulator reset.
    """

    def __init__(self, root: Path, *, workers: int = 2) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="emulator-gen")
        self._closing = threading.Event()
        self._lock = threading.Lock()
        self._files: dict[str, Future[Path]] = {}

    def ensure(self, key: str, suffix: str, write: FileWriter) -> None:
        """Start writing the file for `key` unless it exists or is being written."""
        with self._lock:
            existing = self._files.get(key)
            if existing is not None and not _failed(existing):
                return
            path = self.root / f"{key}{suffix}"
            if path.exists():
                done: Future[Path] = Future()
                done.set_result(path)
                self._files[key] = done
            else:
                self._files[key] = self._executor.submit(self._write, path, write)

    async def path(self, key: str) -> Path:
        """The finished file for `key`, waiting for its writer if needed."""
        with self._lock:
            future = self._files[key]
        return await asyncio.wrap_future(future)

    def close(self) -> None:
        """Stop writers at their next batch and wait for the threads."""
        self._closing.set()
        self._executor.shutdown(wait=True, cancel_futures=True)

    def _write(self, path: Path, write: FileWriter) -> Path:
        # Write beside the target and rename, so a reader never sees a half-written file.
        partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}.partial")
        try:
            with partial.open("wb") as out:
                write(out, self._closing)
            if self._closing.is_set():
                # The writer may have stopped early: never publish a short file under its key.
                raise CancelledError
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
        return path


def _failed(future: Future[Path]) -> bool:
    return future.done() and (future.cancelled() or future.exception() is not None)


class UrlSigner:
    """HMAC signatures for pre-signed file URLs with an expiry time."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def sign(self, resource: str, expires: int) -> str:
        """The signature of `resource` valid until `expires` (epoch seconds)."""
        message = f"{resource}\n{expires}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()[:32]

    def problem(
        self, resource: str, expires: str | None, sig: str | None, now: float
    ) -> str | None:
        """Why this URL must be refused (403), or None when it is valid now."""
        if expires is None or sig is None or not expires.isdigit():
            return "Query-string authentication requires the expires and sig parameters."
        if not hmac.compare_digest(self.sign(resource, int(expires)), sig):
            return "The request signature does not match."
        if now > int(expires):
            return "Request has expired."
        return None


def object_store_error(status: int, message: str) -> Response:
    """An error as an object store answers it: plain text, nothing provider-specific."""
    return PlainTextResponse(message, status_code=status)


async def ndjson_file_response(
    path: Path, keep_fraction: float | None = None, *, gzip_encoded: bool = False
) -> Response:
    """Serve an NDJSON file with Content-Length; with `keep_fraction`, only its first lines.

    The truncated response is complete at the HTTP level: only a client that compares the line
    count with the row count the provider announced can tell. With `gzip_encoded`, the file is
    sent as an object store sends an object stored compressed: `Content-Encoding: gzip` whatever
    the client accepts, and a `Range` counts the compressed bytes.
    """
    if gzip_encoded:
        compressed = await anyio.to_thread.run_sync(_gzipped, path, keep_fraction)
        return FileResponse(compressed, media_type=NDJSON, headers={"Content-Encoding": "gzip"})
    if keep_fraction is None:
        return FileResponse(path, media_type=NDJSON)
    length = await anyio.to_thread.run_sync(_prefix_length, path, keep_fraction)
    return StreamingResponse(
        _read_prefix(path, length), media_type=NDJSON, headers={"Content-Length": str(length)}
    )


def _gzipped(path: Path, keep_fraction: float | None) -> Path:
    """The file (or its first lines), gzip-compressed beside it once."""
    length = path.stat().st_size if keep_fraction is None else _prefix_length(path, keep_fraction)
    target = path.with_name(f"{path.name}.{length}.gz")
    if target.exists():
        return target
    partial = target.with_name(f".{target.name}.{uuid.uuid4().hex}.partial")
    try:
        # mtime 0: the same bytes every time, so a resumed range never meets other bytes.
        with (
            path.open("rb") as source,
            partial.open("wb") as raw,
            gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out,
        ):
            remaining = length
            while remaining > 0 and (chunk := source.read(min(_CHUNK, remaining))):
                out.write(chunk)
                remaining -= len(chunk)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def _prefix_length(path: Path, keep_fraction: float) -> int:
    with path.open("rb") as source:
        total = sum(chunk.count(b"\n") for chunk in iter(lambda: source.read(_CHUNK), b""))
        keep = int(total * keep_fraction)
        source.seek(0)
        offset = 0
        while keep > 0:
            chunk = source.read(_CHUNK)
            lines = chunk.count(b"\n")
            if lines < keep:
                keep -= lines
                offset += len(chunk)
                continue
            cut = -1
            for _ in range(keep):
                cut = chunk.index(b"\n", cut + 1)
            return offset + cut + 1
    return 0


async def _read_prefix(path: Path, length: int) -> AsyncIterator[bytes]:
    source = await anyio.open_file(path, "rb")
    async with source:
        remaining = length
        while remaining > 0:
            chunk = await source.read(min(_CHUNK, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
            yield chunk
