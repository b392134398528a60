"""Read one Iceberg table with every reader the README names, and check they agree.

pyiceberg and Polars `scan_iceberg` read the table the catalog loaded, and DuckDB's iceberg
extension (loaded from its wheel: DuckDB cannot download extensions here) its current metadata
file, as the README shows; on object storage DuckDB reads through its httpfs extension with the
S3 secret the caller gives, as a user creates it. Rows become plain Python values as in
`readers`, the partition column its plain string key, and columns holding only nulls are left
out of each row (Iceberg keeps no column that has never held a value).

DuckDB is the reference. pyiceberg 0.12 reads a null list of objects as an empty list
(apache/iceberg-python#3833; the file holds the null, and DuckDB and Polars read it), so it is
compared with that one difference allowed: in such columns, on both sides, an empty list counts
as a null.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from pyiceberg.table import Table

from extract_assets_tests.readers import _partition_key, _sorted, describe_difference, normalise

Row = dict[str, Any]
READERS = ("pyiceberg", "polars", "duckdb")
REFERENCE = "duckdb"


@dataclass(frozen=True)
class S3Secret:
    """What DuckDB needs to read an S3-compatible store: keys, endpoint URL and region."""

    key_id: str
    secret: str
    endpoint: str
    region: str

    def create_statement(self) -> str:
        """The README's `CREATE SECRET`, path-style as S3-compatible servers expect."""
        scheme, _, host = self.endpoint.partition("://")
        options = {
            "KEY_ID": self.key_id,
            "SECRET": self.secret,
            "ENDPOINT": host,
            "REGION": self.region,
            "URL_STYLE": "path",
        }
        values = ", ".join(f"{name} {_quoted(value)}" for name, value in options.items())
        use_ssl = "true" if scheme == "https" else "false"
        return f"CREATE SECRET (TYPE s3, {values}, USE_SSL {use_ssl})"


def _quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def duckdb_with_iceberg() -> Any:
    """A DuckDB connection with the iceberg, avro and httpfs extensions loaded from their wheels."""
    import duckdb
    import duckdb_extension_avro
    import duckdb_extension_httpfs
    import duckdb_extension_iceberg

    connection = duckdb.connect()
    for package, name in (
        (duckdb_extension_avro, "avro"),
        (duckdb_extension_iceberg, "iceberg"),
        (duckdb_extension_httpfs, "httpfs"),
    ):
        folder = Path(package.__file__).parent / "extensions" / f"v{duckdb.__version__}"
        connection.load_extension(str(folder / f"{name}.duckdb_extension"))
    return connection


def read_pyiceberg(table: Table) -> list[Row]:
    return table.scan().to_arrow().to_pylist()


def read_polars(table: Table) -> list[Row]:
    import polars as pl

    return pl.scan_iceberg(table).collect().to_dicts()


def read_duckdb(table: Table, s3: S3Secret | None = None) -> list[Row]:
    with duckdb_with_iceberg() as connection:
        if s3 is not None:
            connection.execute(s3.create_statement())
        cursor = connection.execute(
            f"SELECT * FROM iceberg_scan({_quoted(table.metadata_location)})"
        )
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


_READ: dict[str, Callable[[Table], list[Row]]] = {
    "pyiceberg": read_pyiceberg,
    "polars": read_polars,
    "duckdb": read_duckdb,
}


def normalised(rows: list[Row], types: dict[str, Any], partition_column: str | None) -> list[Row]:
    """Rows as plain values (see the module doc), sorted; None values left out."""
    out = []
    for row in rows:
        plain = {}
        for name, value in row.items():
            if name == partition_column:
                value = _partition_key(value)
            else:
                value = normalise(value, types.get(name))
            if value is not None:
                plain[str(name)] = value
        out.append(plain)
    return _sorted(out)


def _as_compared(
    reader: str, expected: list[Row], got: list[Row], types: dict[str, Any]
) -> tuple[list[Row], list[Row]]:
    """The reference's rows and a reader's, as they are compared (see the module doc)."""
    if reader != "pyiceberg":
        return expected, got
    lists = {name for name, kind in types.items() if _list_of_objects(kind)}

    def nulled(rows: list[Row]) -> list[Row]:
        return _sorted(
            [{k: v for k, v in row.items() if not (k in lists and v == [])} for row in rows]
        )

    return nulled(expected), nulled(got)


def _list_of_objects(kind: Any) -> bool:
    import pyarrow as pa

    return (pa.types.is_list(kind) or pa.types.is_large_list(kind)) and pa.types.is_struct(
        kind.value_type
    )


def assert_iceberg_readers_agree(
    table: Table, partition_column: str | None, s3: S3Secret | None = None
) -> list[Row]:
    """Every reader returns the rows DuckDB returns (given the `s3` secret for a table on
    object storage), pyiceberg with the one difference the module doc allows; those rows."""
    reads = {**_READ, "duckdb": partial(read_duckdb, s3=s3)}
    table.refresh()
    types = {field.name: field.type for field in table.schema().as_arrow()}
    rows = {name: normalised(read(table), types, partition_column) for name, read in reads.items()}
    expected = rows[REFERENCE]
    problems = [
        f"{reader}: {problem}"
        for reader, got in rows.items()
        if (problem := describe_difference(*_as_compared(reader, expected, got, types)))
    ]
    if problems:
        raise AssertionError(f"The readers disagree on {table.name()}:\n" + "\n".join(problems))
    return expected
