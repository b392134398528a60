"""dataextractor.io as the shared modules see it: also the demo's webhook receiver and the
`extract-assets webhooks` command."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from extract_assets.dataextractor.commands import add_commands
from extract_assets.dataextractor.contract import API_KEY_ENV, BASE_URL_ENV, WEBHOOK_SECRET_ENV
from extract_assets.dataextractor.definitions import dataextractor_definitions
from extract_assets.dataextractor.section import WEBHOOK_STORE_ENV, DataExtractorSection
from extract_assets.provider import Provider

if TYPE_CHECKING:
    from extract_assets.emulator import EmulatorServer

DEMO_WEBHOOK_SECRET = "demo-webhook-secret"


@contextmanager
def _demo_webhooks(emulator: EmulatorServer, home: Path) -> Iterator[dict[str, str]]:
    """The emulator delivers its webhooks to a receiver of the demo's own, so the webhook
    sensor has events to read."""
    # The receiver's web server (Starlette, uvicorn) loads for the demo only, not with every
    # code location.
    from extract_assets.dataextractor.receiver import WebhookReceiver
    from extract_assets.dataextractor.webhooks import WebhookStore

    store = home / "dataextractor-webhooks.sqlite3"
    with WebhookReceiver(WebhookStore(store), DEMO_WEBHOOK_SECRET) as receiver:
        emulator.control.subscribe_dataextractor_webhook(receiver.url, DEMO_WEBHOOK_SECRET)
        print(f"dataextractor.io webhooks received at {receiver.url}")
        yield {WEBHOOK_SECRET_ENV: DEMO_WEBHOOK_SECRET, WEBHOOK_STORE_ENV: str(store)}


PROVIDER = Provider(
    name="dataextractor",
    section=DataExtractorSection,
    definitions=dataextractor_definitions,
    pool_limit=1,
    key_env=API_KEY_ENV,
    base_url_env=BASE_URL_ENV,
    demo_key="demo-dataextractor-key",
    demo=_demo_webhooks,
    commands=add_commands,
)
