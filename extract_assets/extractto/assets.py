"""Extract.to extracts as date-partitioned assets, and connections as assets that run them."""

import functools
from collections.abc import Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Unpack

import dagster as dg
from pydantic import Field

from extract_assets.builder import AssetBuilder, BuildOptions
from extract_assets.core.errors import ConflictError
from extract_assets.core.paths import day_file
from extract_assets.core.state import SharedState
from extract_assets.core.storage import Location, glob_files, open_parquet
from extract_assets.core.writable import check_writable
from extract_assets.extractto.client import ConnectionRunFailedError, ExtractToClient
from extract_assets.extractto.contract import SYNCING, columns_json_schema
from extract_assets.extractto.models import ConnectionRun, Extract
from extract_assets.extractto.resource import ExtractToResource
from extract_assets.extractto.spec import ExtractToConnectionSpec, ExtractToExtractSpec
from extract_assets.io_manager import binding_io_manager
from extract_assets.metadata import (
    ROWS_OUTSIDE_WINDOW,
    ROWS_WITHOUT_DATE,
    MetadataKey,
    preview_markdown,
    schema_change_check,
    schema_change_check_spec,
    table_metadata,
)

if TYPE_CHECKING:
    from extract_assets.core.day_folders import DayFolders
    from extract_assets.core.iceberg_catalog import IcebergTarget

PROVIDER_FOLDER = "extractto"
EXTRACT_ID = MetadataKey[str]("extractto/extract_id", dg.MetadataValue.text)
LAST_SYNC = MetadataKey[str]("extractto/last_sync", dg.MetadataValue.text)
DATE_FROM = MetadataKey[str]("extractto/date_from", dg.MetadataValue.text)
DATE_TO = MetadataKey[str]("extractto/date_to", dg.MetadataValue.text)
CONNECTION_ID = MetadataKey[str]("extractto/connection_id", dg.MetadataValue.text)
RUN_ID = MetadataKey[str]("extractto/run_id", dg.MetadataValue.text)
ROWS_SYNCED = MetadataKey[int]("extractto/rows_synced", dg.MetadataValue.int)
RUN_STATUS = MetadataKey[str]("extractto/status", dg.MetadataValue.text)
STARTED_AT = MetadataKey[float]("extractto/started_at", dg.MetadataValue.timestamp)
FINISHED_AT = MetadataKey[float]("extractto/finished_at", dg.MetadataValue.timestamp)
DURATION = MetadataKey[float]("extractto/duration_seconds", dg.MetadataValue.float)
DATE_COLUMN = "date"
SYNC_TAG_PREFIX = "extract_assets/extractto_sync."
SYNC_BEFORE_TAG_PREFIX = "extract_assets/extractto_sync_before."
# Values of the `sync_before_tag` other than a `last_sync`.
NEVER_SYNCED = "never"
SYNC_UNDER_WAY = "under way"


def sync_tag(extract_id: str) -> str:
    """The run tag that records the `last_sync` of the sync a run made of an extract."""
    return SYNC_TAG_PREFIX + extract_id


def sync_before_tag(extract_id: str) -> str:
    """The run tag that records the extract's `last_sync` as the run read it before asking for
    its sync: `NEVER_SYNCED`, or `SYNC_UNDER_WAY` when a sync whose stamp is not known yet was
    under way (the run waits for it)."""
    return SYNC_BEFORE_TAG_PREFIX + extract_id


class ExtractMaterializeConfig(dg.Config):
    """How to materialize an extract's partitions."""

    sync: bool = Field(
        default=True,
        description="Run the extract first. False reads the rows it already holds, e.g. after "
        "Extract.to synced on its own schedule (the sensor asks for that).",
    )


def partitions_for(spec: ExtractToExtractSpec) -> dg.TimeWindowPartitionsDefinition:
    """The spec's partitions: one per day, week (from Monday) or month, from `start_date`."""
    return _partitions(spec.start_date.isoformat(), spec.grain, spec.end_offset)


# One definition per distinct setting, shared by the assets that have it: Dagster validates
# each partitions definition object once, not each asset.
@functools.cache
def _partitions(start: str, grain: str, end_offset: int) -> dg.TimeWindowPartitionsDefinition:
    if grain == "weekly":
        return dg.WeeklyPartitionsDefinition(start_date=start, end_offset=end_offset, day_offset=1)
    if grain == "monthly":
        return dg.MonthlyPartitionsDefinition(start_date=start, end_offset=end_offset)
    return dg.DailyPartitionsDefinition(start_date=start, end_offset=end_offset)


def build_extractto_assets(
    extracts: Sequence[ExtractToExtractSpec] = (),
    connections: Sequence[ExtractToConnectionSpec] = (),
    *,
    backfill_policy: dg.BackfillPolicy | None = None,
    **options: Unpack[BuildOptions],
) -> list[dg.AssetsDefinition]:
    """An asset per extract (date-partitioned, Parquet) and per connection (runs it).

    Backfills are single-run by default: a 30-day backfill is one extract run over the whole
    range, its rows split into 30 day folders, `{output}/extractto/{name}/date=YYYY-MM-DD/`;
    `output_dir` may be an fsspec URL (`s3://bucket/prefix`). A downstream asset gets the days
    of its own window as one DataFrame, through `ExtractAssetsIOManager`.

    >>> spec = ExtractToExtractSpec(name="ads", extract_id="e-1", start_date="2026-01-01")
    >>> [asset.key.to_user_string() for asset in build_extractto_assets([spec])]
    ['ads']
    """
    policy = backfill_policy or dg.BackfillPolicy.single_run()
    builder = AssetBuilder.of(PROVIDER_FOLDER, **options)
    with binding_io_manager():
        return [
            *(_extract_asset(spec, builder, policy) for spec in extracts),
            *(_connection_asset(spec, builder) for spec in connections),
        ]


def _extract_asset(
    spec: ExtractToExtractSpec, builder: AssetBuilder, policy: dg.BackfillPolicy
) -> dg.AssetsDefinition:
    where = builder.where
    asset_spec = builder.asset_spec(
        spec,
        spec.name,
        description=f"Rows of Extract.to extract {spec.extract_id}, by date.",
        kinds=builder.kinds("extractto", spec),
        metadata={
            **EXTRACT_ID.entry(spec.extract_id),
            **builder.storage(spec.name, DATE_COLUMN, spec),
        },
    )
    blocking = spec.checks.blocking

    @builder.asset(
        asset_spec,
        partitions_def=partitions_for(spec),
        backfill_policy=policy,
        check_specs=[
            schema_change_check_spec(asset_spec.key, spec.schema_contract, blocking=blocking)
        ],
    )
    def _extract(
        context: dg.AssetExecutionContext, config: ExtractMaterializeConfig
    ) -> dg.MaterializeResult:
        resource: ExtractToResource = builder.resource(context)
        window = context.partition_time_window
        days = _days(window.start.date(), window.end.date())
        folder = builder.folder(spec.name)
        iceberg = builder.iceberg_target(spec.name, spec, (DATE_COLUMN, "date"))
        if iceberg is None:
            check_writable(folder)  # before the sync is paid for
        with resource.get_client() as client:
            if config.sync:
                synced = client.sync_between(
                    spec.extract_id,
                    days[0],
                    days[-1],
                    busy_timeout_seconds=resource.busy_timeout_seconds,
                )
                extract = synced.after
                _tag_sync(context, spec, synced.before, extract)
            else:
                extract = client.extract(spec.extract_id)
            written = _read_rows(
                client,
                spec,
                extract,
                folder,
                days,
                client.state,
                f"{where.folder}/{spec.name}",
                iceberg,
            )
        commit = written.table.iceberg
        if commit is None:
            context.log.info(f"Wrote {written.rows} rows into {len(days)} days under {folder}")
        else:
            context.log.info(
                f"Committed {written.rows} rows of {len(days)} days to Iceberg table "
                f"{commit.table} as snapshot {commit.snapshot_id}"
            )
        _log_table_write(context, written)
        _add_partition_metadata(context, spec, extract, written, folder)
        return dg.MaterializeResult(
            check_results=[schema_change_check(written.table, blocking=blocking)]
        )

    return _extract


def _tag_sync(
    context: dg.AssetExecutionContext,
    spec: ExtractToExtractSpec,
    earlier: Extract,
    extract: Extract,
) -> None:
    """Record the sync on the run as soon as it has ended: reading its rows may take minutes,
    and a sensor tick meanwhile must know the sync is ours, not one of Extract.to's own.

    With it goes the `last_sync` read before ours (`earlier`): a sync Extract.to ran that no
    tick saw ends there, and with `last_sync` stamped as a sync ends nothing else tells its
    rows from ours."""
    if extract.last_sync is None:
        return
    if earlier.status == SYNCING:
        before = SYNC_UNDER_WAY
    elif earlier.last_sync is None:
        before = NEVER_SYNCED
    else:
        before = earlier.last_sync.isoformat()
    tags = {
        sync_tag(spec.extract_id): extract.last_sync.isoformat(),
        sync_before_tag(spec.extract_id): before,
    }
    context.instance.add_run_tags(context.run_id, tags)


def _days(start: date, end_exclusive: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end_exclusive - start).days)]


def _log_table_write(context: dg.AssetExecutionContext, written: "DayFolders") -> None:
    table = written.table
    if table.changes:
        context.log.info(f"Table schema: {table.changes.summary()}")
    if table.rewritten:
        context.log.info(f"Rewrote {table.rewritten} earlier files to the table's schema")


def _read_rows(
    client: ExtractToClient,
    spec: ExtractToExtractSpec,
    extract: Extract,
    folder: Location,
    days: list[date],
    state: SharedState | None,
    label: str,
    iceberg: "IcebergTarget | None",
) -> "DayFolders":
    # The day folders and their sink (pyarrow) load in the run, not with the definitions.
    from extract_assets.core.day_folders import write_day_folders

    if not extract.data_table_id:
        raise ValueError(f"Extract.to extract {extract.id} names no data_table_id to read from")
    table = client.data_table(extract.data_table_id)
    schema = columns_json_schema(
        [(column.name, column.type) for column in table.columns], drop=frozenset({DATE_COLUMN})
    )
    pages = client.iter_row_pages(table.id, days[0], days[-1])
    return write_day_folders(
        pages,
        folder,
        days,
        json_schema=schema,
        date_field=DATE_COLUMN,
        contract=spec.schema_contract,
        where=label,
        state=state,
        iceberg=iceberg,
    )


def _add_partition_metadata(
    context: dg.AssetExecutionContext,
    spec: ExtractToExtractSpec,
    extract: Extract,
    written: "DayFolders",
    folder: Location,
) -> None:
    """Each partition's materialization gets its own row count, path and preview.

    Scoped metadata rather than one `AssetMaterialization` per partition: the asset then has an
    output, so a downstream asset in the same run is not skipped, and still one event each.
    """
    partitions = context.assets_def.partitions_def
    if not isinstance(partitions, dg.TimeWindowPartitionsDefinition):
        raise TypeError(f"{spec.name} must be time-partitioned")
    commit = written.table.iceberg
    total = commit.total_rows if commit is not None else _rows_in_folder(folder)
    for key in context.partition_keys:
        window = partitions.time_window_for_partition_key(key)
        days = _days(window.start.date(), window.end.date())
        rows = sum(written.days[day].rows for day in days)
        first = written.days[days[0]]
        context.add_asset_metadata(
            partition_key=key,
            metadata={
                **table_metadata(written.table),
                "dagster/partition_row_count": dg.MetadataValue.int(rows),
                "dagster/row_count": dg.MetadataValue.int(total),
                "path": dg.MetadataValue.path(str(day_file(folder, days[0]).parent)),
                "preview": dg.MetadataValue.md(preview_markdown(first.path)),
                **EXTRACT_ID.entry(spec.extract_id),
                **LAST_SYNC.entry(extract.last_sync.isoformat() if extract.last_sync else ""),
                **DATE_FROM.entry(days[0].isoformat()),
                **DATE_TO.entry(days[-1].isoformat()),
                **ROWS_OUTSIDE_WINDOW.entry(written.outside_range),
                **ROWS_WITHOUT_DATE.entry(written.undated),
            },
        )


def _rows_in_folder(folder: Location) -> int:
    """All rows of the asset, every day folder included, from the Parquet footers alone."""
    return sum(
        open_parquet(path).metadata.num_rows for path in glob_files(folder, "date=*/*.parquet")
    )


def _connection_asset(spec: ExtractToConnectionSpec, builder: AssetBuilder) -> dg.AssetsDefinition:
    asset_spec = builder.asset_spec(
        spec,
        spec.name,
        description=f"Runs Extract.to connection {spec.connection_id} into its destination.",
        kinds={"extractto"},
        metadata=CONNECTION_ID.entry(spec.connection_id),
    )

    @builder.asset(asset_spec, stored=False)
    def _connection(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        resource: ExtractToResource = builder.resource(context)
        with resource.get_client() as client:
            run = _start_connection_run(context, client, spec.connection_id)
            context.log.info(f"Started Extract.to connection run {run.id}")
            run = client.wait_for_connection_run(spec.connection_id, run.id)
        return dg.MaterializeResult(metadata=_run_metadata(run))

    return _connection


def _start_connection_run(
    context: dg.AssetExecutionContext, client: ExtractToClient, connection_id: str
) -> ConnectionRun:
    """Start a run; if one is already active, let it finish first, then start ours."""
    try:
        return client.run_connection(connection_id)
    except ConflictError:
        active = next(
            (r for r in client.connection_runs(connection_id) if r.status in {"queued", "running"}),
            None,
        )
        if active is not None:
            context.log.info(f"Connection run {active.id} is under way; waiting for it first")
            try:
                client.wait_for_connection_run(connection_id, active.id)
            except ConnectionRunFailedError as exc:  # its outcome is not ours to report
                context.log.info(f"The earlier run ended without success: {exc}")
        return client.run_connection(connection_id)


def _run_metadata(run: ConnectionRun) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "summary": dg.MetadataValue.text(f"run {run.id} synced {run.rows_synced or 0} rows"),
        **RUN_ID.entry(run.id),
        **ROWS_SYNCED.entry(run.rows_synced or 0),
        **RUN_STATUS.entry(run.status),
    }
    if run.started_at and run.finished_at:
        seconds = (run.finished_at - run.started_at).total_seconds()
        metadata |= {
            **STARTED_AT.entry(run.started_at.timestamp()),
            **FINISHED_AT.entry(run.finished_at.timestamp()),
            **DURATION.entry(seconds),
        }
    return metadata
