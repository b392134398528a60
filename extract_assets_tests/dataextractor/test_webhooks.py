import json
import logging
import socket
import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from extract_assets.core.errors import ConfigError
from extract_assets.dataextractor.contract import SIGNATURE_HEADER, WEBHOOK_SECRET_ENV
from extract_assets.dataextractor.webhooks import serve
from extract_assets_tests.dataextractor.conftest import (
    MAX_BODY_BYTES,
    WEBHOOK_SECRET,
    Receiver,
    running_receiver,
    sign,
)


def event_body(event_id: str = "evt_1", dataset_id: str = "ds_1") -> bytes:
    payload = {
        "event_id": event_id,
        "event_type": "extraction.completed",
        "created_at": "2026-04-13T10:00:05Z",
        "data": {"dataset_id": dataset_id, "status": "complete"},
    }
    return json.dumps(payload).encode()


def stored_ids(receiver: Receiver) -> list[str]:
    return [event.event_id for _, event in receiver.store.events_after(0, limit=10_000)]


def post(
    http: httpx.Client, receiver: Receiver, body: bytes, signature: str | None
) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers[SIGNATURE_HEADER] = signature
    return http.post(receiver.url, content=body, headers=headers)


def raw_status(receiver: Receiver, request: bytes) -> int:
    """Send `request` as is over a socket and read the status line, without sending more.

    A receiver that waited for the rest of the body would never answer: the timeout fails it.
    """
    with socket.create_connection((receiver.host, receiver.port), timeout=5) as sock:
        sock.sendall(request)
        answer = sock.recv(4096)
    return int(answer.split(b" ", 2)[1])


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as client:
        yield client


def test_a_signed_event_is_stored_and_answered_202(http: httpx.Client, receiver: Receiver) -> None:
    body = event_body()
    response = post(http, receiver, body, sign(body))
    assert response.status_code == 202
    assert response.json() == {"status": "accepted", "event_id": "evt_1"}
    [(_, event)] = receiver.store.events_after(0, limit=10)
    assert event.data == {"dataset_id": "ds_1", "status": "complete"}


def test_the_same_event_delivered_three_times_is_stored_once(
    http: httpx.Client, receiver: Receiver
) -> None:
    body = event_body()
    statuses = [post(http, receiver, body, sign(body)).status_code for _ in range(3)]
    assert statuses == [202, 200, 200]
    assert stored_ids(receiver) == ["evt_1"]


def test_a_delivery_without_a_signature_is_refused_401(
    http: httpx.Client, receiver: Receiver
) -> None:
    assert post(http, receiver, event_body(), None).status_code == 401
    assert stored_ids(receiver) == []


def test_a_signature_in_upper_case_hex_is_the_same_digest_and_accepted(
    http: httpx.Client, receiver: Receiver
) -> None:
    body = event_body()
    assert post(http, receiver, body, sign(body).upper()).status_code == 202
    assert stored_ids(receiver) == ["evt_1"]


def test_a_wrong_signature_is_refused_401(http: httpx.Client, receiver: Receiver) -> None:
    body = event_body()
    assert post(http, receiver, body, sign(body, "another-secret")).status_code == 401
    assert stored_ids(receiver) == []


def test_a_tampered_body_is_refused_401(http: httpx.Client, receiver: Receiver) -> None:
    signed = event_body(dataset_id="ds_1")
    tampered = event_body(dataset_id="ds_2")
    assert post(http, receiver, tampered, sign(signed)).status_code == 401
    assert stored_ids(receiver) == []


def test_a_body_declared_over_the_limit_is_refused_413_before_it_is_sent(
    receiver: Receiver,
) -> None:
    head = (
        f"POST /webhooks/dataextractor HTTP/1.1\r\nHost: {receiver.host}\r\n"
        f"{SIGNATURE_HEADER}: {sign(b'x')}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {100 * MAX_BODY_BYTES}\r\n\r\n"
    )
    assert raw_status(receiver, head.encode() + b'{"event_id": "evt_1"') == 413
    assert stored_ids(receiver) == []


def test_a_chunked_body_growing_over_the_limit_is_refused_413_while_streaming(
    receiver: Receiver,
) -> None:
    head = (
        f"POST /webhooks/dataextractor HTTP/1.1\r\nHost: {receiver.host}\r\n"
        f"{SIGNATURE_HEADER}: {sign(b'x')}\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"a" * 16_384
    chunks = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    # Past the limit, with no terminating chunk: only a count while streaming can answer.
    over = chunks * (MAX_BODY_BYTES // len(chunk) + 1)
    assert raw_status(receiver, head.encode() + over) == 413
    assert stored_ids(receiver) == []


def test_a_body_that_is_not_json_is_refused_400(http: httpx.Client, receiver: Receiver) -> None:
    body = b"event_id=evt_1&event_type=extraction.completed"
    assert post(http, receiver, body, sign(body)).status_code == 400
    assert stored_ids(receiver) == []


def test_a_payload_without_event_id_is_refused_400(http: httpx.Client, receiver: Receiver) -> None:
    body = json.dumps({"event_type": "extraction.completed", "data": {}}).encode()
    assert post(http, receiver, body, sign(body)).status_code == 400
    assert stored_ids(receiver) == []


def test_a_payload_without_event_type_is_refused_400(
    http: httpx.Client, receiver: Receiver
) -> None:
    body = json.dumps({"event_id": "evt_1", "data": {}}).encode()
    assert post(http, receiver, body, sign(body)).status_code == 400
    assert stored_ids(receiver) == []


def test_a_flood_of_500_deliveries_is_answered_and_stores_each_event_once(
    receiver: Receiver,
) -> None:
    # 200 events each delivered twice, and 100 forgeries, interleaved over 16 connections.
    deliveries = [(event_body(f"evt_{i % 200}"), True) for i in range(400)]
    deliveries += [(event_body(f"forged_{i}"), False) for i in range(100)]

    with httpx.Client(timeout=30, limits=httpx.Limits(max_connections=16)) as client:

        def deliver(delivery: tuple[bytes, bool]) -> int:
            body, genuine = delivery
            signature = sign(body) if genuine else sign(body, "guessed")
            return post(client, receiver, body, signature).status_code

        with ThreadPoolExecutor(max_workers=16) as pool:
            statuses = list(pool.map(deliver, deliveries))
    assert sorted(statuses) == [200] * 200 + [202] * 200 + [401] * 100
    assert sorted(stored_ids(receiver)) == sorted(f"evt_{i}" for i in range(200))
    with closing(sqlite3.connect(receiver.store_path)) as reader:
        assert reader.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_healthz_answers_ok(http: httpx.Client, receiver: Receiver) -> None:
    health = receiver.url.replace("/webhooks/dataextractor", "/healthz")
    assert http.get(health).json() == {"status": "ok"}


def test_the_secret_never_appears_in_answers_or_logs(
    http: httpx.Client, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    body = event_body()
    answers = [
        post(http, receiver, body, sign(body)),
        post(http, receiver, body, "0" * 64),
        post(http, receiver, b"{}", sign(b"{}")),
    ]
    assert [answer.status_code for answer in answers] == [202, 401, 400]
    assert all(WEBHOOK_SECRET not in answer.text for answer in answers)
    assert WEBHOOK_SECRET not in caplog.text


def test_binding_a_public_address_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="loopback only"):
        serve(host="0.0.0.0", db_path=tmp_path / "webhooks.sqlite3", secret=WEBHOOK_SECRET)
    assert not (tmp_path / "webhooks.sqlite3").exists()


@pytest.mark.parametrize("secret", [None, ""], ids=["unset", "empty"])
def test_without_a_secret_the_receiver_refuses_to_start_naming_the_variable(
    secret: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(WEBHOOK_SECRET_ENV, "")
    with pytest.raises(ConfigError, match=WEBHOOK_SECRET_ENV):
        serve(db_path=tmp_path / "webhooks.sqlite3", secret=secret)


@pytest.mark.parametrize("pasted", [f"{WEBHOOK_SECRET}\n", f" {WEBHOOK_SECRET} "], ids=repr)
def test_a_secret_pasted_with_a_newline_or_spaces_verifies_what_was_signed_with_it(
    pasted: str, http: httpx.Client, tmp_path: Path
) -> None:
    # `echo secret > file` and copied text carry such ends; no secret is made of them.
    with running_receiver(tmp_path / "webhooks.sqlite3", secret=pasted) as receiver:
        body = event_body()
        assert post(http, receiver, body, sign(body)).status_code == 202


def test_a_signed_event_with_no_data_and_an_unreadable_time_is_stored_not_refused(
    http: httpx.Client, receiver: Receiver
) -> None:
    body = json.dumps(
        {
            "event_id": "evt_odd",
            "event_type": "extraction.failed",
            "created_at": "just now",
            "data": None,
        }
    ).encode()
    assert post(http, receiver, body, sign(body)).status_code == 202
    [(_, event)] = receiver.store.events_after(0, limit=10)
    assert (event.event_id, event.created_at, event.data) == ("evt_odd", "just now", {})
