"""Re-read the day partitions whose dataextractor.io datasets changed: from webhooks or by polling.

Datasets are partitioned by the UTC day they were created, and a run for a day re-reads all of
that day's datasets; so both sensors only have to find out which days changed, and ask for one
run per day however many of its datasets changed.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg

from extract_assets.accounts import Account
from extract_assets.core.cursor import SensorCursor
from extract_assets.core.cursor_loop import CursorLoop
from extract_assets.core.errors import ApiError, NotFoundError
from extract_assets.dataextractor.assets import PROVIDER_FOLDER
from extract_assets.dataextractor.client import DataExtractorClient, DatasetPage
from extract_assets.dataextractor.contract import PAGE_SIZE, CursorExpiredError
from extract_assets.dataextractor.models import WebhookEvent
from extract_assets.dataextractor.poll_cursor import Found, PollCursor, created_day
from extract_assets.dataextractor.resource import DataExtractorResource
from extract_assets.dataextractor.spec import DataExtractorDatasetsSpec
from extract_assets.dataextractor.webhook_store import WebhookStore
from extract_assets.instance_state import sensor_state

# A dataset still `processing` this many days after it left the lookback window is stuck at the
# provider: it stops being watched, which keeps the polling cursor bounded.
_STUCK_AFTER_DAYS = 7
# How long an event waits for its dataset to be shown: the service may send a webhook a moment
# before its API shows the dataset (a replica behind), so a 404 is a deletion only after this.
_SHOWN_LATE_WITHIN = timedelta(minutes=10)


@dataclass
class _WebhookCursor(SensorCursor):
    """Every stored event up to sequence number `seq` is handled; `early` holds the days whose
    partition did not exist yet, with the newest event's `seq` (see `_runs_of_days`);
    `missing_since` is when the dataset of the event after `seq` was first not found."""

    seq: int = 0
    early: dict[str, str] = field(default_factory=dict)
    missing_since: str | None = None


def build_dataextractor_webhook_sensor(
    spec: DataExtractorDatasetsSpec,
    store_path: str | os.PathLike[str],
    *,
    account: str | None = None,
    name: str | None = None,
    resource_key: str | None = None,
    minimum_interval_seconds: int = 30,
    time_budget_seconds: float = 20.0,
    max_events_per_tick: int = 500,
    default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.STOPPED,
    asset_keys: Sequence[dg.AssetKey] | None = None,
) -> dg.SensorDefinition:
    """A sensor that turns the webhook events the receiver stored into day-partition runs.

    Each event's dataset is looked up for the day it was created; each affected day gets one
    run, keyed `webhook:{day}:{seq}` by the newest event's sequence number in the store, so a
    delivery repeated by the provider (stored once) or a re-evaluated tick never adds a run.
    The store is the deployment's shared state when it has one (`state_for`), else the SQLite
    file at `store_path`.

    >>> spec = DataExtractorDatasetsSpec(name="invoices", start_date="2026-11-01")
    >>> build_dataextractor_webhook_sensor(spec, "webhooks.sqlite3").name
    'invoices_webhook_sensor'
    """
    path = Path(store_path)
    where = Account(PROVIDER_FOLDER, account)
    resource_key = resource_key or where.resource_key

    @dg.sensor(
        name=name or where.named(f"{spec.name}_webhook_sensor"),
        minimum_interval_seconds=minimum_interval_seconds,
        asset_selection=list(asset_keys or map(where.key, spec.asset_names())),
        required_resource_keys={resource_key},
        default_status=default_status,
        description="Re-reads the days of datasets that dataextractor.io webhooks reported.",
    )
    def _sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
        shared = sensor_state(context)
        if shared is None and not path.exists():
            return dg.SkipReason(
                f"no webhook store at {path} yet: start the receiver (extract-assets webhooks)"
            )
        started = time.monotonic()
        cursor = _WebhookCursor.parse(context.cursor)
        store = WebhookStore(shared or path)
        events = store.events_after(cursor.seq, max_events_per_tick)
        if not events and not cursor.early:
            return dg.SkipReason("no new webhook events")
        newest_seq_of_day: dict[str, int] = {}
        handled, missing_since = cursor.seq, cursor.missing_since
        if events:
            resource: DataExtractorResource = getattr(context.resources, resource_key)
            with resource.get_client(retry_deadline_seconds=time_budget_seconds / 2) as client:
                newest_seq_of_day, handled, missing_since = _days_of_events(
                    context,
                    client,
                    spec,
                    events,
                    cursor,
                    started + time_budget_seconds,
                )
        due = {**cursor.early, **{day: str(seq) for day, seq in newest_seq_of_day.items()}}
        requests, early = _runs_of_days(context, spec, due, "webhook")
        next_cursor = _WebhookCursor(seq=handled, early=early, missing_since=missing_since)
        return dg.SensorResult(run_requests=requests, cursor=next_cursor.dump())

    return _sensor


def _days_of_events(
    context: dg.SensorEvaluationContext,
    client: DataExtractorClient,
    spec: DataExtractorDatasetsSpec,
    events: list[tuple[int, WebhookEvent]],
    cursor: _WebhookCursor,
    deadline: float,
) -> tuple[dict[str, int], int, str | None]:
    """Each day the events touch with the newest such event's `seq`, the `seq` of the last
    event handled (in order, from the cursor's on, until the deadline or an event whose dataset
    is not shown yet), and since when that event's dataset has not been found."""
    newest_seq_of_day: dict[str, int] = {}
    day_of: dict[str, str | None] = {}
    handled = cursor.seq
    first = events[0][0]
    for seq, event in events:
        dataset_id = event.dataset_id
        if dataset_id is None:
            context.log.warning(f"webhook event {event.event_id} names no dataset_id; skipped")
        else:
            if dataset_id not in day_of:
                try:
                    day_of[dataset_id] = _day_to_read(client, spec, dataset_id)
                except NotFoundError:
                    if seq != first:
                        # Looked up again as the next tick's first event, which starts its wait.
                        break
                    since = cursor.missing_since or datetime.now(UTC).isoformat()
                    if datetime.now(UTC) - datetime.fromisoformat(since) < _SHOWN_LATE_WITHIN:
                        context.log.info(
                            f"dataextractor.io does not show dataset {dataset_id} of webhook "
                            f"event {event.event_id} yet; its events wait for it"
                        )
                        return newest_seq_of_day, handled, since
                    context.log.warning(
                        f"dataextractor.io dataset {dataset_id} of a webhook is not found "
                        f"{_SHOWN_LATE_WITHIN} after it was first looked up; taken as deleted"
                    )
                    day_of[dataset_id] = None
                except ApiError as error:
                    if not error.retryable:
                        raise
                    # Keep what is done; the next tick starts again at this event.
                    context.log.warning(
                        f"dataextractor.io unavailable, resuming later: {error.for_next_tick()}"
                    )
                    break
            day = day_of[dataset_id]
            if day is not None:
                newest_seq_of_day[day] = seq
        handled = seq
        # Checked after an event, not before: every tick makes progress, however short.
        if time.monotonic() > deadline:
            break
    # The wait goes on while its event is still the next one (an outage may have stopped there).
    return newest_seq_of_day, handled, cursor.missing_since if handled == cursor.seq else None


def _day_to_read(
    client: DataExtractorClient,
    spec: DataExtractorDatasetsSpec,
    dataset_id: str,
) -> str | None:
    """The day partition holding the dataset, or None when it is not the spec's."""
    dataset = client.dataset(dataset_id)
    # Customer and type never change, so they decide membership; `is_verified` does change and
    # a day must be re-read when one of its datasets leaves the spec's selection too.
    if spec.customer_id is not None and dataset.customer_id != spec.customer_id:
        return None
    if spec.dataset_type is not None and dataset.dataset_type != spec.dataset_type:
        return None
    return created_day(dataset).isoformat()


def build_dataextractor_polling_sensor(
    spec: DataExtractorDatasetsSpec,
    *,
    account: str | None = None,
    name: str | None = None,
    resource_key: str | None = None,
    lookback_days: int = 3,
    minimum_interval_seconds: int = 60,
    time_budget_seconds: float = 20.0,
    max_pages_per_tick: int | None = None,
    page_size: int = PAGE_SIZE,
    overlap_seconds: float = 600.0,
    sweep_pages_per_tick: int = 1,
    default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.STOPPED,
    asset_keys: Sequence[dg.AssetKey] | None = None,
) -> dg.SensorDefinition:
    """A sensor for accounts without webhooks: re-reads the days of datasets that became
    `complete` or `failed`, each final dataset once, and of days whose datasets changed.

    The first pass lists the datasets of the last `lookback_days` days, newest first, over as
    many ticks as its budget (`time_budget_seconds`, and `max_pages_per_tick` pages if given)
    takes, and requests the days of every final dataset in it. After it, a tick lists from the
    newest down to `overlap_seconds` of creation time below the newest it had listed (the top
    pass: one page when nothing is new, a page per `page_size` new datasets otherwise), and
    `sweep_pages_per_tick` page further down the lookback, which finds what the top pass cannot:
    a dataset that showed up later than the overlap, a final one updated (ground truth saved).
    A tick with nothing new makes those two requests. Datasets still `processing` that neither
    listed are looked up, each once a tick; when the top pass meets them in a row it lists on
    instead, a page for up to `page_size` of them.

    >>> spec = DataExtractorDatasetsSpec(name="invoices", start_date="2026-11-01")
    >>> build_dataextractor_polling_sensor(spec).name
    'invoices_polling_sensor'
    """

    where = Account(PROVIDER_FOLDER, account)
    resource_key = resource_key or where.resource_key
    overlap = timedelta(seconds=overlap_seconds)

    @dg.sensor(
        name=name or where.named(f"{spec.name}_polling_sensor"),
        minimum_interval_seconds=minimum_interval_seconds,
        asset_selection=list(asset_keys or map(where.key, spec.asset_names())),
        required_resource_keys={resource_key},
        default_status=default_status,
        description="Re-reads the days of dataextractor.io datasets that finished processing.",
    )
    def _sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        resource: DataExtractorResource = getattr(context.resources, resource_key)
        deadline = time.monotonic() + time_budget_seconds
        cursor = PollCursor.parse(context.cursor)
        cutoff = datetime.now(UTC).date() - timedelta(days=lookback_days)
        tick = _Tick(
            context=context,
            spec=spec,
            cursor=cursor,
            cutoff=cutoff,
            overlap=overlap,
            page_size=page_size,
            budget=_Budget(deadline, max_pages_per_tick),
        )
        with resource.get_client(retry_deadline_seconds=time_budget_seconds / 2) as client:
            try:
                finished = tick.top_pass(client)
                if cursor.sweep_ready():
                    tick.sweep(client, sweep_pages_per_tick)
                # Once the top pass is done: until then it may still list them.
                if finished:
                    tick.look_up(client)
            except ApiError as error:
                if not error.retryable:
                    raise
                # Keep what is done; the next tick goes on from the cursor.
                context.log.warning(
                    f"dataextractor.io unavailable, resuming later: {error.for_next_tick()}"
                )
        stuck = cursor.forget_before(cutoff - timedelta(days=_STUCK_AFTER_DAYS))
        if stuck:
            context.log.warning(f"no longer watching datasets stuck in processing: {stuck}")
        cursor.prune(cutoff)
        found = tick.found
        due = {**cursor.early, **{day: _digest(_reasons(found, day)) for day in found.days()}}
        requests, cursor.early = _runs_of_days(context, spec, due, "poll")
        return dg.SensorResult(run_requests=requests, cursor=cursor.dump())

    return _sensor


def _runs_of_days(
    context: dg.SensorEvaluationContext,
    spec: DataExtractorDatasetsSpec,
    due: dict[str, str],
    kind: str,
) -> tuple[list[dg.RunRequest], dict[str, str]]:
    """A run, keyed `{kind}:{day}:{due[day]}`, for each day of `due` that has a partition, and
    the days after the last partition, to keep for a later tick.

    Such a day is our tomorrow: the provider's clock ran ahead of ours across midnight. Its
    partition appears once our clock gets there, and the dataset, already listed or reported,
    would not be seen again. Days before the first partition are not the spec's.
    """
    partitions = spec.partitions()
    last = partitions.get_last_partition_key()
    requests: list[dg.RunRequest] = []
    early: dict[str, str] = {}
    for day, key in sorted(due.items()):
        if partitions.has_partition_key(day):
            requests.append(dg.RunRequest(run_key=f"{kind}:{day}:{key}", partition_key=day))
        elif last is not None and day > last:
            early[day] = key
    if early:
        context.log.info(
            f"datasets of {', '.join(early)} were created after today by this clock: their run "
            "is requested once the day's partition exists"
        )
    return requests, early


def _reasons(found: Found, day: str) -> list[str]:
    """What makes the day's run: its datasets that became final and what a sweep listed."""
    changed = found.changed.get(day)
    return [*found.final.get(day, []), *([] if changed is None else [f"sweep:{changed}"])]


@dataclass
class _Budget:
    """What a tick may spend on the top pass: until `deadline`, at most `max_pages` pages."""

    deadline: float
    max_pages: int | None
    pages: int = 0

    def spend_page(self) -> bool:
        """Count a page read; whether the budget allows another."""
        self.pages += 1
        if self.max_pages is not None and self.pages >= self.max_pages:
            return False
        return time.monotonic() <= self.deadline


@dataclass
class _Tick:
    """One evaluation of the polling sensor: what it lists and looks up, and what it found."""

    context: dg.SensorEvaluationContext
    spec: DataExtractorDatasetsSpec
    cursor: PollCursor
    cutoff: date
    overlap: timedelta
    page_size: int
    budget: _Budget
    found: Found = field(default_factory=Found)
    # Datasets listed this tick: their status is known without a lookup.
    covered: set[str] = field(default_factory=set)

    def top_pass(self, client: DataExtractorClient) -> bool:
        """List on from where the top pass stopped until it ends (True) or the budget does."""
        cursor = self.cursor
        loop = CursorLoop()
        while True:
            page = self._page(client, cursor.page, "top pass")
            if page is None:
                cursor.page = None
                continue
            below_floor = took_watched = False
            for dataset in page.datasets:
                if created_day(dataset) < self.cutoff:
                    cursor.finish_pass(self.overlap)
                    return True
                took_watched |= dataset.id in cursor.watching
                self.covered.add(dataset.id)
                below_floor |= not cursor.note(dataset, self.found, self.overlap)
            if self._ends(page, loop, "top pass") or (
                below_floor and not self._list_on(took_watched)
            ):
                cursor.finish_pass(self.overlap)
                return True
            cursor.page = page.next_cursor
            # Checked after a page, not before: every tick makes progress, however short.
            if not self.budget.spend_page():
                return False

    def _list_on(self, took_watched: bool) -> bool:
        """Below the floor, list on only while pages meet watched datasets: each such page
        costs no more than looking them up one by one."""
        if not took_watched:
            return False
        return any(
            key not in self.covered and day >= self.cutoff.isoformat()
            for key, day in self.cursor.watching.items()
        )

    def sweep(self, client: DataExtractorClient, pages: int) -> None:
        """List up to `pages` more pages of the sweep, within the tick's time."""
        cursor = self.cursor
        loop = CursorLoop()
        swept = 0
        while swept < pages and time.monotonic() <= self.budget.deadline:
            page = self._page(client, cursor.sweep.page, "sweep")
            if page is None:
                cursor.sweep.page = None
                continue
            moved = False
            for dataset in page.datasets:
                taken = cursor.sweep_take(dataset, self.found, self.cutoff)
                if taken is None:
                    return
                self.covered.add(dataset.id)
                moved |= taken
            if self._ends(page, loop, "sweep"):
                cursor.end_sweep(self.found, self.cutoff)
                return
            cursor.sweep.page = page.next_cursor
            # A page this cycle had listed (after an expired cursor) does not count.
            swept += moved

    def _ends(self, page: DatasetPage, loop: CursorLoop, what: str) -> bool:
        """Whether the listing ends after `page`: it has no next cursor, or that cursor comes
        back with nothing listed since it was last followed (the pages loop)."""
        if page.next_cursor is None:
            return True
        if loop.repeats(page.next_cursor, len(self.covered)):
            self.context.log.warning(
                f"dataextractor.io handed out cursor {page.next_cursor!r} again with nothing new "
                f"since it was last followed: its pages loop, so the {what} ends here"
            )
            return True
        return False

    def look_up(self, client: DataExtractorClient) -> None:
        """Look up each watched dataset this tick did not list, once, within the tick's time."""
        cursor = self.cursor
        for dataset_id in cursor.lookups(self.covered):
            try:
                cursor.update(client.dataset(dataset_id), self.found)
            except NotFoundError:
                cursor.gone(dataset_id)
            cursor.looked_up = dataset_id
            if time.monotonic() > self.budget.deadline:
                return

    def _page(
        self, client: DataExtractorClient, after: str | None, what: str
    ) -> DatasetPage | None:
        """The page after `after`; None when that cursor expired (list again from the newest)."""
        try:
            page = client.dataset_page(
                cursor=after,
                customer_id=self.spec.customer_id,
                dataset_type=self.spec.dataset_type,
                is_verified=self.spec.is_verified,
                page_size=self.page_size,
            )
        except CursorExpiredError:
            if after is None:
                raise
            # Listed again from the newest: positions skip what was listed already, so nothing
            # is requested twice.
            self.context.log.warning(
                f"dataextractor.io listing cursor of the {what} expired; listing again from the "
                "newest"
            )
            return None
        for skipped in page.unreadable:
            self.context.log.warning(
                f"dataextractor.io dataset {skipped.id} cannot be read and is passed over: "
                f"{skipped.reason}"
            )
        return page


def _digest(ids: Iterable[str]) -> str:
    """A short, order-independent name for a set of dataset ids."""
    return hashlib.sha256(",".join(sorted(ids)).encode()).hexdigest()[:16]
