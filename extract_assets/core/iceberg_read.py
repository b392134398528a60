"""An asset's Iceberg table read back as one Arrow table, as `table_files` reads Parquet.

The partition column comes last and non-null, as the Parquet path restores it from the folder
names, and columns have the types our writers use, so a downstream asset gets the same table
whichever format its upstream was written in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from extract_assets.core.iceberg_catalog import IcebergTarget, open_catalog

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["read_iceberg"]


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
    read = table.scan(row_filter=row_filter).to_arrow()
    schema = plain_arrow(read.schema)
    if target.partition is not None and target.partition[0] in schema.names:
        name = target.partition[0]
        index = schema.get_field_index(name)
        field = schema.field(index).with_nullable(False)
        schema = schema.remove(index).append(field)
        read = read.select([*schema.names])
    return read.cast(pa.schema(schema))
