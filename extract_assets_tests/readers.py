"""Read one table folder with every Parquet reader the README names, and check they agree.

`read_with_all(folder, partition_column)` reads the whole folder with DuckDB, pyarrow, Polars,
pandas and Apache Spark, each with exactly the options a user copies from the README, and turns
each reader's rows into plain Python values that compare equal when the readers saw the same
table:

- missing values (None, NaN, NaT, pd.NA) become None, numpy scalars and arrays become Python
  values and lists, pandas Timestamps become datetimes, Decimals stay Decimals;
- every timestamp becomes a timezone-aware UTC datetime;
- a value in a column whose Parquet type is an integer becomes an int again (pandas without
  `dtype_backend="pyarrow"` reads an int column with nulls as float64), structs become dicts,
  lists become lists, maps become dicts;
- the partition column, which each reader types as it likes from the folder names (a date, a
  string, a category), becomes the plain string key: `YYYY-MM-DD` for a day folder.

Each column's type comes from the Parquet files themselves, read with pyarrow. A reader that
raises is not caught: a test wants to see e.g. Polars refusing a folder whose files disagree.

`assert_all_readers_agree(folder, partition_column)` asserts that every reader returns the rows
pyarrow returns, and returns them.

Spark runs in one lazily started local session per process (`spark_session()`), bound to
127.0.0.1 and talking to nothing else.
"""

from __future__ import annotations

import atexit
import json
import math
import os
import shutil
import tempfile
import threading
import warnings
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

if TYPE_CHECKING:
    from pyspark.sql import SparkSession
    from pyspark.sql.types import DataType

Row = dict[str, Any]

# The reader every other one is compared with.
REFERENCE = "pyarrow"
READERS = ("duckdb", "pyarrow", "polars", "pandas", "spark")


# --- the readers, as the README shows them -------------------------------------------------------


def _glob(folder: Path, partition_column: str | None) -> str:
    return f"{folder}/*/*.parquet" if partition_column else f"{folder}/*.parquet"


def read_duckdb(folder: Path, partition_column: str | None) -> list[Row]:
    import duckdb

    pattern = _glob(folder, partition_column).replace("'", "''")
    if partition_column:
        sql = f"SELECT * FROM read_parquet('{pattern}', hive_partitioning = true)"
    else:
        sql = f"SELECT * FROM '{pattern}'"
    with duckdb.connect() as con:
        cursor = con.execute(sql)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


def read_pyarrow(folder: Path, partition_column: str | None) -> list[Row]:
    import pyarrow.dataset as ds

    partitioning = "hive" if partition_column else None
    return ds.dataset(folder, partitioning=partitioning).to_table().to_pylist()


def read_polars(folder: Path, partition_column: str | None) -> list[Row]:
    import polars as pl

    return (
        pl.scan_parquet(_glob(folder, partition_column), hive_partitioning=True)
        .collect()
        .to_dicts()
    )


def read_pandas(folder: Path, partition_column: str | None) -> list[Row]:
    return pd.read_parquet(folder, dtype_backend="pyarrow").to_dict(orient="records")


def read_spark(folder: Path, partition_column: str | None) -> list[Row]:
    frame = spark_session().read.parquet(str(folder))
    schema = frame.schema
    return [_spark_local_timestamps(row.asDict(recursive=True), schema) for row in frame.collect()]


_READ: dict[str, Callable[[Path, str | None], list[Row]]] = {
    "duckdb": read_duckdb,
    "pyarrow": read_pyarrow,
    "polars": read_polars,
    "pandas": read_pandas,
    "spark": read_spark,
}


def read_with_all(
    folder: Path, partition_column: str | None, readers: Iterable[str] = READERS
) -> dict[str, list[Row]]:
    """Each reader's rows of the table at `folder`, normalised and sorted (see the module doc)."""
    folder = Path(folder)
    types = parquet_column_types(folder)
    return {
        reader: _sorted(
            [
                _normalise_row(row, types, partition_column)
                for row in _READ[reader](folder, partition_column)
            ]
        )
        for reader in readers
    }


# The readers of a quick check: every one above but Spark, which starts a JVM.
WITHOUT_SPARK = ("duckdb", "pyarrow", "polars", "pandas")


def assert_all_readers_agree(
    folder: Path, partition_column: str | None, readers: Iterable[str] = READERS
) -> list[Row]:
    """Every reader (of `readers`) returns the rows pyarrow returns; those rows."""
    rows = read_with_all(folder, partition_column, readers)
    expected = rows[REFERENCE]
    problems = [
        f"{reader}: {problem}"
        for reader, got in rows.items()
        if reader != REFERENCE and (problem := describe_difference(expected, got))
    ]
    if problems:
        raise AssertionError(
            f"The readers do not agree with {REFERENCE} on {folder}:\n" + "\n".join(problems)
        )
    return expected


def describe_difference(expected: list[Row], got: list[Row]) -> str | None:
    """What first differs between two readers' sorted rows, readably; None when nothing does."""
    if expected == got:
        return None
    parts: list[str] = []
    expected_columns = _columns(expected)
    got_columns = _columns(got)
    if missing := sorted(expected_columns - got_columns):
        parts.append(f"missing columns {missing}")
    if extra := sorted(got_columns - expected_columns):
        parts.append(f"extra columns {extra}")
    if len(expected) != len(got):
        parts.append(f"{len(got)} rows instead of {len(expected)}")
    for index, (want, have) in enumerate(zip(expected, got, strict=False)):
        if want != have:
            differing = {
                key: {REFERENCE: want.get(key, "<absent>"), "got": have.get(key, "<absent>")}
                for key in sorted(want.keys() | have.keys())
                if want.get(key, "<absent>") != have.get(key, "<absent>")
            }
            parts.append(f"first differing row (#{index} in sorted order): {differing!r}")
            break
    return "; ".join(parts) or "rows differ"


def _columns(rows: Iterable[Row]) -> set[str]:
    return {key for row in rows for key in row}


# --- what the files say each column is -----------------------------------------------------------


def parquet_column_types(folder: Path) -> dict[str, pa.DataType]:
    """Each column's Arrow type as the Parquet files under `folder` store it.

    The first file naming a column decides its type, unless it says `null` and a later file says
    more. The partition column is not in the files, so not in this map.
    """
    types: dict[str, pa.DataType] = {}
    for path in sorted(Path(folder).rglob("*.parquet")):
        for field in pq.read_schema(path):
            if field.name not in types or pa.types.is_null(types[field.name]):
                types[field.name] = field.type
    return types


# --- normalising values --------------------------------------------------------------------------


def _sorted(rows: list[Row]) -> list[Row]:
    return sorted(rows, key=lambda row: json.dumps(row, sort_keys=True, default=str))


def _normalise_row(row: Row, types: dict[str, pa.DataType], partition_column: str | None) -> Row:
    return {
        str(name): (
            _partition_key(value)
            if name == partition_column and name not in types
            else normalise(value, types.get(name))
        )
        for name, value in row.items()
    }


def _partition_key(value: Any) -> str | None:
    value = normalise(value, None)
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float | np.floating):
        return math.isnan(value)
    if isinstance(value, np.datetime64 | np.timedelta64):
        return bool(np.isnat(value))
    return False


def normalise(value: Any, arrow_type: pa.DataType | None) -> Any:
    """One value as plain Python, guided by the column's Arrow type when it is known."""
    if _is_missing(value):
        return None
    if isinstance(value, np.ndarray):
        value = list(value)
    elif isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    elif isinstance(value, pd.Timedelta):
        value = value.to_pytimedelta()
    if arrow_type is None:
        return _normalise_untyped(value)
    if pa.types.is_dictionary(arrow_type):
        arrow_type = arrow_type.value_type
    if pa.types.is_null(arrow_type):
        return None
    if pa.types.is_integer(arrow_type):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value
    if pa.types.is_floating(arrow_type):
        return float(value)
    if pa.types.is_timestamp(arrow_type):
        return _utc(value)
    if pa.types.is_date(arrow_type):
        return value.date() if isinstance(value, datetime) else value
    if pa.types.is_binary(arrow_type) or pa.types.is_large_binary(arrow_type):
        return bytes(value)
    if pa.types.is_struct(arrow_type):
        fields = {
            arrow_type.field(i).name: arrow_type.field(i).type for i in range(arrow_type.num_fields)
        }
        return {str(key): normalise(item, fields.get(key)) for key, item in dict(value).items()}
    if pa.types.is_map(arrow_type):
        return {
            normalise(key, arrow_type.key_type): normalise(item, arrow_type.item_type)
            for key, item in _map_items(value)
        }
    if (
        pa.types.is_list(arrow_type)
        or pa.types.is_large_list(arrow_type)
        or pa.types.is_fixed_size_list(arrow_type)
    ):
        return [normalise(item, arrow_type.value_type) for item in value]
    return _normalise_untyped(value)


def _normalise_untyped(value: Any) -> Any:
    if isinstance(value, datetime):
        return _utc(value)
    if isinstance(value, dict):
        return {str(key): normalise(item, None) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [normalise(item, None) for item in value]
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    return value


def _utc(value: Any) -> datetime:
    """A naive timestamp is read as UTC wall-clock time (Spark's local ones are fixed earlier)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _map_items(value: Any) -> list[tuple[Any, Any]]:
    """A map as pairs: DuckDB and Spark give a dict, pyarrow and pandas pairs, Polars structs."""
    if isinstance(value, dict):
        return list(value.items())
    return [
        (item["key"], item["value"]) if isinstance(item, dict) else (item[0], item[1])
        for item in value
    ]


def _spark_local_timestamps(value: Any, spark_type: DataType) -> Any:
    """Spark gives a TIMESTAMP as a naive datetime in this process's local time zone: make it
    aware, so that it means the same instant whatever TZ the tests run with."""
    from pyspark.sql import types as T

    if value is None:
        return None
    if isinstance(spark_type, T.TimestampType):
        return value.astimezone(UTC) if value.tzinfo is None else value
    if isinstance(spark_type, T.StructType):
        return {
            field.name: _spark_local_timestamps(value.get(field.name), field.dataType)
            for field in spark_type.fields
        }
    if isinstance(spark_type, T.ArrayType):
        return [_spark_local_timestamps(item, spark_type.elementType) for item in value]
    if isinstance(spark_type, T.MapType):
        return {
            _spark_local_timestamps(key, spark_type.keyType): _spark_local_timestamps(
                item, spark_type.valueType
            )
            for key, item in value.items()
        }
    if isinstance(value, bytearray):
        return bytes(value)
    return value


# --- one Spark for the whole test process --------------------------------------------------------

LOOPBACK = "127.0.0.1"
_spark: SparkSession | None = None
_spark_lock = threading.Lock()


def spark_session() -> SparkSession:
    """The process's one local Spark session, started on first use (a few seconds) and reused.

    One core, 512 MB, no UI, UTC, one shuffle partition; the driver binds to 127.0.0.1 and
    advertises 127.0.0.1, so it never looks up or reaches another address. Usable as a pytest
    fixture body: `@pytest.fixture(scope="session") def spark(): return spark_session()`.
    """
    global _spark
    with _spark_lock:
        if _spark is None:
            _spark = _start_spark()
        return _spark


def _start_spark() -> SparkSession:
    os.environ["SPARK_LOCAL_IP"] = LOOPBACK
    from pyspark.sql import SparkSession

    scratch = tempfile.mkdtemp(prefix="extract-assets-spark-")
    builder = (
        SparkSession.builder.master("local[1]")
        .appName("extract-assets-tests")
        .config("spark.driver.host", LOOPBACK)
        .config("spark.driver.bindAddress", LOOPBACK)
        .config("spark.driver.memory", "512m")
        # The tests' tables are tiny: the quick compiler alone starts Spark ~40% sooner.
        .config("spark.driver.extraJavaOptions", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.default.parallelism", "1")
        .config("spark.sql.warehouse.dir", os.path.join(scratch, "warehouse"))
    )
    with warnings.catch_warnings():
        # Starting imports pyspark.testing, which warns that PySpark does not fully support
        # pandas 3: true of its pandas conversions, which these readers do not use.
        warnings.filterwarnings(
            "ignore", "PySpark does not yet fully support pandas", FutureWarning
        )
        session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")

    def stop() -> None:
        session.stop()
        shutil.rmtree(scratch, ignore_errors=True)

    atexit.register(stop)
    return session
