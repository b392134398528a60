"""Error answers are read no further than their start: the message is an excerpt, so a page of
megabytes, or a body that never ends, is not read whole; and one whose body breaks off keeps
the status it came with."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import AsyncIterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from extract_assets.core.errors import AuthenticationError, ServerError
from extract_assets.core.http import ApiClient
from extract_assets.core.retry import RetryPolicy

KEY = "k-ERRORS-5e4d3c2b1a"
PIECE = b"<p>" + b"x" * (64 << 10) + b"</p>"
# What the server would send in all: far more than any client should read of an error.
PIECES = 2_000


class EndlessErrors:
    """A raw HTTP server on loopback answering each request with a 502 page of `PIECES`
    pieces, counting the bytes the client took before it closed the connection (a server
    socket sends only as far as the client reads, past a few buffers)."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.sent = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        with contextlib.suppress(OSError):  # the listener closed: the test is over
            while True:
                connection, _ = self.listener.accept()
                with connection:
                    self._answer(connection)

    def _answer(self, connection: socket.socket) -> None:
        connection.recv(65536)  # a GET with no body: its headers
        head = b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n"
        with contextlib.suppress(OSError):  # the client closed the connection
            connection.sendall(head + b"<html><h1>502 Bad Gateway</h1>")
            for _ in range(PIECES):
                connection.sendall(PIECE)
                self.sent += len(PIECE)


async def refused_then_cut(request: Request) -> Response:
    async def body() -> AsyncIterator[bytes]:
        yield b'{"message": "Invalid API key"'
        raise ConnectionError("the gateway went away")

    return StreamingResponse(body(), status_code=401, media_type="application/json")


app = Starlette(routes=[Route("/refused-then-cut", refused_then_cut)])


def test_an_error_answer_that_goes_on_and_on_is_read_no_further_than_its_start() -> None:
    server = EndlessErrors()
    retry = RetryPolicy(max_attempts=3, backoff_base_seconds=0.01)
    with ApiClient(provider="Example", base_url=server.url, api_key=KEY, retry=retry) as api:
        with pytest.raises(ServerError) as raised:
            api.json("GET", "/endless")
    server.listener.close()
    assert raised.value.status == 502 and raised.value.attempts == 3
    assert "502 Bad Gateway" in raised.value.message and len(str(raised.value)) < 2_000
    # Three attempts each read about 1 MiB; what the server got out is that and its buffers.
    assert server.sent < PIECES * len(PIECE) // 4


def test_an_error_answer_whose_body_breaks_off_keeps_its_status(host: str) -> None:
    retry = RetryPolicy(max_attempts=3, backoff_base_seconds=0.01)
    with ApiClient(provider="Example", base_url=host, api_key=KEY, retry=retry) as api:
        with pytest.raises(AuthenticationError) as raised:
            api.json("GET", "/refused-then-cut")
    assert raised.value.status == 401 and raised.value.attempts == 1
