"""A plain Python client for the Extract.to API: no Dagster here, usable from a notebook."""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import Any, Literal, Unpack

from extract_assets.core.client import ClientOptions, ProviderClient, one_rate
from extract_assets.core.cursor_loop import CursorLoop
from extract_assets.core.errors import (
    DeadlineExceededError,
    ExtractAssetsError,
    InvalidArgumentError,
    ServerError,
    TransportError,
    UnreadableAnswerError,
)
from extract_assets.core.paid import landed_or_back_off, landed_or_raise
from extract_assets.core.payload import CursorPage
from extract_assets.core.polling import PollPolicy, poll_until_final
from extract_assets.core.progress import Progress
from extract_assets.core.read_ahead import call_ahead
from extract_assets.extractto.contract import (
    API,
    DEFAULT_BASE_URL,
    ERROR,
    LIST_PAGE_SIZE,
    PAUSED,
    ROWS_PAGE_SIZE,
    RUN_FINAL_STATUSES,
    SYNCING,
    AlreadySyncingError,
    CursorExpiredError,
)
from extract_assets.extractto.models import ConnectionRun, DataTable, Extract, Resource
from extract_assets.extractto.page_cursor import trailing_cursor

logger = logging.getLogger("extract_assets.extractto")
_FINGERPRINT_BYTES = 64 << 10

Collection = Literal["connectors", "sources", "destinations", "connections", "triggers"]
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MAX_CURSOR_RESTARTS = 3
# The field that dates a row of a data table; rows come ordered by it.
_ROW_DATE = "date"

_extract_locks: dict[str, threading.Lock] = {}
_extract_locks_guard = threading.Lock()


@dataclass(frozen=True)
class Synced:
    """A sync of ours: the extract as read just before Extract.to accepted our run, and as our
    run left it."""

    before: Extract
    after: Extract


class ExtractSyncFailedError(ExtractAssetsError):
    """The extract's sync ended in `error`; `error_text` says why."""

    def __init__(self, extract: Extract) -> None:
        self.extract_id = extract.id
        self.error_text = extract.error_text
        super().__init__(
            f"Extract.to extract {extract.id} ({extract.title or 'untitled'}) failed to sync: "
            f"{extract.error_text or 'no error_text given'}. Fix the cause in Extract.to (the "
            "connected account, its permissions or quota), then materialize again."
        )


class ConnectionRunFailedError(ExtractAssetsError):
    """A connection run ended `failed` or `cancelled`."""

    def __init__(self, run: ConnectionRun) -> None:
        self.run_id = run.id
        self.status = run.status
        self.error = run.error
        super().__init__(
            f"Extract.to connection {run.connection_id} run {run.id} ended {run.status}: "
            f"{run.error or 'no error given'}."
        )


def iso_date(value: date | str, name: str) -> str:
    """`value` as `YYYY-MM-DD`, or an `InvalidArgumentError` naming the argument.

    >>> iso_date(date(2026, 11, 1), "date_from")
    '2026-11-01'
    >>> iso_date("01/11/2026", "date_from")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    extract_assets.core.errors.InvalidArgumentError: date_from must be an ISO date ...
    """
    if isinstance(value, datetime):  # a date too, but its isoformat() is not a date
        raise InvalidArgumentError(f"{name} must be a date, not a datetime: {value!r}")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    raise InvalidArgumentError(f"{name} must be an ISO date (YYYY-MM-DD), got {value!r}")


def date_range(date_from: date | str, date_to: date | str) -> tuple[str, str]:
    """Both ends as ISO dates, checked: `date_from` may not be after `date_to`."""
    start, end = iso_date(date_from, "date_from"), iso_date(date_to, "date_to")
    if start > end:
        raise InvalidArgumentError(f"date_from {start} is after date_to {end}")
    return start, end


def _lock_for(key: str) -> threading.Lock:
    with _extract_locks_guard:
        return _extract_locks.setdefault(key, threading.Lock())


class ExtractToClient(ProviderClient):
    """Connectors, sources, destinations, connections and runs, triggers, plans, usage,
    extracts and their data tables.

    >>> client = ExtractToClient(api_key="xt-example", base_url="http://127.0.0.1:9")
    >>> client.base_url
    'http://127.0.0.1:9/'

    Against a running emulator (`extract-assets emulate`)::

        extract = client.sync(extract_id, "2026-11-01", "2026-11-07")
        for page in client.iter_row_pages(extract.data_table_id, "2026-11-01", "2026-11-07"):
            ...
    """

    def __init__(
        self,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        requests_per_minute: float | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        super().__init__(API, api_key, base_url, rates=one_rate(requests_per_minute), **options)

    # Lists: the envelope {"data", "next_cursor"} or, as the published reference shows, a bare
    # JSON array; either way every page.
    def _pages(
        self, path: str, params: Mapping[str, Any] | None = None, page_size: int = LIST_PAGE_SIZE
    ) -> Iterator[tuple[list[dict[str, Any]], int]]:
        """Each page's items, with the size of the response body that carried them.

        When a page ends with its cursor (see `page_cursor`), the next page is asked for on a
        thread while this one is decoded and handed over; the decoded cursor is the one that
        counts, and a page asked for with any other is not used.
        """
        query = {**(params or {}), "limit": page_size}
        ask = partial(self._api.request, "GET", path)
        response = ask(params=query)
        loop = CursorLoop()  # told the fingerprint of the page each cursor fetched
        while True:
            guessed = trailing_cursor(response.content)
            ahead = None
            if guessed:
                ahead = call_ahead(partial(ask, params={**query, "cursor": guessed}))
            body = self._api.decode(response, "GET")
            if isinstance(body, list):
                yield body, len(response.content)
                return
            page = self._read(CursorPage, body, f"a page of {path}")
            yield page.data, len(response.content)
            cursor = page.next_cursor
            if not cursor:
                return
            if ahead is not None and cursor == guessed:
                response = ahead.result()
            else:
                response = ask(params={**query, "cursor": cursor})
            # Cursors are opaque: one may come back with the next rows (a scroll), but the same
            # page for the same cursor again means the pages loop.
            if loop.repeats(cursor, _fingerprint(response.content)):
                logger.warning(
                    "Extract.to: %s answered cursor %r with the same page a second time; its "
                    "pages loop, so the read ends here",
                    path,
                    cursor,
                )
                return

    def _all(self, path: str) -> list[dict[str, Any]]:
        return [item for page, _ in self._pages(path) for item in page]

    def resources(self, collection: Collection) -> list[Resource]:
        """Every connector, source, destination, connection or trigger."""
        return self._read_each(
            Resource, self._all(f"/{collection}"), collection.removesuffix("s"), logger
        )

    def resource(self, collection: Collection, resource_id: str) -> Resource:
        payload = self._api.json("GET", f"/{collection}/{resource_id}")
        return self._read(Resource, payload, f"{collection} {resource_id}")

    def create_resource(self, collection: Collection, body: Mapping[str, Any]) -> Resource:
        """Create a source, destination, connection or trigger (Creator or Admin role)."""
        payload = self._api.json("POST", f"/{collection}", json=dict(body), idempotent=False)
        return self._read(Resource, payload, f"the created {collection} item")

    def update_resource(
        self, collection: Collection, resource_id: str, body: Mapping[str, Any]
    ) -> Resource:
        """Change the fields sent, leave the others (PATCH)."""
        payload = self._api.json("PATCH", f"/{collection}/{resource_id}", json=dict(body))
        return self._read(Resource, payload, f"{collection} {resource_id}")

    def delete_resource(self, collection: Collection, resource_id: str) -> None:
        self._api.request("DELETE", f"/{collection}/{resource_id}")

    def plans(self) -> Any:
        """The plan(s) of the account (Billing permission)."""
        return self._api.json("GET", "/plans")

    def usage(self) -> Any:
        """Usage against the plan (Billing permission)."""
        return self._api.json("GET", "/usage")

    def run_connection(self, connection_id: str) -> ConnectionRun:
        """Trigger a run; a run already in progress makes this a `ConflictError` (409)."""
        payload = self._api.json("POST", f"/connections/{connection_id}/run", idempotent=False)
        return self._read(ConnectionRun, payload, "the started run")

    def connection_runs(self, connection_id: str) -> list[ConnectionRun]:
        runs = self._all(f"/connections/{connection_id}/runs")
        return self._read_each(ConnectionRun, runs, "run", logger)

    def connection_run(self, connection_id: str, run_id: str) -> ConnectionRun:
        payload = self._api.json("GET", f"/connections/{connection_id}/runs/{run_id}")
        return self._read(ConnectionRun, payload, f"run {run_id}")

    def wait_for_connection_run(
        self, connection_id: str, run_id: str, *, poll: PollPolicy | None = None
    ) -> ConnectionRun:
        """Poll a run until it is final; raise unless it `succeeded`."""
        run = poll_until_final(
            lambda: self.connection_run(connection_id, run_id),
            is_final=lambda r: r.status in RUN_FINAL_STATUSES,
            status_of=lambda r: r.status,
            what=f"Extract.to connection {connection_id} run {run_id}",
            policy=poll or self.poll,
            logger=logger,
        )
        if run.status != "succeeded":
            raise ConnectionRunFailedError(run)
        return run

    def extracts(self) -> list[Extract]:
        return self._read_each(Extract, self._all("/extracts"), "extract", logger)

    def extract(self, extract_id: str) -> Extract:
        return self._read(Extract, self._api.json("GET", f"/extracts/{extract_id}"), "the extract")

    def create_extract(self, body: Mapping[str, Any]) -> Extract:
        payload = self._api.json("POST", "/extracts", json=dict(body), idempotent=False)
        return self._read(Extract, payload, "the created extract")

    def replace_extract(self, extract_id: str, body: Mapping[str, Any]) -> Extract:
        """Replace the updatable attributes (PUT)."""
        payload = self._api.json("PUT", f"/extracts/{extract_id}", json=dict(body))
        return self._read(Extract, payload, "the extract")

    def update_extract(self, extract_id: str, body: Mapping[str, Any]) -> Extract:
        """Change only the attributes sent (PATCH)."""
        payload = self._api.json("PATCH", f"/extracts/{extract_id}", json=dict(body))
        return self._read(Extract, payload, "the extract")

    def pause_extract(self, extract_id: str) -> Extract:
        payload = self._api.json("POST", f"/extracts/{extract_id}/pause")
        return self._read(Extract, payload, "the paused extract")

    def unpause_extract(self, extract_id: str) -> Extract:
        payload = self._api.json("POST", f"/extracts/{extract_id}/unpause")
        return self._read(Extract, payload, "the unpaused extract")

    def run_extract(
        self,
        extract_id: str,
        date_from: date | str | None = None,
        date_to: date | str | None = None,
    ) -> Extract:
        """Ask for one run; `AlreadySyncingError` if a sync is under way. Prefer `sync`."""
        body: dict[str, str] | None = None
        if date_from is not None or date_to is not None:
            if date_from is None or date_to is None:
                raise InvalidArgumentError("give both date_from and date_to, or neither")
            start, end = date_range(date_from, date_to)
            body = {"date_from": start, "date_to": end}
        payload = self._api.json("POST", f"/extracts/{extract_id}/run", json=body, idempotent=False)
        return self._read(Extract, payload, "the extract started")

    def sync(
        self,
        extract_id: str,
        date_from: date | str,
        date_to: date | str,
        *,
        busy_timeout_seconds: float = 3600.0,
    ) -> Extract:
        """Run the extract over the dates and wait until THAT run has synced.

        Runs of one extract never overlap: callers in this process take turns, callers of
        other processes and machines too when the client has a `state`, and a sync already
        under way (Extract.to's own schedule, say) is waited for first.
        Ours is done when the status leaves `syncing` with a `last_sync` newer than the one the
        extract had just before we asked for our run, so an earlier sync is never taken for
        ours, whether the service stamps `last_sync` as a sync starts or as it ends.
        """
        return self.sync_between(
            extract_id, date_from, date_to, busy_timeout_seconds=busy_timeout_seconds
        ).after

    def sync_between(
        self,
        extract_id: str,
        date_from: date | str,
        date_to: date | str,
        *,
        busy_timeout_seconds: float = 3600.0,
    ) -> Synced:
        """`sync`, with the extract as read just before Extract.to accepted our run, in our
        turn: a sync that ended before ours ends at its `last_sync`, and nothing else tells
        its rows from ours when the service stamps `last_sync` as a sync ends."""
        start, end = date_range(date_from, date_to)
        with self._turn_of(f"{self.base_url}|{extract_id}"):
            before, started = self._start_run(extract_id, start, end, busy_timeout_seconds)
            # The run was accepted, so an answer no longer `syncing` means ours has ended
            # already, and its `last_sync` is ours: waiting for a newer one would never end.
            extract = started
            if started.status == SYNCING:
                # Not the `last_sync` of the run's answer: a service stamping it as a sync
                # starts already shows ours there, and no later one would be newer.
                baseline = before.last_sync
                extract = poll_until_final(
                    lambda: self.extract(extract_id),
                    is_final=lambda e: _our_sync_ended(e, baseline),
                    status_of=lambda e: e.status,
                    what=f"Extract.to extract {extract_id} ({start}..{end})",
                    policy=self.poll,
                    logger=logger,
                )
        # `paused` wins over `error` in the status, so a paused extract's failure shows only in
        # its `error_text` (which belongs to the sync that ended last: ours).
        if extract.status == ERROR or (extract.status == PAUSED and extract.error_text):
            raise ExtractSyncFailedError(extract)
        return Synced(before=before, after=extract)

    @contextmanager
    def _turn_of(self, extract: str) -> Iterator[None]:
        with _lock_for(extract):
            if self.state is None:
                yield
                return
            with self.state.hold(f"extractto-extract:{extract}"):
                yield

    def _start_run(
        self, extract_id: str, start: str, end: str, busy_timeout: float
    ) -> tuple[Extract, Extract]:
        """The extract as read just before our run was accepted, and as the run found it."""
        give_up = time.monotonic() + busy_timeout
        attempt = 0
        while True:
            attempt += 1
            before = self.extract(extract_id)
            try:
                return before, self.run_extract(extract_id, start, end)
            except (ServerError, TransportError) as exc:
                # The run may have been accepted before its answer was lost: a sync begun since
                # `before` is ours, and asking again would pay for a second one.
                ours = landed_or_back_off(
                    exc,
                    attempt,
                    partial(self._sync_since, extract_id, before),
                    retry=self._api.retry,
                    what=f"Extract.to run request for {extract_id}",
                    landed=lambda extract: f"the extract began a sync since (now {extract.status})",
                    logger=logger,
                )
                if ours is not None:
                    return before, ours
            except UnreadableAnswerError as exc:
                # Accepted, in an answer that cannot be read: the sync begun since is ours.
                return before, landed_or_raise(
                    exc,
                    partial(self._sync_since, extract_id, before),
                    what=f"Extract.to run request for {extract_id}",
                    landed=lambda extract: f"the extract began a sync since (now {extract.status})",
                    logger=logger,
                )
            except AlreadySyncingError:
                if time.monotonic() > give_up:
                    raise DeadlineExceededError(
                        f"Extract.to extract {extract_id} kept syncing for {busy_timeout:.0f} s "
                        "before our run could start."
                    ) from None
                logger.info(
                    "Extract.to extract %s is already syncing; waiting for it first", extract_id
                )
                poll_until_final(
                    lambda: self.extract(extract_id),
                    is_final=lambda e: e.status != SYNCING,
                    status_of=lambda e: e.status,
                    what=f"Extract.to extract {extract_id} (a sync we did not start)",
                    policy=self.poll,
                    logger=logger,
                )

    def _sync_since(self, extract_id: str, before: Extract) -> Extract | None:
        after = self.extract(extract_id)
        return after if _sync_began(before, after) else None

    def data_table(self, table_id: str) -> DataTable:
        payload = self._api.json("GET", f"/data-tables/{table_id}")
        return self._read(DataTable, payload, "the data table")

    def iter_row_pages(
        self,
        table_id: str,
        date_from: date | str,
        date_to: date | str,
        *,
        page_size: int = ROWS_PAGE_SIZE,
    ) -> Iterator[list[dict[str, Any]]]:
        """The table's rows dated within the range (both ends included), page by page.

        An expired cursor starts the read again from the beginning and skips the rows already
        delivered (the API orders rows by date, then position), so no row comes twice.
        Rows, bytes, rates and the day being read are logged every `progress_every` seconds,
        and once when the read ends or the reader stops.
        """
        start, end = date_range(date_from, date_to)
        params = {"date_from": start, "date_to": end}
        progress = _DaysRead(
            Progress(
                f"Extract.to table {table_id} rows {start}..{end}",
                logger=logger,
                every=self.progress_every,
                step_unit="days",
            ),
            date.fromisoformat(start),
            date.fromisoformat(end),
        )
        delivered = 0
        restarts = 0
        while True:
            skip = delivered
            try:
                for page, size in self._pages(f"/data-tables/{table_id}/rows", params, page_size):
                    dropped = min(skip, len(page))
                    skip -= dropped
                    fresh = page[dropped:]
                    delivered += len(fresh)
                    progress.page_read(fresh, size)
                    if fresh:
                        try:
                            yield fresh
                        except GeneratorExit:
                            progress.stopped()
                            raise
                progress.finish()
                return
            except CursorExpiredError:
                restarts += 1
                if restarts > _MAX_CURSOR_RESTARTS:
                    raise
                logger.warning(
                    "Extract.to cursor expired after %d rows; reading again from the start",
                    delivered,
                )


def _sync_began(before: Extract, after: Extract) -> bool:
    """Whether a sync started between two reads of an extract that was idle at the first.

    A sync already under way at the first read is someone else's, whatever followed: our run
    request would have been refused while it lasted.
    """
    if before.status == SYNCING:
        return False
    if after.status == SYNCING:
        return True
    return after.last_sync is not None and (
        before.last_sync is None or after.last_sync > before.last_sync
    )


class _DaysRead:
    """Progress of a read of dated rows: the rows come in date order, so the date of a page's
    last row tells how many days of the range are behind it."""

    def __init__(self, progress: Progress, first: date, last: date) -> None:
        self.progress = progress
        self.first = first
        self.days = (last - first).days + 1
        self.pages = 0
        progress.total_steps = self.days

    def page_read(self, rows: list[dict[str, Any]], size: int) -> None:
        self.pages += 1
        note = f"page {self.pages}"
        done = self.progress.steps
        day = _row_day(rows[-1]) if rows else None
        if day is not None:
            number = (day - self.first).days + 1
            note += f", at {day.isoformat()} (day {number} of {self.days})"
            done = max(done, min(number - 1, self.days))
        self.progress.add(rows=len(rows), nbytes=size, steps=done - self.progress.steps, note=note)

    def finish(self) -> None:
        self.progress.steps = self.days
        self.progress.finish(note=f"{self.pages} pages")

    def stopped(self) -> None:
        self.progress.finish(note=f"{self.pages} pages; the reader needed no more")


def _row_day(row: Any) -> date | None:
    """The day a row is dated; None for a row without one, or an item that is no row (`null`),
    which the writer judges, not the progress line."""
    if not isinstance(row, Mapping):
        return None
    try:
        return date.fromisoformat(str(row.get(_ROW_DATE))[:10])
    except ValueError:
        return None


def _our_sync_ended(extract: Extract, baseline: Any) -> bool:
    if extract.status == SYNCING:
        return False
    if extract.status == ERROR:
        return True
    return extract.last_sync is not None and (baseline is None or extract.last_sync > baseline)


def _fingerprint(page: bytes) -> bytes:
    """Tells pages apart by their length and their ends only (64 KiB each), which costs little
    whatever the page's size."""
    digest = hashlib.blake2b(len(page).to_bytes(8, "big"), digest_size=16)
    digest.update(page[:_FINGERPRINT_BYTES])
    digest.update(page[-_FINGERPRINT_BYTES:])
    return digest.digest()
