"""SharedState: which URLs it takes, and what it promises every process that opens one.

Each behaviour that both backends share is checked on a SQLite file and on PostgreSQL.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from extract_assets.core.ratelimit import SharedRateLimiter
from extract_assets.core.state import (
    STATE_URL_ENV,
    SharedState,
    StateError,
    shared_state,
    sqlite_url,
)
from extract_assets.dataextractor.ledger import SubmissionLedger
from extract_assets.dataextractor.webhooks import WebhookStore
from extract_assets_tests.state.processes import CONTEXT, run_together

PASSWORD = "pw-SECRET-71c0de"
# Long enough that a second holder would have got in if it could; short enough to run often.
EXCLUDED_FOR = 0.5
ACQUIRE_WITHIN = 15.0
ROUNDS = 5

# --- URLs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "not a database url",
        "/var/lib/state.sqlite3",
        "https://example.com/state",
        f"mysql://dagster:{PASSWORD}@127.0.0.1:3306/dagster",
        f"mysql+pymysql://dagster:{PASSWORD}@127.0.0.1:3306/dagster",
    ],
)
def test_a_url_that_is_not_postgresql_or_sqlite_is_refused_naming_the_setting(url: str) -> None:
    with pytest.raises(StateError, match=STATE_URL_ENV) as refused:
        SharedState(url)
    assert PASSWORD not in str(refused.value)


def test_the_password_never_shows_in_repr_or_description() -> None:
    """Nothing connects here: the URL is only parsed."""
    state = SharedState(f"postgresql://dagster:{PASSWORD}@127.0.0.1:5432/dagster")
    assert PASSWORD not in repr(state)
    assert PASSWORD not in state.description
    assert PASSWORD not in str(state)
    assert "127.0.0.1:5432/dagster" in state.description  # still says where it is


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_a_bare_postgresql_url_uses_psycopg2(scheme: str) -> None:
    """SQLAlchemy 2.1 would pick psycopg 3, which is not installed; dagster-postgres installs
    psycopg2. `postgres://` is the spelling many hosting services give out."""
    state = SharedState(f"{scheme}://dagster:{PASSWORD}@127.0.0.1:5432/dagster")
    assert state.dialect == "postgresql"
    assert state.engine.dialect.driver == "psycopg2"
    assert state.is_shared_across_machines


def test_an_explicit_driver_is_kept() -> None:
    state = SharedState("postgresql+psycopg2://dagster@127.0.0.1:5432/dagster")
    assert state.engine.dialect.driver == "psycopg2"


def test_a_sqlite_file_is_not_shared_across_machines(tmp_path: Path) -> None:
    state = SharedState(f"sqlite:///{tmp_path}/state.sqlite3")
    assert state.dialect == "sqlite"
    assert not state.is_shared_across_machines


def test_a_process_opens_one_state_per_url(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/state.sqlite3"
    assert shared_state(url) is shared_state(url)


# --- Tables ---------------------------------------------------------------------------------


_PLAIN_TABLE = {
    dialect: ["CREATE TABLE IF NOT EXISTS test_kind (name VARCHAR(40) PRIMARY KEY)"]
    for dialect in ("sqlite", "postgresql")
}


def _create_every_kind_of_table(go: Callable[[], None], url: str) -> list[str]:
    state = SharedState(url)
    go()
    SubmissionLedger(state, "inbox")
    WebhookStore(state)
    SharedRateLimiter(state, "reads", per_minute=60)
    state.create_tables("test_kind", _PLAIN_TABLE)
    with state.begin() as connection:
        names = sorted(sa.inspect(connection).get_table_names())
    state.engine.dispose()
    return names


def _first_transaction(go: Callable[[], None], url: str) -> bool:
    state = SharedState(url)
    go()
    with state.begin():
        pass
    return True


def test_tables_are_created_by_processes_opening_a_new_state_at_once(
    new_state_url: Callable[[], str],
) -> None:
    """Four processes open the same new database at the same moment and each creates every
    table it uses: none of them fails, and each sees the same tables. (Several rounds, each on
    a new database: the first moments of a database are the race.)"""
    for _ in range(ROUNDS):
        seen = run_together(_create_every_kind_of_table, [(new_state_url(),)] * 4)
        assert seen[0] == seen[1] == seen[2] == seen[3]
        assert {
            "extract_assets_submissions",
            "extract_assets_webhook_events",
            "extract_assets_rate_budgets",
            "test_kind",
        } <= set(seen[0])


def test_processes_opening_a_new_sqlite_file_at_once_all_get_in(tmp_path: Path) -> None:
    """The first transactions on a file that does not exist yet (each connection switches it
    to WAL) wait for each other instead of failing with "database is locked"."""
    for round_ in range(4 * ROUNDS):
        url = sqlite_url(tmp_path / f"state-{round_}" / "state.sqlite3")
        assert run_together(_first_transaction, [(url,)] * 4) == [True] * 4


def test_tables_that_exist_already_are_kept_with_their_rows(
    state_url: str, open_state: Callable[[str], SharedState]
) -> None:
    """Opening a state whose tables another process made keeps what is in them."""
    SubmissionLedger(open_state(state_url), "inbox").claim("ab12", "a.pdf")
    later = SubmissionLedger(open_state(state_url), "inbox").get("ab12")
    assert later is not None and later.state == "pending"


# --- Locks -----------------------------------------------------------------------------------


def _hold_until_told(url: str, name: str, release: Any, holding: Any) -> None:
    """In another process: take the lock, say so, keep it until `release` is set."""
    state = SharedState(url)
    with state.hold(name):
        holding.set()
        release.wait(60)


def _try_then_hold(url: str, name: str, release: Any, trying: Any, holding: Any) -> None:
    """`_hold_until_told`, saying first that it is about to ask for the lock."""
    state = SharedState(url)
    trying.set()
    with state.hold(name):
        holding.set()
        release.wait(60)


def _hold_until_killed(url: str, name: str, holding: Any) -> None:
    state = SharedState(url)
    with state.hold(name):
        holding.set()
        time.sleep(600)


def _start(target: Callable[..., None], *args: Any) -> tuple[Any, Any]:
    """`target(*args, holding)` in a new process; returns it and its `holding` event."""
    holding = CONTEXT.Event()
    process = CONTEXT.Process(target=target, args=(*args, holding), daemon=True)
    process.start()
    return process, holding


class _Taker:
    """Takes a lock in a thread of this process, so the test can see whether it got it."""

    def __init__(self, state: SharedState, name: str) -> None:
        self.got = threading.Event()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._take, args=(state, name), daemon=True)
        self._thread.start()

    def _take(self, state: SharedState, name: str) -> None:
        with state.hold(name):
            self.got.set()
            self._done.wait(60)

    def release(self) -> None:
        self._done.set()
        self._thread.join(10)


def test_a_lock_held_in_another_process_keeps_this_one_out_until_released(
    state: SharedState, state_url: str
) -> None:
    release = CONTEXT.Event()
    holder, holding = _start(_hold_until_told, state_url, "extract 42", release)
    try:
        assert holding.wait(60), "the other process never got the lock"
        taker = _Taker(state, "extract 42")
        assert not taker.got.wait(EXCLUDED_FOR), "two processes held one lock at once"
        release.set()
        assert taker.got.wait(ACQUIRE_WITHIN), "the lock was not free once released"
        taker.release()
    finally:
        release.set()
        holder.join(10)


def test_a_lock_held_here_keeps_another_process_out_until_released(
    state: SharedState, state_url: str
) -> None:
    release, trying = CONTEXT.Event(), CONTEXT.Event()
    with state.hold("extract 42"):
        other, holding = _start(_try_then_hold, state_url, "extract 42", release, trying)
        assert trying.wait(60), "the other process did not start"
        assert not holding.wait(EXCLUDED_FOR), "two processes held one lock at once"
    try:
        assert holding.wait(ACQUIRE_WITHIN), "the other process never got the released lock"
    finally:
        release.set()
        other.join(10)


def test_locks_of_different_names_do_not_exclude_each_other(
    state: SharedState, state_url: str
) -> None:
    release = CONTEXT.Event()
    holder, holding = _start(_hold_until_told, state_url, "extract 1", release)
    try:
        assert holding.wait(60), "the other process never got the lock"
        taker = _Taker(state, "extract 2")
        assert taker.got.wait(ACQUIRE_WITHIN), "a lock of another name kept this one out"
        taker.release()
    finally:
        release.set()
        holder.join(10)


def test_a_lock_keeps_out_another_thread_of_the_same_process(state: SharedState) -> None:
    with state.hold("extract 42"):
        taker = _Taker(state, "extract 42")
        assert not taker.got.wait(EXCLUDED_FOR), "two threads held one lock at once"
    assert taker.got.wait(ACQUIRE_WITHIN)
    taker.release()


def test_a_holder_that_is_killed_releases_the_lock(state: SharedState, state_url: str) -> None:
    """A run worker killed mid-sync (out of memory, its pod evicted) must not block the
    extract for good."""
    holder, holding = _start(_hold_until_killed, state_url, "extract 42")
    assert holding.wait(60), "the other process never got the lock"
    taker = _Taker(state, "extract 42")
    assert not taker.got.wait(EXCLUDED_FOR), "the lock was free while its holder lived"
    assert holder.pid is not None
    os.kill(holder.pid, signal.SIGKILL)
    holder.join(10)
    assert taker.got.wait(ACQUIRE_WITHIN), "a dead holder kept the lock"
    taker.release()
