"""Which document contents were submitted, across runs: so no content is ever paid for twice.

An upload is recorded as pending before it is sent and as submitted once the dataset id is
known. An upload whose answer was lost stays pending: the content is not sent again, because it
may already have been accepted (and counted against the quota).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    sha256 TEXT PRIMARY KEY,
    filename TEXT NOT NULL,
    dataset_id TEXT,
    state TEXT NOT NULL,
    recorded_at TEXT NOT NULL
)
"""


@dataclass(frozen=True)
class Submission:
    sha256: str
    filename: str
    dataset_id: str | None
    state: str


class SubmissionLedger:
    """A SQLite file of submitted contents, keyed by SHA-256.

    >>> import tempfile
    >>> ledger = SubmissionLedger(Path(tempfile.mkdtemp()) / "ledger.sqlite")
    >>> ledger.pending("ab12", "a.pdf"); ledger.submitted("ab12", "ds_1")
    >>> ledger.get("ab12").dataset_id
    'ds_1'
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        with self._connect() as connection:
            connection.execute(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=30)
        connection.execute("PRAGMA journal_mode=WAL")
        return connection

    def get(self, sha256: str) -> Submission | None:
        with self._connect() as connection:
            row = connection.execute(
                "SELECT sha256, filename, dataset_id, state FROM submissions WHERE sha256 = ?",
                (sha256,),
            ).fetchone()
        return Submission(*row) if row else None

    def pending(self, sha256: str, filename: str) -> None:
        """Record an upload about to be sent."""
        self._write(
            "INSERT INTO submissions VALUES (?, ?, NULL, 'pending', ?)", (sha256, filename, _now())
        )

    def submitted(self, sha256: str, dataset_id: str) -> None:
        """Record the dataset an upload became."""
        self._write(
            "UPDATE submissions SET dataset_id = ?, state = 'submitted', recorded_at = ? "
            "WHERE sha256 = ?",
            (dataset_id, _now(), sha256),
        )

    def forget(self, sha256: str) -> None:
        """Drop a pending upload the service refused: it may be sent again after a fix."""
        self._write("DELETE FROM submissions WHERE sha256 = ? AND state = 'pending'", (sha256,))

    def _write(self, sql: str, parameters: tuple[str, ...]) -> None:
        with self._connect() as connection:
            connection.execute(sql, parameters)


def _now() -> str:
    return datetime.now(UTC).isoformat()
