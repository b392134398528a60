"""A table's files read back as one Arrow table, with their partition values as a column."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import pyarrow as pa

from extract_assets.core.storage import Location, exists, open_parquet
from extract_assets.core.table import read_document

PartitionKind = Literal["date", "string"]
_KINDS: dict[PartitionKind, pa.DataType] = {"date": pa.date32(), "string": pa.string()}


def read_table_files(
    folder: Location,
    files: Sequence[tuple[Location, object]],
    asset: str,
    partition: tuple[str, PartitionKind] | None,
) -> pa.Table:
    """The files of `folder` as one table, each with its partition value as a column.

    Every file of a table has the table's schema (see `core.table`); a partition the table's
    document lists as empty has no file and no rows. A missing file is an error that says to
    materialize it first.
    """
    document = read_document(folder)
    empty = {str(folder / part) for part in document.empty_partitions} if document else set()
    files = [(path, value) for path, value in files if str(path) not in empty]
    missing = [str(path) for path, _ in files if not exists(path)]
    if missing:
        shown = ", ".join(missing[:3]) + (
            f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        )
        what = f"those partitions of {asset}" if partition is not None else asset
        raise FileNotFoundError(f"{asset} has no Parquet at {shown}: materialize {what} first")
    tables = []
    for path, value in files:
        with open_parquet(path) as parquet:
            table = parquet.read()
        if partition is not None:
            name, kind = partition[0], _KINDS[partition[1]]
            table = table.append_column(
                pa.field(name, kind, nullable=False),
                pa.repeat(pa.scalar(value, kind), table.num_rows),
            )
        tables.append(table)
    if not tables:
        fields = [pa.field(partition[0], _KINDS[partition[1]], nullable=False)] if partition else []
        return pa.schema(fields).empty_table()
    return pa.concat_tables(tables)
