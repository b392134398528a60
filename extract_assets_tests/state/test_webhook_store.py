"""WebhookStore: every delivery stored once, numbered so a sensor reading "after N" misses none.

The receiver (one or more processes, on one machine or several) writes; the webhook sensor
reads with a cursor, the sequence number it handled last. The cursor is only safe if numbers
become visible in order: a reader must never see number 6 while number 5 is still to come.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from extract_assets.core.state import SharedState, sqlite_url
from extract_assets.dataextractor.models import WebhookEvent
from extract_assets.dataextractor.webhooks import WebhookStore
from extract_assets_tests.state.processes import run_together

WRITERS = 3
EVENTS_EACH = 150


def event(event_id: str, event_type: str = "extraction.completed") -> WebhookEvent:
    return WebhookEvent(event_id=event_id, event_type=event_type, data={"dataset_id": event_id})


# --- One caller -----------------------------------------------------------------------------


def test_an_event_is_stored_once_however_often_it_arrives(state: SharedState) -> None:
    store = WebhookStore(state)
    assert store.add(event("evt_1")) is True
    assert store.add(event("evt_1")) is False
    assert [e.event_id for _, e in store.events_after(0, limit=10)] == ["evt_1"]


def test_events_are_read_back_as_they_arrived(state: SharedState) -> None:
    store = WebhookStore(state)
    sent = event("evt_1", "extraction.failed")
    store.add(sent)
    ((_, received),) = store.events_after(0, limit=10)
    assert received == sent


def test_events_are_numbered_in_the_order_stored(state: SharedState) -> None:
    store = WebhookStore(state)
    for n in range(5):
        store.add(event(f"evt_{n}"))
    stored = store.events_after(0, limit=10)
    assert [e.event_id for _, e in stored] == [f"evt_{n}" for n in range(5)]
    numbers = [seq for seq, _ in stored]
    assert numbers == sorted(set(numbers))


def test_reading_after_a_number_gives_the_later_events_up_to_the_limit(
    state: SharedState,
) -> None:
    store = WebhookStore(state)
    for n in range(5):
        store.add(event(f"evt_{n}"))
    numbers = [seq for seq, _ in store.events_after(0, limit=10)]
    later = store.events_after(numbers[1], limit=2)
    assert [e.event_id for _, e in later] == ["evt_2", "evt_3"]
    assert store.events_after(numbers[-1], limit=10) == []


def test_a_duplicate_delivery_takes_no_number(state: SharedState) -> None:
    """The cursor after the last event stays the cursor after the last event."""
    store = WebhookStore(state)
    store.add(event("evt_1"))
    ((last, _),) = store.events_after(0, limit=10)
    store.add(event("evt_1"))
    assert store.events_after(last, limit=10) == []


def test_a_store_opened_on_a_path_is_a_sqlite_file(tmp_path: Path) -> None:
    store = WebhookStore(tmp_path / "webhooks.sqlite3")
    store.add(event("evt_1"))
    assert store.state.dialect == "sqlite"
    assert len(WebhookStore(tmp_path / "webhooks.sqlite3").events_after(0, limit=10)) == 1


# --- Several processes ----------------------------------------------------------------------


def _add(go: Callable[[], None], url: str, event_ids: list[str]) -> list[bool]:
    """In another process: store each event; says which were new."""
    state = SharedState(url)
    store = WebhookStore(state)
    go()
    added = [store.add(event(event_id)) for event_id in event_ids]
    state.engine.dispose()
    return added


def test_the_same_event_from_two_processes_at_once_is_stored_once(
    state_url: str, open_state: Callable[[str], SharedState]
) -> None:
    """The provider retries a delivery it thinks timed out; two receivers may get both."""
    store = WebhookStore(open_state(state_url))
    ids = [f"evt_{n}" for n in range(20)]
    first, second = run_together(_add, [(state_url, ids), (state_url, ids)])
    assert [a + b for a, b in zip(first, second, strict=True)] == [1] * len(ids)
    stored = store.events_after(0, limit=100)
    assert sorted(e.event_id for _, e in stored) == sorted(ids)


def test_a_reader_following_the_numbers_misses_no_event_while_processes_write(
    state_url: str, open_state: Callable[[str], SharedState]
) -> None:
    """Three processes store 150 events each while the sensor reads `events_after(last seen)`
    as fast as it can: it sees every event exactly once, and the numbers are unique and
    rising."""
    store = WebhookStore(open_state(state_url))
    batches = [[f"w{w}-evt_{n}" for n in range(EVENTS_EACH)] for w in range(WRITERS)]
    writing = threading.Event()
    writing.set()
    seen: list[tuple[int, str]] = []

    def follow() -> None:
        last = 0
        while True:
            done = not writing.is_set()  # read before the last pass, so nothing is left
            for seq, stored in store.events_after(last, limit=50):
                seen.append((seq, stored.event_id))
                last = seq
            if done and not store.events_after(last, limit=1):
                return

    reader = threading.Thread(target=follow)
    reader.start()
    try:
        added = run_together(_add, [(state_url, batch) for batch in batches])
    finally:
        writing.clear()
        reader.join(60)
    assert all(all(new) for new in added)
    ids = [event_id for _, event_id in seen]
    assert Counter(ids) == Counter(event_id for batch in batches for event_id in batch)
    numbers = [seq for seq, _ in seen]
    assert numbers == sorted(set(numbers))


# --- The receiver's file of earlier versions ------------------------------------------------


def legacy_store(path: Path, rows: list[tuple[int, str]]) -> None:
    """A receiver's file as earlier versions wrote it: `events` numbered by AUTOINCREMENT."""
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")  # as earlier versions left it
        connection.execute(
            "CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
            "event_id TEXT NOT NULL UNIQUE, event_type TEXT NOT NULL, "
            "received_at TEXT NOT NULL, payload TEXT NOT NULL)"
        )
        connection.executemany(
            "INSERT INTO events VALUES (?, ?, ?, ?, ?)",
            [
                (seq, event_id, "extraction.completed", "2026-01-05T10:00:00.000Z", payload)
                for seq, event_id in rows
                for payload in [event(event_id).model_dump_json()]
            ],
        )
    connection.close()


# Numbers with gaps, as pruning or a deleted row would leave them.
LEGACY_ROWS = [(3, "evt_old_1"), (7, "evt_old_2"), (12, "evt_old_3")]


def test_an_earlier_versions_events_keep_their_numbers(tmp_path: Path) -> None:
    """A sensor's cursor from before the upgrade still points at the same place."""
    path = tmp_path / "dataextractor-webhooks.sqlite3"
    legacy_store(path, LEGACY_ROWS)
    store = WebhookStore(path)
    assert [(seq, e.event_id) for seq, e in store.events_after(0, limit=10)] == LEGACY_ROWS
    assert [e.event_id for _, e in store.events_after(7, limit=10)] == ["evt_old_3"]


def test_events_after_an_import_are_numbered_after_the_imported_ones(tmp_path: Path) -> None:
    path = tmp_path / "dataextractor-webhooks.sqlite3"
    legacy_store(path, LEGACY_ROWS)
    store = WebhookStore(path)
    store.add(event("evt_new"))
    assert [e.event_id for _, e in store.events_after(12, limit=10)] == ["evt_new"]


def test_an_event_imported_is_not_stored_again_when_redelivered(tmp_path: Path) -> None:
    path = tmp_path / "dataextractor-webhooks.sqlite3"
    legacy_store(path, LEGACY_ROWS)
    assert WebhookStore(path).add(event("evt_old_2")) is False


def test_an_earlier_versions_table_is_gone_once_imported(tmp_path: Path) -> None:
    path = tmp_path / "dataextractor-webhooks.sqlite3"
    legacy_store(path, LEGACY_ROWS)
    WebhookStore(path)
    with sqlite3.connect(path) as connection:
        names = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    connection.close()
    assert "events" not in names
    assert "extract_assets_webhook_events" in names


def test_an_earlier_versions_file_named_by_url_is_imported_too(
    tmp_path: Path, open_state: Callable[[str], SharedState]
) -> None:
    path = tmp_path / "dataextractor-webhooks.sqlite3"
    legacy_store(path, LEGACY_ROWS)
    store = WebhookStore(open_state(sqlite_url(path)))
    assert [seq for seq, _ in store.events_after(0, limit=10)] == [3, 7, 12]
