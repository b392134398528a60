"""State that outlives a run, in one database every process reaches.

Submission ledgers, webhook events, rate budgets and locks live here: in a SQLite file on one
machine, in PostgreSQL when runs, steps and sensors are spread over machines (SQLite's locks do
not hold on network file systems). Tables are created on first use; every write is one short
transaction, safe with any number of concurrent writers.

The time of a rate budget is the database's clock, so machines whose clocks disagree still
share one budget.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, make_url

__all__ = ["STATE_URL_ENV", "SharedState", "StateError", "shared_state", "sqlite_url"]

STATE_URL_ENV = "EXTRACT_ASSETS_STATE_URL"

_LOCK_SPACE = "extract_assets:"
_states: dict[str, SharedState] = {}
_states_lock = threading.Lock()


class StateError(RuntimeError):
    """The shared state's URL is unusable; the message says what to set."""


class SharedState:
    """One database of shared state: `sqlite:///path` or `postgresql://user:pw@host/db`.

    >>> import tempfile
    >>> state = SharedState(sqlite_url(Path(tempfile.mkdtemp()) / "state.sqlite3"))
    >>> state.dialect, state.is_shared_across_machines
    ('sqlite', False)
    >>> with state.hold("extract 42"):
    ...     pass
    """

    def __init__(self, url: str) -> None:
        try:
            parsed = make_url(url)
        except sa.exc.ArgumentError:
            raise StateError(
                f"{STATE_URL_ENV} must be a database URL such as "
                "postgresql://user:password@host:5432/dagster or sqlite:////var/lib/state.sqlite3"
            ) from None
        if parsed.drivername in {"postgresql", "postgres"}:
            # SQLAlchemy maps a bare scheme to psycopg 3 (2.1) or refuses the short one (2.0);
            # psycopg2 is what dagster-postgres installs.
            parsed = parsed.set(drivername="postgresql+psycopg2")
        backend = parsed.get_backend_name()
        if backend not in {"sqlite", "postgresql"}:
            raise StateError(
                f"the shared state must be in PostgreSQL or SQLite, not {backend}: set "
                f"{STATE_URL_ENV} to a postgresql:// or sqlite:/// URL"
            )
        self.dialect = backend
        self.description = parsed.render_as_string(hide_password=True)
        self._sqlite_path = Path(parsed.database or "") if backend == "sqlite" else None
        self.engine = self._create_engine(parsed)
        self._created: set[str] = set()
        self._created_lock = threading.Lock()

    @property
    def is_shared_across_machines(self) -> bool:
        return self.dialect == "postgresql"

    def __repr__(self) -> str:
        return f"SharedState({self.description!r})"

    def _create_engine(self, url: sa.URL) -> Engine:
        if self._sqlite_path is None:
            return sa.create_engine(url, pool_pre_ping=True, pool_size=2, max_overflow=8)
        self._sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        # No pool: a SQLite connection costs little to open, and pooled ones would hold three
        # file handles per file for the life of the process.
        engine = sa.create_engine(url, connect_args={"timeout": 30}, poolclass=sa.NullPool)

        @sa.event.listens_for(engine, "connect")
        def _connect(dbapi_connection: Any, _record: object) -> None:
            # Our own BEGIN below: pysqlite's would defer taking the write lock.
            dbapi_connection.isolation_level = None
            _enable_wal(dbapi_connection, self._sqlite_path)
            # FULL: what a write promised (an event received, an upload recorded) is on disk.
            dbapi_connection.execute("PRAGMA synchronous=FULL")

        @sa.event.listens_for(engine, "begin")
        def _begin(connection: Connection) -> None:
            # IMMEDIATE takes the write lock at once, so concurrent read-then-write
            # transactions queue instead of failing with "database is locked".
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine

    def create_tables(self, name: str, statements: Mapping[str, Sequence[str]]) -> None:
        """Run a kind of state's DDL once per process (`statements` keyed by dialect)."""
        with self._created_lock:
            if name in self._created:
                return
            with self.begin() as connection:
                if self.dialect == "postgresql":
                    # Two processes creating the same tables at once would collide on the
                    # catalog; the transaction-scoped lock makes the second wait and see them.
                    connection.execute(
                        sa.text("SELECT pg_advisory_xact_lock(:key)"),
                        {"key": _lock_key(f"create:{name}")},
                    )
                for statement in statements[self.dialect]:
                    connection.execute(sa.text(statement))
            self._created.add(name)

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A transaction, committed when the block ends (on SQLite it holds the write lock)."""
        with self.engine.begin() as connection:
            yield connection

    def move_legacy_table(
        self, legacy: str, insert_select: str, parameters: Mapping[str, str] | None = None
    ) -> None:
        """Move the rows of a table of an earlier version into its successor, in one
        transaction: run `insert_select` (an INSERT … SELECT … FROM `legacy`), then drop `legacy`.
        Nothing happens when `legacy` is not there."""
        with self.begin() as connection:
            if not sa.inspect(connection).has_table(legacy):
                return
            connection.execute(sa.text(insert_select), dict(parameters or {}))
            connection.execute(sa.text(f"DROP TABLE {legacy}"))

    def clock(self, connection: Connection) -> float:
        """The database's time, in seconds since the epoch."""
        if self.dialect == "postgresql":
            query = "SELECT EXTRACT(EPOCH FROM clock_timestamp())"
        else:
            query = "SELECT (julianday('now') - 2440587.5) * 86400.0"
        return float(connection.execute(sa.text(query)).scalar_one())

    @contextmanager
    def hold(self, name: str) -> Iterator[None]:
        """Hold the lock `name` until the block ends: one holder at a time, across processes
        (and, on PostgreSQL, machines). A holder that dies releases it with its connection."""
        if self._sqlite_path is None:
            with self.engine.connect() as connection:
                key = {"key": _lock_key(name)}
                connection.execute(sa.text("SELECT pg_advisory_lock(:key)"), key)
                connection.commit()
                try:
                    yield
                finally:
                    connection.execute(sa.text("SELECT pg_advisory_unlock(:key)"), key)
                    connection.commit()
            return
        folder = self._sqlite_path.with_name(f"{self._sqlite_path.name}.locks")
        folder.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256(name.encode()).hexdigest()[:32]
        with (folder / f"{digest}.lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def shared_state(url: str) -> SharedState:
    """The process's `SharedState` for `url` (engines and their connections are reused)."""
    with _states_lock:
        state = _states.get(url)
        if state is None:
            state = _states[url] = SharedState(url)
        return state


def sqlite_url(path: str | os.PathLike[str]) -> str:
    """The URL of a SQLite file.

    >>> sqlite_url("/var/lib/state.sqlite3")
    'sqlite:////var/lib/state.sqlite3'
    """
    return f"sqlite:///{Path(path).absolute()}"


def _enable_wal(dbapi_connection: Any, path: Path | None) -> None:
    """Switch a SQLite file to WAL, once, under a file lock.

    The switch needs the file to itself: processes opening a new file at the same moment would
    fail with "database is locked" (the busy timeout does not apply to it)."""
    if dbapi_connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal" or path is None:
        return
    with path.with_name(f"{path.name}.wal-switch").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        dbapi_connection.execute("PRAGMA journal_mode=WAL")


def _lock_key(name: str) -> int:
    """A signed 64-bit number for PostgreSQL's advisory locks, from the lock's name."""
    digest = hashlib.sha256((_LOCK_SPACE + name).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)
