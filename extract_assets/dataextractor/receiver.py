"""The webhook receiver on a background thread: for the demo, and for notebooks."""

from __future__ import annotations

import threading
import time
from typing import Self

import uvicorn

from extract_assets.dataextractor.webhooks import (
    WEBHOOK_PATH,
    WebhookStore,
    check_host,
    create_webhook_app,
)


class WebhookReceiver:
    """`create_webhook_app` served by uvicorn on a thread; `url` is where to deliver.

    >>> import tempfile
    >>> from pathlib import Path
    >>> store = WebhookStore(Path(tempfile.mkdtemp()) / "events.sqlite3")
    >>> with WebhookReceiver(store, "whsec-example") as receiver:
    ...     receiver.url.startswith("http://127.0.0.1:")
    True
    """

    def __init__(
        self, store: WebhookStore, secret: str, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        check_host(host, allow_remote=False)
        config = uvicorn.Config(
            create_webhook_app(store, secret), host=host, port=port, log_level="warning"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self.url = ""

    def __enter__(self) -> Self:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the webhook receiver did not start")
            time.sleep(0.05)
        host, port = self._server.servers[0].sockets[0].getsockname()[:2]
        self.url = f"http://{host}:{port}{WEBHOOK_PATH}"
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
