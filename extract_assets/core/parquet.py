"""Streaming sink: NDJSON bytes or JSON records → one Parquet file, committed atomically.

Bytes are cut into blocks of a few MB at line ends and parsed by pyarrow's JSON reader, each
block whole on a thread of its own, up to two blocks ahead of the one being added (see
`_parsed_ahead`); record batches are gathered into row groups of ``row_group_rows`` rows and
written to a hidden temp file next to the target's table folder (see `_staging_folder`), which is
fsynced and renamed over the target only when every row has arrived. When the target is a URL (see
`storage`), the finished local file is uploaded straight to its final key instead, which object
stores show only once complete. A background thread writes one row group while the next is
gathered, so memory stays bounded by three blocks plus two row groups, whatever the result's size.

Schema: the JSON Schema when one is given (keys it does not declare are inferred, never dropped),
else inferred. When a later block needs a wider type (see `arrow_schema` for the rules), the rows
still pending take it at once; if row groups were already written, the sink starts a new temp
segment with the wider schema and, at commit, copies every segment row group by row group into
one file with the final schema, so each row is rewritten at most once however often the schema
widens.

Choices worth knowing:

- Inferred strings stay strings: pyarrow would read ``"2026-01-01T00:00:00Z"`` as a timestamp
  but ``"2026-01-01T00:00:00.000Z"`` as a string, and would shift ``+02:00`` offsets to UTC, so
  a later odd value could only be recovered as rewritten text. Declare ``format: date-time`` or
  ``format: date`` in the JSON Schema to get typed columns.
- A declared column whose data does not fit its type is widened like an inferred one (with a
  warning) instead of failing the run; a ``required`` column that arrives null or absent becomes
  nullable (with a warning).
- A block pyarrow cannot parse (a column mixing numbers and strings, an object where a string
  column is known, a JSON-text column) is parsed again with the standard library: exact, but
  about ten times slower, and only for that block.
- An object that is always ``{}`` cannot be a Parquet struct; it is stored as JSON text.
- A row that is ``{}`` is a row of nulls in the columns other rows bring; if no row brings a
  column and none is declared, the write fails (`OutputError`): a Parquet file needs a column.
  So does a write of no rows with no declared column (a `TableWriter` lists such a partition as
  empty instead).
"""

from __future__ import annotations

import codecs
import contextlib
import itertools
import json
import logging
import operator
import os
import queue
import re
import threading
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.json as pj
import pyarrow.parquet as pq

from extract_assets.core.arrow_schema import (
    PART,
    conform_table,
    json_schema_to_arrow,
    of_known_types,
    python_parts,
    widen_type,
)
from extract_assets.core.column_names import column_key, keyed
from extract_assets.core.contract import Fitter, convert_values
from extract_assets.core.errors import IncompleteResultError, OutputError, UnreadableRowError
from extract_assets.core.json_integers import may_hold_rounded_integers
from extract_assets.core.json_text import json_text, loads
from extract_assets.core.leftovers import owner_token, temp_dir
from extract_assets.core.storage import Location, RemotePath, location, upload
from extract_assets.core.text_repair import Repairs

__all__ = [
    "SinkResult",
    "StagedFile",
    "ndjson_tables",
    "publish",
    "stage_ndjson",
    "stage_records",
    "stage_tables",
    "write_ndjson",
    "write_records",
]

logger = logging.getLogger(__name__)

# Measured on 2 cores with benchmarks/ndjson_to_parquet.py: 8 MiB blocks cost ~25 MB more peak
# RSS for no clear gain, 2 MiB were slower.
_BLOCK_BYTES = 4 << 20
# Blocks parsed ahead on threads (pyarrow parses without the GIL) while the main thread
# receives bytes and fits, gathers and hands over row groups. Each costs a block and its
# table (~20 MB) of memory.
_PARSE_AHEAD = 2
_RECORDS_PER_BATCH = 20_000
_FALLBACK_ROWS = 2_000
# snappy, a choice of speed over size: writing 1M realistic rows (345 MB of NDJSON) took
# 0.61 CPU-seconds against zstd's 0.75 (encoding alone: 0.49), and the writer shares two cores
# with the parser; the file is 41% larger (46.4 MB against 32.8). Every Parquet reader reads
# both; a table compacted later may take zstd.
_COMPRESSION = "snappy"
# Arrow's 1 MiB default lets a unique column grow a ~30 MB dictionary per row group before it
# falls back to plain encoding; 256 KiB gave smaller files, faster writes and less memory.
_DICTIONARY_PAGE_BYTES = 256 << 10
# The default pool (mimalloc) held ~50 MB more RSS across the parser's threads than malloc.
_POOL = pa.system_memory_pool()
_STRING = pa.string()
_NULL = pa.null()
# pyarrow 26 crashes the process (a segfault) reading a block whose first value is `null`.
_LEADING_NULL = re.compile(rb"(?:\xef\xbb\xbf)?\s*null")


@dataclass(frozen=True)
class SinkResult:
    """What landed: the file (an absolute path or a URL), its rows, bytes, schema and groups."""

    path: str
    rows: int
    bytes: int
    schema: pa.Schema
    row_groups: int


@dataclass(frozen=True)
class StagedFile:
    """A complete file in a temp place, not yet where readers look (`target`)."""

    local: Path
    target: Location
    rows: int
    bytes: int
    schema: pa.Schema
    row_groups: int


def write_ndjson(
    chunks: Iterable[bytes],
    target: str | os.PathLike[str] | RemotePath,
    *,
    json_schema: Mapping[str, Any] | None = None,
    expected_rows: int | None = None,
    row_group_rows: int = 131_072,
) -> SinkResult:
    """Stream NDJSON byte chunks (split anywhere) into one Parquet file at `target` (a path or URL).

    Blank lines are skipped; the last line may lack its newline. The target appears only once
    complete; on any error it is left as it was and no temp file remains. Raises
    `IncompleteResultError` when `expected_rows` is given and a different number of rows arrived.

    >>> write_ndjson([b'{"id": 1}\\n{"id"', b': 2}'], "out/ids.parquet").rows  # doctest: +SKIP
    2
    """
    return _write_one(stage_ndjson, chunks, target, json_schema, expected_rows, row_group_rows)


def write_records(
    records: Iterable[Mapping[str, Any]],
    target: str | os.PathLike[str] | RemotePath,
    *,
    json_schema: Mapping[str, Any] | None = None,
    expected_rows: int | None = None,
    row_group_rows: int = 131_072,
) -> SinkResult:
    """Write JSON-like records (e.g. the items of API pages) into one Parquet file at `target`.

    Same schema rules and guarantees as `write_ndjson`.

    >>> write_records(({"id": i} for i in range(3)), "out/ids.parquet").rows  # doctest: +SKIP
    3
    """
    return _write_one(stage_records, records, target, json_schema, expected_rows, row_group_rows)


def _write_one(
    stage: Callable[..., StagedFile],
    source: Iterable[Any],
    target: str | os.PathLike[str] | RemotePath,
    json_schema: Mapping[str, Any] | None,
    expected_rows: int | None,
    row_group_rows: int,
) -> SinkResult:
    """Stage `source` with `stage` (NDJSON chunks or records) and publish it at `target`."""
    place = location(target)
    with _staging_for(place) as staging:
        staged = stage(
            source,
            place,
            staging,
            known=_initial_schema(json_schema),
            fitter=_plain_fitter(json_schema, place),
            expected_rows=expected_rows,
            row_group_rows=row_group_rows,
        )
        if not staged.schema.names:
            staged.local.unlink(missing_ok=True)
            raise OutputError(
                f"no row arrived and no column is declared, and a Parquet file needs a column "
                "(DuckDB refuses one without). Declare the columns in the JSON schema to write "
                f"an empty table. {place} was left as it was"
            )
        return publish(staged)


def stage_ndjson(
    chunks: Iterable[bytes],
    target: Location,
    staging: Path,
    *,
    known: pa.Schema,
    fitter: Fitter,
    expected_rows: int | None = None,
    row_group_rows: int = 131_072,
) -> StagedFile:
    """NDJSON into a complete temp file in `staging`, each batch fitted to `known` by `fitter`.

    `publish` then puts it at `target`; on any error no temp file remains.
    """
    with _Sink(target, known, row_group_rows, fitter, staging) as sink:
        blocks = _blocks(chunks, _BLOCK_BYTES)
        for table in _parsed_ahead(blocks, sink, fitter.changes.converted, _PARSE_AHEAD):
            sink.add(table)
        return sink.finish(expected_rows)


def stage_records(
    records: Iterable[Mapping[str, Any]],
    target: Location,
    staging: Path,
    *,
    known: pa.Schema,
    fitter: Fitter,
    expected_rows: int | None = None,
    row_group_rows: int = 131_072,
) -> StagedFile:
    """Records into a complete temp file in `staging`, like `stage_ndjson`."""
    with _Sink(target, known, row_group_rows, fitter, staging) as sink:
        rows = iter(records)
        repairs = Repairs()
        while batch := list(itertools.islice(rows, _RECORDS_PER_BATCH)):
            sink.add(
                _records_table(
                    batch,
                    keyed(sink.schema),
                    first_row=sink.arrived + 1,
                    converted=fitter.changes.converted,
                    repairs=repairs,
                    exact=sink.exact,
                )
            )
        repairs.report()
        return sink.finish(expected_rows)


def stage_tables(
    tables: Iterable[pa.Table],
    target: Location,
    staging: Path,
    *,
    known: pa.Schema,
    fitter: Fitter,
    expected_rows: int | None = None,
    row_group_rows: int = 131_072,
) -> StagedFile:
    """Arrow tables (e.g. from `ndjson_tables`) into a complete temp file, like `stage_ndjson`."""
    with _Sink(target, known, row_group_rows, fitter, staging) as sink:
        for table in tables:
            sink.add(table)
        return sink.finish(expected_rows)


def ndjson_tables(
    block: bytes,
    known: pa.Schema,
    *,
    first_row: int,
    converted: Counter[str],
    exact: frozenset[str] = frozenset(),
) -> Iterator[pa.Table]:
    """Whole NDJSON lines as Arrow tables, read exactly as `stage_ndjson` reads a block (the
    keys of declared columns in `exact`)."""
    yield from _parse_block(
        memoryview(block), known, first_row=first_row, converted=converted, exact=exact
    )


def publish(staged: StagedFile) -> SinkResult:
    """Put a staged file where readers look: a rename on the same filesystem, or one upload."""
    target = staged.target
    if isinstance(target, RemotePath):
        upload(staged.local, target)
        staged.local.unlink(missing_ok=True)
        landed = str(target)
    else:
        _fsync_path(staged.local)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged.local, target)
        _fsync_path(target.parent)
        landed = os.path.abspath(target)
    return SinkResult(
        path=landed,
        rows=staged.rows,
        bytes=staged.bytes,
        schema=staged.schema,
        row_groups=staged.row_groups,
    )


def rewrite(source: Path, schema: pa.Schema, staging: Path, table: str) -> Path:
    """A copy of a local Parquet file in `staging`, conformed to `schema` (a widening of its
    own), row group by row group, so memory stays bounded by one row group."""
    copy = staging / f"{temp_tag(table)}.tmp"
    try:
        with pq.ParquetFile(source) as original, _open_writer(copy, schema) as writer:
            for index in range(original.num_row_groups):
                group = conform_table(original.read_row_group(index), schema)
                writer.write_table(group, row_group_size=max(group.num_rows, 1))
    except BaseException:
        copy.unlink(missing_ok=True)
        raise
    return copy


def empty_file(schema: pa.Schema, staging: Path, table: str) -> Path:
    """A Parquet file of `schema` and no rows, in `staging`."""
    path = staging / f"{temp_tag(table)}.tmp"
    with _open_writer(path, schema):
        pass
    return path


def temp_tag(table: str) -> str:
    """A temp file's name stem: the table, the owner (see `leftovers`), a unique id."""
    return f".{table}.{owner_token()}.{uuid.uuid4().hex}"


def table_name(target: Location) -> str:
    """The name of the table a file belongs to: its folder above any Hive `key=value` levels.

    >>> table_name(Path("/lake/extractto/ads/date=2026-11-01/part-0.parquet"))
    'ads'
    """
    return table_folder(target).name


def table_folder(target: Location) -> Location:
    """The folder of the table a file belongs to."""
    folder = target.parent
    while "=" in folder.name:
        folder = folder.parent
    return folder


def staging_folder(target: Location) -> Path | None:
    """Where a local target's temp files go (`None` for a URL): beside its table's folder.

    A reader given a table's folder lists everything under it, hidden files included, and
    Polars refuses a folder holding a file that is not Parquet; a temp file left by a killed run
    would break it for good. Same filesystem, so publishing stays a rename; an unwritable parent
    falls back to the target's own folder.

    >>> staging_folder(Path("/lake/extractto/ads/date=2026-11-01/part-0.parquet"))
    PosixPath('/lake/extractto')
    >>> staging_folder(Path("/lake/linkup/team/part-0.parquet"))
    PosixPath('/lake/linkup')
    """
    if isinstance(target, RemotePath):
        return None
    table = table_folder(target)
    assert isinstance(table, Path)
    staging = table.parent
    if staging.is_dir() and not os.access(staging, os.W_OK | os.X_OK):
        return target.parent
    return staging


@contextlib.contextmanager
def _staging_for(target: Location) -> Iterator[Path]:
    local = staging_folder(target)
    if local is not None:
        local.mkdir(parents=True, exist_ok=True)
        yield local
        return
    with temp_dir("upload") as folder:
        yield Path(folder)


def _plain_fitter(json_schema: Mapping[str, Any] | None, target: Location) -> Fitter:
    declared = _initial_schema(json_schema).names
    return Fitter(declared=frozenset(declared), contract="evolve", where=str(target))


def _initial_schema(json_schema: Mapping[str, Any] | None) -> pa.Schema:
    return json_schema_to_arrow(json_schema) if json_schema is not None else pa.schema([])


# --- bytes → blocks → Arrow tables ---------------------------------------------------------


def _blocks(chunks: Iterable[bytes], block_bytes: int) -> Iterator[memoryview]:
    """Whole lines, about `block_bytes` at a time; a newline byte never occurs inside UTF-8."""
    parts: list[bytes] = []
    size = 0
    wanted = block_bytes
    for chunk in chunks:
        if not chunk:
            continue
        parts.append(chunk)
        size += len(chunk)
        if size < wanted:
            continue
        buffer = b"".join(parts)
        cut = buffer.rfind(b"\n") + 1
        if cut == 0:
            parts, wanted = [buffer], 2 * size  # one very long line: wait for its end
            continue
        yield memoryview(buffer)[:cut]
        rest = buffer[cut:]
        parts, size, wanted = ([rest] if rest else []), len(rest), block_bytes
    tail = b"".join(parts)
    if tail.strip():
        yield memoryview(tail)


@dataclass(frozen=True)
class _Guess:
    """A block parsed ahead, told the schema the sink had when the block was cut (`known`)."""

    block: memoryview
    known: pa.Schema
    parsed: Future[tuple[list[pa.Table], Counter[str]]]


def _parsed_ahead(
    blocks: Iterable[memoryview], sink: _Sink, converted: Counter[str], ahead: int
) -> Iterator[pa.Table]:
    """The tables of every block, in order, exactly as parsing them one by one would give them,
    while up to `ahead` later blocks parse on threads of their own.

    Each block is parsed by `_parse_block`, told the sink's schema; a block parsed ahead of
    its turn was told the schema of an earlier moment. Its tables are taken only if the sink's
    schema is still that one when its turn comes (the usual case once the first blocks have
    set the columns); otherwise, or if parsing it failed, it is parsed again, then and there,
    so schema widening, late keys, row numbers in errors and the `converted` counts are the
    serial ones. The caller adds each table to `sink` before asking for the next.
    """
    if ahead < 1:
        for block in blocks:
            yield from _parse_block(
                block,
                sink.schema,
                first_row=sink.arrived + 1,
                converted=converted,
                exact=sink.exact,
            )
        return
    pool = ThreadPoolExecutor(max_workers=ahead, thread_name_prefix="ndjson-parse")
    waiting: deque[_Guess] = deque()
    try:
        for block in blocks:
            waiting.append(
                _Guess(
                    block, sink.schema, pool.submit(_parse_whole, block, sink.schema, sink.exact)
                )
            )
            if len(waiting) > ahead:
                yield from _settle(waiting.popleft(), sink, converted)
        while waiting:
            yield from _settle(waiting.popleft(), sink, converted)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _settle(guess: _Guess, sink: _Sink, converted: Counter[str]) -> list[pa.Table]:
    """The guess's tables if it was told the sink's schema as it is now, else a serial parse."""
    if guess.known.equals(sink.schema):
        try:
            tables, counts = guess.parsed.result()
        except Exception:  # parsed again below, to raise with the right row numbers
            pass
        else:
            converted.update(counts)
            return tables
    else:
        guess.parsed.cancel()
    return list(
        _parse_block(
            guess.block,
            sink.schema,
            first_row=sink.arrived + 1,
            converted=converted,
            exact=sink.exact,
        )
    )


def _parse_whole(
    block: memoryview, known: pa.Schema, exact: frozenset[str]
) -> tuple[list[pa.Table], Counter[str]]:
    """`_parse_block` on a thread: row numbers in errors are not known yet (the caller parses
    a failed block again), and conversions are counted apart until the block is taken."""
    counts: Counter[str] = Counter()
    return list(_parse_block(block, known, first_row=1, converted=counts, exact=exact)), counts


def _parse_block(
    block: memoryview,
    known: pa.Schema,
    *,
    first_row: int,
    converted: Counter[str],
    exact: frozenset[str] = frozenset(),
) -> Iterator[pa.Table]:
    known = keyed(known)  # told by key: a column may hold a key of another name
    table = _read_by_pyarrow(block, known)
    if table is not None:
        table = _restore_dates(table, known)
        if _holds_declared(table, known, exact) and _holds_known_shapes(table, known):
            converted.update(times_from_text(table, known))
            yield table
            return
    # The standard library reads the block instead, a slice at a time to bound the Python
    # objects.
    text = bytes(block)
    lines = [line for line in text.splitlines() if line.strip()]
    # Only the body's last block may end without a newline: its last line is where a body cut
    # short ends.
    cut = not text.rstrip(b" \t\r").endswith(b"\n")
    repairs = Repairs()
    for start in range(0, len(lines), _FALLBACK_ROWS):
        row = first_row + start
        last = start + _FALLBACK_ROWS >= len(lines)
        rows = _json_rows(lines[start : start + _FALLBACK_ROWS], row, repairs, cut=cut and last)
        table = _records_table(
            rows, known, first_row=row, converted=converted, repairs=repairs, exact=exact
        )
        yield _restore_dates(table, known)
    repairs.report()


def _read_by_pyarrow(block: memoryview, known: pa.Schema) -> pa.Table | None:
    """The block as pyarrow reads it told `known`, or None where that would not be exact:
    typically a column holds several JSON kinds in this block, which pyarrow refuses; or an
    integer beyond int64, which it rounds into a float; or bytes that are not UTF-8, which it
    keeps in a string as they are."""
    if _LEADING_NULL.match(block):
        return None
    try:
        table = _read_json(block, _parse_hint(known))
        retyped = _without_inferred_timestamps(table.schema, known)
        if retyped is not None:
            table = _read_json(block, retyped)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if may_hold_rounded_integers(table, block) or not _is_utf8(block):
        return None
    return table


def times_from_text(table: pa.Table, known: pa.Schema) -> Counter[str]:
    """The values of `table`'s timestamp and date columns, by column: read from JSON, where
    they are text (a reader refuses a number there), each is text converted."""
    counts: Counter[str] = Counter()
    for found, values in zip(table.schema, table.columns, strict=True):
        if _is_time(found.type) and found.name in known.names:
            counts[found.name] += len(values) - values.null_count
    return +counts


def _is_time(kind: pa.DataType | None) -> bool:
    return kind is not None and (pa.types.is_timestamp(kind) or pa.types.is_date32(kind))


def _holds_declared(table: pa.Table, known: pa.Schema, exact: frozenset[str]) -> bool:
    """Whether every declared object or list read by pyarrow is of its declared types inside.

    One that is not (a text that is no date, a value where only null is declared) goes whole
    to its JSON variant as the JSON text sent, which only the exact reader keeps: pyarrow's
    struct holds every key any row of the block had."""
    for found in table.schema:
        index = known.get_field_index(found.name) if found.name in exact else -1
        declared = known.field(index).type if index >= 0 else _NULL
        if pa.types.is_nested(declared) and not of_known_types(found.type, declared):
            return False
    return True


def _holds_known_shapes(table: pa.Table, known: pa.Schema) -> bool:
    """Whether each object or list read by pyarrow is one where the table holds one, at every
    depth. pyarrow is told no type where the table has seen only nulls (an empty list's
    items), and an object read there where the table holds a list, or the reverse, goes whole
    to its JSON variant as the text sent, which only the exact reader keeps."""
    return all(
        _same_shape(found.type, known.field(index).type)
        for found in table.schema
        if (index := known.get_field_index(found.name)) >= 0
    )


def _same_shape(found: pa.DataType, known: pa.DataType | None) -> bool:
    if known is None or pa.types.is_null(known):
        return True
    if pa.types.is_struct(found):
        return pa.types.is_struct(known) and all(
            _same_shape(child.type, _child(known, child.name)) for child in found
        )
    if pa.types.is_list(found):
        return pa.types.is_list(known) and _same_shape(found.value_type, known.value_type)
    return True  # pyarrow was told the type the table holds, and refuses another


def _is_utf8(block: memoryview) -> bool:
    """Whether the block is UTF-8: pyarrow copies the bytes of a string as they are, so text
    that is not would land in the file, where readers fail on it. An ASCII block (the
    common case, told by one pass of numpy) is; another is decoded in full to tell."""
    if int(np.frombuffer(block, np.uint8).max(initial=0)) < 0x80:
        return True
    try:
        codecs.utf_8_decode(block, "strict", True)
    except UnicodeDecodeError:
        return False
    return True


def _read_json(block: memoryview, hint: pa.Schema | None) -> pa.Table:
    """The block as a table, or `ArrowInvalid` when pyarrow cannot read it whole.

    pyarrow's inference drops the leading nulls of a list whose item type it has not seen yet
    (``[null, true]``: offsets span two items, the values hold one; apache/arrow#51305), which
    only fails later, far from here. Told the types it inferred, it reads the same block whole;
    a list of nulls only has no type to tell, and the caller's exact fallback reads it.
    """
    table = _parse_json(block, hint)
    try:
        table.validate()  # cheap: checks that offsets and lengths agree, not every value
    except pa.ArrowInvalid:
        table = _parse_json(block, _parse_hint(table.schema))
        table.validate()
    return table


def _parse_json(block: memoryview, hint: pa.Schema | None) -> pa.Table:
    """The block in one piece, on the calling thread: blocks already parse two at a time on
    threads of their own (`_parsed_ahead`), and pyarrow's threads, parsing each block in parts,
    cost ~4% more CPU (4M rows: 11.1 to 11.3 CPU-seconds against 11.5 to 11.9; 3% more time)."""
    parse_options = pj.ParseOptions(explicit_schema=hint, unexpected_field_behavior="infer")
    read_options = pj.ReadOptions(use_threads=False, block_size=len(block) + 1)
    source = pa.BufferReader(pa.py_buffer(block))
    return pj.read_json(source, read_options, parse_options, memory_pool=_POOL)


def _json_rows(
    lines: list[bytes], first_row: int, repairs: Repairs, *, cut: bool = False
) -> list[Any]:
    """Each line's value; a `null` line is a row of nulls, as pyarrow reads it, so a block
    reads alike whichever reader reads it. With `cut`, a last line that is not JSON is a line
    cut short (`IncompleteResultError`, which a download tries again), not a bad row."""
    rows = []
    for offset, line in enumerate(lines):
        try:
            try:
                row = loads(line)
            except UnicodeDecodeError:
                row = repairs.json_line(line)
        except json.JSONDecodeError as error:
            if cut and offset == len(lines) - 1:
                raise IncompleteResultError(
                    f"NDJSON row {first_row + offset}, the last, ends mid-way with no newline: "
                    "the body was cut short"
                ) from error
            excerpt = _excerpt(line.decode("utf-8", "replace"))
            raise UnreadableRowError(
                f"NDJSON row {first_row + offset} is not valid JSON ({error}): {excerpt}",
                row=first_row + offset,
                excerpt=excerpt,
            ) from error
        rows.append({} if row is None else row)
    return rows


def _records_table(
    rows: list[Any],
    known: pa.Schema,
    *,
    first_row: int,
    converted: Counter[str],
    repairs: Repairs,
    exact: frozenset[str] = frozenset(),
) -> pa.Table:
    # A null item is a row of nulls, as a null NDJSON line is: the same rows whichever way sent.
    rows = [{} if row is None else row for row in rows]
    for offset, row in enumerate(rows):
        if not isinstance(row, Mapping):
            excerpt = _excerpt(json_text(row) if not isinstance(row, str) else json.dumps(row))
            raise UnreadableRowError(
                f"row {first_row + offset} is {_KIND_NAMES.get(type(row), 'a value')}, not an "
                f"object: {excerpt}",
                row=first_row + offset,
                excerpt=excerpt,
            )
    try:
        table, counts = _python_table(rows, known, exact)
    except UnicodeEncodeError:
        table, counts = _python_table(repairs.without_lone_surrogates(rows), known, exact)
    converted.update(counts)
    return table


_KIND_NAMES: dict[type, str] = {
    list: "a list",
    str: "a text",
    int: "a number",
    float: "a number",
    bool: "a boolean",
}
_EXCERPT_CHARS = 60


def _excerpt(text: str) -> str:
    """The start of a row's text, enough to find it in the file."""
    text = text.strip()
    return text if len(text) <= _EXCERPT_CHARS else f"{text[:_EXCERPT_CHARS]}…"


def _python_table(
    rows: list[Mapping[str, Any]], known: pa.Schema, exact: frozenset[str]
) -> tuple[pa.Table, Counter[str]]:
    """The rows as a table of `known`'s types where they fit, and what that converted; the
    columns of the keys in `exact` (declared) never round an integer into a double."""
    converted: Counter[str] = Counter()
    names = list(dict.fromkeys(itertools.chain.from_iterable(rows)))
    fields, columns = [], []
    for name in names:
        index = known.get_field_index(name)
        hint = known.field(index).type if index >= 0 else None
        sent = values = list(map(operator.methodcaller("get", name), rows))
        count = 0
        if hint is not None:
            # Convert here, value by value, what converts without loss ("3185" for an integer),
            # so that a few such values do not turn the whole batch's column into text.
            values, count = convert_values(values, hint)
        parts = python_parts(name, values, hint, exact=name in exact, sent=sent)
        if _is_time(hint) and parts[0][0].type == hint:
            count = sum(isinstance(value, str) for value in values)  # each text read as one
        if count and widen_type(hint, parts[0][0].type) == hint:
            converted[name] += count  # else the fitter converts (and counts) them itself
        for field, column in parts:
            fields.append(field)
            columns.append(column)
    if not columns:  # rows of no key: a table of no column still holds their count
        return pa.table([pa.nulls(len(rows))], names=[""]).select([]), converted
    return pa.Table.from_arrays(columns, schema=pa.schema(fields)), converted


def _parse_hint(known: pa.Schema) -> pa.Schema | None:
    """What pyarrow is told: known types, minus those it cannot parse or would pin too early."""
    fields = [
        pa.field(field.name, hinted)
        for field in known
        if (hinted := _hint_type(field.type)) is not None
    ]
    return pa.schema(fields) if fields else None


def _hint_type(t: pa.DataType) -> pa.DataType | None:
    if pa.types.is_null(t):
        return None  # an all-null column so far: pinning it would reject its first value
    if pa.types.is_date32(t):
        return _STRING  # pyarrow reads dates only from numbers; `_restore_dates` casts
    if pa.types.is_struct(t):
        children = [pa.field(f.name, h) for f in t if (h := _hint_type(f.type)) is not None]
        return pa.struct(children) if children else None
    if pa.types.is_list(t):
        item = _hint_type(t.value_type)
        return pa.list_(item) if item is not None else None
    return t


def _without_inferred_timestamps(parsed: pa.Schema, known: pa.Schema) -> pa.Schema | None:
    """A hint reading as strings the timestamps pyarrow inferred but nobody declared."""
    fields = []
    for field in parsed:
        index = known.get_field_index(field.name)
        fields.append(
            field.with_type(
                _timestamps_as_strings(field.type, known.field(index).type if index >= 0 else None)
            )
        )
    schema = pa.schema(fields)
    return None if schema.equals(parsed) else _parse_hint(schema)


def _timestamps_as_strings(t: pa.DataType, known: pa.DataType | None) -> pa.DataType:
    if pa.types.is_timestamp(t):
        return t if known is not None and pa.types.is_timestamp(known) else _STRING
    if pa.types.is_struct(t):
        known_struct = known if known is not None and pa.types.is_struct(known) else None
        return pa.struct(
            f.with_type(_timestamps_as_strings(f.type, _child(known_struct, f.name))) for f in t
        )
    if pa.types.is_list(t):
        item = known.value_type if known is not None and pa.types.is_list(known) else None
        return pa.list_(_timestamps_as_strings(t.value_type, item))
    return t


def _child(struct: pa.StructType | None, name: str) -> pa.DataType | None:
    if struct is None or struct.get_field_index(name) < 0:
        return None
    return struct.field(struct.get_field_index(name)).type


def _restore_dates(table: pa.Table, known: pa.Schema) -> pa.Table:
    """Cast to date32 the columns declared as dates, which pyarrow read as strings."""
    for index, field in enumerate(table.schema):
        position = known.get_field_index(field.name)
        if position < 0 or PART in (field.metadata or {}):
            continue  # (the JSON text of objects and lists is never a date)
        wanted = _with_dates(field.type, known.field(position).type)
        if wanted == field.type:
            continue
        try:
            column = table.column(index).cast(wanted)
        except pa.ArrowInvalid:
            continue  # not all dates: the column widens to string, keeping the text
        table = table.set_column(index, field.with_type(wanted), column)
    return table


def _with_dates(t: pa.DataType, declared: pa.DataType | None) -> pa.DataType:
    if declared is None:
        return t
    if pa.types.is_date32(declared) and pa.types.is_string(t):
        return declared
    if pa.types.is_struct(t) and pa.types.is_struct(declared):
        return pa.struct(f.with_type(_with_dates(f.type, _child(declared, f.name))) for f in t)
    if pa.types.is_list(t) and pa.types.is_list(declared):
        return pa.list_(_with_dates(t.value_type, declared.value_type))
    return t


# --- Arrow tables → row groups → one committed file ----------------------------------------


class _Sink:
    """Gathers tables into row groups in temp segments, then makes them one complete file."""

    def __init__(
        self,
        target: Location,
        schema: pa.Schema,
        row_group_rows: int,
        fitter: Fitter,
        staging: Path,
    ) -> None:
        if row_group_rows < 1:
            raise ValueError(f"row_group_rows must be positive, not {row_group_rows}")
        self.schema = schema
        # The keys of the declared columns, whose integers are never rounded into doubles.
        self.exact = frozenset(column_key(name) for name in fitter.declared)
        self.rows = 0
        # Rows given to `add`, which a `discard_row` contract may leave out of `rows`: what a
        # provider's count is checked against, and what a row's number counts.
        self.arrived = 0
        self._fitter = fitter
        self._target = target
        self._row_group_rows = row_group_rows
        self._tag = temp_tag(table_name(target))
        self._pending: list[pa.Table] = []
        self._pending_rows = 0
        self._segments: list[tuple[Path, pa.Schema]] = []
        self._writer = _RowGroupWriter()
        self._row_groups = 0
        self._folder = staging
        self._kept: Path | None = None

    def __enter__(self) -> _Sink:
        self._folder.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        with contextlib.suppress(Exception):
            self._writer.stop()  # after a failure: the first error is the one to report
        for path, _ in self._segments:
            if path != self._kept:
                path.unlink(missing_ok=True)

    def add(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        self.arrived += table.num_rows
        fitted, schema = self._fitter(table, self.schema)
        schema = _relax_required(schema, fitted)
        for field in self.schema:
            if not field.nullable and schema.field(field.name).nullable:
                logger.warning("required column %r is missing or null in some rows", field.name)
        if not schema.equals(self.schema):
            self._pending = [conform_table(t, schema) for t in self._pending]
            self.schema = schema
        self._pending.append(conform_table(fitted, self.schema))
        self.rows += fitted.num_rows
        self._pending_rows += fitted.num_rows
        # Rows without a column cost no memory: they wait for a later row to bring one.
        while self._pending_rows >= self._row_group_rows and self.schema.names:
            self._flush(self._row_group_rows)

    def finish(self, expected_rows: int | None) -> StagedFile:
        self._flush(self._pending_rows, last=True)
        self._writer.stop()
        if expected_rows is not None and self.arrived != expected_rows:
            raise IncompleteResultError(
                f"{self.arrived:,} rows arrived but {expected_rows:,} were expected; "
                f"{self._target} was left as it was"
            )
        final = self._segments[0][0] if len(self._segments) == 1 else self._merge()
        self._kept = final
        return StagedFile(
            local=final,
            target=self._target,
            rows=self.rows,
            bytes=final.stat().st_size,
            schema=self.schema,
            row_groups=self._row_groups,
        )

    def _flush(self, rows: int, *, last: bool = False) -> None:
        if rows and not self.schema.names:
            raise OutputError(
                f"{self.rows:,} rows have no field to store (each is {{}}, or holds only the "
                "date of its partition), and a Parquet file needs a column. Declare the "
                "table's columns in its JSON schema: such rows are then stored with nulls. "
                f"{self._target} was left as it was"
            )
        writable = _parquet_writable(self.schema)
        if not writable.equals(self.schema):
            self._pending = [conform_table(t, writable) for t in self._pending]
            self.schema = writable
        if not self._segments or not self._segments[-1][1].equals(self.schema):
            if self._segments:
                logger.info(
                    "schema widened after %d rows were written; they will be rewritten once",
                    self.rows - self._pending_rows,
                )
            path = self._folder / f"{self._tag}.{len(self._segments)}.tmp"
            self._segments.append((path, self.schema))
        table = pa.concat_tables(self._pending) if self._pending else self.schema.empty_table()
        self._writer.write(self._segments[-1][0], self.schema, table.slice(0, rows), last=last)
        self._row_groups += rows > 0
        rest = table.slice(rows)
        self._pending = [rest] if rest.num_rows else []
        self._pending_rows -= rows

    def _merge(self) -> Path:
        merged = self._folder / f"{self._tag}.tmp"
        parts = [path for path, _ in self._segments]
        self._segments.append((merged, self.schema))
        with _open_writer(merged, self.schema) as writer:
            for part in parts:
                with pq.ParquetFile(part) as source:
                    for index in range(source.num_row_groups):
                        group = conform_table(source.read_row_group(index), self.schema)
                        writer.write_table(group, row_group_size=group.num_rows)
                part.unlink()
        return merged


class _RowGroupWriter:
    """Writes row groups on a thread of its own, so that parsing the next ones overlaps it.

    Row groups are written in order; a new path closes the previous file and opens the next.
    Only one row group is handed over at a time, which bounds memory to the one being written
    plus the one being gathered. An error on the thread is raised by the next `write` or `stop`.
    """

    def __init__(self) -> None:
        self._queue: queue.Queue[tuple[Path, pa.Schema, pa.Table] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def write(self, path: Path, schema: pa.Schema, table: pa.Table, *, last: bool = False) -> None:
        if last and self._thread is None:
            # A file of one row group (a day of a backfill, say): a thread would add only its
            # start and join.
            with _open_writer(path, schema) as writer:
                if table.num_rows:
                    writer.write_table(table, row_group_size=table.num_rows)
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="parquet-writer", daemon=True)
            self._thread.start()
        self._queue.join()
        self._raise()
        self._queue.put((path, schema, table))

    def stop(self) -> None:
        """Finish the queued row groups, close the file and raise the thread's error if any."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None
        self._raise()

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def _run(self) -> None:
        path: Path | None = None
        writer: pq.ParquetWriter | None = None
        while (item := self._queue.get()) is not None:
            try:
                if self._error is None:
                    if item[0] != path:
                        if writer is not None:
                            writer.close()
                        path, writer = item[0], _open_writer(item[0], item[1])
                    if item[2].num_rows:
                        assert writer is not None
                        writer.write_table(item[2], row_group_size=item[2].num_rows)
            except BaseException as error:
                self._error = error
            finally:
                self._queue.task_done()
        try:
            if writer is not None:
                writer.close()
        except BaseException as error:
            self._error = self._error or error


def _open_writer(path: Path, schema: pa.Schema) -> pq.ParquetWriter:
    return pq.ParquetWriter(
        path,
        schema,
        compression=_COMPRESSION,
        dictionary_pagesize_limit=_DICTIONARY_PAGE_BYTES,
        memory_pool=_POOL,
    )


def _relax_required(schema: pa.Schema, table: pa.Table) -> pa.Schema:
    for index, field in enumerate(schema):
        if field.nullable:
            continue
        present = table.schema.get_field_index(field.name)
        if present < 0 or table.column(present).null_count:
            schema = schema.set(index, field.with_nullable(True))
    return schema


def _parquet_writable(schema: pa.Schema) -> pa.Schema:
    fields = [field.with_type(_writable_type(field.type)) for field in schema]
    writable = pa.schema(fields, metadata=schema.metadata)
    return schema if writable.equals(schema) else writable


def _writable_type(t: pa.DataType) -> pa.DataType:
    if pa.types.is_struct(t):
        if t.num_fields == 0:
            return _STRING  # Parquet has no empty group; `{}` is kept as JSON text
        return pa.struct(f.with_type(_writable_type(f.type)) for f in t)
    if pa.types.is_list(t):
        return pa.list_(_writable_type(t.value_type))
    return t


def _fsync_path(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
