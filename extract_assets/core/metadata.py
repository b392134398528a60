"""What every materialization reports about the Parquet it wrote."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg
import pyarrow as pa

from extract_assets.core.storage import open_parquet

_PREVIEW_ROWS = 5
_PREVIEW_CELL = 60


def column_schema(schema: pa.Schema) -> dg.TableSchema:
    """The Arrow schema as Dagster's column schema (shown in the asset catalog)."""
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=field.name,
                type=str(field.type),
                constraints=dg.TableColumnConstraints(nullable=field.nullable),
            )
            for field in schema
        ]
    )


def preview_markdown(path: str | Path, rows: int = _PREVIEW_ROWS) -> str:
    """The first rows of a Parquet file as a markdown table, long cells cut short."""
    parquet = open_parquet(path)
    if parquet.metadata.num_rows == 0:
        return "_no rows_"
    batch = next(parquet.iter_batches(batch_size=rows))
    frame = pa.Table.from_batches([batch]).to_pandas()
    shown = frame.map(_short)
    return str(shown.to_markdown(index=False))


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
