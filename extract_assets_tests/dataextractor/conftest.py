"""The webhook receiver on a real loopback port, backed by a SQLite file in the test's folder;
an emulator account of the test's own, so the demo datasets stay out of sight."""

from __future__ import annotations

import hashlib
import hmac
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest
import uvicorn

from extract_assets.dataextractor.resource import DataExtractorResource
from extract_assets.dataextractor.webhooks import WEBHOOK_PATH, WebhookStore, create_webhook_app
from extract_assets.emulator import EmulatorServer

# Shaped like a real secret, so a leak of it anywhere is unmistakable.
WEBHOOK_SECRET = "whsec-SECRET-4b1d9e0a7c3f5"
MAX_BODY_BYTES = 64 * 1024
API_KEY = "dx-SECRET-0c9b8a7f6e5d4c3b"
ACCOUNT = "acct_tests"


def sign(body: bytes, secret: str = WEBHOOK_SECRET) -> str:
    """The signature dataextractor.io sends: lowercase hex HMAC-SHA256 of the raw body."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class Receiver:
    """A running receiver: where to post, and the store it writes."""

    url: str
    host: str
    port: int
    store: WebhookStore
    store_path: Path


@contextmanager
def running_receiver(store_path: Path, secret: str = WEBHOOK_SECRET) -> Iterator[Receiver]:
    """The receiver app served by uvicorn on a free loopback port until the block ends."""
    store = WebhookStore(store_path)
    app = create_webhook_app(store, secret, max_body_bytes=MAX_BODY_BYTES)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(
        uvicorn.Config(app, log_config=None, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the receiver did not start"
        time.sleep(0.01)
    port = sock.getsockname()[1]
    try:
        yield Receiver(
            url=f"http://127.0.0.1:{port}{WEBHOOK_PATH}",
            host="127.0.0.1",
            port=port,
            store=store,
            store_path=store_path,
        )
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[Receiver]:
    with running_receiver(tmp_path / "webhooks.sqlite3") as running:
        yield running


@pytest.fixture
def account(emulator: EmulatorServer) -> str:
    """An empty account, read without pacing (the client's and the emulator's)."""
    emulator.control.add_dataextractor_key(key=API_KEY, account=ACCOUNT)
    emulator.control.dataextractor_settings(read_per_minute=100_000)
    return ACCOUNT


@pytest.fixture
def resource(emulator: EmulatorServer, account: str) -> DataExtractorResource:
    """The resource as a user configures it, pointed at the emulator."""
    return DataExtractorResource(
        api_key=API_KEY,
        base_url=emulator.base_url("dataextractor"),
        reads_per_minute=100_000,
        retry_deadline_seconds=10,
    )


@pytest.fixture(scope="module")
def instance() -> Iterator[dg.DagsterInstance]:
    """Shared by a module's tests: evaluating a tick records nothing in it."""
    with dg.instance_for_test() as test_instance:
        yield test_instance
