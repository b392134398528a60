"""Watch Extract.to extracts for syncs that happened outside Dagster, and for errors.

When Extract.to syncs an extract on its own schedule, the rows it wrote carry that sync's
`__insert_date`; the days they fall on are requested as partition runs that only read the rows
(no second sync), and a day whose partition does not exist yet once it does. Extracts that went
to `error` are logged once per error.
"""

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Self

import dagster as dg

from extract_assets.accounts import Account
from extract_assets.core.cursor import SensorCursor
from extract_assets.core.errors import ApiError
from extract_assets.core.instants import parse_instant, parse_span, utc_day
from extract_assets.extractto.assets import (
    DATE_COLUMN,
    NEVER_SYNCED,
    PROVIDER_FOLDER,
    SYNC_UNDER_WAY,
    partitions_for,
    sync_before_tag,
    sync_tag,
)
from extract_assets.extractto.client import ExtractToClient
from extract_assets.extractto.contract import ERROR, SYNCING
from extract_assets.extractto.models import Extract
from extract_assets.extractto.resource import ExtractToResource
from extract_assets.extractto.spec import ExtractToExtractSpec

INSERT_DATE_COLUMN = "__insert_date"
_RANGE_START = "dagster/asset_partition_range_start"
_RANGE_END = "dagster/asset_partition_range_end"
# A stamp this coarse or coarser cannot tell a later sync's rows from an earlier one's.
_COARSE_STAMP = timedelta(minutes=1)
# Before every row: a sync no tick saw was under way as our run read the extract.
_UNKNOWN_END = datetime.max.replace(tzinfo=UTC)


@dataclass
class _Seen:
    last_sync: str | None = None
    error: str | None = None
    # The newest `__insert_date` read (its start, as UTC ISO): rows stamped up to it are
    # accounted for. None until a read of the table finished, and after one cut short.
    inserted: str | None = None
    # Days a sync wrote before their partition existed, each with the sync that wrote it.
    early: dict[str, str] = field(default_factory=dict)


@dataclass
class _Cursor(SensorCursor):
    extracts: dict[str, _Seen] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        return cls(extracts={key: _Seen(**seen) for key, seen in data["extracts"].items()})


def build_extractto_sensor(
    specs: Sequence[ExtractToExtractSpec],
    *,
    account: str | None = None,
    name: str | None = None,
    resource_key: str | None = None,
    minimum_interval_seconds: int = 60,
    time_budget_seconds: float = 20.0,
    lookback_days: int = 7,
    default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.STOPPED,
    asset_keys: Mapping[str, dg.AssetKey] | None = None,
) -> dg.SensorDefinition:
    """A sensor that turns outside syncs of the specs' extracts into partition runs.

    The first time it sees an extract it only notes its `last_sync`. Later syncs not made by
    our assets are read back over the last `lookback_days` days to find the days they wrote:
    those of the rows stamped after the newest `__insert_date` read before. Our own syncs are
    read too, for that stamp and for the days of a sync Extract.to ran just before ours.
    `asset_keys` gives the key of each spec's asset (by spec name) when a translator changed it.
    With an `account`, its name (`{account}_extractto_extracts_sensor`), resource and default
    keys are the account's.
    """
    where = Account(PROVIDER_FOLDER, account)
    resource_key = resource_key or where.resource_key
    by_extract = {spec.extract_id: spec for spec in specs}
    keys = {spec.name: where.key(spec.name) for spec in specs} | dict(asset_keys or {})

    @dg.sensor(
        name=name or where.named("extractto_extracts_sensor"),
        minimum_interval_seconds=minimum_interval_seconds,
        asset_selection=[keys[spec.name] for spec in specs],
        required_resource_keys={resource_key},
        default_status=default_status,
        description="Reads the days Extract.to synced on its own schedule; logs failed syncs.",
    )
    def _sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        resource: ExtractToResource = getattr(context.resources, resource_key)
        started = time.monotonic()
        cursor = _Cursor.parse(context.cursor)
        requests: list[dg.RunRequest] = []
        with resource.get_client(retry_deadline_seconds=time_budget_seconds / 2) as client:
            try:
                for extract in client.extracts():
                    spec = by_extract.get(extract.id)
                    if spec is None:
                        continue
                    if time.monotonic() - started > time_budget_seconds:
                        break
                    found = _tick_extract(
                        context,
                        client,
                        spec,
                        keys[spec.name],
                        extract,
                        cursor,
                        lookback_days,
                        started + time_budget_seconds,
                    )
                    if found is None:
                        break
                    requests += found
            except ApiError as error:
                if not error.retryable:
                    raise
                # The extracts handled before keep what they found; the rest wait a tick.
                context.log.warning(
                    "Extract.to unavailable listing extracts, resuming next tick: "
                    f"{error.for_next_tick()}"
                )
        return dg.SensorResult(run_requests=requests, cursor=cursor.dump())

    return _sensor


def _tick_extract(
    context: dg.SensorEvaluationContext,
    client: ExtractToClient,
    spec: ExtractToExtractSpec,
    key: dg.AssetKey,
    extract: Extract,
    cursor: _Cursor,
    lookback_days: int,
    deadline: float,
) -> list[dg.RunRequest] | None:
    """The runs one extract's news calls for; None when Extract.to is unavailable, which ends
    the tick."""
    first_sighting = extract.id not in cursor.extracts
    seen = cursor.extracts.setdefault(extract.id, _Seen())
    _report_error(context, extract, seen)
    if first_sighting:
        seen.last_sync = extract.last_sync.isoformat() if extract.last_sync else None
        return []
    try:
        return _requests_for_sync(
            context, client, spec, key, extract, seen, lookback_days, deadline
        )
    except ApiError as error:
        if not error.retryable:
            # Failing the tick would fail every later one the same way, and keep the other
            # extracts from being read: this one's sync waits instead.
            context.log.warning(
                f"Extract.to extract {extract.id}: its rows cannot be read, so its latest sync "
                f"is read again next tick: {error}"
            )
            return []
        # Keep the extracts read: failing the tick would read them again next time, and a
        # service throttling after as many reads would wedge it.
        context.log.warning(
            f"Extract.to unavailable, resuming at extract {extract.id}: {error.for_next_tick()}"
        )
        return None


def _report_error(context: dg.SensorEvaluationContext, extract: Extract, seen: _Seen) -> None:
    if extract.status != ERROR:
        seen.error = None
        return
    marker = f"{extract.error_text}@{extract.last_sync}"
    if seen.error != marker:
        context.log.warning(
            f"Extract.to extract {extract.id} ({extract.title}) is in error: {extract.error_text}"
        )
        seen.error = marker


def _requests_for_sync(
    context: dg.SensorEvaluationContext,
    client: ExtractToClient,
    spec: ExtractToExtractSpec,
    key: dg.AssetKey,
    extract: Extract,
    seen: _Seen,
    lookback_days: int,
    deadline: float,
) -> list[dg.RunRequest]:
    """Runs for the days of a new outside sync, and for days written earlier whose partition
    has come to exist since."""
    due = dict(seen.early)
    current = _new_sync(extract, seen)
    if current is not None:
        ours = _run_that_synced(context, extract.id, current) is not None
        unseen = _unseen_sync_end(context, extract.id, current, seen) if ours else None
        # Rows after the newest stamp read before, else after the sync seen before: a
        # `last_sync` stamped as a sync starts precedes that sync's own rows.
        since = seen.inserted or seen.last_sync
        written = _read_written(context, client, extract, since, lookback_days, deadline)
        # A sync begun while the rows were read had the rows it wrote so far taken for ours:
        # the stamp read before then stays, so they are read again once it is seen.
        trusted = not ours or _unchanged(client, extract)
        # Noted once its days are read: a read that fails leaves the sync to the next tick.
        seen.last_sync = current
        if trusted:
            seen.inserted = written.newest
        days = written.days_of_others(current, unseen) if ours else written.days()
        due |= {day.isoformat(): current for day in days}
    ranges, seen.early = _partition_ranges(spec, due)
    if seen.early:
        context.log.info(
            f"Extract.to extract {extract.id} wrote rows dated {', '.join(sorted(seen.early))}, "
            "whose partitions do not exist yet: their run is requested once they do"
        )
    return [
        dg.RunRequest(
            run_key=f"{extract.id}:{sync}:{first}",
            asset_selection=[key],
            tags={_RANGE_START: first, _RANGE_END: last},
            # The op of an asset declared by key is named after the key.
            run_config={"ops": {key.to_python_identifier(): {"config": {"sync": False}}}},
        )
        for first, last, sync in ranges
    ]


def _unchanged(client: ExtractToClient, extract: Extract) -> bool:
    """Whether the extract is as listed: no sync has begun since."""
    now = client.extract(extract.id)
    return now.status != SYNCING and now.last_sync == extract.last_sync


def _new_sync(extract: Extract, seen: _Seen) -> str | None:
    """The extract's `last_sync` when it is a finished sync newer than the one seen before."""
    if extract.status == SYNCING or extract.last_sync is None:
        return None
    current = extract.last_sync.isoformat()
    # `seen.last_sync` is None when the extract had never synced as the sensor first saw it.
    # A lagging replica may show an older sync: the newer one seen stays the one to read after.
    return None if _not_after(current, seen.last_sync) else current


def _not_after(current: str, previous: str | None) -> bool:
    """Whether a sync is no newer than the one seen before, compared as instants."""
    if previous is None:
        return False
    before = parse_instant(previous)
    return before is not None and (parse_instant(current) or before) <= before


def _run_that_synced(
    context: dg.SensorEvaluationContext, extract_id: str, sync: str
) -> dg.RunRecord | None:
    """Our run that made the sync: our assets tag the `last_sync` of each sync they ran on
    their run as it ends. (Not the `last_sync` on a materialization: a run that only read the
    rows records there the sync it found, maybe one no tick saw yet.)"""
    runs = context.instance.get_run_records(
        filters=dg.RunsFilter(tags={sync_tag(extract_id): sync}), limit=1
    )
    return runs[0] if runs else None


def _unseen_sync_end(
    context: dg.SensorEvaluationContext, extract_id: str, ours: str, seen: _Seen
) -> datetime | None:
    """The `last_sync` of the latest sync no tick saw before our sync `ours` (the one our run
    read before asking for its own), or None when the sync seen before was the last one before
    ours. Runs of ours in a row are followed back: a sync between two
    of ours is as unseen as one just before ours. A run that does not say (made before the tag
    existed) leaves it None, as before."""
    sync, followed = ours, set()
    while sync not in followed:
        followed.add(sync)
        run = _run_that_synced(context, extract_id, sync)
        before = run.dagster_run.tags.get(sync_before_tag(extract_id)) if run else None
        if before is None or before == NEVER_SYNCED:
            return None
        if before == SYNC_UNDER_WAY:
            return _UNKNOWN_END
        if _not_after(before, seen.last_sync):
            return None
        if _run_that_synced(context, extract_id, before) is None:
            return parse_instant(before)
        sync = before
    return None


@dataclass
class _Written:
    """What a read of the look-back found: for each day with rows inserted after the stamp it
    read since, the earliest moment one of them may have been inserted by (the end of its
    stamp's span) and the earliest it may have been inserted at (its start); the newest stamp
    read; and whether the read was cut short."""

    first: date
    last: date
    ends: dict[date, datetime] = field(default_factory=dict)
    firsts: dict[date, datetime] = field(default_factory=dict)
    newest: str | None = None
    cut_short: bool = False

    def days(self) -> list[date]:
        """The days written since: every day of the look-back when the read was cut short, as
        rows come in no promised order, so any day not read may hold new rows."""
        if self.cut_short:
            return [self.first + timedelta(n) for n in range((self.last - self.first).days + 1)]
        return sorted(self.ends)

    def days_of_others(self, ours: str, unseen: datetime | None) -> list[date]:
        """The days written since by syncs before ours.

        `unseen` is the `last_sync` of a sync no tick saw before ours (Extract.to's own, or
        one run from its UI): rows stamped from then back are that sync's, or earlier ones'.
        Rows stamped wholly before our `last_sync` are not ours either when the service
        evidently stamps it as a sync starts (rows stamped after it). Every other row since is
        taken for ours; a read cut short requests every day when a sync came unseen before
        ours, and none otherwise."""
        if self.cut_short:
            return self.days() if unseen is not None else []
        others = {
            day for day, first in self.firsts.items() if unseen is not None and first <= unseen
        }
        started = parse_instant(ours)
        newest = parse_instant(self.newest)
        if started is not None and newest is not None and newest > started:
            others |= {day for day, end in self.ends.items() if end <= started}
        return sorted(others)


def _read_written(
    context: dg.SensorEvaluationContext,
    client: ExtractToClient,
    extract: Extract,
    since: str | None,
    lookback_days: int,
    deadline: float,
) -> _Written:
    """Which UTC days hold rows that may have been inserted after `since`.

    A stamp to the minute or coarser is taken for the span its text leaves open (``2026-12-07``
    for that whole day): a later sync within that span still gets its days read, at worst a
    day twice, as a day read twice costs a run and a day missed loses its rows. A finer stamp is
    compared as it is: a sync's own rows are stamped once it began, and a second sync does not
    end within the second of the stamp read before. A row whose `__insert_date` or `date`
    cannot be read is passed over: counted, and the first one logged, so one odd value never
    stops the sensor.

    The read goes a day past today: a service whose clock is past midnight before ours writes
    rows of its today, our tomorrow.

    A read still going at `deadline` stops there (a tick must end within Dagster's 60 s)."""
    today = datetime.now(UTC).date()
    written = _Written(today - timedelta(lookback_days), today + timedelta(days=1))
    if not extract.data_table_id:
        return written
    after = parse_instant(since) if since is not None else None
    newest: datetime | None = None
    unreadable = 0
    pages = client.iter_row_pages(extract.data_table_id, written.first, written.last)
    for page in pages:
        if time.monotonic() > deadline:
            context.log.warning(
                f"Extract.to extract {extract.id}: reading the rows of data table "
                f"{extract.data_table_id} outlasted the sensor's time budget; every day of the "
                f"last {lookback_days} is requested rather than risk missing one (raise "
                "time_budget_seconds, up to about 50, if this recurs)"
            )
            written.cut_short = True
            return written
        for row in page:
            stamp = row.get(INSERT_DATE_COLUMN)
            if stamp is None:
                continue
            inserted, day = parse_span(stamp), utc_day(row.get(DATE_COLUMN))
            if inserted is None or day is None:
                unreadable += 1
                if unreadable == 1:
                    context.log.warning(
                        f"Extract.to extract {extract.id}: a row of data table "
                        f"{extract.data_table_id} has {INSERT_DATE_COLUMN}={stamp!r} and "
                        f"{DATE_COLUMN}={row.get(DATE_COLUMN)!r}, which are not both dates; "
                        "such rows are passed over"
                    )
                continue
            start, span = inserted
            newest = max(filter(None, [newest, start]))
            if after is None or _may_be_after(start, span, after):
                written.ends[day] = min(filter(None, [written.ends.get(day), start + span]))
                written.firsts[day] = min(filter(None, [written.firsts.get(day), start]))
    if unreadable > 1:
        context.log.warning(f"{unreadable} rows of extract {extract.id} were passed over")
    written.newest = newest.isoformat() if newest is not None else since
    return written


def _may_be_after(start: datetime, span: timedelta, moment: datetime) -> bool:
    if span >= _COARSE_STAMP:
        return start + span > moment
    return start > moment


def _partition_ranges(
    spec: ExtractToExtractSpec, due: Mapping[str, str]
) -> tuple[list[tuple[str, str, str]], dict[str, str]]:
    """The partitions holding the `due` days (ISO day -> the sync that wrote it) as runs of
    neighbours (first, last, the newest sync among them), and the days whose partition does not
    exist yet, to keep: today's with no end offset, or a day the service's clock reached
    before ours. Days before the first partition are not the spec's."""
    partitions = partitions_for(spec)
    keys = partitions.get_partition_keys()
    position = {key: index for index, key in enumerate(keys)}
    wanted: dict[int, str] = {}
    early: dict[str, str] = {}
    for day, sync in due.items():
        moment = datetime.combine(date.fromisoformat(day), datetime.min.time(), UTC)
        key = partitions.get_partition_key_for_timestamp(moment.timestamp())
        index = position.get(key)
        if index is not None:
            wanted[index] = max(sync, wanted.get(index, sync), key=_instant_key)
        elif not keys or key > keys[-1]:
            early[day] = sync
    ranges: list[tuple[str, str, str]] = []
    for index in sorted(wanted):
        if ranges and position[ranges[-1][1]] == index - 1:
            first, _, sync = ranges[-1]
            ranges[-1] = (first, keys[index], max(sync, wanted[index], key=_instant_key))
        else:
            ranges.append((keys[index], keys[index], wanted[index]))
    return ranges, early


def _instant_key(stamp: str) -> datetime:
    return parse_instant(stamp) or datetime.min.replace(tzinfo=UTC)
