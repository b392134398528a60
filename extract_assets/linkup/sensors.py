"""Watch Linkup for tasks that finish, including ones started outside Dagster.

Completed outside tasks become partitions (one per task id) of a "Linkup task outputs" asset and
are materialized once each; failed ones are logged with Linkup's error. Tasks our own extract
assets created are theirs to handle and are skipped.
"""

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Self, Unpack

import dagster as dg

from extract_assets.accounts import Account
from extract_assets.asset_settings import SpecSettings
from extract_assets.builder import AssetBuilder, BuildOptions
from extract_assets.core.contract_setting import DEFAULT_CONTRACT, SchemaContract
from extract_assets.core.cursor import SensorCursor
from extract_assets.core.errors import ApiError
from extract_assets.core.paths import partition_file
from extract_assets.core.table_format import TableFormat
from extract_assets.instance_state import state_for
from extract_assets.io_manager import binding_io_manager
from extract_assets.linkup.assets import PROVIDER_FOLDER, task_metadata, task_tag
from extract_assets.linkup.client import LinkupClient
from extract_assets.linkup.models import Task, TaskPage
from extract_assets.linkup.resource import LinkupResource
from extract_assets.linkup.spec import LinkupExtractSpec
from extract_assets.table_settings import TableSettings

TASKS_PARTITIONS = "linkup_tasks"
TASK_OUTPUTS_ASSET = "linkup_task_outputs"
TASK_ID_COLUMN = "task_id"


def build_linkup_task_outputs_asset(
    *,
    name: str = TASK_OUTPUTS_ASSET,
    group: str = "linkup",
    owners: Sequence[str] = (),
    schema_contract: SchemaContract = DEFAULT_CONTRACT,
    table_format: TableFormat | None = None,
    iceberg_catalog_env: str | None = None,
    **options: Unpack[BuildOptions],
) -> dg.AssetsDefinition:
    """The rows of Linkup tasks created outside Dagster, one partition per task id.

    Files land in `{output}/linkup/{name}/task_id={id}/part-0.parquet`, so the folder reads as
    one table with a `task_id` column. Tasks may have different shapes: the table holds every
    task's columns (a task's rows are null in the others'); a task's JSON Schema declares the
    columns new to the table, and values that do not fit a column the table already has follow
    `schema_contract`. With an `account`, the key, folder, resource, pool and the dynamic
    partitions (`{account}_linkup_tasks`) are the account's. `table_format` and
    `iceberg_catalog_env` make it an Iceberg table partitioned by `task_id` instead (see
    `TableSettings`).
    """
    table = TableSettings(table_format=table_format, iceberg_catalog_env=iceberg_catalog_env)
    builder = AssetBuilder.of(PROVIDER_FOLDER, **options)
    where = builder.where
    asset_spec = builder.asset_spec(
        SpecSettings(group=group, owners=list(owners)),
        name,
        description="Rows of Linkup extract tasks started outside Dagster, by task id.",
        kinds=builder.kinds("linkup", table),
        metadata=builder.storage(name, TASK_ID_COLUMN, table),
    )
    with binding_io_manager():

        @builder.asset(
            asset_spec,
            partitions_def=dg.DynamicPartitionsDefinition(name=where.named(TASKS_PARTITIONS)),
        )
        def _outputs(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
            resource: LinkupResource = builder.resource(context)
            task_id = context.partition_key
            folder = builder.folder(name)
            with resource.get_client() as client:
                task = client.wait(task_id)
                target = partition_file(folder, TASK_ID_COLUMN, task_id)
                with builder.table_writer(
                    name,
                    table,
                    (TASK_ID_COLUMN, "string"),
                    json_schema=task.input.row_schema,
                    contract=schema_contract,
                    state=state_for(context.instance),
                ) as writer:
                    written = client.write_result(task, str(target), table=writer)
            assert writer.published is not None
            return dg.MaterializeResult(metadata=task_metadata(task, written, writer.published))

    return _outputs


@dataclass
class _Cursor(SensorCursor):
    """Where scanning stands; tasks are scanned newest `updatedAt` first.

    Everything below `floor` is handled, and so is each task version ("id@updatedAt") in
    `recent`, which holds every version handled at or above it. A complete scan lists from the
    newest task down to the floor, then raises it to `overlap` below `watermark`, the newest
    `updatedAt` that scan began at (at most the time it began): a task listed late (a lagging
    replica) with an `updatedAt` in that window is still found, and what is below it leaves
    the cursor.

    A scan that stops before the floor keeps its place (`resume_page`), the `updatedAt` it began
    at (`scan_top`) and the versions it handled that the window will need or that share its
    oldest `updatedAt` (`scan`): the scan listed everything between that oldest and `scan_top`,
    so a version there that the listing shows again (it shifted as tasks were added) is one it
    handled, and the cursor stays the size of the window however many ticks the scan takes.

    Version 3. Version 2 kept every version its scan handled, and version 1 had no window:
    everything at or below its `watermark` was handled but the ids exactly at it (`seen`). Both
    carry over, a scan in progress with its newest version for where it began.

    >>> old = '{"version": 1, "watermark": "W", "seen": ["t1"], "resume_page": 3, "scan": []}'
    >>> _Cursor.parse(old)
    _Cursor(watermark='W', floor='W', recent=['t1@W'], resume_page=3, scan=[], scan_top=None)
    """

    VERSION = 3

    watermark: str | None = None
    floor: str | None = None
    recent: list[str] = field(default_factory=list)
    resume_page: int | None = None
    scan: list[str] = field(default_factory=list)
    scan_top: str | None = None

    @classmethod
    def upgrade(cls, version: object, data: dict[str, Any]) -> Self:
        scan_top = max(map(_stamp_of, data.get("scan", [])), default=None)
        if version == 2:
            return cls(**data, scan_top=scan_top)
        if version != 1:
            return cls()
        watermark = data["watermark"]
        return cls(
            watermark=watermark,
            floor=watermark,
            recent=[_version(task_id, watermark) for task_id in data["seen"]],
            resume_page=data["resume_page"],
            scan=data["scan"],
            scan_top=scan_top,
        )


_Shown = tuple[tuple[str, str, str], ...]


def _shown(result: TaskPage) -> _Shown:
    """What a page shows, to tell it from another: each task as of its status change."""
    return tuple((task.id, _stamp(task.updated_at), task.status) for task in result.data)


@dataclass
class _Scan:
    """A scan as one tick takes it on: what is handled, how far it has listed, what it found,
    and whether it is over."""

    floor: str
    known: frozenset[str]
    handled: set[str]
    top: str | None
    page: int
    clock: str
    found: list[Task] = field(default_factory=list)
    done: bool = False
    # Read past the last page counted, to see it was the last: a tick's limits wait for it.
    closing: bool = False
    warning: str | None = None
    _oldest: str | None = None
    _pages: dict[_Shown, tuple[int, int | None]] = field(default_factory=dict)
    _previous: _Shown | None = None
    _empty_repeats: int = 0
    _longest: int = 0

    @classmethod
    def resume(cls, cursor: _Cursor, floor: str, now: datetime) -> "_Scan":
        handled = set(cursor.scan)
        scan = cls(
            floor,
            frozenset(cursor.recent),
            handled,
            cursor.scan_top,
            cursor.resume_page or 1,
            _stamp(now),
        )
        scan._oldest = min(map(_stamp_of, handled), default=None)
        return scan

    def take(self, result: TaskPage, page_size: int, first_page: Callable[[], TaskPage]) -> None:
        """Handle one page of the listing, the page after the one taken before; `first_page`
        reads page 1 again, which only a page that repeats an earlier one may need."""
        # What the service serves a page, if less than asked: a tick resumed on a page of a
        # service serving fewer knows no other page to tell it by.
        size = min(page_size, self._longest or len(result.data) or page_size)
        if self._repeats(result, size, first_page):
            return
        if result.data and self.top is None:
            # Where the scan begins is no later than our clock: an `updatedAt` ahead of it (a
            # bad clock, a local time sent without its offset) would lift the window over the
            # tasks that finish until then.
            self.top = min(self.clock, max(_stamp(task.updated_at) for task in result.data))
        for task in result.data:
            self._take(task)
        full = min(page_size, self._longest or page_size)
        goes_on = _goes_on(self.page, result, size, full)
        self.done = self.done or not goes_on
        self.closing = goes_on and result.metadata.total_pages == self.page
        self._longest = max(self._longest, len(result.data))
        self.page += 1

    def _repeats(self, result: TaskPage, size: int, first_page: Callable[[], TaskPage]) -> bool:
        """Whether the page shows what a page taken before in this tick showed: the listing
        (or a cache in front of it) does not page, or, empty after an empty page, it is past
        its end whatever it counts. Paging on would read the same until its count ran out."""
        shown = _shown(result)
        previous, self._previous = self._previous, shown
        total = result.metadata.total
        earlier, total_then = self._pages.setdefault(shown, (self.page, total))
        # An empty page repeats only the page just before: a listing that filters its pages
        # after cutting them sends empty ones here and there.
        if (earlier == self.page) if shown else (previous != shown):
            self._empty_repeats = 0
            return False
        told = result.metadata.page
        if shown and told in (None, self.page):
            if not self._ignores_page(
                shown, size * (self.page - earlier), total_then, total, first_page
            ):
                return False
        elif not shown:
            self._empty_repeats += 1
            # A listing that says it served the page asked may have grown by exactly the
            # pages between two reads: it is taken at its word until the next page repeats.
            if told in (None, self.page) and self._empty_repeats < 2:
                return False
        self.done = True
        if shown:
            self.warning = (
                f"Linkup answered page {self.page} with the tasks of page {earlier}, so it (or "
                "a cache in front of it) does not page: this scan ends there, and tasks listed "
                "only further down are not seen"
            )
        else:
            self.warning = (
                f"Linkup answered pages {self.page - 1} and {self.page} with no tasks though "
                f"it counts {result.metadata.total_pages} pages: this scan ends there"
            )
        return True

    @staticmethod
    def _ignores_page(
        shown: _Shown,
        shift: int,
        total_then: int | None,
        total: int | None,
        first_page: Callable[[], TaskPage],
    ) -> bool:
        """Whether a listing that says it served the page asked, showing the tasks of an
        earlier page, ignores `page` rather than having grown by the pages between as it was
        read (new tasks pushing the same ones down a page a read). A total grown by as many
        tasks tells; else page 1 is read again: a listing that ignores `page` shows there what
        it just showed, one that grew shows other tasks."""
        if total_then is not None and total is not None and total - total_then >= shift:
            return False
        return _shown(first_page()) == shown

    def _take(self, task: Task) -> None:
        stamp = _stamp(task.updated_at)
        if stamp < self.floor:
            # Earlier scans handled it; the rest of the page is read all the same, in case the
            # listing's order is a little off.
            self.done = True
            return
        # Only a final task is handled: one still running may finish within the second its
        # `updatedAt` is written to, and be listed with the same stamp. Above the floor every
        # tick lists again what it handled, in no set order among equal stamps and with late
        # arrivals anywhere: versions tell them apart.
        version = _version(task.id, stamp)
        if not task.is_final or self._handles(version, stamp):
            return
        self.handled.add(version)
        self.found.append(task)
        self._oldest = min(filter(None, [self._oldest, stamp]))

    def _handles(self, version: str, stamp: str) -> bool:
        if version in self.known or version in self.handled:
            return True
        # Strictly between: tasks of the scan's oldest or newest second may still be unread.
        oldest, top = self._oldest, self.top
        return oldest is not None and top is not None and oldest < stamp < top

    def cursor_after(self, cursor: _Cursor, overlap: timedelta) -> _Cursor:
        """The cursor this tick leaves for the next."""
        if self.top is None:
            return replace(cursor, resume_page=None, scan=[], scan_top=None)
        window = _stamp(_moment(self.top) - overlap)
        if not self.done:
            kept = (
                v for v in self.handled if _stamp_of(v) >= window or _stamp_of(v) == self._oldest
            )
            return replace(
                cursor,
                floor=self.floor,
                resume_page=self.page,
                scan=sorted(kept),
                scan_top=self.top,
            )
        # Only ever raised: below the floor the scan did not look, so nothing there is known.
        floor = max(self.floor, window)
        handled = set(cursor.recent) | self.handled
        return _Cursor(
            watermark=max(filter(None, [cursor.watermark, self.top])),
            floor=floor,
            recent=sorted(version for version in handled if _stamp_of(version) >= floor),
        )


def _goes_on(page: int, result: TaskPage, size: int, full: int) -> bool:
    """Whether a page after `page` may list tasks. The counts are hints: an empty page before
    the last page counted is passed by (a listing that filters after paging sends them), and a
    page counted as the last is not when the total says more tasks follow (a service that
    serves fewer a page than asked but counts pages by what was asked), nor when it is `full`
    (counts taken before the latest tasks were listed: one more read, empty or short, ends
    it). Without counts, the listing goes on to an empty page: a short one may be all a
    service serves at a time."""
    counts = result.metadata
    if counts.total_pages is not None and page < counts.total_pages:
        return True
    if not result.data:
        return False
    if counts.page_size is not None and 0 < counts.page_size < size:
        size = counts.page_size
    if counts.page_size is not None and 0 < counts.page_size < full:
        full = counts.page_size
    if len(result.data) >= full:
        return True
    if counts.total is not None:
        return (page - 1) * size + len(result.data) < counts.total
    return counts.total_pages is None


def build_linkup_sensor(
    specs: Sequence[LinkupExtractSpec],
    outputs_asset: dg.AssetsDefinition,
    *,
    account: str | None = None,
    name: str | None = None,
    resource_key: str | None = None,
    minimum_interval_seconds: int = 30,
    time_budget_seconds: float = 20.0,
    page_size: int = 100,
    max_tasks_per_tick: int = 1000,
    first_tick_lookback: timedelta = timedelta(days=7),
    overlap_seconds: float = 300.0,
    default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.STOPPED,
) -> dg.SensorDefinition:
    """A sensor over `GET /v1/extract` that materializes outside tasks once they complete.

    Each tick stops scanning after the page that ends past `time_budget_seconds` (well under
    Dagster's 60 s limit), or on which it found `max_tasks_per_tick` new task versions, and
    continues on the next one; it always reads one page. On its very first tick it looks back
    `first_tick_lookback`. Every tick lists again down to `overlap_seconds` of `updatedAt`
    below the newest it handled, so a task the listing shows only after a newer one (a lagging
    replica) is still requested, once; one shown later than that is not. A tick with nothing
    new reads one page while that window's tasks fit on it. The listing's counts are hints
    (see `_goes_on`), and a page repeating one read before in the tick ends the scan with a
    warning (see `_Scan._repeats`) unless the listing grew as it was read: a listing that
    ignores `page` would otherwise be paged through the same tasks until its count ran out.
    With an `account`, its name (`{account}_linkup_tasks_sensor`) and resource are the
    account's.
    """
    where = Account(PROVIDER_FOLDER, account)
    resource_key = resource_key or where.resource_key
    tags_of_ours = [task_tag(where.named(spec.name)) for spec in specs]
    outputs_key = outputs_asset.key
    partitions = outputs_asset.partitions_def
    assert isinstance(partitions, dg.DynamicPartitionsDefinition)
    overlap = timedelta(seconds=overlap_seconds)

    @dg.sensor(
        name=name or where.named("linkup_tasks_sensor"),
        minimum_interval_seconds=minimum_interval_seconds,
        asset_selection=[outputs_key],
        required_resource_keys={resource_key},
        default_status=default_status,
        description="Materializes Linkup tasks created outside Dagster; logs failed ones.",
    )
    def _sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        resource: LinkupResource = getattr(context.resources, resource_key)
        started = time.monotonic()
        cursor = _Cursor.parse(context.cursor)
        now = datetime.now(UTC)
        scan = _Scan.resume(cursor, cursor.floor or _stamp(now - first_tick_lookback), now)
        with resource.get_client(retry_deadline_seconds=time_budget_seconds / 2) as client:
            # Dagster resolves a tick's run requests in time quadratic in their number (10,000
            # dynamic-partition runs took 25 s after our scan), so a backlog is spread over ticks.
            # The budget is looked at after a page, never before the first: a tick started late
            # (a slow daemon, a budget spent on retries) still gets further than the last one.
            while True:
                try:
                    result = _list(client, scan.page, page_size)
                    # Before any of the page is handled, the scan may read page 1 again.
                    scan.take(result, page_size, lambda: _list(client, 1, page_size))
                except ApiError as error:
                    if not error.retryable:
                        raise
                    # Keep the pages read: failing the tick would read them again next time,
                    # and a listing throttled after as many pages would never get further.
                    context.log.warning(
                        f"Linkup unavailable, resuming at page {scan.page}: {error.for_next_tick()}"
                    )
                    break
                if scan.done or (
                    not scan.closing
                    and (
                        len(scan.found) >= max_tasks_per_tick
                        or time.monotonic() - started >= time_budget_seconds
                    )
                ):
                    break
        if scan.warning is not None:
            context.log.warning(scan.warning)
        run_requests, completed_ids = _requests_for(context, scan.found, tags_of_ours, outputs_key)
        return dg.SensorResult(
            run_requests=run_requests,
            dynamic_partitions_requests=(
                [partitions.build_add_request(completed_ids)] if completed_ids else []
            ),
            cursor=scan.cursor_after(cursor, overlap).dump(),
        )

    return _sensor


def _list(client: LinkupClient, page: int, page_size: int) -> TaskPage:
    return client.list(page=page, page_size=page_size, sort_by="updatedAt", sort_direction="desc")


_STAMP = "%Y-%m-%dT%H:%M:%S.%fZ"


def _stamp(moment: datetime) -> str:
    """A fixed-width UTC timestamp, so that text order is time order."""
    return moment.astimezone(UTC).strftime(_STAMP)


def _moment(stamp: str) -> datetime:
    return datetime.strptime(stamp, _STAMP).replace(tzinfo=UTC)


def _version(task_id: str, stamp: str) -> str:
    """A task as of one status change: a later change is a new version."""
    return f"{task_id}@{stamp}"


def _stamp_of(version: str) -> str:
    return version.rsplit("@", 1)[1]


def _requests_for(
    context: dg.SensorEvaluationContext,
    final: list[Task],
    tags_of_ours: Sequence[str],
    outputs_key: dg.AssetKey,
) -> tuple[list[dg.RunRequest], list[str]]:
    ours = _created_by_dagster(context.instance, tags_of_ours, [task.id for task in final])
    run_requests: list[dg.RunRequest] = []
    completed_ids: list[str] = []
    for task in final:
        if task.id in ours:
            continue
        if task.status == "failed":
            context.log.warning(f"Linkup task {task.id} failed: {task.error}")
            continue
        completed_ids.append(task.id)
        run_requests.append(
            dg.RunRequest(
                run_key=f"linkup-task:{task.id}",
                partition_key=task.id,
                asset_selection=[outputs_key],
            )
        )
    return run_requests, completed_ids


def _created_by_dagster(
    instance: dg.DagsterInstance, tags: Sequence[str], task_ids: Sequence[str]
) -> set[str]:
    """Which of `task_ids` our extract assets created (each recorded as a run tag)."""
    if not task_ids or not tags:
        return set()
    ours: set[str] = set()
    for tag in tags:
        for run in instance.get_runs(filters=dg.RunsFilter(tags={tag: list(task_ids)})):
            ours.add(run.tags[tag])
    return ours
