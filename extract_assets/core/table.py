"""One table per asset: a schema kept with the table, and writes that keep every file on it.

An asset's files (one, or one per partition, Hive-style) are one table. Its schema lives beside
the table's folder, in the output location: ``{folder}.schema.json`` (e.g.
``data/extractto/ads.schema.json`` for ``data/extractto/ads/``), with the columns a person reads
and the exact Arrow schema. It changes only by the rules of `contract`: columns are appended,
types widen, never narrow, and no column is ever dropped.

A materialization stages its files first (complete temp files, fitted to the table's schema as
rows arrive), then publishes them together: every staged file, and every earlier file of the
table, that does not have exactly the table's final schema (names, types, order) is rewritten to
it first — file by file, row group by row group, each atomically — so after every write all files
of the table read as one. A partition without rows is a file of the table's schema with no rows;
while the table has no column at all (no declared types, no row ever), such a partition has no
file and is listed in the schema document instead (DuckDB refuses a file without columns).

Writers of one table take turns publishing: on one machine through a lock file beside a local
folder, across machines through the shared state's lock when the writer is given one. Publishing
also removes temp files and spools that dead runs of this table left behind (see `leftovers`).
"""

from __future__ import annotations

import base64
import contextlib
import copy
import dataclasses
import datetime as dt
import fcntl
import json
import logging
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from extract_assets.core.arrow_schema import json_schema_to_arrow, widen_schema
from extract_assets.core.column_names import ColumnNames, column_key, schema_apart
from extract_assets.core.commit import publish_all
from extract_assets.core.contract import (
    DEFAULT_CONTRACT,
    VARIANT_INFIX,
    Fitter,
    SchemaChanges,
    SchemaContract,
)
from extract_assets.core.leftovers import remove_leftovers, temp_dir
from extract_assets.core.parquet import (
    SinkResult,
    StagedFile,
    empty_file,
    publish,
    rewrite,
    stage_ndjson,
    stage_records,
    stage_tables,
    staging_folder,
)
from extract_assets.core.paths import schema_document
from extract_assets.core.state import SharedState
from extract_assets.core.storage import (
    Location,
    exists,
    glob_files,
    open_parquet,
    read_text,
    upload,
)
from extract_assets.core.writable import output_errors

if TYPE_CHECKING:
    from extract_assets.core.iceberg import IcebergCommit

__all__ = [
    "TableDocument",
    "TableMark",
    "TableWrite",
    "TableWriter",
    "read_document",
]

logger = logging.getLogger(__name__)

_FORMAT = "extract-assets table schema"
_VERSION = 1
_FILE_PATTERNS = ("*.parquet", "*=*/*.parquet")


@dataclass
class TableDocument:
    """A table's schema and settings, as kept in its schema document."""

    schema: pa.Schema
    contract: str = DEFAULT_CONTRACT
    declared: list[str] = field(default_factory=list)
    descriptions: dict[str, str] = field(default_factory=dict)
    empty_partitions: list[str] = field(default_factory=list)
    # The declared columns' types as their JSON Schemas gave them: which properties inside
    # objects and lists are declared (documents of older versions leave it out).
    declared_types: dict[str, pa.DataType] = field(default_factory=dict)

    def to_json(self) -> str:
        columns: list[dict[str, Any]] = []
        for column in self.schema:
            entry: dict[str, Any] = {"name": column.name, "type": str(column.type)}
            entry["declared"] = column.name in self.declared
            if column.name in self.descriptions:
                entry["description"] = self.descriptions[column.name]
            columns.append(entry)
        document = {
            "format": _FORMAT,
            "version": _VERSION,
            "updated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "schema_contract": self.contract,
            "columns": columns,
            "empty_partitions": self.empty_partitions,
            "arrow_schema": _encoded(self.schema),
            "declared_arrow_schema": _encoded(pa.schema(list(self.declared_types.items()))),
        }
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str, where: str) -> TableDocument:
        try:
            document = json.loads(text)
            schema = _decoded(document["arrow_schema"])
            declared = _decoded(document.get("declared_arrow_schema"))
        except (ValueError, KeyError, TypeError, pa.ArrowInvalid) as error:
            raise ValueError(
                f"{where} is not a table schema document ({error}); move it away and "
                "materialize again to rebuild it from the table's files"
            ) from error
        columns = document.get("columns", [])
        return cls(
            schema=schema,
            contract=str(document.get("schema_contract", DEFAULT_CONTRACT)),
            declared=[c["name"] for c in columns if c.get("declared")],
            descriptions={c["name"]: c["description"] for c in columns if "description" in c},
            empty_partitions=list(document.get("empty_partitions", [])),
            declared_types={column.name: column.type for column in declared},
        )


def _encoded(schema: pa.Schema) -> str:
    return base64.b64encode(schema.serialize().to_pybytes()).decode()


def _decoded(text: str | None) -> pa.Schema:
    if text is None:
        return pa.schema([])
    return pa.ipc.read_schema(pa.py_buffer(base64.b64decode(text)))


def read_document(folder: Location) -> TableDocument | None:
    """The table's schema document, or None before its first write."""
    where = schema_document(folder)
    text = read_text(where)
    return None if text is None else TableDocument.from_json(text, str(where))


@dataclass(frozen=True)
class TableWrite:
    """What one publish did: the files it wrote (by target), the table's schema, what changed
    against the table as it was before, how many earlier files it rewrote, and for an Iceberg
    table the commit."""

    files: dict[str, SinkResult]
    schema: pa.Schema
    changes: SchemaChanges
    rewritten: int
    leftovers_removed: int
    document: str
    new_table: bool
    descriptions: dict[str, str]
    contract: str
    iceberg: IcebergCommit | None = None


@dataclass(frozen=True)
class TableMark:
    """How far a `TableWriter` had staged: its schema, files and changes at that point."""

    schema: pa.Schema
    staged: int
    changes: SchemaChanges


class TableWriter:
    """Stages a materialization's files for one table, then publishes them on one schema.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp()) / "linkup" / "team"
    >>> with TableWriter(folder, json_schema={"properties": {"n": {"type": "integer"}}}) as t:
    ...     _ = t.stage_records([{"n": "3"}, {"n": "x"}], folder / "part-0.parquet")
    ...     written = t.publish()
    >>> written.schema.names, written.changes.summary()
    (['n', 'n__v_text'], 'added n__v_text; 1 values of n converted; 1 values moved to n__v_text')
    """

    def __init__(
        self,
        folder: Location,
        *,
        json_schema: Mapping[str, Any] | None = None,
        contract: SchemaContract = DEFAULT_CONTRACT,
        where: str | None = None,
        state: SharedState | None = None,
    ) -> None:
        self.folder = folder
        self._state = state
        declared = _nullable(json_schema_to_arrow(json_schema)) if json_schema else pa.schema([])
        self._declared = declared
        self._descriptions = _descriptions(json_schema)
        self._contract = contract
        document = read_document(folder)
        self._opened = document.schema if document else None
        # A column the table already has keeps the table's type, even if this write declares
        # another (a task of `linkup_task_outputs` with its own JSON Schema): its values are
        # fitted to it by the contract. Newly declared columns join the table.
        self.schema = _with_new_columns(document.schema, declared) if document else declared
        holding = ColumnNames(self.schema.names)
        declared_types = {
            holding.column_of(column_key(column.name)) or column.name: column.type
            for column in declared
        }
        # What an earlier write declared stays declared, inside objects and lists too, though
        # this write's JSON Schema leaves it out: it keeps its type for the table's life.
        earlier = document.declared_types if document else {}
        declared_types = _declared_union(earlier, declared_types)
        self._fitter = Fitter(
            declared=frozenset(declared_types) | frozenset(document.declared if document else ()),
            contract=contract,
            where=where or str(folder),
            declared_types=declared_types,
        )
        self._staged: list[StagedFile] = []
        self._exit = contextlib.ExitStack()
        self._staging: Path | None = None
        self.published: TableWrite | None = None

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for staged in self._staged:
            staged.local.unlink(missing_ok=True)
        self._staged.clear()
        self._exit.close()

    def stage_ndjson(
        self, chunks: Iterable[bytes], target: Location, *, expected_rows: int | None = None
    ) -> StagedFile:
        """NDJSON bytes for the file at `target`, fitted to the table as they arrive."""
        return self._stage(stage_ndjson, chunks, target, expected_rows)

    def stage_records(
        self,
        records: Iterable[Mapping[str, Any]],
        target: Location,
        *,
        expected_rows: int | None = None,
    ) -> StagedFile:
        """Records for the file at `target`, fitted to the table as they arrive."""
        return self._stage(stage_records, records, target, expected_rows)

    def stage_tables(
        self, tables: Iterable[pa.Table], target: Location, *, expected_rows: int | None = None
    ) -> StagedFile:
        """Arrow tables for the file at `target`, fitted to the table as they arrive."""
        return self._stage(stage_tables, tables, target, expected_rows)

    def mark(self) -> TableMark:
        """Where staging stands now, to come back to with `roll_back`."""
        return TableMark(self.schema, len(self._staged), copy.deepcopy(self._fitter.changes))

    def roll_back(self, mark: TableMark) -> None:
        """Forget what was staged since `mark`: its files, and what it did to the schema."""
        for staged in self._staged[mark.staged :]:
            staged.local.unlink(missing_ok=True)
        del self._staged[mark.staged :]
        self.schema = mark.schema
        self._fitter.changes = copy.deepcopy(mark.changes)

    @property
    def exact(self) -> frozenset[str]:
        """The keys of the declared columns, whose integers readers never round into doubles
        (see `parquet.ndjson_tables`)."""
        return frozenset(column_key(name) for name in self._fitter.declared)

    @property
    def converted(self) -> Counter[str]:
        """Values converted to their column's type so far, by column: readers that convert
        (see `parquet.ndjson_tables`) count into it, so the write's changes report them."""
        return self._fitter.changes.converted

    def _stage(
        self,
        stage: Callable[..., StagedFile],
        source: Iterable[Any],
        target: Location,
        expected_rows: int | None,
    ) -> StagedFile:
        self._fitter.partitions |= _partition_columns(self.folder, target)
        with output_errors(self.folder):
            staged = stage(
                source,
                target,
                self._staging_for(target),
                known=self.schema,
                fitter=self._fitter,
                expected_rows=expected_rows,
            )
        self._staged.append(staged)
        self.schema = _grow(self.schema, staged.schema)
        return staged

    def publish(self) -> TableWrite:
        """Every staged file in place, every file of the table on the table's final schema."""
        with output_errors(self.folder), self._lock():
            leftovers = remove_leftovers(self._local_staging(), self.folder.name)
            document = read_document(self.folder)
            if document is not None and self._changed_since_opened(document.schema):
                self._refit(document.schema)
            replaced = {str(s.target) for s in self._staged}
            existing = {
                str(path): (path, _file_schema(path))
                for pattern in _FILE_PATTERNS
                for path in glob_files(self.folder, pattern)
                if str(path) not in replaced
            }
            before = document.schema if document else _union(self._declared, existing.values())
            final = _grow(before, self.schema)
            for staged in self._staged:
                final = _grow(final, staged.schema)
            for _, schema in existing.values():
                final = _grow(final, schema)
            if len(final) == 0:
                written, rewritten = self._publish_without_columns(document, existing)
            else:
                self._save(final, document, empty=[])
                written, rewritten = self._publish_on(final, document, existing)
        changes = self._changes(before, final, new_table=document is None and not existing)
        self.published = TableWrite(
            files=written,
            schema=final,
            changes=changes,
            rewritten=rewritten,
            leftovers_removed=leftovers,
            document=str(schema_document(self.folder)),
            new_table=document is None and not existing,
            descriptions={**(document.descriptions if document else {}), **self._descriptions},
            contract=self._contract,
        )
        if rewritten:
            logger.info("rewrote %d earlier files of %s to its schema", rewritten, self.folder)
        return self.published

    def _changed_since_opened(self, schema: pa.Schema) -> bool:
        """Whether another write changed the table's schema since this one opened it, under a
        contract that fits values to the table (`evolve` merges the two schemas as they are)."""
        opened = self._opened
        changed = opened is None or not schema.equals(opened)
        return changed and self._contract != "evolve" and bool(self._staged)

    def _refit(self, table_schema: pa.Schema) -> None:
        """Fit the staged files again to the table as another write left it, as if this write
        had opened the table after that one: under `variant`, a column the other write
        brought keeps its type, and this write's values that do not fit go to its variant
        column, instead of the two writes' types merging (an integer column turned text)."""
        fitter = dataclasses.replace(self._fitter, changes=SchemaChanges())
        schema = _with_new_columns(table_schema, self._declared)
        restaged = []
        for staged in self._staged:
            with pq.ParquetFile(staged.local) as source:
                batches = (pa.Table.from_batches([batch]) for batch in source.iter_batches())
                again = stage_tables(
                    batches,
                    staged.target,
                    self._staging_for(staged.target),
                    known=schema,
                    fitter=fitter,
                )
            staged.local.unlink(missing_ok=True)
            schema = _grow(schema, again.schema)
            restaged.append(again)
        self._staged = restaged
        self.schema = schema
        self._opened = table_schema
        _add_counts(self._fitter.changes, fitter.changes)

    # --- publishing ----------------------------------------------------------------------

    def _publish_on(
        self,
        final: pa.Schema,
        document: TableDocument | None,
        existing: Mapping[str, tuple[Location, pa.Schema]],
    ) -> tuple[dict[str, SinkResult], int]:
        rewritten = 0
        for path, schema in existing.values():
            if not schema.equals(final):
                self._rewrite_in_place(path, final)
                rewritten += 1
        for relative in document.empty_partitions if document else []:
            target = _join(self.folder, relative)
            if not exists(target) and str(target) not in {str(s.target) for s in self._staged}:
                staging = self._staging_for(target)
                self._place(empty_file(final, staging, self.folder.name), target, final)
        # Every staged file is conformed before any is published: a failure here leaves the
        # table as it was.
        for index, staged in enumerate(self._staged):
            if not staged.schema.equals(final):
                conformed = rewrite(staged.local, final, staged.local.parent, self.folder.name)
                staged.local.unlink(missing_ok=True)
                self._staged[index] = _restaged(staged, conformed, final)
        ready, self._staged = self._staged, []
        try:
            results = publish_all(ready)
        finally:
            for staged in ready:
                staged.local.unlink(missing_ok=True)
        return {str(s.target): r for s, r in zip(ready, results, strict=True)}, rewritten

    def _publish_without_columns(
        self,
        document: TableDocument | None,
        existing: Mapping[str, tuple[Location, pa.Schema]],
    ) -> tuple[dict[str, SinkResult], int]:
        """No column yet: empty partitions are listed in the document, not written as files."""
        empty = set(document.empty_partitions if document else [])
        written = {}
        for staged in [*self._staged]:
            relative = _relative(self.folder, staged.target)
            empty.add(relative)
            _remove(staged.target)
            written[str(staged.target)] = SinkResult(
                path=str(staged.target), rows=0, bytes=0, schema=staged.schema, row_groups=0
            )
            staged.local.unlink(missing_ok=True)
        self._staged.clear()
        for path, _ in existing.values():
            empty.add(_relative(self.folder, path))
            _remove(path)
        self._save(pa.schema([]), document, empty=sorted(empty))
        return written, 0

    def _rewrite_in_place(self, path: Location, schema: pa.Schema) -> None:
        if isinstance(path, Path):
            self._place(rewrite(path, schema, self._staging_for(path), self.folder.name), path)
            return
        staging = self._staging_for(path)
        fs, remote = path.filesystem()
        local = staging / f"{self.folder.name}.download.parquet"
        fs.get_file(remote, os.fspath(local))
        try:
            self._place(rewrite(local, schema, staging, self.folder.name), path)
        finally:
            local.unlink(missing_ok=True)

    def _place(self, local: Path, target: Location, schema: pa.Schema | None = None) -> None:
        try:
            staged = StagedFile(
                local=local,
                target=target,
                rows=0,
                bytes=local.stat().st_size,
                schema=schema or pa.schema([]),
                row_groups=0,
            )
            publish(staged)
        finally:
            local.unlink(missing_ok=True)

    def _save(self, schema: pa.Schema, document: TableDocument | None, *, empty: list[str]) -> None:
        declared = sorted(set(self._declared.names) | set(document.declared if document else []))
        descriptions = {**(document.descriptions if document else {}), **self._descriptions}
        text = TableDocument(
            schema=schema,
            contract=self._contract,
            declared=declared,
            descriptions=descriptions,
            empty_partitions=empty,
            declared_types=_declared_union(
                document.declared_types if document else {}, self._fitter.declared_types
            ),
        ).to_json()
        where = schema_document(self.folder)
        if isinstance(where, Path):
            where.parent.mkdir(parents=True, exist_ok=True)
            temp = where.parent / f".{where.name}.{os.getpid()}.tmp"
            temp.write_text(text, encoding="utf-8")
            os.replace(temp, where)
            return
        local = self._staging_for(where) / where.name
        local.write_text(text, encoding="utf-8")
        try:
            upload(local, where)
        finally:
            local.unlink(missing_ok=True)

    def _changes(self, before: pa.Schema, final: pa.Schema, *, new_table: bool) -> SchemaChanges:
        values = self._fitter.changes
        changes = SchemaChanges(
            converted=values.converted,
            to_variant=values.to_variant,
            discarded_values=values.discarded_values,
            discarded_rows=values.discarded_rows,
            renamed=values.renamed,
        )
        if new_table and len(self._declared) == 0:
            changes.added = [name for name in values.added if VARIANT_INFIX in name]
            return changes
        for column in final:
            index = before.get_field_index(column.name)
            if index < 0:
                changes.column_added(column.name)
            elif before.field(index).type != column.type:
                changes.type_widened(column.name, before.field(index).type, column.type)
        return changes

    # --- places ----------------------------------------------------------------------------

    def _local_staging(self) -> Path | None:
        return staging_folder(self.folder / "part-0.parquet")

    def _staging_for(self, target: Location) -> Path:
        local = staging_folder(target)
        if local is not None:
            local.mkdir(parents=True, exist_ok=True)
            return local
        if self._staging is None:
            self._staging = Path(self._exit.enter_context(temp_dir("upload")))
        return self._staging

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        with contextlib.ExitStack() as held:
            if self._state is not None:
                # Writers on other machines take turns too: object storage has no lock.
                held.enter_context(self._state.hold(f"table:{self.folder}"))
            staging = self._local_staging()
            if staging is not None:
                staging.mkdir(parents=True, exist_ok=True)
                handle = held.enter_context((staging / f".{self.folder.name}.lock").open("a"))
                fcntl.flock(handle, fcntl.LOCK_EX)
            yield


def _file_schema(path: Location) -> pa.Schema:
    with open_parquet(path) as parquet:
        return parquet.schema_arrow


def _nullable(schema: pa.Schema) -> pa.Schema:
    return pa.schema([f.with_nullable(True) for f in schema], metadata=schema.metadata)


def _grow(table: pa.Schema, other: pa.Schema) -> pa.Schema:
    """The table's schema grown to hold `other`'s columns: widened types, new ones appended."""
    return _nullable(widen_schema(_nullable(table), _nullable(other)))


def _add_counts(into: SchemaChanges, more: SchemaChanges) -> None:
    """`more`'s counts of values and rows added to `into`'s."""
    into.converted.update(more.converted)
    into.to_variant.update(more.to_variant)
    into.discarded_values.update(more.discarded_values)
    into.discarded_rows += more.discarded_rows
    into.renamed.update(more.renamed)


def _with_new_columns(table: pa.Schema, declared: pa.Schema) -> pa.Schema:
    """`table` with what it lacks of the declared columns, found and named by the keys they
    hold: the columns, the properties inside objects and lists, and the types of those it has
    seen only null (a column seen only null is as new as one never seen)."""
    inside = _declared_inside(pa.struct(list(table)), pa.struct(list(declared)))
    grown = pa.schema(list(inside), metadata=table.metadata)
    return table if grown.equals(table) else grown


def _declared_inside(held: pa.DataType, declared: pa.DataType) -> pa.DataType:
    """`held` (a table's type) with what `declared` declares that it lacks (see above)."""
    if pa.types.is_null(held):
        return declared
    if pa.types.is_struct(held) and pa.types.is_struct(declared):
        fields = list(held)
        holding = ColumnNames([field.name for field in fields])
        for child in declared:
            name = holding.column_of(column_key(child.name))
            if name is None:
                fields.append(child.with_name(holding.add(column_key(child.name))))
                continue
            index = held.get_field_index(name)
            fields[index] = fields[index].with_type(
                _declared_inside(fields[index].type, child.type)
            )
        return pa.struct(fields)
    if pa.types.is_list(held) and pa.types.is_list(declared):
        return pa.list_(
            held.value_field.with_type(_declared_inside(held.value_type, declared.value_type))
        )
    return held


def _declared_union(
    earlier: Mapping[str, pa.DataType], later: Mapping[str, pa.DataType]
) -> dict[str, pa.DataType]:
    """The columns and properties inside that either declares; where both declare one, the
    earlier type (a table keeps a declared type)."""
    union = dict(earlier)
    for name, kind in later.items():
        union[name] = _declared_type_union(union[name], kind) if name in union else kind
    return union


def _declared_type_union(earlier: pa.DataType, later: pa.DataType) -> pa.DataType:
    if pa.types.is_struct(earlier) and pa.types.is_struct(later):
        held = {child.name: child for child in earlier}
        for child in later:
            before = held.get(child.name)
            held[child.name] = (
                child
                if before is None
                else before.with_type(_declared_type_union(before.type, child.type))
            )
        return pa.struct(list(held.values()))
    if pa.types.is_list(earlier) and pa.types.is_list(later):
        return pa.list_(_declared_type_union(earlier.value_type, later.value_type))
    return earlier


def _union(declared: pa.Schema, files: Iterable[tuple[Location, pa.Schema]]) -> pa.Schema:
    schema = declared
    for _, found in files:
        schema = _grow(schema, found)
    return schema


def _descriptions(json_schema: Mapping[str, Any] | None) -> dict[str, str]:
    properties = (json_schema or {}).get("properties")
    if not isinstance(properties, Mapping):
        return {}
    # The columns the properties get, named as `json_schema_to_arrow` names them.
    named = schema_apart(pa.schema([(name, pa.null()) for name in properties]))
    columns = dict(zip(properties, named.names, strict=True))
    return {
        columns[name]: node["description"]
        for name, node in properties.items()
        if isinstance(node, Mapping) and isinstance(node.get("description"), str)
    }


def _partition_columns(folder: Location, target: Location) -> frozenset[str]:
    """The Hive partition columns of `target`'s folders under the table's `folder`.

    >>> sorted(_partition_columns(Path("/t"), Path("/t/task_id=a/part-0.parquet")))
    ['task_id']
    """
    folders = _relative(folder, target).split("/")[:-1]
    return frozenset(part.split("=", 1)[0] for part in folders if "=" in part)


def _restaged(staged: StagedFile, local: Path, schema: pa.Schema) -> StagedFile:
    return StagedFile(
        local=local,
        target=staged.target,
        rows=staged.rows,
        bytes=local.stat().st_size,
        schema=schema,
        row_groups=staged.row_groups,
    )


def _relative(folder: Location, path: Location) -> str:
    return str(path)[len(str(folder)) :].lstrip("/")


def _join(folder: Location, relative: str) -> Location:
    place = folder
    for part in relative.split("/"):
        place = place / part
    return place


def _remove(path: Location) -> None:
    if isinstance(path, Path):
        path.unlink(missing_ok=True)
        return
    fs, remote = path.filesystem()
    if fs.exists(remote):
        fs.rm_file(remote)
