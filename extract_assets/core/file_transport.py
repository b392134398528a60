"""The transport of result downloads: urllib3 reads each body in pieces of 1 MiB.

httpx reads a body through httpcore and h11, one socket read of at most 64 KiB at a time, each
passed up through several Python layers and copied once more in h11's buffer; over TLS a read
returns a single record, of at most 16 KiB. urllib3 fills each piece from the socket in C. On
loopback (`python -m benchmarks.download_transport`), reading a 345 MB result took 0.12
CPU-seconds of the thread that also feeds the Parquet sink against httpx's 0.31 over HTTP, and
0.48 against 1.19 over HTTPS: 330 pieces against 5,295 reads and 42,163 TLS records.

Only the transport changes. The client around it is httpx's, so redirects, timeouts and status
handling work as before, and urllib3's errors are raised as the httpx errors they correspond
to. httpx reads the proxies named in the environment only for its own transport, so where one
is named, downloads keep httpx's (see `http.ApiClient`).
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import urllib3
from urllib3 import exceptions

__all__ = ["FileTransport"]

# 1 MiB: a piece costs ~5 µs of Python however large it is, and the NDJSON sink cuts 4 MiB
# blocks; 4 MiB pieces measured the same and would log progress four times as rarely.
_PIECE_BYTES = 1 << 20
# Slots for as many parallel downloads as httpx would keep connections, so that urllib3 does
# not warn that it discards one when they end.
_CONNECTION_SLOTS = 20

# The first match wins: a failed connection is a subclass of a connect timeout in urllib3.
_ERRORS: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (exceptions.NewConnectionError, httpx.ConnectError),
    (exceptions.ConnectTimeoutError, httpx.ConnectTimeout),
    (exceptions.ReadTimeoutError, httpx.ReadTimeout),
    (exceptions.SSLError, httpx.ConnectError),
    (exceptions.ProxyError, httpx.ProxyError),
    (exceptions.ProtocolError, httpx.RemoteProtocolError),
)


class FileTransport(httpx.BaseTransport):
    """An httpx transport that reads response bodies in large pieces (for big downloads).

    >>> with httpx.Client(transport=FileTransport(ssl_context=ssl.create_default_context())):
    ...     pass
    """

    def __init__(self, *, ssl_context: ssl.SSLContext) -> None:
        self._pool = urllib3.PoolManager(maxsize=_CONNECTION_SLOTS, ssl_context=ssl_context)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        timeout = request.extensions.get("timeout", {})
        headers = urllib3.HTTPHeaderDict(request.headers.multi_items())
        # One connection per download, closed with its body: a kept one left before the end of
        # its body would serve the rest as the next answer, and urllib3 closes the connections
        # it keeps only once they are garbage. A new connection costs little beside a download.
        headers["Connection"] = "close"
        with _as_httpx_errors(request):
            answer = self._pool.urlopen(
                request.method,
                str(request.url),
                body=request.read() or None,
                headers=headers,
                redirect=False,  # httpx follows redirects itself, one request at a time
                retries=False,
                preload_content=False,
                decode_content=False,
                timeout=urllib3.Timeout(connect=timeout.get("connect"), read=timeout.get("read")),
            )
        return httpx.Response(
            answer.status,
            headers=list(answer.headers.items()),
            stream=_Body(answer, request),
            extensions={"http_version": b"HTTP/1.1"},
        )

    def close(self) -> None:
        self._pool.clear()


class _Body(httpx.SyncByteStream):
    def __init__(self, answer: urllib3.BaseHTTPResponse, request: httpx.Request) -> None:
        self._answer = answer
        self._request = request

    def __iter__(self) -> Iterator[bytes]:
        with _as_httpx_errors(self._request):
            while True:
                try:
                    piece = self._answer.read(_PIECE_BYTES, decode_content=False)
                except exceptions.ProtocolError as broken:
                    if arrived := _arrived_before(broken):
                        yield arrived
                    raise
                if not piece:
                    return
                yield piece

    def close(self) -> None:
        self._answer.close()
        self._answer.release_conn()


def _arrived_before(broken: exceptions.ProtocolError) -> bytes:
    """What arrived of the piece being read when a chunked body broke.

    http.client keeps it in its `IncompleteRead`, and urllib3 passes that on as the cause.
    Handed on, the download resumes after these bytes rather than before them; dropped, a body
    that always breaks before its last chunk would never get past its first piece.
    """
    arrived = getattr(broken.__cause__, "partial", b"")
    return arrived if isinstance(arrived, bytes) else b""


@contextmanager
def _as_httpx_errors(request: httpx.Request) -> Iterator[None]:
    try:
        yield
    except exceptions.HTTPError as error:
        kind = next((mapped for raised, mapped in _ERRORS if isinstance(error, raised)), None)
        raise (kind or httpx.TransportError)(str(error), request=request) from error
