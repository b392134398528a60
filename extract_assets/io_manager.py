"""Our assets' Parquet as the input of a user's own asset: a pandas DataFrame or a pyarrow Table.

Our assets write their own files; this IO manager only reads them back for downstream assets.
Each of our assets records where its files live in its definition metadata, so a downstream
asset never needs to know the folder layout: for a date-partitioned upstream it gets exactly
the days of its own run's window (with the `date` column restored from the folder names), for
the Linkup task outputs the tasks it depends on (with `task_id`), and otherwise the one file.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import dagster as dg
import pyarrow as pa

from extract_assets.core.day_folders import day_file
from extract_assets.core.paths import asset_folder, output_base, partition_file, table_file
from extract_assets.core.storage import Location, exists, open_parquet
from extract_assets.core.table import read_document

if TYPE_CHECKING:
    # pandas loads when a DataFrame is asked for (`to_pandas`), not with every code location.
    import pandas as pd

IO_MANAGER_KEY = "extract_assets_io_manager"
FOLDER_METADATA = "extract_assets/folder"
OUTPUT_DIR_METADATA = "extract_assets/output_dir"
PARTITION_COLUMN_METADATA = "extract_assets/partition_column"
DATE_COLUMN = "date"


class ExtractAssetsIOManager(dg.ConfigurableIOManager):
    """Reads an extract-assets asset's Parquet for a downstream asset, by its type annotation.

    An input annotated `pyarrow.Table` gets a Table; any other input (unannotated too) gets a
    pandas DataFrame. Every asset builder binds it under `extract_assets_io_manager`, so
    nothing needs configuring:

    >>> import dagster as dg
    >>> import pandas as pd
    >>> @dg.asset(partitions_def=dg.DailyPartitionsDefinition(start_date="2026-11-01"))
    ... def clicks_per_campaign(ads: pd.DataFrame) -> pd.DataFrame:  # our asset "ads"
    ...     return ads.groupby(["date", "campaign"])["clicks"].sum().reset_index()
    >>> [key.to_user_string() for key in clicks_per_campaign.dependency_keys]
    ['ads']
    """

    def handle_output(self, context: dg.OutputContext, obj: Any) -> None:
        if obj is not None:
            raise TypeError(
                f"{context.asset_key.to_user_string()} returned a value, but "
                f"{IO_MANAGER_KEY} only reads the Parquet that extract-assets assets write "
                "themselves; give your own assets another io_manager_key"
            )

    def load_input(self, context: dg.InputContext) -> pd.DataFrame | pa.Table:
        table = read_asset_table(context)
        if context.dagster_type.typing_type is pa.Table:
            return table
        return table.to_pandas()


def storage_metadata(
    provider: str, asset_name: str, output_dir: str | None, partition_column: str | None = None
) -> dict[str, str]:
    """What an asset records, in its definition metadata, about where its files live."""
    metadata = {FOLDER_METADATA: f"{provider}/{asset_name}"}
    if output_dir is not None:
        metadata[OUTPUT_DIR_METADATA] = output_dir
    if partition_column is not None:
        metadata[PARTITION_COLUMN_METADATA] = partition_column
    return metadata


# One instance for every builder: Dagster refuses different resource objects under one key.
DEFAULT_IO_MANAGER = ExtractAssetsIOManager()
RESOURCE_DEFS: dict[str, Any] = {IO_MANAGER_KEY: DEFAULT_IO_MANAGER}


@contextmanager
def binding_io_manager() -> Iterator[None]:
    """Around asset decorators given `RESOURCE_DEFS`.

    `resource_defs` is a beta parameter; its warning would reach everyone who merely builds
    our assets, about a choice that is ours, so it is silenced here and only here.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*`resource_defs`", category=dg.BetaWarning)
        yield


def read_asset_table(context: dg.InputContext) -> pa.Table:
    """The upstream's rows for this input: its partitions in the window, as one table."""
    upstream = context.upstream_output
    metadata = dict(upstream.definition_metadata or {}) if upstream is not None else {}
    asset = context.asset_key.to_user_string()
    if FOLDER_METADATA not in metadata:
        raise ValueError(
            f"{asset} was not built by extract-assets, so {IO_MANAGER_KEY} cannot read it; "
            "give this input another io manager"
        )
    provider, _, name = str(_value(metadata[FOLDER_METADATA])).partition("/")
    output_dir = metadata.get(OUTPUT_DIR_METADATA)
    folder = asset_folder(
        output_base(str(_value(output_dir)) if output_dir is not None else None), provider, name
    )
    column = metadata.get(PARTITION_COLUMN_METADATA)
    if column is None or not context.has_asset_partitions:
        return _read(folder, [(table_file(folder), None)], asset, None)
    column_name = str(_value(column))
    if column_name == DATE_COLUMN:
        window = context.asset_partitions_time_window
        first, end = window.start.date(), window.end.date()
        days = [first + timedelta(days=n) for n in range((end - first).days)]
        dated = [(day_file(folder, day), day) for day in days]
        return _read(folder, dated, asset, (column_name, pa.date32()))
    keys = sorted(context.asset_partition_keys)
    keyed = [(partition_file(folder, column_name, key), key) for key in keys]
    return _read(folder, keyed, asset, (column_name, pa.string()))


def _value(entry: Any) -> Any:
    return entry.value if isinstance(entry, dg.MetadataValue) else entry


def _read(
    folder: Location,
    files: Sequence[tuple[Location, object]],
    asset: str,
    partition: tuple[str, pa.DataType] | None,
) -> pa.Table:
    """The files as one table; every file of a table has its schema (see `core.table`)."""
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
            name, kind = partition
            table = table.append_column(
                pa.field(name, kind, nullable=False),
                pa.repeat(pa.scalar(value, kind), table.num_rows),
            )
        tables.append(table)
    if not tables:
        fields = [pa.field(partition[0], partition[1], nullable=False)] if partition else []
        return pa.schema(fields).empty_table()
    return pa.concat_tables(tables)
