"""An asset's Iceberg table read back as one Arrow table, as `table_files` reads Parquet.

The partition column comes last and non-null, as the Parquet path restores it from the folder
names, and columns have the types our writers use, so a downstream asset gets the same table
whichever format its upstream was written in.

The data files the scan plans are read here, not by pyiceberg's reader, which turns a null list
of objects into an empty one (apache/iceberg-python#3833; the files hold the null, and DuckDB,
Spark and Polars read it). Each file's columns are found by their Iceberg field ids, so a column
renamed by another engine is still found; a file written before a column joined or widened
(int to long, float to double, an object gaining keys) is brought to the table's schema as the
Parquet path brings an older day. A scan that must apply deletes or filter rows inside files
(neither of which this package writes) is left to pyiceberg.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from extract_assets.core.iceberg_catalog import IcebergTarget, open_catalog

if TYPE_CHECKING:
    import pyarrow as pa
    from pyiceberg.schema import Schema
    from pyiceberg.table import FileScanTask, Table

__all__ = ["read_iceberg"]

# Threads reading data files at once (pyiceberg's own default is the machine's cores + 4).
_READERS = 8


def read_iceberg(target: IcebergTarget, values: Sequence[Any] | None, asset: str) -> pa.Table:
    """The rows of `values` (dates or keys of the partition column; None: every row).

    A table, or a partition, that no materialization wrote is an error that says to
    materialize it first; a partition materialized without rows reads as no rows.
    """
    import pyarrow as pa
    from pyiceberg.exceptions import NoSuchTableError
    from pyiceberg.expressions import AlwaysTrue

    from extract_assets.core.iceberg import PARTITIONS_PROPERTY, in_partitions, plain_arrow

    catalog = open_catalog(target.catalog, target.output)
    try:
        table = catalog.load_table(target.identifier)
    except NoSuchTableError:
        raise FileNotFoundError(
            f"{asset} has no Iceberg table {target.label} in the catalog "
            f"{target.catalog.describe(target.output)}: materialize {asset} first"
        ) from None
    row_filter: Any = AlwaysTrue()
    if target.partition is not None and values is not None:
        name = target.partition[0]
        texts = [str(value) for value in values]
        written = set(table.properties.get(PARTITIONS_PROPERTY, "").split(","))
        missing = [text for text in texts if text not in written]
        if missing:
            shown = ", ".join(missing[:3]) + (
                f" and {len(missing) - 3} more" if len(missing) > 3 else ""
            )
            raise FileNotFoundError(
                f"{asset} has no rows for {name} {shown} in its Iceberg table {target.label}: "
                "materialize those partitions first"
            )
        row_filter = in_partitions(name, texts)
    scan = table.scan(row_filter=row_filter)
    tasks = list(scan.plan_files())
    if all(not task.delete_files and task.residual == AlwaysTrue() for task in tasks):
        read = _files(table, tasks)
    else:
        read = scan.to_arrow()
    schema = plain_arrow(read.schema)
    if target.partition is not None and target.partition[0] in schema.names:
        name = target.partition[0]
        index = schema.get_field_index(name)
        field = schema.field(index).with_nullable(False)
        schema = schema.remove(index).append(field)
        read = read.select([*schema.names])
    return read.cast(pa.schema(schema))


def _files(table: Table, tasks: list[FileScanTask]) -> pa.Table:
    """The rows of the tasks' data files, in the table's current schema."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from extract_assets.core.arrow_schema import conform_table
    from extract_assets.core.iceberg import plain_arrow

    current = table.schema()
    schema = plain_arrow(current.as_arrow())

    def read(task: FileScanTask) -> pa.Table:
        with table.io.new_input(task.file.file_path).open() as stream:
            data = pq.read_table(stream)
        names = [_current_name(current, field) for field in data.schema]
        kept = [i for i, name in enumerate(names) if name in schema.names]
        data = data.select(kept).rename_columns([names[i] for i in kept])
        return conform_table(data.cast(plain_arrow(data.schema)), schema)

    # Files are read on threads, as pyiceberg reads them: a year of days is 365 small files,
    # and pyarrow reads without the GIL.
    with ThreadPoolExecutor(max_workers=_READERS) as pool:
        parts = list(pool.map(read, tasks))
    return pa.concat_tables(parts) if parts else schema.empty_table()


def _current_name(current: Schema, field: pa.Field) -> str | None:
    """The name the table's schema now gives the column `field` of a data file (None: the
    column was dropped)."""
    found = (field.metadata or {}).get(b"PARQUET:field_id")
    if found is None:
        return field.name
    return current.find_column_name(int(found))
