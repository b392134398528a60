"""Where received dataextractor.io webhook events wait for the webhook sensor: each `event_id`
once, numbered in the order stored, in the deployment's shared state."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import sqlalchemy as sa

from extract_assets.core.state import SharedState, shared_state, sqlite_url
from extract_assets.dataextractor.models import WebhookEvent

_TABLE = "extract_assets_webhook_events"
_COLUMNS = "event_id, event_type, received_at, payload"
# Sequence numbers are never reused, so a sensor cursor ("handled up to seq N") stays right
# even if old rows are ever pruned.
_TABLES = {
    dialect: [
        f"CREATE TABLE IF NOT EXISTS {_TABLE} (seq {seq}, event_id VARCHAR(400) NOT NULL UNIQUE, "
        "event_type VARCHAR(200) NOT NULL, received_at VARCHAR(40) NOT NULL, payload TEXT NOT NULL)"
    ]
    for dialect, seq in (
        ("sqlite", "INTEGER PRIMARY KEY AUTOINCREMENT"),
        ("postgresql", "BIGSERIAL PRIMARY KEY"),
    )
}
# The receiver's file of earlier versions: its events keep their numbers (and sensor cursors
# stay right) when they move into the table above.
_LEGACY = "events"


class WebhookStore:
    """Webhook events in a `SharedState` (or a SQLite file at a path), each `event_id` once,
    numbered in the order they were stored.

    >>> import tempfile
    >>> from pathlib import Path
    >>> store = WebhookStore(Path(tempfile.mkdtemp()) / "events.sqlite3")
    >>> event = WebhookEvent(event_id="evt_1", event_type="extraction.completed")
    >>> store.add(event), store.add(event)
    (True, False)
    >>> [(seq, e.event_id) for seq, e in store.events_after(0, limit=10)]
    [(1, 'evt_1')]
    """

    def __init__(self, where: SharedState | str | os.PathLike[str]) -> None:
        self.state = where if isinstance(where, SharedState) else shared_state(sqlite_url(where))
        self.state.create_tables(_TABLE, _TABLES)
        if self.state.dialect == "sqlite":
            self._import_legacy()

    def add(self, event: WebhookEvent) -> bool:
        """Store `event` unless its `event_id` is stored already; True if it was new."""
        with self.state.begin() as connection:
            if self.state.dialect == "postgresql":
                # Numbers are taken in commit order only if one insert commits at a time:
                # otherwise a sensor could read number 6 before number 5 is visible, and skip 5
                # for good. Readers are not blocked. (SQLite's write lock does the same.)
                connection.execute(sa.text(f"LOCK TABLE {_TABLE} IN SHARE ROW EXCLUSIVE MODE"))
            inserted = connection.execute(
                sa.text(
                    f"INSERT INTO {_TABLE} ({_COLUMNS}) VALUES "
                    "(:event_id, :event_type, :received_at, :payload) "
                    "ON CONFLICT (event_id) DO NOTHING"
                ),
                {
                    "event_id": event.event_id,
                    "event_type": event.event_type,
                    "received_at": _now(),
                    "payload": event.model_dump_json(),
                },
            )
            return inserted.rowcount == 1

    def events_after(self, seq: int, limit: int) -> list[tuple[int, WebhookEvent]]:
        """Up to `limit` events stored after sequence number `seq`, oldest first."""
        with self.state.begin() as connection:
            rows = connection.execute(
                sa.text(
                    f"SELECT seq, payload FROM {_TABLE} WHERE seq > :seq ORDER BY seq LIMIT :n"
                ),
                {"seq": seq, "n": limit},
            ).all()
        return [(number, WebhookEvent.model_validate_json(payload)) for number, payload in rows]

    def _import_legacy(self) -> None:
        self.state.move_legacy_table(
            _LEGACY,
            f"INSERT INTO {_TABLE} (seq, {_COLUMNS}) SELECT seq, {_COLUMNS} "
            f"FROM {_LEGACY} WHERE true ON CONFLICT DO NOTHING",
        )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
