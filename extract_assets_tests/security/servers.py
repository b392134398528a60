"""Small loopback servers for the suite: one that records who sent what headers, one that
redirects everything elsewhere, and a proxy that puts an API in front of another origin."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]


@contextmanager
def serving(app: ASGIApp, *, tls: tuple[Path, Path] | None = None) -> Iterator[str]:
    """`app` served by uvicorn on 127.0.0.1 at a free port; yields its root URL.

    With `tls` (a certificate file and its key file), over HTTPS."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    certificate, key = tls if tls is not None else (None, None)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            log_config=None,
            log_level="warning",
            access_log=False,
            ssl_certfile=certificate,
            ssl_keyfile=key,
        )
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "a test server did not start"
        time.sleep(0.01)
    try:
        scheme = "https" if tls is not None else "http"
        yield f"{scheme}://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@dataclass
class Seen:
    """The requests a server received: path and headers (names lowercased)."""

    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def record(self, request: Request) -> None:
        self.requests.append((request.url.path, dict(request.headers)))

    def with_authorization(self) -> list[str]:
        return [path for path, headers in self.requests if "authorization" in headers]


def redirecting_app(seen: Seen, target: str) -> Starlette:
    """Answers every request with a 307 to the same path and query under `target`."""

    async def redirect(request: Request) -> Response:
        seen.record(request)
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(f"{target}{request.url.path}{query}", status_code=307)

    return Starlette(routes=[Route("/{path:path}", redirect, methods=_METHODS)])


def proxy_app(seen: Seen, upstream: str, rewrite: tuple[str, str]) -> Starlette:
    """Forwards every request to `upstream`, replacing `rewrite[0]` by `rewrite[1]` in answers,
    so links the upstream hands out point at another origin."""

    async def forward(request: Request) -> Response:
        seen.record(request)
        headers = {
            name: value
            for name, value in request.headers.items()
            if name not in {"host", "content-length"}
        }
        async with httpx.AsyncClient(timeout=30) as http:
            answer = await http.request(
                request.method,
                f"{upstream}{request.url.path}",
                params=request.query_params,
                content=await request.body(),
                headers=headers,
            )
        body = answer.content.replace(rewrite[0].encode(), rewrite[1].encode())
        kept = {
            name: value
            for name, value in answer.headers.items()
            if name in {"content-type", "retry-after", "x-request-id"}
        }
        return Response(body, status_code=answer.status_code, headers=kept)

    return Starlette(routes=[Route("/{path:path}", forward, methods=_METHODS)])


def echoing_app(seen: Seen, *, padding: int | None = None) -> Starlette:
    """An API that refuses every request quoting the Authorization it got, in the error shapes
    of all three providers, as careless real APIs do ("Invalid API key: ...").

    With `padding`, the answer is plain text and the key starts that many characters in, so a
    client that quotes only the start of a body cuts the key in two.
    """

    async def refuse(request: Request) -> Response:
        seen.record(request)
        quoted = f"Invalid API key: {request.headers.get('authorization')}"
        if padding is not None:
            text = "-" * (padding - len("Invalid API key: Bearer ")) + quoted
            return Response(text, status_code=401, media_type="text/plain")
        body = {
            "statusCode": 401,
            "error": {"code": "UNAUTHORIZED", "message": quoted},
            "detail": quoted,
        }
        return JSONResponse(body, status_code=401)

    return Starlette(routes=[Route("/{path:path}", refuse, methods=_METHODS)])
