"""Receive dataextractor.io webhooks: verify, store once by `event_id`, answer fast.

The receiver does nothing but record events in a store; the webhook sensor reads them from
there in the Dagster process. Keeping the two apart means a slow or stopped Dagster never makes
the provider time out (it retries a delivery that takes over 10 s) and no event is lost while
Dagster is down. The store is the deployment's shared state (PostgreSQL), so receiver and
sensor may run on different machines; on one machine it is a SQLite file.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import os
from pathlib import Path

import uvicorn
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from extract_assets.core.errors import ConfigError
from extract_assets.core.state import SharedState
from extract_assets.dataextractor.contract import SIGNATURE_HEADER, WEBHOOK_SECRET_ENV
from extract_assets.dataextractor.models import WebhookEvent
from extract_assets.dataextractor.webhook_store import WebhookStore

logger = logging.getLogger("extract_assets.dataextractor.webhooks")

WEBHOOK_PATH = "/webhooks/dataextractor"
DEFAULT_PORT = 8787
DEFAULT_STORE_PATH = Path("dataextractor-webhooks.sqlite3")
MAX_BODY_BYTES = 1_048_576


def resolve_secret(secret: str | None = None) -> str:
    """The signing secret given, else `DATAEXTRACTOR_WEBHOOK_SECRET`, without the newline or
    spaces a pasted secret brings; refuses an empty one.

    >>> resolve_secret("whsec-example\\n")
    'whsec-example'
    """
    given = secret if secret is not None else os.environ.get(WEBHOOK_SECRET_ENV)
    resolved = (given or "").strip()
    if not resolved:
        raise ConfigError(
            f"no dataextractor.io webhook secret: set {WEBHOOK_SECRET_ENV} to the secret shown "
            "where the webhook was subscribed. Without it no delivery can be verified."
        )
    return resolved


def create_webhook_app(
    store: WebhookStore, secret: str, *, max_body_bytes: int = MAX_BODY_BYTES
) -> Starlette:
    """The receiver: `POST /webhooks/dataextractor` and `GET /healthz`.

    A delivery is answered 202 when new and 200 when its `event_id` was stored before; 401 for a
    missing or wrong signature, 413 for a body over `max_body_bytes`, 400 for a payload without
    `event_id` and `event_type`. Nothing is stored for a refused delivery.

    >>> import tempfile
    >>> store = WebhookStore(Path(tempfile.mkdtemp()) / "events.sqlite3")
    >>> [route.path for route in create_webhook_app(store, "whsec-example").routes]
    ['/webhooks/dataextractor', '/healthz']
    """
    key = resolve_secret(secret).encode()

    async def receive(request: Request) -> Response:
        signature = request.headers.get(SIGNATURE_HEADER)
        if not signature:
            return _refuse(request, 401, f"missing {SIGNATURE_HEADER} header")
        # The server has checked the header is a number; chunked bodies have none.
        declared = request.headers.get("content-length")
        if declared is not None and int(declared) > max_body_bytes:
            return _refuse(request, 413, f"body over {max_body_bytes} bytes")
        body = await _read_at_most(request, max_body_bytes)
        if body is None:
            return _refuse(request, 413, f"body over {max_body_bytes} bytes")
        expected = hmac.new(key, body, hashlib.sha256).hexdigest().encode()
        # Headers arrive as latin-1 text; comparing bytes keeps compare_digest's constant time
        # and avoids its TypeError on non-ASCII text. Hex in upper case is the same digest.
        if not hmac.compare_digest(expected, signature.strip().lower().encode("latin-1")):
            return _refuse(request, 401, "signature does not match the body")
        event = _parse_event(body)
        if event is None:
            return _refuse(request, 400, "body must be a JSON object with event_id and event_type")
        is_new = await run_in_threadpool(store.add, event)
        if is_new:
            logger.info("stored dataextractor.io event %s (%s)", event.event_id, event.event_type)
        status, answer = (202, "accepted") if is_new else (200, "duplicate")
        return JSONResponse({"status": answer, "event_id": event.event_id}, status_code=status)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route(WEBHOOK_PATH, receive, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )


def serve(
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    db_path: SharedState | str | os.PathLike[str] = DEFAULT_STORE_PATH,
    secret: str | None = None,
    *,
    allow_remote: bool = False,
    max_body_bytes: int = MAX_BODY_BYTES,
    log_level: str = "info",
) -> None:
    """Serve the receiver in the foreground until interrupted (Ctrl-C).

    The secret defaults to `DATAEXTRACTOR_WEBHOOK_SECRET`; a missing one raises `ConfigError`,
    a non-loopback `host` without `allow_remote` raises `ValueError`, both before binding.

    >>> serve(host="0.0.0.0", secret="whsec-example")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: the webhook receiver listens on loopback only ...
    """
    check_host(host, allow_remote)
    resolved = resolve_secret(secret)
    uvicorn.run(
        create_webhook_app(WebhookStore(db_path), resolved, max_body_bytes=max_body_bytes),
        host=host,
        port=port,
        log_level=log_level,
        timeout_graceful_shutdown=1,
    )


def check_host(host: str, allow_remote: bool) -> None:
    """Refuse a non-loopback address unless allowed: the usual setup is a TLS-terminating
    reverse proxy or tunnel on the same machine forwarding to loopback.

    >>> check_host("127.0.0.1", allow_remote=False)
    """
    if allow_remote or host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(
            f"the webhook receiver listens on loopback only (127.0.0.1, ::1, localhost); got "
            f"host {host!r}. Put a TLS-terminating reverse proxy or tunnel in front of it, or "
            "pass allow_remote=True to expose it directly."
        )


async def _read_at_most(request: Request, limit: int) -> bytes | None:
    """The body, or None as soon as it grows past `limit` (chunked bodies declare no length)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _parse_event(body: bytes) -> WebhookEvent | None:
    try:
        event = WebhookEvent.model_validate_json(body)
    except ValidationError:
        return None
    return event if event.event_id and event.event_type else None


def _refuse(request: Request, status: int, reason: str) -> Response:
    # The reason never quotes the body or the signature: either could help forge a delivery.
    client = request.client.host if request.client else "unknown"
    logger.warning("refused a dataextractor.io webhook from %s: %s (%d)", client, reason, status)
    return JSONResponse({"detail": reason}, status_code=status)
