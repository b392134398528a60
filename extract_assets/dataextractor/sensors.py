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
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg

from extract_assets.accounts import Account
from extract_assets.core.cursor import SensorCursor
from extract_assets.core.errors import ApiError, NotFoundError
from extract_assets.dataextractor.assets import PROVIDER_FOLDER
from extract_assets.dataextractor.client import DataExtractorClient
from extract_assets.dataextractor.contract import PAGE_SIZE, CursorExpiredError
from extract_assets.dataextractor.models import WebhookEvent
from extract_assets.dataextractor.poll_cursor import PollCursor, created_day
from extract_assets.dataextractor.resource import DataExtractorResource
from extract_assets.dataextractor.spec import DataExtractorDatasetsSpec
from extract_assets.dataextractor.webhook_store import WebhookStore
from extract_assets.instance_state import sensor_state

# A dataset still `processing` this many days after it left the lookback window is stuck at the
# provider: it stops being watched, which keeps the polling cursor bounded.
_STUCK_AFTER_DAYS = 7


@dataclass
class _WebhookCursor(SensorCursor):
    """Every stored event up to sequence number `seq` is handled."""

    seq: int = 0


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
        if not events:
            return dg.SkipReason("no new webhook events")
        resource: DataExtractorResource = getattr(context.resources, resource_key)
        with resource.get_client(retry_deadline_seconds=time_budget_seconds / 2) as client:
            newest_seq_of_day, handled = _days_of_events(
                context, client, spec, events, cursor.seq, started + time_budget_seconds
            )
        requests = [
            dg.RunRequest(run_key=f"webhook:{day}:{seq}", partition_key=day)
            for day, seq in sorted(newest_seq_of_day.items())
        ]
        return dg.SensorResult(run_requests=requests, cursor=_WebhookCursor(seq=handled).dump())

    return _sensor


def _days_of_events(
    context: dg.SensorEvaluationContext,
    client: DataExtractorClient,
    spec: DataExtractorDatasetsSpec,
    events: list[tuple[int, WebhookEvent]],
    handled: int,
    deadline: float,
) -> tuple[dict[str, int], int]:
    """Each day partition the events touch with the newest such event's `seq`, and the `seq`
    of the last event handled (in order, from `handled` on, until the deadline)."""
    partitions = spec.partitions()
    newest_seq_of_day: dict[str, int] = {}
    day_of: dict[str, str | None] = {}
    for seq, event in events:
        dataset_id = event.data.get("dataset_id")
        if not isinstance(dataset_id, str) or not dataset_id:
            context.log.warning(f"webhook event {event.event_id} names no dataset_id; skipped")
        else:
            if dataset_id not in day_of:
                try:
                    day_of[dataset_id] = _day_to_read(context, client, spec, dataset_id)
                except ApiError as error:
                    if not error.retryable:
                        raise
                    # Keep what is done; the next tick starts again at this event.
                    context.log.warning(f"dataextractor.io unavailable, resuming later: {error}")
                    break
            day = day_of[dataset_id]
            if day is not None and partitions.has_partition_key(day):
                newest_seq_of_day[day] = seq
        handled = seq
        # Checked after an event, not before: every tick makes progress, however short.
        if time.monotonic() > deadline:
            break
    return newest_seq_of_day, handled


def _day_to_read(
    context: dg.SensorEvaluationContext,
    client: DataExtractorClient,
    spec: DataExtractorDatasetsSpec,
    dataset_id: str,
) -> str | None:
    """The day partition holding the dataset, or None when it is gone or not the spec's."""
    try:
        dataset = client.dataset(dataset_id)
    except NotFoundError:
        context.log.warning(f"dataextractor.io dataset {dataset_id} of a webhook no longer exists")
        return None
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
    default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.STOPPED,
    asset_keys: Sequence[dg.AssetKey] | None = None,
) -> dg.SensorDefinition:
    """A sensor for accounts without webhooks: lists recent datasets and re-reads the days of
    those that became `complete` or `failed`, each final dataset once, ever.

    Each pass lists the datasets of the last `lookback_days` days, newest first; when a tick's
    budget (`time_budget_seconds`, and `max_pages_per_tick` pages if given) ends first, the next
    tick goes on where it stopped, so every dataset is listed however many there are; then a
    new pass starts at the newest. Datasets seen `processing` that left the lookback are looked
    up one by one. The first pass requests the days of every final dataset in the lookback.
    Ground-truth edits after a dataset is final need the webhooks.

    >>> spec = DataExtractorDatasetsSpec(name="invoices", start_date="2026-11-01")
    >>> build_dataextractor_polling_sensor(spec).name
    'invoices_polling_sensor'
    """

    where = Account(PROVIDER_FOLDER, account)
    resource_key = resource_key or where.resource_key

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
        budget = _Budget(deadline, max_pages_per_tick)
        newly_final: dict[str, list[str]] = {}
        with resource.get_client(retry_deadline_seconds=time_budget_seconds / 2) as client:
            try:
                finished = _go_on_listing(
                    context, client, spec, cursor, cutoff, budget, page_size, newly_final
                )
                # Once a pass: no pass lists the watched datasets older than the lookback.
                if finished:
                    _look_up(client, cursor, cursor.stragglers(cutoff), newly_final, deadline)
            except ApiError as error:
                if not error.retryable:
                    raise
                # Keep what is done; the next tick goes on from the cursor.
                context.log.warning(f"dataextractor.io unavailable, resuming later: {error}")
        stuck = cursor.forget_before(cutoff - timedelta(days=_STUCK_AFTER_DAYS))
        if stuck:
            context.log.warning(f"no longer watching datasets stuck in processing: {stuck}")
        partitions = spec.partitions()
        requests = [
            dg.RunRequest(run_key=f"poll:{day}:{_digest(ids)}", partition_key=day)
            for day, ids in sorted(newly_final.items())
            if partitions.has_partition_key(day)
        ]
        return dg.SensorResult(run_requests=requests, cursor=cursor.dump())

    return _sensor


@dataclass
class _Budget:
    """What a tick may spend on the listing: until `deadline`, and at most `max_pages` pages."""

    deadline: float
    max_pages: int | None
    pages: int = 0

    def spend_page(self) -> bool:
        """Count a page read; whether the budget allows another."""
        self.pages += 1
        if self.max_pages is not None and self.pages >= self.max_pages:
            return False
        return time.monotonic() <= self.deadline


def _go_on_listing(
    context: dg.SensorEvaluationContext,
    client: DataExtractorClient,
    spec: DataExtractorDatasetsSpec,
    cursor: PollCursor,
    cutoff: date,
    budget: _Budget,
    page_size: int,
    newly_final: dict[str, list[str]],
) -> bool:
    """List on from where the pass stopped until it ends (True) or the budget does."""
    while True:
        try:
            page = client.dataset_page(
                cursor=cursor.page,
                customer_id=spec.customer_id,
                dataset_type=spec.dataset_type,
                is_verified=spec.is_verified,
                page_size=page_size,
            )
        except CursorExpiredError:
            if cursor.page is None:
                raise
            # Listed again from the newest: the cursor's positions skip what this pass has
            # already seen, so nothing is requested twice.
            context.log.warning(
                f"dataextractor.io listing cursor expired after {cursor.listed} datasets of this "
                "pass; listing again from the newest"
            )
            cursor.page = None
            continue
        for skipped in page.unreadable:
            context.log.warning(
                f"dataextractor.io dataset {skipped.id} cannot be read and is passed over: "
                f"{skipped.reason}"
            )
        for dataset in page.datasets:
            if created_day(dataset) < cutoff:
                cursor.finish_pass()
                return True
            cursor.note(dataset, newly_final)
        if page.next_cursor is None:
            cursor.finish_pass()
            return True
        cursor.page = page.next_cursor
        # Checked after a page, not before: every tick makes progress, however short.
        if not budget.spend_page():
            return False


def _look_up(
    client: DataExtractorClient,
    cursor: PollCursor,
    dataset_ids: list[str],
    newly_final: dict[str, list[str]],
    deadline: float,
) -> None:
    for dataset_id in dataset_ids:
        try:
            cursor.take(client.dataset(dataset_id), newly_final, new=False)
        except NotFoundError:
            del cursor.watching[dataset_id]
        if time.monotonic() > deadline:
            return


def _digest(ids: Iterable[str]) -> str:
    """A short, order-independent name for a set of dataset ids."""
    return hashlib.sha256(",".join(sorted(ids)).encode()).hexdigest()[:16]
