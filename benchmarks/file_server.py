"""A tiny loopback file server for the benchmarks: one folder, `GET` with `Range`, `sendfile`.

The bytes go from the page cache to the socket in the kernel (`socket.sendfile`), so serving
costs the measured client as little as a real object store would, and a resumed download
(`Range: bytes=N-`) is answered as one would be.
"""

from __future__ import annotations

import re
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

_RANGE = re.compile(r"bytes=(\d+)-")


class _FolderServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        super().__init__(("127.0.0.1", 0), _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _FolderServer

    def do_GET(self) -> None:
        # Only a file directly in the folder: a name, never a path that climbs out of it.
        name = Path(unquote(urlsplit(self.path).path)).name
        path = self.server.folder / name
        if not name or not path.is_file():
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        size = path.stat().st_size
        asked = _RANGE.fullmatch(self.headers.get("Range", ""))
        start = int(asked.group(1)) if asked else 0
        if start > size:
            self.send_error(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
            return
        self.send_response(HTTPStatus.PARTIAL_CONTENT if asked else HTTPStatus.OK)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Content-Length", str(size - start))
        self.send_header("Accept-Ranges", "bytes")
        if asked:
            self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
        self.end_headers()
        with path.open("rb") as handle:
            if size > start:
                self.connection.sendfile(handle, offset=start, count=size - start)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: a benchmark prints its own table."""


@contextmanager
def serving(folder: Path, *, tls: tuple[Path, Path] | None = None) -> Iterator[str]:
    """Serve the files in `folder` on a free loopback port; yields the base URL.

    With `tls` (a certificate file and its key file), over HTTPS: the kernel cannot encrypt,
    so the bytes are sent by Python's `ssl` instead of `sendfile`."""
    server = _FolderServer(folder)
    if tls is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*tls)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, name="file-server", daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"{'https' if tls is not None else 'http'}://{host!s}:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
