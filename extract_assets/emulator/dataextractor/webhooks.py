"""Webhook subscriptions, the events they receive, and every delivery attempt.

The API thread adds events; the dispatcher thread takes deliveries that are due and reports
how each attempt went. One lock guards it all.
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import itertools
import json
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from extract_assets.emulator.clock import iso_z
from extract_assets.emulator.dataextractor.models import (
    DataextractorSettings,
    EventType,
    Subscription,
)
from extract_assets.emulator.dataextractor.realworld import event_created_at, event_data
from extract_assets.emulator.realworld import RealWorld

SIGNATURE_HEADER = "X-Dataextractor-Signature"
# Delays before the five retries, in emulator seconds, times `webhook_backoff_scale`.
RETRY_DELAYS = (1.0, 2.0, 4.0, 8.0, 16.0)


@dataclass(frozen=True)
class Webhook:
    """A subscription of one account."""

    id: str
    account: str
    url: str
    secret: str
    events: tuple[EventType, ...]

    def as_json(self) -> dict[str, Any]:
        """As the control API serves it (without the secret)."""
        return {"id": self.id, "account": self.account, "url": self.url, "events": self.events}


@dataclass
class Delivery:
    """One copy of one event on its way to one webhook, with its attempts so far."""

    event_id: str
    event_type: EventType
    webhook: Webhook
    copy: int
    body: bytes
    generation: int
    next_at: float
    attempts: int = 0
    in_flight: bool = False

    @property
    def headers(self) -> dict[str, str]:
        """The signature is the lowercase hex HMAC-SHA256 of the raw body."""
        digest = hmac.new(self.webhook.secret.encode(), self.body, hashlib.sha256).hexdigest()
        return {"Content-Type": "application/json", SIGNATURE_HEADER: digest}


@dataclass(order=True)
class _Transition:
    """A dataset's processing end, announced once the clock passes it."""

    finished_at: float
    seq: int
    dataset_id: str = field(compare=False)
    account: str = field(compare=False)
    error: str | None = field(compare=False)


class WebhookHub:
    """Subscriptions, pending transitions and deliveries, and the log of attempts."""

    def __init__(
        self,
        seed: int,
        settings: Callable[[], DataextractorSettings],
        profile: RealWorld,
    ) -> None:
        self._seed = seed
        self._settings = settings
        self._profile = profile
        self._lock = threading.Lock()
        self._generation = 0
        self._seq = itertools.count()
        self._ids = random.Random()
        self._webhooks: list[Webhook] = []
        self._transitions: list[_Transition] = []
        self._deliveries: list[Delivery] = []
        self._attempts: list[dict[str, Any]] = []
        self.reset()

    def reset(self) -> None:
        """Forget everything; attempts still in flight are not recorded."""
        with self._lock:
            self._generation += 1
            self._ids = random.Random(f"{self._seed}:dataextractor:webhooks")
            self._webhooks = []
            self._transitions = []
            self._deliveries = []
            self._attempts = []

    def subscribe(self, subscription: Subscription, account: str) -> Webhook:
        """Add a webhook of `account`."""
        with self._lock:
            webhook = Webhook(
                id=self._new_id("wh"),
                account=account,
                url=subscription.url,
                secret=subscription.secret,
                events=tuple(subscription.events),
            )
            self._webhooks.append(webhook)
            return webhook

    def webhooks(self) -> list[Webhook]:
        """Every subscription."""
        with self._lock:
            return list(self._webhooks)

    def watch(self, dataset_id: str, account: str, finished_at: float, error: str | None) -> None:
        """Announce the end of a dataset's processing once the clock passes `finished_at`."""
        with self._lock:
            transition = _Transition(finished_at, next(self._seq), dataset_id, account, error)
            heapq.heappush(self._transitions, transition)

    def emit(
        self, account: str, event_type: EventType, created_at: float, data: dict[str, Any]
    ) -> None:
        """Queue an event for every webhook of `account` that wants it."""
        with self._lock:
            self._emit_locked(account, event_type, created_at, data)

    def due(self, now: float) -> list[Delivery]:
        """Announce passed transitions, then hand out the deliveries due now (marked in flight)."""
        with self._lock:
            while self._transitions and self._transitions[0].finished_at < now:
                ended = heapq.heappop(self._transitions)
                data: dict[str, Any] = {"dataset_id": ended.dataset_id}
                if ended.error is None:
                    event_type: EventType = "extraction.completed"
                    data["status"] = "complete"
                else:
                    event_type = "extraction.failed"
                    data |= {"status": "failed", "error": ended.error}
                self._emit_locked(ended.account, event_type, ended.finished_at, data)
            ready = [d for d in self._deliveries if not d.in_flight and d.next_at <= now]
            for delivery in ready:
                delivery.in_flight = True
                delivery.attempts += 1
            return ready

    def record(self, delivery: Delivery, status: int | None, error: str | None, at: float) -> None:
        """How an attempt went; schedules the next retry or retires the delivery."""
        with self._lock:
            if delivery.generation != self._generation:
                return
            delivered = status is not None and 200 <= status < 300
            retry = not delivered and delivery.attempts <= len(RETRY_DELAYS)
            outcome = "delivered" if delivered else "retrying" if retry else "failed"
            self._attempts.append(
                {
                    "event_id": delivery.event_id,
                    "event_type": delivery.event_type,
                    "webhook_id": delivery.webhook.id,
                    "url": delivery.webhook.url,
                    "copy": delivery.copy,
                    "attempt": delivery.attempts,
                    "status": status,
                    "error": error,
                    "outcome": outcome,
                    "time": iso_z(at),
                }
            )
            if retry:
                scale = self._settings().webhook_backoff_scale
                delivery.next_at = at + RETRY_DELAYS[delivery.attempts - 1] * scale
                delivery.in_flight = False
            else:
                self._deliveries.remove(delivery)

    def attempts(self) -> list[dict[str, Any]]:
        """Every recorded attempt, oldest first."""
        with self._lock:
            return list(self._attempts)

    def _emit_locked(
        self, account: str, event_type: EventType, created_at: float, data: dict[str, Any]
    ) -> None:
        targets = [w for w in self._webhooks if w.account == account and event_type in w.events]
        if not targets:
            return
        event_id = self._new_id("evt")
        created = iso_z(created_at)
        if self._profile.on:
            created = event_created_at(self._profile, event_id, created)
            data = event_data(self._profile, event_id, data)
        payload = {
            "event_id": event_id,
            "event_type": event_type,
            "created_at": created,
            "data": data,
        }
        body = json.dumps(payload, separators=(",", ":")).encode()
        copies = 1 + self._settings().duplicate_deliveries
        for webhook in targets:
            for copy in range(copies):
                self._deliveries.append(
                    Delivery(event_id, event_type, webhook, copy, body, self._generation, 0.0)
                )

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}_{self._ids.getrandbits(96):024x}"
