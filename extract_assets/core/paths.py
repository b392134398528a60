"""Where Parquet lands: `{base}/{provider}/{asset}/...`, Hive-style, resolved at run time."""

from __future__ import annotations

import os
from datetime import date

from extract_assets.core.names import check_asset_name
from extract_assets.core.storage import Location, RemotePath, location

OUTPUT_ENV = "EXTRACT_ASSETS_OUTPUT"
# One file per table or per partition: the name readers glob for.
PART_FILE = "part-0.parquet"
DOCUMENT_SUFFIX = ".schema.json"


def output_base(configured: str | os.PathLike[str] | None = None) -> Location:
    """The output base: the configured one, else `EXTRACT_ASSETS_OUTPUT`, else `./data`.

    A local folder is made absolute; an fsspec URL (`s3://bucket/prefix`) is kept as it is.

    >>> output_base("/srv/lake")
    PosixPath('/srv/lake')
    >>> output_base("s3://lake/raw")
    RemotePath(url='s3://lake/raw')
    """
    chosen = location(configured or os.environ.get(OUTPUT_ENV) or "data")
    if isinstance(chosen, RemotePath):
        return chosen
    return chosen.expanduser().resolve()


def asset_folder(base: Location, provider: str, asset_name: str) -> Location:
    """The folder of one asset's files under `base`.

    >>> from pathlib import Path
    >>> asset_folder(Path("/lake"), "linkup", "team")
    PosixPath('/lake/linkup/team')
    """
    if isinstance(base, RemotePath):
        return base / provider / check_asset_name(asset_name)
    folder = (base / provider / check_asset_name(asset_name)).resolve()
    if not folder.is_relative_to(base):
        raise ValueError(f"asset folder {folder} would be outside the output folder {base}")
    return folder


def schema_document(folder: Location) -> Location:
    """Where a table's schema document lives: beside its folder, never inside it.

    >>> from pathlib import Path
    >>> schema_document(Path("/lake/extractto/ads"))
    PosixPath('/lake/extractto/ads.schema.json')
    """
    return folder.parent / f"{folder.name}{DOCUMENT_SUFFIX}"


def table_file(folder: Location) -> Location:
    """The file of an unpartitioned asset.

    >>> from pathlib import Path
    >>> table_file(Path("/lake/linkup/team"))
    PosixPath('/lake/linkup/team/part-0.parquet')
    """
    return folder / PART_FILE


def partition_file(folder: Location, column: str, key: str) -> Location:
    """The file of one partition, Hive-style: the key lives in the folder name, not the file.

    >>> from pathlib import Path
    >>> partition_file(Path("/lake/linkup/tasks"), "task_id", "t-1")
    PosixPath('/lake/linkup/tasks/task_id=t-1/part-0.parquet')
    """
    return folder / f"{column}={key}" / PART_FILE


def day_file(folder: Location, day: date) -> Location:
    """Where one day's rows live.

    >>> from pathlib import Path
    >>> day_file(Path("/lake/extractto/ads"), date(2026, 11, 1))
    PosixPath('/lake/extractto/ads/date=2026-11-01/part-0.parquet')
    """
    return partition_file(folder, "date", day.isoformat())
