"""The `table_format` setting: Parquet folders (the default) or an Iceberg table per asset.

Kept apart from the writers, like `contract_setting`, so specs declare it without loading
pyarrow or pyiceberg when Dagster loads the definitions.
"""

from __future__ import annotations

import os
import re
from typing import Literal, get_args

TableFormat = Literal["parquet", "iceberg"]
TABLE_FORMAT_ENV = "EXTRACT_ASSETS_TABLE_FORMAT"
DEFAULT_FORMAT: TableFormat = "parquet"
TABLE_FORMAT_HELP = (
    "parquet (default: Hive-style folders of Parquet files) or iceberg (an Apache Iceberg "
    f"table in a catalog); default: {TABLE_FORMAT_ENV}, else parquet."
)
CATALOG_ENV_HELP = (
    "Environment variable holding the Iceberg catalog's URI (postgresql://..., or an "
    "http(s):// REST catalog), never the URI itself; default: EXTRACT_ASSETS_ICEBERG_CATALOG, "
    "else a SQLite file under the output."
)
_VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def table_format(configured: TableFormat | None) -> TableFormat:
    """The spec's format, else the one `EXTRACT_ASSETS_TABLE_FORMAT` sets for all, else Parquet.

    >>> table_format("iceberg")
    'iceberg'
    """
    if configured is not None:
        return configured
    text = os.environ.get(TABLE_FORMAT_ENV, "").strip().lower()
    if not text:
        return DEFAULT_FORMAT
    if text not in get_args(TableFormat):
        raise ValueError(
            f"{TABLE_FORMAT_ENV}={text!r} is not a table format: set it to parquet or iceberg"
        )
    return text  # type: ignore[return-value]


def variable_name(value: str | None) -> str | None:
    """A spec's `iceberg_catalog_env`: the name of a variable, never a URI with its password."""
    if value is not None and not _VARIABLE_NAME.match(value):
        raise ValueError(
            "must be the name of the environment variable that holds the catalog URI, such "
            "as ICEBERG_CATALOG_URI, never the URI itself"
        )
    return value
