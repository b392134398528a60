"""Linkup extracts as Dagster assets: one asset per `LinkupExtractSpec`, written to Parquet."""

import contextlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Unpack

import dagster as dg

from extract_assets.builder import AssetBuilder, BuildOptions
from extract_assets.core.errors import NotFoundError
from extract_assets.core.paths import schema_document, table_file
from extract_assets.core.storage import Location, open_parquet, read_text
from extract_assets.core.writable import check_writable
from extract_assets.instance_state import state_for
from extract_assets.io_manager import binding_io_manager
from extract_assets.linkup.client import LinkupClient
from extract_assets.linkup.models import Task
from extract_assets.linkup.resource import LinkupResource
from extract_assets.linkup.spec import LinkupExtractSpec
from extract_assets.metadata import (
    MetadataKey,
    parquet_metadata,
    schema_change_check,
    schema_change_check_spec,
    table_metadata,
)

if TYPE_CHECKING:
    from extract_assets.core.parquet import SinkResult
    from extract_assets.core.table import TableWrite, TableWriter

PROVIDER_FOLDER = "linkup"
TASK_TAG_PREFIX = "extract_assets/linkup_task."
ROWS_MATCH_SCHEMA = "rows_match_schema"
ROW_COUNT_MATCHES_LINKUP = "row_count_matches_linkup"
QUERY = MetadataKey[str]("linkup/q", dg.MetadataValue.text)
PAGE_URL = MetadataKey[str]("linkup/url", dg.MetadataValue.url)
TASK_ID = MetadataKey[str]("linkup/task_id", dg.MetadataValue.text)
CREDITS_USED = MetadataKey[float]("linkup/credits_used", dg.MetadataValue.float)
ROWS_RETURNED = MetadataKey[int]("linkup/rows_returned", dg.MetadataValue.int)


def task_tag(asset_name: str) -> str:
    """The run tag that records which Linkup task a run created for an asset."""
    return TASK_TAG_PREFIX + asset_name


def build_linkup_assets(
    specs: Sequence[LinkupExtractSpec],
    **options: Unpack[BuildOptions],
) -> list[dg.AssetsDefinition]:
    """One asset per spec: materializing it runs the extract and writes its rows to Parquet.

    Files land in `{output}/linkup/{name}/part-0.parquet`; `output_dir` defaults to
    `EXTRACT_ASSETS_OUTPUT`, else `./data`, resolved when the asset runs; it may be an fsspec
    URL (`s3://bucket/prefix`). Downstream assets read the rows through `ExtractAssetsIOManager`.

    >>> import dagster as dg
    >>> specs = [LinkupExtractSpec(name="team", q="Team members", url="https://example.com/team")]
    >>> defs = dg.Definitions(
    ...     assets=build_linkup_assets(specs),
    ...     resources={"linkup": LinkupResource(api_key=dg.EnvVar("LINKUP_API_KEY"))},
    ... )
    >>> [key.to_user_string() for key in defs.resolve_all_asset_keys()]
    ['team']
    """
    builder = AssetBuilder.of(PROVIDER_FOLDER, **options)
    with binding_io_manager():
        return [_build_asset(spec, builder) for spec in specs]


def _build_asset(spec: LinkupExtractSpec, builder: AssetBuilder) -> dg.AssetsDefinition:
    where = builder.where
    asset_spec = builder.asset_spec(
        spec,
        spec.name,
        description=f"Linkup extract of {spec.url}: {spec.q}",
        kinds=builder.kinds("linkup", spec),
        metadata={
            **QUERY.entry(spec.q),
            **PAGE_URL.entry(spec.url),
            **builder.storage(spec.name, table=spec),
        },
    )
    blocking = spec.checks.blocking
    checks = [
        dg.AssetCheckSpec(
            ROW_COUNT_MATCHES_LINKUP,
            asset=asset_spec.key,
            blocking=blocking,
            description=(
                "The Parquet file holds exactly the rowsReturned that Linkup reported (less the "
                "rows the schema contract discard_row left out)."
            ),
        ),
        schema_change_check_spec(asset_spec.key, spec.schema_contract, blocking=blocking),
    ]
    if spec.row_schema is not None:
        checks.append(
            dg.AssetCheckSpec(
                ROWS_MATCH_SCHEMA,
                asset=asset_spec.key,
                blocking=blocking,
                description="Every row satisfies the extract's JSON Schema.",
            )
        )

    @builder.asset(asset_spec, check_specs=checks)
    def _extract(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        resource: LinkupResource = builder.resource(context)
        folder = builder.folder(spec.name)

        def table_writer() -> "TableWriter":
            return builder.table_writer(
                spec.name,
                spec,
                None,
                json_schema=spec.row_schema,
                contract=spec.schema_contract,
                state=state_for(context.instance),
            )

        with resource.get_client() as client, contextlib.ExitStack() as stack:
            # What the writer needs is reached before Linkup is paid: an Iceberg table's
            # catalog by the writer itself, a Parquet table's storage by reading its schema
            # document. A Parquet writer, which loads pyarrow, is built while Linkup works.
            iceberg = builder.iceberg_target(spec.name, spec, None) is not None
            early = stack.enter_context(table_writer()) if iceberg else None
            if early is None:
                read_text(schema_document(folder))
                check_writable(folder)
            task = _reattach_or_create(context, client, spec, where.named(spec.name))
            table = early or stack.enter_context(table_writer())
            task = client.wait(task.id)
            written = client.write_result(task, str(table_file(folder)), table=table)
        assert table.published is not None
        context.log.info(f"Wrote {written.rows} rows to {written.path}")
        files = written_files(table.published, table_file(folder), written)
        return dg.MaterializeResult(
            metadata=task_metadata(task, written, table.published),
            check_results=[
                *_check_results(spec, task, files, table.published.changes.discarded_rows),
                schema_change_check(table.published, blocking=blocking),
            ],
        )

    return _extract


def task_metadata(task: Task, written: "SinkResult", table: "TableWrite") -> dict[str, Any]:
    """What a materialization from a Linkup task reports."""
    assert task.output is not None
    return {
        **parquet_metadata(
            written.path, rows=written.rows, size_bytes=written.bytes, schema=written.schema
        ),
        **table_metadata(table),
        **TASK_ID.entry(task.id),
        **CREDITS_USED.entry(float(task.output.credits_used)),
        **ROWS_RETURNED.entry(task.output.rows_returned),
    }


def _reattach_or_create(
    context: dg.AssetExecutionContext, client: LinkupClient, spec: LinkupExtractSpec, tagged: str
) -> Task:
    """Reuse the task an earlier attempt of this run (or of the run it re-executes) paid for;
    the run records each task under `task_tag(tagged)`."""
    earlier = _earlier_task_id(context, tagged)
    if earlier is not None:
        try:
            task = client.get(earlier)
        except NotFoundError:
            task = None
        if task is not None and task.status != "failed":
            context.log.info(f"Re-attaching to Linkup task {task.id} ({task.status})")
            return task
    task = client.create(spec.q, spec.url, schema=spec.row_schema, verify_urls=spec.verify_urls)
    context.instance.add_run_tags(context.run_id, {task_tag(tagged): task.id})
    context.log.info(f"Created Linkup task {task.id}")
    return task


def _earlier_task_id(context: dg.AssetExecutionContext, asset_name: str) -> str | None:
    """The task recorded by this run or its re-executed ancestors, unless already consumed."""
    tag = task_tag(asset_name)
    instance = context.instance
    run = instance.get_run_by_id(context.run_id)
    while run is not None:
        if tag in run.tags:
            task_id = run.tags[tag]
            return None if _already_materialized(context, task_id) else task_id
        run = instance.get_run_by_id(run.parent_run_id) if run.parent_run_id else None
    return None


def _already_materialized(context: dg.AssetExecutionContext, task_id: str) -> bool:
    return TASK_ID.latest(context.instance, context.asset_key) == task_id


def written_files(table: "TableWrite", target: Location, written: "SinkResult") -> list[str]:
    """The Parquet files a task's rows landed in: the one file, or the Iceberg data files;
    none for a result of no rows and no column, which the table lists as empty instead."""
    if table.iceberg is None:
        return [written.path] if written.bytes else []
    return list(table.iceberg.data_files[str(target)])


def _check_results(
    spec: LinkupExtractSpec, task: Task, files: list[str], discarded: int
) -> list[dg.AssetCheckResult]:
    assert task.output is not None
    rows_in_file = sum(open_parquet(path).metadata.num_rows for path in files)
    results = [
        dg.AssetCheckResult(
            check_name=ROW_COUNT_MATCHES_LINKUP,
            passed=rows_in_file + discarded == task.output.rows_returned,
            metadata={
                "rows_in_file": rows_in_file,
                "rows_discarded": discarded,
                "rows_returned": task.output.rows_returned,
            },
        )
    ]
    if spec.row_schema is not None:
        from extract_assets.core.validation import check_rows

        reports = [check_rows(path, spec.row_schema) for path in files]
        examples = [example for report in reports for example in report.examples][:5]
        results.append(
            dg.AssetCheckResult(
                check_name=ROWS_MATCH_SCHEMA,
                passed=all(report.passed for report in reports),
                metadata={
                    "rows_checked": sum(report.rows_checked for report in reports),
                    "invalid_rows": sum(report.invalid_rows for report in reports),
                    "examples": dg.MetadataValue.md(
                        "\n".join(f"- {e}" for e in examples) or "_none_"
                    ),
                },
            )
        )
    return results
