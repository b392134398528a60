"""One asset as an Apache Iceberg table: a materialization is one snapshot.

The rows are staged exactly as for Parquet (`TableWriter`: complete local files, fitted to the
table's schema as they arrive). Publishing then, in one catalog commit: evolves the table's
schema with Iceberg's own schema evolution (columns are added, never rewritten), writes each
staged file as one data file, row group by row group (one in memory at a time), and replaces the
partitions this run wrote with them in one overwrite snapshot, so readers see all of the run's
partitions or none. Another writer committing first makes the commit fail; the run then
reloads the table and tries again (optimistic concurrency), so two runs writing different
partitions both land.

Iceberg cannot change a column's stored type beyond int → long and float → double without
rewriting files, so the columns a table already has keep their types: values that do not fit
follow the `schema_contract` as for a declared column (by default they go to a variant column
such as ``n__v_double``); with ``evolve`` such a run fails and writes nothing.
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from extract_assets.core.arrow_schema import conform_table
from extract_assets.core.contract import DEFAULT_CONTRACT, Fitter, SchemaContract
from extract_assets.core.errors import OutputError
from extract_assets.core.iceberg_catalog import IcebergTarget, PartitionKind, open_catalog
from extract_assets.core.parquet import SinkResult, StagedFile, rewrite
from extract_assets.core.storage import Location
from extract_assets.core.table import (
    TableWrite,
    TableWriter,
    _grow,
    _with_new_columns,
)
from extract_assets.core.writable import output_errors

if TYPE_CHECKING:
    from pyiceberg.expressions import BooleanExpression
    from pyiceberg.io import FileIO
    from pyiceberg.manifest import DataFile
    from pyiceberg.table import Table, Transaction

__all__ = [
    "PARTITIONS_PROPERTY",
    "IcebergCommit",
    "IcebergTableWriter",
    "iceberg_arrow",
    "in_partitions",
    "plain_arrow",
]

logger = logging.getLogger(__name__)

# The partitions every materialization has written, so a reader can tell a partition that was
# never materialized from one that has no rows.
PARTITIONS_PROPERTY = "extract-assets.partitions"
_ATTEMPTS = 12
_KINDS: dict[PartitionKind, pa.DataType] = {"date": pa.date32(), "string": pa.string()}


@dataclass(frozen=True)
class IcebergCommit:
    """What a commit landed: the snapshot, the table's metadata file, where the catalog is, and
    the data files written for each staged target."""

    snapshot_id: int
    metadata_location: str
    location: str
    catalog: str
    catalog_name: str
    table: str
    attempts: int
    total_rows: int
    data_files: dict[str, tuple[str, ...]]


class IcebergTableWriter(TableWriter):
    """A `TableWriter` whose `publish` commits one Iceberg snapshot instead of placing files.

    Stage with `stage_tables`/`stage_records`/`stage_ndjson` at targets under `folder` (the
    table's location): ``{folder}/{column}={value}/part-0.parquet`` for a partition, anything
    for an unpartitioned table, whose every row the commit replaces.
    """

    def __init__(
        self,
        folder: Location,
        target: IcebergTarget,
        *,
        json_schema: Mapping[str, Any] | None = None,
        contract: SchemaContract = DEFAULT_CONTRACT,
        where: str | None = None,
    ) -> None:
        super().__init__(folder, json_schema=json_schema, contract=contract, where=where)
        self.target = target
        with _catalog_errors(target):
            self._catalog = open_catalog(target.catalog, target.output)
            existing = self._load()
        known = _data_schema(existing, target) if existing is not None else None
        if known is None:
            self.schema = self._declared  # not a Parquet schema document of the same folder
        else:
            self.schema = _with_new_columns(known, self._declared)
            # The table's columns keep their types, inside objects and lists too: Iceberg
            # cannot rewrite them in place. Objects may still gain keys.
            self._fitter = Fitter(
                declared=frozenset(self._declared.names) | frozenset(known.names),
                contract=contract,
                where=where or target.label,
                declared_types={
                    **self._fitter.declared_types,
                    **{field.name: field.type for field in known},
                },
            )
        self.commit: IcebergCommit | None = None

    def publish(self) -> TableWrite:
        """Every staged file in one snapshot that replaces the partitions it wrote."""
        with output_errors(self.folder), _catalog_errors(self.target):
            table = self._load() or self._create()
            before = _data_schema(table, self.target)
            final = self.schema
            for staged in self._staged:
                final = _grow(final, staged.schema)
            final = _grow(before, final)
            _check_in_place(before, final, self.target)
            self._conform(final)
            attempt = 1
            while True:
                try:
                    files, data_files, committed = self._commit(table, final)
                    break
                except _commit_failed() as error:
                    if attempt >= _ATTEMPTS:
                        raise OutputError(
                            f"{self.target.label}: {attempt} commits lost to other writers of "
                            "the table; run again. Nothing was changed."
                        ) from error
                    time.sleep(random.uniform(0.05, 0.2) * attempt)
                    attempt += 1
                    table = self._catalog.load_table(self.target.identifier)
        snapshot = committed.current_snapshot()
        assert snapshot is not None
        self.commit = IcebergCommit(
            snapshot_id=snapshot.snapshot_id,
            metadata_location=committed.metadata_location,
            location=committed.location(),
            catalog=self.target.catalog.describe(self.target.output),
            catalog_name=self.target.catalog.name,
            table=self.target.label,
            attempts=attempt,
            total_rows=int(snapshot.summary["total-records"] or 0) if snapshot.summary else 0,
            data_files=data_files,
        )
        done, self._staged = self._staged, []
        for staged in done:
            staged.local.unlink(missing_ok=True)
        new_table = before.names == [] and table.current_snapshot() is None
        self.published = TableWrite(
            files=files,
            schema=final,
            changes=self._changes(before, final, new_table=new_table),
            rewritten=0,
            leftovers_removed=0,
            document=committed.metadata_location,
            new_table=new_table,
            descriptions=dict(self._descriptions),
            contract=self._contract,
            iceberg=self.commit,
        )
        return self.published

    # --- the commit ------------------------------------------------------------------------

    def _commit(
        self, table: Table, final: pa.Schema
    ) -> tuple[dict[str, SinkResult], dict[str, tuple[str, ...]], Table]:
        """One transaction: schema, data files, the replaced partitions' files out, the list of
        written partitions; raises CommitFailedException if another writer came first."""
        from pyiceberg.expressions import AlwaysTrue

        transaction = table.transaction()
        wanted = iceberg_arrow(final, self.target)
        with transaction.update_schema() as update:
            update.union_by_name(wanted)  # no change when the table has these columns
        values = [self._partition_value(s) for s in self._staged]
        io = table.io
        written: list[Any] = []
        results: dict[str, SinkResult] = {}
        paths: dict[str, tuple[str, ...]] = {}
        try:
            for staged, value in zip(self._staged, values, strict=True):
                files = list(self._data_files(transaction, io, staged, value))
                written.extend(files)
                paths[str(staged.target)] = tuple(f.file_path for f in files)
                results[str(staged.target)] = SinkResult(
                    path=files[0].file_path if files else str(staged.target),
                    rows=sum(f.record_count for f in files),
                    bytes=sum(f.file_size_in_bytes for f in files),
                    schema=final,
                    row_groups=len(files),
                )
            partition = self.target.partition
            if partition is None:
                replaced: Any = AlwaysTrue()
            else:
                replaced = in_partitions(partition[0], [v for v in values if v is not None])
            old = [task.file for task in table.scan(row_filter=replaced).plan_files()]
            with transaction.update_snapshot().overwrite() as overwrite:
                for data_file in old:
                    overwrite.delete_data_file(data_file)
                for data_file in written:
                    overwrite.append_data_file(data_file)
            if partition is not None:
                known = _written_partitions(table)
                known.update(str(v) for v in values if v is not None)
                transaction.set_properties({PARTITIONS_PROPERTY: ",".join(sorted(known))})
            return results, paths, transaction.commit_transaction()
        except BaseException:
            # Files of a commit that did not land are nobody's: remove them.
            for data_file in written:
                with contextlib.suppress(OSError):
                    io.delete(data_file.file_path)
            raise

    def _data_files(
        self, transaction: Transaction, io: FileIO, staged: StagedFile, value: Any
    ) -> Iterator[DataFile]:
        """The staged file as one data file, written one row group at a time (so memory holds
        one row group, as on the Parquet path); none for a file without rows."""
        from pyiceberg.io.fileformat import FileFormatFactory
        from pyiceberg.io.pyarrow import schema_to_pyarrow
        from pyiceberg.manifest import DataFile, DataFileContent, FileFormat
        from pyiceberg.partitioning import PartitionFieldValue, PartitionKey
        from pyiceberg.table.locations import load_location_provider
        from pyiceberg.typedef import Record

        if staged.rows == 0:
            return
        metadata = transaction.table_metadata
        schema = metadata.schema()
        key = None
        if self.target.partition is not None:
            spec = metadata.spec()
            key = PartitionKey(
                field_values=[PartitionFieldValue(field=spec.fields[0], value=value)],
                partition_spec=spec,
                schema=schema,
            )
        places = load_location_provider(metadata.location, metadata.properties)
        path = places.new_data_location(f"00000-0-{uuid.uuid4()}.parquet", partition_key=key)
        output = io.new_output(path)
        # The file's columns carry the table's field ids, which readers match columns by.
        with_ids = schema_to_pyarrow(schema, include_field_ids=True)
        plain = pa.schema([f.with_nullable(True) for f in plain_arrow(with_ids)])
        model = FileFormatFactory.get(FileFormat.PARQUET)
        with (
            pq.ParquetFile(staged.local) as source,
            model.create_writer(output, schema, metadata.properties) as writer,
        ):
            for index in range(source.num_row_groups):
                group = self._with_partition(source.read_row_group(index), value)
                writer.write(conform_table(group, plain).cast(with_ids))
        yield DataFile.from_args(
            content=DataFileContent.DATA,
            file_path=path,
            file_format=FileFormat.PARQUET,
            partition=key.partition if key is not None else Record(),
            file_size_in_bytes=len(output),
            sort_order_id=None,
            spec_id=metadata.default_spec_id,
            equality_ids=None,
            key_metadata=None,
            **writer.result().to_serialized_dict(),
        )

    def _with_partition(self, group: pa.Table, value: Any) -> pa.Table:
        if self.target.partition is None:
            return group
        name, kind = self.target.partition
        column = pa.repeat(pa.scalar(value, _KINDS[kind]), group.num_rows)
        return group.append_column(pa.field(name, _KINDS[kind]), column)

    def _partition_value(self, staged: StagedFile) -> Any:
        if self.target.partition is None:
            return None
        name, kind = self.target.partition
        relative = str(staged.target)[len(str(self.folder)) :].lstrip("/")
        column, _, text = relative.split("/")[0].partition("=")
        if column != name:
            raise ValueError(f"{staged.target} is not a {name}= partition of {self.folder}")
        return pa.scalar(text).cast(_KINDS[kind]).as_py()

    def _conform(self, final: pa.Schema) -> None:
        for index, staged in enumerate(self._staged):
            if not staged.schema.equals(final):
                conformed = rewrite(staged.local, final, staged.local.parent, self.folder.name)
                staged.local.unlink(missing_ok=True)
                self._staged[index] = StagedFile(
                    local=conformed,
                    target=staged.target,
                    rows=staged.rows,
                    bytes=conformed.stat().st_size,
                    schema=final,
                    row_groups=staged.row_groups,
                )

    # --- the table -------------------------------------------------------------------------

    def _load(self) -> Table | None:
        from pyiceberg.exceptions import NoSuchTableError

        try:
            return self._catalog.load_table(self.target.identifier)
        except NoSuchTableError:
            return None

    def _create(self) -> Table:
        """The table with only its partition column (data columns join at the first commit)."""
        from pyiceberg.exceptions import TableAlreadyExistsError
        from pyiceberg.partitioning import PartitionField, PartitionSpec
        from pyiceberg.schema import Schema
        from pyiceberg.transforms import IdentityTransform
        from pyiceberg.types import DateType, NestedField, StringType

        fields = []
        spec = PartitionSpec()
        if self.target.partition is not None:
            name, kind = self.target.partition
            kind_type = DateType() if kind == "date" else StringType()
            fields.append(NestedField(1, name, kind_type, required=False))
            spec = PartitionSpec(PartitionField(1, 1000, IdentityTransform(), name))
        self._catalog.create_namespace_if_not_exists(self.target.namespace)
        try:
            return self._catalog.create_table(
                self.target.identifier,
                schema=Schema(*fields),
                location=str(self.folder),
                partition_spec=spec,
                # Our own retry rebuilds the whole commit from the reloaded table (the list of
                # written partitions included); pyiceberg's would re-apply stale values.
                properties={"commit.retry.num-retries": "0"},
            )
        except TableAlreadyExistsError:  # another run created it first
            return self._catalog.load_table(self.target.identifier)


def iceberg_arrow(schema: pa.Schema, target: IcebergTarget) -> pa.Schema:
    """The Arrow schema the Iceberg table takes for `schema`: the partition column first, no
    column that has only ever held nulls (Iceberg has no null type; it joins once typed), and
    timestamps in microseconds (Iceberg's unit)."""
    fields = []
    if target.partition is not None:
        fields.append(pa.field(target.partition[0], _KINDS[target.partition[1]]))
    for field in schema:
        kept = _storable(field.type)
        if kept is not None:
            fields.append(pa.field(field.name, kept))
    return pa.schema(fields)


def _storable(t: pa.DataType) -> pa.DataType | None:
    if pa.types.is_null(t):
        return None
    if pa.types.is_timestamp(t):
        return pa.timestamp("us", tz=t.tz)
    if pa.types.is_struct(t):
        kept = [pa.field(f.name, s) for f in t if (s := _storable(f.type)) is not None]
        return pa.struct(kept) if kept else None
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        inner = _storable(t.value_type)
        return pa.list_(inner) if inner is not None else None
    return t


def plain_arrow(schema: pa.Schema) -> pa.Schema:
    """An Iceberg table's Arrow schema with the types our writers use (string, not
    large_string), so it compares with the staged files' schemas."""
    return pa.schema([pa.field(f.name, _plain(f.type)) for f in schema])


def _plain(t: pa.DataType) -> pa.DataType:
    if pa.types.is_large_string(t):
        return pa.string()
    if pa.types.is_large_binary(t):
        return pa.binary()
    if pa.types.is_struct(t):
        return pa.struct([pa.field(f.name, _plain(f.type)) for f in t])
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return pa.list_(_plain(t.value_type))
    return t


def _data_schema(table: Table, target: IcebergTarget) -> pa.Schema:
    """The table's data columns (without the partition column) as our writers type them."""
    schema = plain_arrow(table.schema().as_arrow())
    if target.partition is not None and target.partition[0] in schema.names:
        schema = schema.remove(schema.get_field_index(target.partition[0]))
    return pa.schema([f.with_nullable(True) for f in schema])


def _check_in_place(before: pa.Schema, final: pa.Schema, target: IcebergTarget) -> None:
    """Refuse a type change Iceberg cannot make without rewriting the table's files.

    Under variant and the discard contracts the table's types hold, inside objects too (the
    fitter is told them), so only evolve reaches here."""
    for field in before:
        now = final.field(field.name).type
        if not _evolves_in_place(field.type, now):
            raise OutputError(
                f"{target.label}: column {field.name!r} is {field.type} in the Iceberg table, "
                f"and this run's values need {now}. Iceberg changes a column's type in place "
                f"only from int to long or float to double, or by adding fields to an object; "
                f"set schema_contract to variant (the values go to a column beside it) or "
                f"discard_value, or write to a new table. Nothing was written."
            )


def _evolves_in_place(was: pa.DataType, now: pa.DataType) -> bool:
    """Whether Iceberg's schema evolution turns `was` into `now` without touching files."""
    if was == now or pa.types.is_null(was) or _storable(now) == _storable(was):
        return True
    if pa.types.is_integer(was) and pa.types.is_integer(now):
        return now.bit_width == 64
    if pa.types.is_floating(was) and pa.types.is_floating(now):
        return True
    if pa.types.is_struct(was) and pa.types.is_struct(now):
        index = {f.name: f.type for f in now}
        return all(f.name in index and _evolves_in_place(f.type, index[f.name]) for f in was)
    if pa.types.is_list(was) and pa.types.is_list(now):
        return _evolves_in_place(was.value_type, now.value_type)
    return False


def in_partitions(column: str, values: Sequence[Any]) -> BooleanExpression:
    """The rows whose `column` is one of `values` (none: no row)."""
    from pyiceberg.expressions import AlwaysFalse, In

    if not values:
        return AlwaysFalse()
    # pyiceberg annotates `In.__new__` without `cls`, which mypy reads as one argument too many.
    return In(column, values)  # type: ignore[call-arg]


def _written_partitions(table: Table) -> set[str]:
    text = table.properties.get(PARTITIONS_PROPERTY, "")
    return {part for part in text.split(",") if part}


def _commit_failed() -> type[Exception]:
    from pyiceberg.exceptions import CommitFailedException

    return CommitFailedException


@contextlib.contextmanager
def _catalog_errors(target: IcebergTarget) -> Iterator[None]:
    """A catalog's own failure (unreachable, refused) as an error that names the table and the
    redacted catalog, never the URI's password."""
    try:
        yield
    except (OutputError, ValueError, OSError):
        raise
    except Exception as error:
        module = type(error).__module__
        if not module.startswith(("sqlalchemy", "pyiceberg", "psycopg")) or isinstance(
            error, _commit_failed()
        ):
            raise
        raise OutputError(
            f"The Iceberg catalog {target.catalog.describe(target.output)} refused the table "
            f"{target.label} ({type(error).__name__}): check {target.catalog.uri_env} and that "
            "the catalog is up. Nothing was changed."
        ) from None
