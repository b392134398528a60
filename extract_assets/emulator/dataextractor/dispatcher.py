"""The thread that delivers webhooks: it checks the hub every 0.1 s and POSTs what is due."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import httpx

from extract_assets.emulator.clock import Clock
from extract_assets.emulator.dataextractor.models import DataextractorSettings
from extract_assets.emulator.dataextractor.webhooks import Delivery, WebhookHub

# Real seconds between checks: transitions are noticed this soon after the clock passes them.
TICK_SECONDS = 0.1


class Dispatcher:
    """Runs its own event loop in a daemon thread, apart from the server's, so a slow receiver
    never holds up the API and the thread can be stopped from any thread."""

    def __init__(
        self, hub: WebhookHub, clock: Clock, settings: Callable[[], DataextractorSettings]
    ) -> None:
        self._hub = hub
        self._clock = clock
        self._settings = settings
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start delivering, if not already."""
        if self._thread is None:
            self._stopping.clear()
            self._thread = threading.Thread(
                target=asyncio.run,
                args=(self._loop(),),
                name="dataextractor-webhooks",
                daemon=True,
            )
            self._thread.start()

    def stop(self) -> None:
        """Stop delivering; attempts in flight are abandoned."""
        if self._thread is not None:
            self._stopping.set()
            self._thread.join(timeout=5)
            self._thread = None

    async def _loop(self) -> None:
        tasks: set[asyncio.Task[None]] = set()
        # The timeout is applied per attempt, from the settings of the moment.
        async with httpx.AsyncClient(timeout=None, trust_env=False) as client:
            try:
                while not self._stopping.is_set():
                    for delivery in self._hub.due(self._clock.time()):
                        task = asyncio.create_task(self._attempt(client, delivery))
                        tasks.add(task)
                        task.add_done_callback(tasks.discard)
                    await asyncio.sleep(TICK_SECONDS)
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)

    async def _attempt(self, client: httpx.AsyncClient, delivery: Delivery) -> None:
        timeout = self._settings().webhook_timeout
        status: int | None = None
        error: str | None = None
        try:
            response = await asyncio.wait_for(
                client.post(delivery.webhook.url, content=delivery.body, headers=delivery.headers),
                timeout,
            )
            status = response.status_code
        except TimeoutError:
            error = f"no answer within {timeout:g} s"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        self._hub.record(delivery, status, error, self._clock.time())
