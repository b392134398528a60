"""SubmissionLedger: each content is uploaded once per submission asset, whoever gets there first.

A claim is the promise behind "no document is paid for twice": of any number of runs, threads
and machines claiming one content at once, exactly one may upload it.
"""

from __future__ import annotations

import hashlib
import random
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from extract_assets.core.state import SharedState, sqlite_url
from extract_assets.dataextractor.ledger import Submission, SubmissionLedger
from extract_assets_tests.state.processes import run_together

DIGESTS = [hashlib.sha256(f"document {n}".encode()).hexdigest() for n in range(50)]
A, B = DIGESTS[0], DIGESTS[1]


@pytest.fixture
def ledger(state: SharedState) -> SubmissionLedger:
    return SubmissionLedger(state, "invoices_inbox")


# --- Claims, one caller ---------------------------------------------------------------------


def test_the_first_claim_of_a_content_may_upload_it(ledger: SubmissionLedger) -> None:
    assert ledger.claim(A, "a.pdf") is None


def test_a_content_never_seen_is_not_in_the_ledger(ledger: SubmissionLedger) -> None:
    assert ledger.get(A) is None


def test_a_claimed_content_is_pending(ledger: SubmissionLedger) -> None:
    ledger.claim(A, "a.pdf")
    assert ledger.get(A) == Submission(A, "a.pdf", None, "pending")


def test_a_second_claim_gets_the_pending_one_not_the_right_to_upload(
    ledger: SubmissionLedger,
) -> None:
    """Also under another file name: the content is what was paid for."""
    ledger.claim(A, "a.pdf")
    assert ledger.claim(A, "copy-of-a.pdf") == Submission(A, "a.pdf", None, "pending")


def test_a_claim_after_submission_gets_the_dataset(ledger: SubmissionLedger) -> None:
    ledger.claim(A, "a.pdf")
    ledger.submitted(A, "ds_1")
    assert ledger.claim(A, "a.pdf") == Submission(A, "a.pdf", "ds_1", "submitted")


def test_a_refused_upload_forgotten_may_be_claimed_again(ledger: SubmissionLedger) -> None:
    ledger.claim(A, "a.pdf")
    ledger.forget(A)
    assert ledger.get(A) is None
    assert ledger.claim(A, "a.pdf") is None


def test_a_submitted_content_is_never_forgotten(ledger: SubmissionLedger) -> None:
    """`forget` is for uploads the service refused; what it accepted stays paid for."""
    ledger.claim(A, "a.pdf")
    ledger.submitted(A, "ds_1")
    ledger.forget(A)
    assert ledger.get(A) == Submission(A, "a.pdf", "ds_1", "submitted")


def test_claims_of_different_contents_do_not_interfere(ledger: SubmissionLedger) -> None:
    ledger.claim(A, "a.pdf")
    assert ledger.claim(B, "b.pdf") is None


def test_submission_assets_have_ledgers_of_their_own(state: SharedState) -> None:
    """The same content in two assets' folders is uploaded for each (their scopes)."""
    invoices = SubmissionLedger(state, "invoices_inbox")
    receipts = SubmissionLedger(state, "receipts_inbox")
    invoices.claim(A, "a.pdf")
    invoices.submitted(A, "ds_1")
    assert receipts.get(A) is None
    assert receipts.claim(A, "a.pdf") is None
    receipts.forget(A)
    assert invoices.get(A) == Submission(A, "a.pdf", "ds_1", "submitted")


def test_the_ledger_outlives_the_process_that_wrote_it(
    state_url: str, open_state: Callable[[str], SharedState]
) -> None:
    SubmissionLedger(open_state(state_url), "invoices_inbox").claim(A, "a.pdf")
    SubmissionLedger(open_state(state_url), "invoices_inbox").submitted(A, "ds_1")
    later = SubmissionLedger(open_state(state_url), "invoices_inbox")
    assert later.get(A) == Submission(A, "a.pdf", "ds_1", "submitted")


# --- Claims at once -------------------------------------------------------------------------

THREADS = 4


def _claim_all(go: Callable[[], None], url: str, scope: str, seed: int) -> list[str]:
    """In another process: `THREADS` threads claim every digest (each in its own order);
    returns the digests this process won."""
    ledger = SubmissionLedger(SharedState(url), scope)
    won: list[str] = []
    lost: list[Submission | None] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def claim(order: list[str]) -> None:
        start.wait(30)
        for digest in order:
            earlier = ledger.claim(digest, f"{digest[:8]}.pdf")
            with lock:
                if earlier is None:
                    won.append(digest)
                else:
                    lost.append(earlier)

    orders = [random.Random(seed * 100 + n).sample(DIGESTS, len(DIGESTS)) for n in range(THREADS)]
    threads = [threading.Thread(target=claim, args=(order,)) for order in orders]
    go()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Whoever lost was told who won: a pending submission, never nothing.
    assert all(earlier is not None and earlier.state == "pending" for earlier in lost)
    assert len(won) + len(lost) == THREADS * len(DIGESTS)
    ledger.state.engine.dispose()
    return won


def test_processes_and_threads_claiming_the_same_contents_claim_each_once(
    state_url: str, open_state: Callable[[str], SharedState]
) -> None:
    """Two processes of four threads each claim the same 50 contents at the same moment:
    every content is won exactly once, by one thread of one process."""
    SubmissionLedger(open_state(state_url), "invoices_inbox")  # the tables exist
    won = run_together(_claim_all, [(state_url, "invoices_inbox", seed) for seed in (1, 2)])
    counts = Counter(digest for process in won for digest in process)
    assert set(counts) == set(DIGESTS)
    assert set(counts.values()) == {1}


def test_claims_at_once_in_different_assets_each_win_every_content(
    state_url: str, open_state: Callable[[str], SharedState]
) -> None:
    SubmissionLedger(open_state(state_url), "invoices_inbox")  # the tables exist
    won = run_together(_claim_all, [(state_url, "invoices_inbox", 1), (state_url, "other", 2)])
    assert sorted(won[0]) == sorted(won[1]) == sorted(DIGESTS)


# --- The single-machine ledger of earlier versions ------------------------------------------


def legacy_ledger(path: Path, rows: list[tuple[str, str, str | None, str, str]]) -> None:
    """A ledger file as earlier versions wrote it beside the asset's output."""
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")  # as earlier versions left it
        connection.execute(
            "CREATE TABLE submissions (sha256 TEXT PRIMARY KEY, filename TEXT NOT NULL, "
            "dataset_id TEXT, state TEXT NOT NULL, recorded_at TEXT NOT NULL)"
        )
        connection.executemany("INSERT INTO submissions VALUES (?, ?, ?, ?, ?)", rows)
    connection.close()


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as connection:
        names = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    connection.close()
    return names


LEGACY_ROWS = [
    (A, "a.pdf", "ds_1", "submitted", "2026-01-05T10:00:00+00:00"),
    (B, "b.pdf", None, "pending", "2026-01-05T10:01:00+00:00"),
]


def test_an_earlier_versions_ledger_is_kept(
    tmp_path: Path, open_state: Callable[[str], SharedState]
) -> None:
    """Upgrading pays for nothing again: what the old file recorded is in the ledger, and an
    upload whose answer was lost stays pending (never resent)."""
    path = tmp_path / "submissions.sqlite"
    legacy_ledger(path, LEGACY_ROWS)
    ledger = SubmissionLedger(open_state(sqlite_url(path)), "invoices_inbox")
    assert ledger.get(A) == Submission(A, "a.pdf", "ds_1", "submitted")
    assert ledger.get(B) == Submission(B, "b.pdf", None, "pending")
    assert ledger.claim(B, "b.pdf") == Submission(B, "b.pdf", None, "pending")


def test_an_earlier_versions_table_is_gone_once_imported(
    tmp_path: Path, open_state: Callable[[str], SharedState]
) -> None:
    path = tmp_path / "submissions.sqlite"
    legacy_ledger(path, LEGACY_ROWS)
    SubmissionLedger(open_state(sqlite_url(path)), "invoices_inbox")
    assert "submissions" not in tables(path)
    assert "extract_assets_submissions" in tables(path)


def test_an_earlier_versions_ledger_opened_again_stays_as_imported(
    tmp_path: Path, open_state: Callable[[str], SharedState]
) -> None:
    path = tmp_path / "submissions.sqlite"
    legacy_ledger(path, LEGACY_ROWS)
    SubmissionLedger(open_state(sqlite_url(path)), "invoices_inbox").submitted(B, "ds_2")
    again = SubmissionLedger(open_state(sqlite_url(path)), "invoices_inbox")
    assert again.get(A) == Submission(A, "a.pdf", "ds_1", "submitted")
    assert again.get(B) == Submission(B, "b.pdf", "ds_2", "submitted")


def _open_legacy(go: Callable[[], None], url: str) -> str | None:
    state = SharedState(url)
    go()
    found = SubmissionLedger(state, "invoices_inbox").get(A)
    return found.dataset_id if found else None


def test_an_earlier_versions_ledger_opened_by_processes_at_once_is_imported_once(
    tmp_path: Path,
) -> None:
    path = tmp_path / "submissions.sqlite"
    legacy_ledger(path, LEGACY_ROWS)
    assert run_together(_open_legacy, [(sqlite_url(path),)] * 3) == ["ds_1"] * 3
    assert "submissions" not in tables(path)
