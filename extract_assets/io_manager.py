"""Our assets' tables as the input of a user's own asset: a pandas DataFrame or a pyarrow Table.

Our assets write their own files; this IO manager only reads them back for downstream assets.
Each of our assets records where its files live in its definition metadata, so a downstream
asset never needs to know the folder layout: for a date-partitioned upstream it gets exactly
the days of its own run's window (with the `date` column restored from the folder names), for
the Linkup task outputs the tasks it depends on (with `task_id`), and otherwise the one file.
An asset written as an Iceberg table is read from its catalog, with the same columns.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import dagster as dg

from extract_assets.core.paths import (
    asset_folder,
    day_file,
    output_base,
    partition_file,
    table_file,
)

if TYPE_CHECKING:
    # pyarrow and pandas load when an input is read, not with every code location.
    import pandas as pd
    import pyarrow as pa

IO_MANAGER_KEY = "extract_assets_io_manager"
FOLDER_METADATA = "extract_assets/folder"
OUTPUT_DIR_METADATA = "extract_assets/output_dir"
PARTITION_COLUMN_METADATA = "extract_assets/partition_column"
# Set for an Iceberg table: the variable naming its catalog's URI (never the URI).
ICEBERG_CATALOG_METADATA = "extract_assets/iceberg_catalog_env"
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
        import pyarrow as pa

        table = read_asset_table(context)
        if context.dagster_type.typing_type is pa.Table:
            return table
        return table.to_pandas()


def storage_metadata(
    provider: str,
    asset_name: str,
    output_dir: str | None,
    partition_column: str | None = None,
    *,
    iceberg_catalog_env: str | None = None,
) -> dict[str, str]:
    """What an asset records, in its definition metadata, about where its files live (and,
    for an Iceberg table, which variable names its catalog)."""
    metadata = {FOLDER_METADATA: f"{provider}/{asset_name}"}
    if output_dir is not None:
        metadata[OUTPUT_DIR_METADATA] = output_dir
    if partition_column is not None:
        metadata[PARTITION_COLUMN_METADATA] = partition_column
    if iceberg_catalog_env is not None:
        metadata[ICEBERG_CATALOG_METADATA] = iceberg_catalog_env
    return metadata


# One instance for every builder: Dagster refuses different resource objects under one key.
DEFAULT_IO_MANAGER = ExtractAssetsIOManager()
RESOURCE_DEFS: dict[str, Any] = {IO_MANAGER_KEY: DEFAULT_IO_MANAGER}


@contextmanager
def binding_io_manager() -> Iterator[None]:
    """Around asset decorators given `RESOURCE_DEFS`.

    `resource_defs` is a beta parameter, and so is `backfill_policy`, which the partitioned
    assets set (one run per backfill); their warnings would reach everyone who merely builds
    our assets, about choices that are ours, so they are silenced here and only here.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=".*`(resource_defs|backfill_policy)`", category=dg.BetaWarning
        )
        yield


def read_asset_table(context: dg.InputContext) -> pa.Table:
    """The upstream's rows for this input: its partitions in the window, as one table."""
    from extract_assets.core.table_files import read_table_files

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
    column_name = str(_value(column)) if column is not None else None
    catalog_env = metadata.get(ICEBERG_CATALOG_METADATA)
    if catalog_env is not None:
        return _read_iceberg(context, metadata, str(_value(catalog_env)), column_name)
    if column_name is None or not context.has_asset_partitions:
        return read_table_files(folder, [(table_file(folder), None)], asset, None)
    if column_name == DATE_COLUMN:
        dated = [(day_file(folder, day), day) for day in _days(context)]
        return read_table_files(folder, dated, asset, (column_name, "date"))
    keys = sorted(context.asset_partition_keys)
    keyed = [(partition_file(folder, column_name, key), key) for key in keys]
    return read_table_files(folder, keyed, asset, (column_name, "string"))


def _read_iceberg(
    context: dg.InputContext, metadata: dict[str, Any], catalog_env: str, column: str | None
) -> pa.Table:
    """The upstream's Iceberg table: its partitions in the window, or every row."""
    from extract_assets.core.iceberg_catalog import CatalogSettings, IcebergTarget
    from extract_assets.core.iceberg_read import read_iceberg

    folder = str(_value(metadata[FOLDER_METADATA]))
    namespace, _, name = folder.rpartition("/")
    output_dir = metadata.get(OUTPUT_DIR_METADATA)
    partition: Any = None
    values: list[Any] | None = None
    if column is not None:
        partition = (column, "date" if column == DATE_COLUMN else "string")
        if context.has_asset_partitions:
            values = (
                list(_days(context))
                if column == DATE_COLUMN
                else sorted(context.asset_partition_keys)
            )
    target = IcebergTarget(
        catalog=CatalogSettings(uri_env=catalog_env),
        output=output_base(str(_value(output_dir)) if output_dir is not None else None),
        namespace=tuple(namespace.split("/")),
        name=name,
        partition=partition,
    )
    return read_iceberg(target, values, context.asset_key.to_user_string())


def _days(context: dg.InputContext) -> list[date]:
    window = context.asset_partitions_time_window
    first, end = window.start.date(), window.end.date()
    return [first + timedelta(days=n) for n in range((end - first).days)]


def _value(entry: Any) -> Any:
    return entry.value if isinstance(entry, dg.MetadataValue) else entry
