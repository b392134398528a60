"""The real webhook receiver (`WebhookReceiver`, as `extract-assets demo` runs it) under bad
deliveries and a flood: it stores the genuine events, each once, and nothing else, and keeps
answering."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import random
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from extract_assets.dataextractor.contract import SIGNATURE_HEADER
from extract_assets.dataextractor.receiver import WebhookReceiver
from extract_assets.dataextractor.webhooks import MAX_BODY_BYTES, WebhookStore

from .evidence import Evidence

SECRET = "whsec-LEAKTEST-2d4f6a8c0e1b3d5f7a9c"
# Put in every refused delivery: it must reach no byte of the store's files.
FORGED = "FORGED-c81e728d9d4c2f63"


def sign(body: bytes, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def event(event_id: str, dataset_id: str = "ds_1") -> bytes:
    payload = {
        "event_id": event_id,
        "event_type": "extraction.completed",
        "created_at": "2026-11-10T10:00:05Z",
        "data": {"dataset_id": dataset_id, "status": "complete"},
    }
    return json.dumps(payload).encode()


@dataclass(frozen=True)
class Delivery:
    body: bytes
    signature: str | None

    def headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if self.signature is not None:
            headers[SIGNATURE_HEADER] = self.signature
        return headers


def genuine(event_id: str) -> Delivery:
    body = event(event_id)
    return Delivery(body, sign(body))


def bad_deliveries(n: int) -> dict[str, tuple[Delivery, int]]:
    """Each kind of bad delivery, numbered `n`, with the status it must get."""
    forged = event(f"{FORGED}-{n}", dataset_id=FORGED)
    other = event(f"evt_real_{n}")
    tampered = forged.replace(b'"complete"', b'"failed"')
    oversized = event(f"{FORGED}-big-{n}", dataset_id=FORGED + "x" * MAX_BODY_BYTES)
    not_json = f"event_id={FORGED}-{n}&event_type=extraction.completed".encode()
    no_id = json.dumps({"event_type": "extraction.completed", "data": FORGED}).encode()
    return {
        "missing-signature": (Delivery(forged, None), 401),
        "empty-signature": (Delivery(forged, ""), 401),
        "wrong-secret": (Delivery(forged, sign(forged, "whsec-guessed")), 401),
        "replayed-signature": (Delivery(forged, sign(other)), 401),
        "tampered-body": (Delivery(tampered, sign(forged)), 401),
        "uppercase-signature-of-another-body": (Delivery(forged, sign(other).upper()), 401),
        "oversized": (Delivery(oversized, sign(oversized)), 413),
        "not-json": (Delivery(not_json, sign(not_json)), 400),
        "json-array": (Delivery(b"[]", sign(b"[]")), 400),
        "without-event-id": (Delivery(no_id, sign(no_id)), 400),
    }


@dataclass
class Running:
    url: str
    store: WebhookStore
    path: Path

    def stored(self) -> list[str]:
        return [e.event_id for _, e in self.store.events_after(0, limit=1_000_000)]

    def files_text(self) -> str:
        """Every byte of the store's files (database, WAL, shared memory), as text."""
        evidence = Evidence()
        evidence.add_files("store", self.path.parent)
        return "\n".join(evidence.channels["store"])


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[Running]:
    path = tmp_path / "store" / "webhooks.sqlite3"
    store = WebhookStore(path)
    with WebhookReceiver(store, SECRET) as running:
        yield Running(running.url, store, path)


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as client:
        yield client


def deliver(http: httpx.Client, receiver: Running, delivery: Delivery) -> httpx.Response:
    return http.post(receiver.url, content=delivery.body, headers=delivery.headers())


BAD_KINDS = list(bad_deliveries(0))


@pytest.mark.parametrize("kind", BAD_KINDS)
def test_a_bad_delivery_is_refused_and_stores_nothing(
    kind: str, http: httpx.Client, receiver: Running
) -> None:
    delivery, status = bad_deliveries(0)[kind]
    assert deliver(http, receiver, delivery).status_code == status
    assert receiver.stored() == []
    assert FORGED not in receiver.files_text()


def test_a_replayed_delivery_is_acknowledged_but_stored_once(
    http: httpx.Client, receiver: Running
) -> None:
    delivery = genuine("evt_1")
    statuses = [deliver(http, receiver, delivery).status_code for _ in range(3)]
    assert statuses == [202, 200, 200]
    assert receiver.stored() == ["evt_1"]


@dataclass
class Flood:
    statuses: list[int]
    resent: int


async def _flood(url: str, deliveries: list[Delivery], connections: int) -> Flood:
    """Send every delivery as dataextractor.io does, which delivers again (up to five times) when
    an answer does not come: a kept-alive connection the server closes just as a delivery goes
    out on it is such a case, and it comes when this busy machine stalls for the keep-alive's 5 s.
    """
    limits = httpx.Limits(max_connections=connections)
    resent = 0
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        gate = asyncio.Semaphore(connections)

        async def post(delivery: Delivery) -> int:
            answer = await client.post(url, content=delivery.body, headers=delivery.headers())
            return answer.status_code

        async def send(delivery: Delivery) -> int:
            nonlocal resent
            async with gate:
                for _ in range(4):
                    try:
                        return await post(delivery)
                    except httpx.TransportError:
                        resent += 1
                return await post(delivery)

        statuses = list(await asyncio.gather(*(send(d) for d in deliveries)))
    return Flood(statuses, resent)


@pytest.mark.slow
def test_after_a_flood_only_genuine_events_are_stored_once_and_the_receiver_still_answers(
    http: httpx.Client, receiver: Running, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    # About 3,000 deliveries in random order: 400 events sent twice each, and bad ones of every
    # kind but the 1 MiB body (that one is tested alone).
    good = [genuine(f"evt_{i}") for i in range(400)]
    bad = [
        delivery
        for n in range(245)
        for kind, (delivery, _) in bad_deliveries(n).items()
        if kind != "oversized"
    ]
    deliveries = good + good + bad
    random.Random(0).shuffle(deliveries)
    flood = asyncio.run(_flood(receiver.url, deliveries, connections=64))
    statuses = flood.statuses
    assert statuses.count(202) + statuses.count(200) == len(good) * 2
    # A delivery sent again may find its event stored by the attempt whose answer was lost.
    assert 400 - flood.resent <= statuses.count(202) <= 400
    assert statuses.count(401) + statuses.count(400) == len(bad)
    after = genuine("evt_after_the_flood")
    assert deliver(http, receiver, after).status_code == 202
    assert sorted(receiver.stored()) == sorted(
        [f"evt_{i}" for i in range(400)] + ["evt_after_the_flood"]
    )
    assert FORGED not in receiver.files_text()
    with closing(sqlite3.connect(receiver.path)) as reader:
        assert reader.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert SECRET not in caplog.text
