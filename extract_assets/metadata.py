"""What every materialization reports about the Parquet it wrote."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import dagster as dg

from extract_assets.core.storage import exists, location, open_parquet

if TYPE_CHECKING:
    import pyarrow as pa

    from extract_assets.core.table import TableWrite

_PREVIEW_ROWS = 5
_PREVIEW_CELL = 60


T = TypeVar("T")


@dataclass(frozen=True)
class MetadataKey(Generic[T]):
    """One metadata key of ours: named once, written as a typed value and read back as one.

    >>> TASK_ID = MetadataKey("linkup/task_id", dg.MetadataValue.text)
    >>> TASK_ID.read(TASK_ID.entry("t-1"))
    't-1'
    """

    name: str
    wrap: Callable[[T], Any]

    def entry(self, value: T) -> dict[str, Any]:
        """The key with `value`, as a materialization's or a definition's metadata."""
        return dict([self.item(value)])

    def item(self, value: T) -> tuple[str, Any]:
        return self.name, self.wrap(value)

    def read(self, metadata: Mapping[str, Any]) -> T | None:
        """The value recorded under the key, if any."""
        recorded = metadata.get(self.name)
        value: T | None = recorded.value if isinstance(recorded, dg.MetadataValue) else recorded
        return value

    def latest(self, instance: dg.DagsterInstance, asset: dg.AssetKey) -> T | None:
        """The value the asset's latest materialization recorded, if any."""
        event = instance.get_latest_materialization_event(asset)
        materialization = event.asset_materialization if event else None
        return None if materialization is None else self.read(materialization.metadata)


ROWS_OUTSIDE_WINDOW = MetadataKey[int]("extract_assets/rows_outside_window", dg.MetadataValue.int)
ROWS_WITHOUT_DATE = MetadataKey[int]("extract_assets/rows_without_date", dg.MetadataValue.int)

SCHEMA_CHANGE = "table_schema_unchanged"
SCHEMA_CHANGE_METADATA = "extract_assets/schema_change"
FILES_REWRITTEN_METADATA = "extract_assets/files_rewritten"
SCHEMA_DOCUMENT_METADATA = "extract_assets/schema_document"
ICEBERG_SNAPSHOT = MetadataKey[int]("extract_assets/iceberg_snapshot_id", dg.MetadataValue.int)
ICEBERG_TABLE = MetadataKey[str]("extract_assets/iceberg_table", dg.MetadataValue.text)
ICEBERG_LOCATION = MetadataKey[str]("extract_assets/iceberg_location", dg.MetadataValue.path)
ICEBERG_CATALOG = MetadataKey[str]("extract_assets/iceberg_catalog", dg.MetadataValue.text)
ICEBERG_CATALOG_NAME = MetadataKey[str](
    "extract_assets/iceberg_catalog_name", dg.MetadataValue.text
)
ICEBERG_METADATA = MetadataKey[str]("extract_assets/iceberg_metadata", dg.MetadataValue.path)


def column_schema(
    schema: pa.Schema, descriptions: Mapping[str, str] | None = None
) -> dg.TableSchema:
    """The Arrow schema as Dagster's column schema (shown in the asset catalog)."""
    described = descriptions or {}
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=field.name,
                type=str(field.type),
                description=described.get(field.name),
                constraints=dg.TableColumnConstraints(nullable=field.nullable),
            )
            for field in schema
        ]
    )


def table_metadata(write: TableWrite) -> dict[str, Any]:
    """What a materialization reports about its table: the schema, what changed, rewrites,
    and for an Iceberg table its snapshot, location and (redacted) catalog."""
    changes = write.changes
    iceberg = {}
    if write.iceberg is not None:
        commit = write.iceberg
        iceberg = {
            **ICEBERG_SNAPSHOT.entry(commit.snapshot_id),
            **ICEBERG_TABLE.entry(commit.table),
            **ICEBERG_LOCATION.entry(commit.location),
            **ICEBERG_CATALOG.entry(commit.catalog),
            **ICEBERG_CATALOG_NAME.entry(commit.catalog_name),
            **ICEBERG_METADATA.entry(commit.metadata_location),
        }
    return {
        **iceberg,
        "dagster/column_schema": column_schema(write.schema, write.descriptions),
        SCHEMA_CHANGE_METADATA: dg.MetadataValue.json(
            {
                "summary": changes.summary(),
                "columns_added": changes.added,
                "keys_renamed": changes.renamed,
                "types_widened": {k: {"from": a, "to": b} for k, (a, b) in changes.widened.items()},
                "values_converted": dict(changes.converted),
                "values_to_variant": dict(changes.to_variant),
                "values_discarded": dict(changes.discarded_values),
                "rows_discarded": changes.discarded_rows,
            }
        ),
        FILES_REWRITTEN_METADATA: dg.MetadataValue.int(write.rewritten),
        SCHEMA_DOCUMENT_METADATA: dg.MetadataValue.path(write.document),
    }


def schema_change_check_spec(
    asset: dg.AssetKey | str, contract: str, *, blocking: bool = False
) -> dg.AssetCheckSpec:
    """The check that reports a change of the table's schema (ERROR on a frozen table, or when
    `blocking`: then a change stops downstream assets)."""
    return dg.AssetCheckSpec(
        SCHEMA_CHANGE,
        asset=asset,
        blocking=blocking,
        description="The table's schema did not change: no column added, no type widened, no "
        "value moved to a variant column or dropped.",
        metadata={"schema_contract": contract},
    )


def _severity(contract: str, blocking: bool) -> dg.AssetCheckSeverity:
    if contract == "freeze" or blocking:
        return dg.AssetCheckSeverity.ERROR
    return dg.AssetCheckSeverity.WARN


def schema_change_check(
    write: TableWrite, asset: dg.AssetKey | str | None = None, *, blocking: bool = False
) -> dg.AssetCheckResult:
    """Passes when the write left the table's schema and values as the source sent them; a
    failure is an ERROR on a frozen table or a blocking check, else a WARN."""
    changes = write.changes
    unchanged = (
        not (changes.added or changes.widened or changes.to_variant or changes.discarded_values)
        and not changes.discarded_rows
    )
    return dg.AssetCheckResult(
        check_name=SCHEMA_CHANGE,
        asset_key=dg.AssetKey(asset) if isinstance(asset, str) else asset,
        passed=unchanged,
        severity=_severity(write.contract, blocking),
        metadata={
            "summary": dg.MetadataValue.text(changes.summary()),
            "columns_added": dg.MetadataValue.int(len(changes.added)),
            "types_widened": dg.MetadataValue.int(len(changes.widened)),
            "files_rewritten": dg.MetadataValue.int(write.rewritten),
        },
    )


def preview_markdown(path: str | Path, rows: int = _PREVIEW_ROWS) -> str:
    """The first rows of a Parquet file as a markdown table, long cells cut short.

    >>> import tempfile, pyarrow as pa, pyarrow.parquet as pq
    >>> file = Path(tempfile.mkdtemp()) / "part-0.parquet"
    >>> pq.write_table(pa.table({"name": ["Ada | Lovelace", None], "n": [1, 2]}), file)
    >>> print(preview_markdown(file))
    | name | n |
    | --- | --- |
    | Ada \\| Lovelace | 1 |
    |  | 2 |
    """
    if not exists(location(path)):
        return "_no rows_"  # a partition of a table that has no column yet
    parquet = open_parquet(path)
    if parquet.metadata.num_rows == 0:
        return "_no rows_"
    batch = next(parquet.iter_batches(batch_size=rows))
    names = batch.schema.names
    lines = [_markdown_row(names), _markdown_row(["---"] * len(names))]
    lines += [_markdown_row([_short(row[name]) for name in names]) for row in batch.to_pylist()]
    return "\n".join(lines)


def _markdown_row(cells: list[str]) -> str:
    # A pipe or a line break inside a cell would end it or the row.
    escaped = (cell.replace("|", "\\|").replace("\n", " ") for cell in cells)
    return "| " + " | ".join(escaped) + " |"


def _short(value: Any) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= _PREVIEW_CELL else text[: _PREVIEW_CELL - 1] + "…"


def parquet_metadata(
    path: str | Path, *, rows: int, size_bytes: int, schema: pa.Schema
) -> dict[str, Any]:
    """The metadata every Parquet-writing asset reports."""
    return {
        "dagster/row_count": dg.MetadataValue.int(rows),
        "dagster/column_schema": column_schema(schema),
        "path": dg.MetadataValue.path(str(path)),
        "size_bytes": dg.MetadataValue.int(size_bytes),
        "preview": dg.MetadataValue.md(preview_markdown(path)),
    }
