"""dataextractor.io as assets: five day-partitioned tables per datasets spec, and submission."""

import hashlib
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, Unpack

import dagster as dg

from extract_assets.builder import AssetBuilder, BuildOptions
from extract_assets.core.errors import ApiError, ConfigError, InvalidArgumentError
from extract_assets.core.leftovers import temp_dir
from extract_assets.core.paths import asset_folder, day_file, output_base
from extract_assets.core.state import shared_state, sqlite_url
from extract_assets.core.storage import Location, RemotePath
from extract_assets.dataextractor.client import (
    DataExtractorClient,
    DatasetFailedError,
    Misfit,
    check_document,
)
from extract_assets.dataextractor.ledger import Submission, SubmissionLedger
from extract_assets.dataextractor.models import Dataset
from extract_assets.dataextractor.resource import DataExtractorResource
from extract_assets.dataextractor.spec import (
    TABLES,
    DataExtractorDatasetsSpec,
    DataExtractorSubmissionSpec,
)
from extract_assets.dataextractor.tables import ROWS, SCHEMAS
from extract_assets.instance_state import state_for
from extract_assets.io_manager import (
    DATE_COLUMN,
    IO_MANAGER_KEY,
    RESOURCE_DEFS,
    binding_io_manager,
)
from extract_assets.metadata import (
    ROWS_OUTSIDE_WINDOW,
    MetadataKey,
    preview_markdown,
    schema_change_check,
    schema_change_check_spec,
    table_metadata,
)
from extract_assets.translator import (
    executed_by,
)

if TYPE_CHECKING:
    from extract_assets.core.day_folders import DayFolders

PROVIDER_FOLDER = "dataextractor"
ALL_EXTRACTED = "all_documents_extracted"
_KINDS = ("extracted", "skipped", "refused", "uncertain", "failed")
# How many of a submission's documents ended each way.
OUTCOMES = {
    kind: MetadataKey[int](f"dataextractor/{kind}", dg.MetadataValue.int) for kind in _KINDS
}
PROCESSING_LEFT_OUT = MetadataKey[int]("dataextractor/processing_left_out", dg.MetadataValue.int)
UNREADABLE_COUNT = MetadataKey[int]("dataextractor/unreadable_datasets", dg.MetadataValue.int)
UNREADABLE = MetadataKey[list[dict[str, str]]]("dataextractor/unreadable", dg.MetadataValue.json)
_BATCH = 5_000


def build_dataextractor_assets(
    datasets: Sequence[DataExtractorDatasetsSpec] = (),
    submissions: Sequence[DataExtractorSubmissionSpec] = (),
    **options: Unpack[BuildOptions],
) -> list[dg.AssetsDefinition]:
    """Per datasets spec, one multi-asset writing five tables; per folder, a submission asset.

    >>> spec = DataExtractorDatasetsSpec(name="docs", start_date="2026-11-01")
    >>> sorted(k.to_user_string() for k in build_dataextractor_assets([spec])[0].keys)[:2]
    ['docs_accuracy', 'docs_datasets']
    """
    builder = AssetBuilder.of(PROVIDER_FOLDER, **options)
    with binding_io_manager():
        return [
            *(_tables_asset(spec, builder) for spec in datasets),
            *(_submission_asset(spec, builder) for spec in submissions),
        ]


def _tables_asset(spec: DataExtractorDatasetsSpec, builder: AssetBuilder) -> dg.AssetsDefinition:
    where = builder.where
    partitions = spec.partitions()
    specs = [
        builder.asset_spec(
            spec,
            name,
            description=f"dataextractor.io {table}, by day of creation.",
            kinds=builder.kinds("dataextractor", spec),
            metadata=builder.storage(name, DATE_COLUMN, spec),
            table=table,
        )
        .replace_attributes(partitions_def=partitions, skippable=True)
        .with_io_manager_key(IO_MANAGER_KEY)
        for name, table in zip(spec.asset_names(), TABLES, strict=True)
    ]
    blocking = spec.checks.blocking

    @dg.multi_asset(
        name=where.named(spec.name),
        specs=specs,
        pool=builder.pool,
        backfill_policy=dg.BackfillPolicy.single_run(),
        required_resource_keys={builder.resource_key},
        can_subset=False,
        resource_defs=RESOURCE_DEFS,
        check_specs=[
            schema_change_check_spec(table.key, spec.schema_contract, blocking=blocking)
            for table in specs
        ],
    )
    @executed_by(builder.translator)
    def _tables(context: dg.AssetExecutionContext) -> Iterator[dg.MaterializeResult]:
        resource: DataExtractorResource = builder.resource(context)
        window = context.partition_time_window
        days = [
            window.start.date() + timedelta(days=n)
            for n in range((window.end.date() - window.start.date()).days)
        ]
        with temp_dir("datasets") as tmp:
            spool = Path(tmp) / "datasets.ndjson"
            with resource.get_client() as client:
                listed = _spool_window(client, spec, days, spool)
            context.log.info(
                f"{listed.final} final datasets; {listed.processing.total()} still processing "
                "were left for a later run"
            )
            if listed.unreadable:
                context.log.warning(
                    f"{len(listed.unreadable)} datasets could not be read and were left out: "
                    + "; ".join(f"{u.id} ({u.reason})" for u in listed.unreadable[:5])
                )
            # The day folders and their sink (pyarrow) load in the run, not with the definitions.
            from extract_assets.core.day_folders import write_day_folders

            for table, table_spec in zip(TABLES, specs, strict=True):
                name = f"{spec.name}_{table}"
                folder = builder.folder(name)
                written = write_day_folders(
                    _rows(spool, table),
                    folder,
                    days,
                    json_schema=SCHEMAS[table],
                    contract=spec.schema_contract,
                    where=f"{where.folder}/{name}",
                    state=state_for(context.instance),
                    iceberg=builder.iceberg_target(name, spec, (DATE_COLUMN, "date")),
                )
                key = table_spec.key
                _add_partition_metadata(context, key, folder, written, listed)
                yield dg.MaterializeResult(
                    asset_key=key,
                    check_results=[schema_change_check(written.table, key, blocking=blocking)],
                )

    return _tables


@dataclass
class _Listed:
    """What one pass over the listing found for a window."""

    final: int = 0
    processing: Counter[date] = field(default_factory=Counter)
    unreadable: list[Misfit] = field(default_factory=list)


def _spool_window(
    client: DataExtractorClient, spec: DataExtractorDatasetsSpec, days: list[date], spool: Path
) -> _Listed:
    """One pass over the list, newest first, stopping at the first dataset created before the
    window (as an instant); final datasets of the window are kept in `spool` (NDJSON), the
    ones still processing only counted, by day."""
    first, last = days[0], days[-1]
    listed = _Listed()
    with spool.open("w", encoding="utf-8") as handle:
        pages = client.iter_dataset_pages(
            customer_id=spec.customer_id,
            dataset_type=spec.dataset_type,
            is_verified=spec.is_verified,
            unreadable=listed.unreadable,
        )
        for page in pages:
            for dataset in page:
                day = dataset.created_at.date()  # a UTC instant: its UTC day
                if first <= day <= last:
                    if dataset.status == "processing":
                        listed.processing[day] += 1
                    else:
                        listed.final += 1
                        handle.write(dataset.model_dump_json() + "\n")
            if page and page[-1].created_at.date() < first:
                break
    return listed


def _rows(spool: Path, table: str) -> Iterator[list[dict[str, object]]]:
    batch: list[dict[str, object]] = []
    with spool.open(encoding="utf-8") as handle:
        for line in handle:
            batch.extend(ROWS[table](Dataset.model_validate_json(line)))
            if len(batch) >= _BATCH:
                yield batch
                batch = []
    if batch:
        yield batch


def _add_partition_metadata(
    context: dg.AssetExecutionContext,
    key: dg.AssetKey,
    folder: Location,
    written: "DayFolders",
    listed: _Listed,
) -> None:
    """Each day's own row count and preview, on the one materialization of that partition;
    datasets that could not be read are the listing's, reported on each day of the run."""
    unreadable = [{"id": u.id, "reason": u.reason} for u in listed.unreadable]
    for day, result in written.days.items():
        context.add_asset_metadata(
            asset_key=key,
            partition_key=day.isoformat(),
            metadata={
                **table_metadata(written.table),
                "dagster/partition_row_count": dg.MetadataValue.int(result.rows),
                "path": dg.MetadataValue.path(str(day_file(folder, day).parent)),
                "preview": dg.MetadataValue.md(preview_markdown(result.path)),
                **PROCESSING_LEFT_OUT.entry(listed.processing[day]),
                **UNREADABLE_COUNT.entry(len(unreadable)),
                **UNREADABLE.entry(unreadable[:50]),
                **ROWS_OUTSIDE_WINDOW.entry(written.outside_range),
            },
        )


def _submission_asset(
    spec: DataExtractorSubmissionSpec, builder: AssetBuilder
) -> dg.AssetsDefinition:
    asset_spec = builder.asset_spec(
        spec,
        spec.name,
        description=f"Submits the documents in {spec.folder} for extraction.",
        kinds={"dataextractor"},
    )

    @builder.asset(
        asset_spec,
        stored=False,
        check_specs=[
            dg.AssetCheckSpec(
                ALL_EXTRACTED,
                asset=asset_spec.key,
                blocking=spec.checks.blocking,
                description="No document failed or was refused.",
            )
        ],
    )
    def _submit(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        if not spec.folder.is_dir():
            raise ConfigError(
                f"{spec.name}: no folder of documents at {spec.folder}: create it, or correct the "
                "submission's `folder` (a relative one is read from beside the config file or "
                "defs.yaml). Nothing was sent."
            )
        resource: DataExtractorResource = builder.resource(context)
        ledger = _ledger(context, builder, spec.name)
        outcomes: list[tuple[str, str, str]] = []
        with resource.get_client() as client:
            submitted = _submit_folder(context, client, spec, ledger, outcomes)
            for filename, dataset in submitted:
                try:
                    client.wait(dataset.id)
                    outcomes.append((filename, "extracted", dataset.id))
                except DatasetFailedError as exc:
                    outcomes.append((filename, "failed", exc.error or "no reason given"))
        return _submission_result(outcomes)

    return _submit


def _ledger(
    context: dg.AssetExecutionContext, builder: AssetBuilder, name: str
) -> SubmissionLedger:
    """The ledger in the deployment's shared state; else in a SQLite file beside the asset's
    local output (with a URL base it stays in `./data`: set a shared state to keep it off the
    run's disk). A local file left from before a shared state was set is adopted into it. Its
    scope is the account's: two accounts may submit the same content, each once."""
    base = output_base(builder.output_dir)
    local = output_base("data") if isinstance(base, RemotePath) else base
    folder = asset_folder(local, builder.where.folder, name)
    assert isinstance(folder, Path)
    local_file = folder / "submissions.sqlite"
    scope = builder.where.named(name)
    shared = state_for(context.instance)
    if shared is None:
        return SubmissionLedger(shared_state(sqlite_url(local_file)), scope)
    ledger = SubmissionLedger(shared, scope)
    adopted = ledger.adopt(local_file)
    if adopted:
        context.log.info(
            f"Moved {adopted} earlier submissions of {name} from {local_file} into {shared!r}"
        )
    return ledger


def _submit_folder(
    context: dg.AssetExecutionContext,
    client: DataExtractorClient,
    spec: DataExtractorSubmissionSpec,
    ledger: SubmissionLedger,
    outcomes: list[tuple[str, str, str]],
) -> list[tuple[str, Dataset]]:
    submitted: list[tuple[str, Dataset]] = []
    for path in sorted(p for p in spec.folder.iterdir() if p.is_file()):
        content = path.read_bytes()
        digest = hashlib.sha256(content).hexdigest()
        earlier = ledger.get(digest)
        if earlier is not None:
            outcomes.append((path.name, "skipped", _not_resent(earlier)))
            continue
        try:
            check_document(content, path.name)
        except InvalidArgumentError as exc:
            outcomes.append((path.name, "refused", str(exc)))
            continue
        earlier = ledger.claim(digest, path.name)
        if earlier is not None:
            outcomes.append((path.name, "skipped", _not_resent(earlier)))
            continue
        try:
            dataset = client.submit(
                content,
                filename=path.name,
                dataset_type=spec.dataset_type,
                customer_id=spec.customer_id,
            )
        except ApiError as exc:
            if exc.status is None or exc.status >= 500:
                # It may have been accepted (and counted): keep it pending, never resend it.
                reason = f"{exc.message}; it may have been accepted, so it is not resent"
                outcomes.append((path.name, "uncertain", reason))
                continue
            ledger.forget(digest)
            outcomes.append((path.name, "refused", exc.message))
            if exc.status in {401, 402}:
                _stop_submitting(context, spec, outcomes, submitted, exc)
            continue
        ledger.submitted(digest, dataset.id)
        context.log.info(f"Submitted {path.name} as {dataset.id}")
        submitted.append((path.name, dataset))
    return submitted


def _not_resent(earlier: Submission) -> str:
    if earlier.dataset_id:
        return f"same content already submitted as {earlier.dataset_id}"
    return (
        "another run is uploading this content, or an earlier upload of it may have gone "
        "through; not resent"
    )


def _stop_submitting(
    context: dg.AssetExecutionContext,
    spec: DataExtractorSubmissionSpec,
    outcomes: list[tuple[str, str, str]],
    submitted: list[tuple[str, Dataset]],
    error: ApiError,
) -> NoReturn:
    """A refusal that holds for every later file too (a bad key, the quota): record every
    file's outcome where the run's events show it, then fail saying what was uploaded."""
    done = {name for name, _, _ in outcomes}
    for path in sorted(p for p in spec.folder.iterdir() if p.is_file()):
        if path.name not in done:
            outcomes.append((path.name, "not sent", "submission stopped"))
    table = _outcome_table(outcomes)
    # The run fails next, which drops events it would log: record the outcomes now, in the
    # run's log and on the asset (an observation outside the run).
    context.log.error(f"Submission stopped ({error.message}); every file's outcome:\n{table}")
    context.instance.report_runless_asset_event(
        dg.AssetObservation(asset_key=spec.name, metadata={"documents": dg.MetadataValue.md(table)})
    )
    uploaded = ", ".join(f"{name} as {dataset.id}" for name, dataset in submitted)
    said = f". Uploaded before this: {uploaded}" if uploaded else ". No document was uploaded"
    left = sum(1 for _, kind, _ in outcomes if kind == "not sent")
    raise error.retold(f"{error.message}{said}; {left} were not sent")


def _outcome_table(outcomes: list[tuple[str, str, str]]) -> str:
    return "\n".join(
        ["| file | outcome | detail |", "|---|---|---|"]
        + [f"| {name} | {kind} | {detail} |" for name, kind, detail in outcomes]
    )


def _submission_result(outcomes: list[tuple[str, str, str]]) -> dg.MaterializeResult:
    by_outcome = {kind: sum(1 for _, k, _ in outcomes if k == kind) for kind in _KINDS}
    table = _outcome_table(outcomes)
    problems = by_outcome["failed"] + by_outcome["refused"] + by_outcome["uncertain"]
    return dg.MaterializeResult(
        metadata={
            "summary": dg.MetadataValue.text(
                ", ".join(f"{n} {kind}" for kind, n in by_outcome.items())
            ),
            **dict(OUTCOMES[kind].item(n) for kind, n in by_outcome.items()),
            "documents": dg.MetadataValue.md(table),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name=ALL_EXTRACTED,
                passed=problems == 0,
                metadata={"failed_or_refused": problems},
            )
        ],
    )
