"""Which document contents were submitted, across runs: so no content is ever paid for twice.

An upload is claimed (recorded as pending) before it is sent and recorded as submitted once
the dataset id is known. A claim is one atomic insert, so of two runs submitting the same folder
at the same moment, on one machine or two, exactly one uploads each content. An upload whose
answer was lost stays pending: the content is not sent again, because it may already have been
accepted (and counted against the quota).

The ledger lives in a `SharedState`: the deployment's PostgreSQL database, or on one machine a
SQLite file beside the submission asset's output.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from extract_assets.core.state import SharedState

_TABLE = "extract_assets_submissions"
_COLUMNS = "scope, sha256, filename, dataset_id, state, recorded_at"
_CREATE = (
    f"CREATE TABLE IF NOT EXISTS {_TABLE} (scope VARCHAR(400) NOT NULL, "
    "sha256 VARCHAR(64) NOT NULL, filename TEXT NOT NULL, dataset_id TEXT, "
    "state VARCHAR(20) NOT NULL, recorded_at VARCHAR(40) NOT NULL, PRIMARY KEY (scope, sha256))"
)
# The single-machine ledger of earlier versions: one SQLite file per asset, a table without a
# scope. Its rows move into the scoped table the first time the file is opened.
_LEGACY = "submissions"
_TABLES = {"sqlite": [_CREATE], "postgresql": [_CREATE]}


@dataclass(frozen=True)
class Submission:
    sha256: str
    filename: str
    dataset_id: str | None
    state: str


class SubmissionLedger:
    """Submitted contents of one submission asset (`scope`), keyed by SHA-256.

    >>> import tempfile
    >>> from pathlib import Path
    >>> from extract_assets.core.state import SharedState, sqlite_url
    >>> state = SharedState(sqlite_url(Path(tempfile.mkdtemp()) / "state.sqlite3"))
    >>> ledger = SubmissionLedger(state, "invoices_inbox")
    >>> ledger.claim("ab12", "a.pdf"), ledger.claim("ab12", "a.pdf").state
    (None, 'pending')
    >>> ledger.submitted("ab12", "ds_1"); ledger.get("ab12").dataset_id
    'ds_1'
    """

    def __init__(self, state: SharedState, scope: str) -> None:
        self.state = state
        self.scope = scope
        state.create_tables(_TABLE, _TABLES)
        if state.dialect == "sqlite":
            self._import_legacy()

    def get(self, sha256: str) -> Submission | None:
        with self.state.begin() as connection:
            row = connection.execute(
                sa.text(
                    f"SELECT sha256, filename, dataset_id, state FROM {_TABLE} "
                    "WHERE scope = :scope AND sha256 = :sha256"
                ),
                {"scope": self.scope, "sha256": sha256},
            ).one_or_none()
        return Submission(*row) if row else None

    def claim(self, sha256: str, filename: str) -> Submission | None:
        """Record an upload about to be sent: None when this caller may send it, else the
        submission that got there first (pending or submitted)."""
        with self.state.begin() as connection:
            inserted = connection.execute(
                sa.text(
                    f"INSERT INTO {_TABLE} ({_COLUMNS}) VALUES "
                    "(:scope, :sha256, :filename, NULL, 'pending', :now) "
                    "ON CONFLICT (scope, sha256) DO NOTHING"
                ),
                {"scope": self.scope, "sha256": sha256, "filename": filename, "now": _now()},
            )
            if inserted.rowcount == 1:
                return None
        return self.get(sha256)

    def submitted(self, sha256: str, dataset_id: str) -> None:
        """Record the dataset an upload became."""
        self._write(
            f"UPDATE {_TABLE} SET dataset_id = :dataset_id, state = 'submitted', "
            "recorded_at = :now WHERE scope = :scope AND sha256 = :sha256",
            {"dataset_id": dataset_id, "now": _now(), "sha256": sha256},
        )

    def forget(self, sha256: str) -> None:
        """Drop a pending upload the service refused: it may be sent again after a fix."""
        self._write(
            f"DELETE FROM {_TABLE} WHERE scope = :scope AND sha256 = :sha256 AND state = 'pending'",
            {"sha256": sha256},
        )

    def adopt(self, path: Path) -> int:
        """Move the rows of a single-machine ledger file into this ledger, then rename the file
        to `<name>.adopted`: a deployment that moves to a shared state never re-uploads what it
        submitted before. Returns the number of contents adopted."""
        with self.state.hold(f"adopt-ledger:{path.absolute()}"):
            if not path.is_file():
                return 0
            return self._adopt(path)

    def _adopt(self, path: Path) -> int:
        with sqlite3.connect(f"file:{path}?mode=rw", uri=True) as source:
            tables = {row[0] for row in source.execute("SELECT name FROM sqlite_master")}
            rows: list[tuple[str, str, str | None, str, str]] = []
            if _LEGACY in tables:
                rows += source.execute(
                    f"SELECT sha256, filename, dataset_id, state, recorded_at FROM {_LEGACY}"
                ).fetchall()
            if _TABLE in tables:
                rows += source.execute(
                    f"SELECT sha256, filename, dataset_id, state, recorded_at FROM {_TABLE} "
                    "WHERE scope = ?",
                    (self.scope,),
                ).fetchall()
        source.close()
        if rows:
            with self.state.begin() as connection:
                connection.execute(
                    sa.text(
                        f"INSERT INTO {_TABLE} ({_COLUMNS}) VALUES "
                        "(:scope, :sha256, :filename, :dataset_id, :state, :recorded_at) "
                        "ON CONFLICT (scope, sha256) DO NOTHING"
                    ),
                    [
                        dict(
                            zip(
                                ("sha256", "filename", "dataset_id", "state", "recorded_at"),
                                row,
                                strict=True,
                            ),
                            scope=self.scope,
                        )
                        for row in rows
                    ],
                )
        path.replace(path.with_name(f"{path.name}.adopted"))
        return len(rows)

    def _write(self, sql: str, parameters: dict[str, str]) -> None:
        with self.state.begin() as connection:
            connection.execute(sa.text(sql), {"scope": self.scope, **parameters})

    def _import_legacy(self) -> None:
        self.state.move_legacy_table(
            _LEGACY,
            f"INSERT INTO {_TABLE} ({_COLUMNS}) SELECT :scope, sha256, filename, dataset_id, "
            f"state, recorded_at FROM {_LEGACY} WHERE true ON CONFLICT (scope, sha256) DO NOTHING",
            {"scope": self.scope},
        )


def _now() -> str:
    return datetime.now(UTC).isoformat()
