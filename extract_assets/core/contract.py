"""How a table takes the values a source sends: lossless conversions, then the schema contract.

A table's columns have types (declared by a JSON Schema, a data table's column types or our
fixed tables; else inferred from the first values seen). Each batch of rows is fitted to them:

1. A value that converts without loss is converted and counted: ``"3185"`` → ``3185`` for an
   integer column, ``"12.5"`` → ``12.5`` for a number, ``12.0`` → ``12`` for an integer,
   ``"true"`` → ``true`` for a boolean, an ISO-8601 text for a date or a timestamp (an instant
   without an offset is taken as UTC), anything for a text column (as its JSON text). Integers
   never take leading zeros or a ``+``: ``"007"`` is text, not 7.

   Text spelling a number converts to a double as that JSON number would, and only where the
   double is the number a reader of the text means: a text with a fraction or an exponent
   (``"0.1"``, ``"1.5e300"``) becomes its nearest double, as the JSON number does in any JSON
   reader, unless it is beyond the doubles (``"1e400"`` is not infinity); a text of digits is an
   integer and converts only to a double that is exactly it, as an integer value does
   (``"9007199254740993"``, 2**53 + 1, and ``"18446744073709551615"`` stay text; ``"2"`` and
   ``"9007199254740992"`` convert). A text that does not convert is a value the column cannot
   hold (3. below), never a nearby number.
2. An integer column of an *inferred* type that meets a fraction widens to double (no value
   changes). Nested objects and lists take new keys and widen inside, except where a JSON
   Schema declares them: a property declared inside an object or a list's items, at any
   depth, keeps its type as a declared column does. Its values convert by 1. (``{"k": "2"}``
   → ``{"k": 2}`` for an integer ``k``); one that does not convert makes the row's whole
   value of the top-level column a value the column cannot hold (3.): a struct's child has no
   variant column of its own, so under ``variant`` the whole object goes, as JSON text, to
   ``o__v_json``; ``discard_value`` drops that whole value, ``discard_row`` its row;
   ``evolve`` widens the child (to double, else to text).
3. Anything else is a value the column cannot hold, and the table's contract decides
   (`SchemaContract`, per spec; the same choices as dlt's schema contracts):

   - ``variant`` (default): the column keeps its type; the value goes, unchanged, to a variant
     column beside it named for its kind — ``impressions__v_text``, ``cost__v_double``,
     ``n__v_bigint``, ``flag__v_bool``, ``x__v_json`` (objects and lists, as the JSON text
     sent: a reader gives it beside their Arrow form, see `arrow_schema.python_parts`).
   - ``evolve``: the column widens until it holds the value (to double, else to text).
   - ``freeze``: the write fails, naming the column, both types and this setting; nothing is
     written. A new column fails the same way.
   - ``discard_value``: the value is dropped (counted); ``discard_row``: its whole row is
     dropped (counted). A new column's values are dropped, or its rows.

A new column joins the table (except under freeze and discard), after the known ones.
Every conversion, widening, variant and discard is counted in `SchemaChanges`.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import math
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from extract_assets.core.arrow_schema import PART, SENT_JSON, WHOLE_JSON, conform_array, widen_type
from extract_assets.core.column_names import ColumnNames, case_apart, column_key
from extract_assets.core.contract_setting import DEFAULT_CONTRACT, SchemaContract
from extract_assets.core.errors import ExtractAssetsError
from extract_assets.core.instants import parse_instant
from extract_assets.core.json_text import json_text

__all__ = [
    "DEFAULT_CONTRACT",
    "Fitter",
    "SchemaChanges",
    "SchemaContract",
    "SchemaContractError",
    "convert_values",
    "fit_table",
    "variant_name",
]

logger = logging.getLogger(__name__)

VARIANT_INFIX = "__v_"

_STRING = pa.string()
_INT64 = pa.int64()
_FLOAT64 = pa.float64()
_INTEGER_TEXT = r"^-?(0|[1-9][0-9]{0,18})$"
_NUMBER_TEXT = r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$"
_DIGITS = r"-?[0-9]+"
_LONG_DIGITS = r"^-?[0-9]{16,}$"
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_EXACT_IN_DOUBLE = 2**53


class SchemaContractError(ExtractAssetsError):
    """A batch of rows breaks a table set to `freeze`; nothing was written."""


@dataclass
class SchemaChanges:
    """What fitting rows to a table changed: columns, types, and values, with counts."""

    added: list[str] = field(default_factory=list)
    widened: dict[str, tuple[str, str]] = field(default_factory=dict)
    converted: Counter[str] = field(default_factory=Counter)
    to_variant: Counter[str] = field(default_factory=Counter)
    discarded_values: Counter[str] = field(default_factory=Counter)
    discarded_rows: int = 0
    renamed: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(
            self.added
            or self.renamed
            or self.widened
            or self.converted
            or self.to_variant
            or self.discarded_values
            or self.discarded_rows
        )

    def column_added(self, name: str) -> None:
        if name not in self.added:
            self.added.append(name)

    def key_renamed(self, key: str, column: str) -> None:
        """A new key went to a column of another name (see `column_names`)."""
        self.renamed[key] = column
        if not key:
            why = "DuckDB cannot name a column of no name"
        elif column_key(key) != key:
            why = "the key is spelled as a renamed key's column is"
        else:
            why = (
                "the table has a column whose name differs from it only in case, which Spark, "
                "DuckDB and Hive cannot tell apart"
            )
        logger.warning("key %r is stored as column %r: %s", key, column, why)

    def type_widened(self, name: str, old: pa.DataType, new: pa.DataType) -> None:
        first = self.widened.get(name, (str(old), ""))[0]
        self.widened[name] = (first, str(new))

    def summary(self) -> str:
        """One line a person reads, e.g. ``added label; 12 values moved to n__v_text``."""
        parts = []
        if self.added:
            parts.append("added " + ", ".join(self.added))
        parts.extend(f"key {key} stored as {name}" for key, name in self.renamed.items())
        parts.extend(f"{name} widened {old} → {new}" for name, (old, new) in self.widened.items())
        parts.extend(f"{n} values of {name} converted" for name, n in self.converted.items())
        parts.extend(f"{n} values moved to {name}" for name, n in self.to_variant.items())
        parts.extend(f"{n} values of {name} dropped" for name, n in self.discarded_values.items())
        if self.discarded_rows:
            parts.append(f"{self.discarded_rows} rows dropped")
        return "; ".join(parts) or "no change"


@dataclass
class Fitter:
    """`fit_table` with one table's settings, counting into one `SchemaChanges`."""

    declared: frozenset[str] = frozenset()
    contract: SchemaContract = DEFAULT_CONTRACT
    where: str = "the table"
    changes: SchemaChanges = field(default_factory=SchemaChanges)
    # The declared columns' types as their JSON Schema gives them, by column: what inside an
    # object or a list is declared (and so kept) rather than inferred.
    declared_types: Mapping[str, pa.DataType] = field(default_factory=dict)
    # The partition columns of the table's folders (`date`, `task_id`): readers add them to
    # every row, so a key spelled like one is stored apart, as one differing in case is.
    partitions: frozenset[str] = frozenset()

    def __call__(self, table: pa.Table, schema: pa.Schema) -> tuple[pa.Table, pa.Schema]:
        fitted, grown = fit_table(
            table,
            schema,
            declared=self.declared,
            declared_types=self.declared_types,
            contract=self.contract,
            changes=self.changes,
            where=self.where,
            partitions=self.partitions,
        )
        for before in schema:
            now = grown.field(before.name).type
            if before.name in self.declared and now != before.type:
                logger.warning(
                    "column %r holds values that are not %s; it is stored as %s",
                    before.name,
                    before.type,
                    now,
                )
        return fitted, grown


def variant_name(column: str, source: pa.DataType) -> str:
    """Where values of `source`'s kind go when `column` cannot hold them.

    >>> variant_name("impressions", pa.string())
    'impressions__v_text'
    """
    return f"{column}{VARIANT_INFIX}{_kind(source)}"


def _kind(t: pa.DataType) -> str:
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "text"
    if pa.types.is_floating(t):
        return "double"
    if pa.types.is_integer(t):
        return "bigint"
    if pa.types.is_boolean(t):
        return "bool"
    if pa.types.is_timestamp(t):
        return "timestamp"
    if pa.types.is_date(t):
        return "date"
    return "json"


def fit_table(
    table: pa.Table,
    schema: pa.Schema,
    *,
    declared: frozenset[str],
    contract: SchemaContract,
    changes: SchemaChanges,
    where: str = "the table",
    declared_types: Mapping[str, pa.DataType] | None = None,
    partitions: frozenset[str] = frozenset(),
) -> tuple[pa.Table, pa.Schema]:
    """`table` fitted to `schema` under `contract`: the rows and the (possibly grown) schema.

    The returned table has exactly the returned schema; the schema only ever grows: columns
    appended, types widened. `declared_types` (by column) says which properties inside
    objects and lists a JSON Schema declares; the keys it leaves out are inferred.

    >>> changes = SchemaChanges()
    >>> rows, schema = fit_table(
    ...     pa.table({"n": ["3185", "n/a"]}), pa.schema([("n", pa.int64())]),
    ...     declared=frozenset({"n"}), contract="variant", changes=changes)
    >>> rows.to_pylist()
    [{'n': 3185, 'n__v_text': None}, {'n': None, 'n__v_text': 'n/a'}]
    >>> changes.summary()
    'added n__v_text; 1 values of n converted; 1 values moved to n__v_text'
    """
    fitting = _Fitting(list(schema), declared, declared_types or {}, contract, changes, where)
    for name in partitions:
        fitting.holding.note(name)
    for key, parts in _parts(table).items():
        column = fitting.holding.column_of(key)
        column = None if column in partitions else column
        if column is None:
            fitting.new_column(key, _one_part(parts))
            continue
        if fitting.untyped(column):
            parts = [_one_part(parts)]  # its first values decide its type together
        for part in parts:
            fitting.fit(column, part)
    return fitting.result(table, schema.metadata)


@dataclass
class _Part:
    """Values of one key in a batch: all of them, or those of one kind (`python_parts`)."""

    values: pa.ChunkedArray
    # Objects or lists the key's column cannot hold, as their JSON text.
    whole_json: bool = False
    # The JSON text sent of the objects or lists in `values`, where the reader kept it.
    sent: pa.ChunkedArray | None = None

    @property
    def kind(self) -> str:
        return "json" if self.whole_json else _kind(self.values.type)

    def described(self) -> str:
        return "object or list" if self.whole_json else str(self.values.type)

    def conformed(self, values: pa.ChunkedArray, target: pa.DataType) -> pa.ChunkedArray:
        """`values` (this part's, some left out) as `target`: objects and lists that become
        text are the JSON text sent, not their Arrow form's (with other rows' keys added)."""
        if self.sent is not None and pa.types.is_string(target) and pa.types.is_nested(values.type):
            return pc.if_else(values.is_valid(), self.sent, pa.scalar(None, _STRING))
        return conform_array(values, target)


def _parts(table: pa.Table) -> dict[str, list[_Part]]:
    """The table's columns by key: a reader may give a key several (see `python_parts`)."""
    parts: dict[str, list[_Part]] = {}
    for found, values in zip(table.schema, table.columns, strict=True):
        role = (found.metadata or {}).get(PART)
        held = parts.setdefault(found.name, [])
        if role == SENT_JSON and held:
            held[-1].sent = values
        elif role == WHOLE_JSON:
            held.append(_Part(conform_array(values, _STRING), whole_json=True))
        else:
            held.append(_Part(values))
    return parts


def _one_part(parts: list[_Part]) -> _Part:
    """A new column's parts as one: its type is that of all its values together."""
    if len(parts) == 1:
        return parts[0]
    target = functools.reduce(widen_type, [part.values.type for part in parts])
    pieces = [part.conformed(part.values, target) for part in parts]
    return _Part(functools.reduce(pc.coalesce, pieces))


@dataclass
class _Fitting:
    """One `fit_table`: the schema as it grows, and the values fitted to it so far."""

    grown: list[pa.Field]
    declared: frozenset[str]
    declared_types: Mapping[str, pa.DataType]
    contract: SchemaContract
    changes: SchemaChanges
    where: str
    # Each column's values, a piece per part of a key, with the part they came from.
    columns: dict[str, list[tuple[pa.ChunkedArray, _Part]]] = field(default_factory=dict)
    keep: pa.ChunkedArray | None = None

    def __post_init__(self) -> None:
        self.names = [f.name for f in self.grown]
        self.holding = ColumnNames(self.names)

    def untyped(self, name: str) -> bool:
        """Whether the column has seen only nulls and nobody declared it: as new as a column
        never seen."""
        return pa.types.is_null(self.grown[self.names.index(name)].type) and (
            name not in self.declared
        )

    def put(self, name: str, values: pa.ChunkedArray, part: _Part) -> None:
        self.columns.setdefault(name, []).append((values, part))

    def drop_rows(self, mask: pa.ChunkedArray) -> None:
        self.keep = mask if self.keep is None else pc.and_(self.keep, mask)

    def retype(self, index: int, old: pa.DataType, new: pa.DataType) -> None:
        self.grown[index] = self.grown[index].with_type(new)
        self.changes.type_widened(self.names[index], old, new)

    def new_column(self, key: str, part: _Part) -> None:
        array = case_apart(part.values, None)
        present = array.length() - array.null_count
        contract = self.contract
        if contract in {"freeze", "discard_value", "discard_row"} and not present:
            return  # a key that brings only nulls: leaving it out loses nothing
        if contract == "freeze":
            raise _frozen(self.where, f"a new column {key!r} ({array.type})")
        if contract == "discard_row":
            self.drop_rows(pc.is_null(array))
            return
        if contract == "discard_value":
            self.changes.discarded_values[key] += present
            return
        name = self.holding.add(key)
        if name != key:
            self.changes.key_renamed(key, name)
        self.grown.append(pa.field(name, array.type))
        self.names.append(name)
        self.put(name, array, part)
        self.changes.column_added(name)

    def fit(self, name: str, part: _Part) -> None:
        """One part of the values of the table's column `name`, fitted to it."""
        index = self.names.index(name)
        target = self.grown[index].type
        array = case_apart(part.values, target)
        declared = name in self.declared
        # Under evolve a declared property inside widens like an inferred one.
        held = self.declared_types.get(name) if self.contract != "evolve" else None
        if part.whole_json and not pa.types.is_string(target):
            fitted, rejected, converted = _all_rejected(array, target)
        else:
            fitted, rejected, converted = _convert(array, target, held)
        if fitted.type != target:  # keys nobody declared, inside objects, came or widened
            if self.contract == "freeze":
                raise _frozen(self.where, self._mismatch(name, target, part))
            self.retype(index, target, fitted.type)
            target = fitted.type
        if rejected is None:
            # A text column holds objects and lists as the JSON text sent.
            self.put(name, array if pa.types.is_string(target) else fitted, part)
            _count(self.changes.converted, name, converted)
            return
        widened = widen_type(target, array.type)
        if declared and pa.types.is_floating(widened) and self._holds_large_integers(name, array):
            # A declared column never rounds an integer into a double: the rejects, or the
            # integers of this batch fitted before them, are integers a double cannot hold.
            widened = _STRING
        if _takes_first_type(target, declared, self.contract) or (
            _widens_quietly(target, widened, declared) and self.contract != "freeze"
        ):
            self.retype(index, target, widened)
            self.put(name, array, part)
            return
        rejects = pc.sum(pc.cast(rejected, _INT64)).as_py() or 0
        if self.contract == "freeze":
            raise _frozen(self.where, self._mismatch(name, target, part))
        if self.contract == "evolve":
            self.retype(index, target, widened)
            self.put(name, array, part)
            return
        self.put(name, fitted, part)
        _count(self.changes.converted, name, converted)
        if self.contract == "discard_value":
            self.changes.discarded_values[name] += rejects
        elif self.contract == "discard_row":
            self.drop_rows(pc.invert(rejected))
        else:
            self.to_variant(name, part, array, rejected, rejects)

    def _holds_large_integers(self, name: str, rejected: pa.ChunkedArray) -> bool:
        if pa.types.is_integer(rejected.type):
            return True
        return any(
            pa.types.is_integer(values.type) and _beyond_exact(values)
            for values, _ in self.columns.get(name, [])
        )

    def _mismatch(self, name: str, target: pa.DataType, part: _Part) -> str:
        return f"column {name!r} is {target} but got {part.described()} values"

    def to_variant(
        self,
        name: str,
        part: _Part,
        array: pa.ChunkedArray,
        rejected: pa.ChunkedArray,
        rejects: int,
    ) -> None:
        variant = f"{name}{VARIANT_INFIX}{part.kind}"
        kind = _STRING if part.kind in {"text", "json"} else array.type
        moved = part.conformed(pc.if_else(rejected, array, pa.scalar(None, array.type)), kind)
        if variant not in self.names:
            self.grown.append(pa.field(variant, kind))
            self.names.append(variant)
            self.holding.note(variant)
            self.changes.column_added(variant)
        vindex = self.names.index(variant)
        vtarget = widen_type(self.grown[vindex].type, kind)
        if vtarget != self.grown[vindex].type:
            self.grown[vindex] = self.grown[vindex].with_type(vtarget)
        self.put(variant, moved, _Part(moved))
        self.changes.to_variant[variant] += rejects

    def result(self, table: pa.Table, metadata: Any) -> tuple[pa.Table, pa.Schema]:
        grown = pa.schema(self.grown, metadata=metadata)
        rows = table.num_rows
        out = [self._joined(f) if f.name in self.columns else pa.nulls(rows, f.type) for f in grown]
        # Rows without a column (only a partition's date, say) keep their count.
        result = pa.Table.from_arrays(out, schema=grown) if out else table.select([])
        if self.keep is not None:
            before = result.num_rows
            result = result.filter(pc.fill_null(self.keep, True))
            self.changes.discarded_rows += before - result.num_rows
        return result, grown

    def _joined(self, column: pa.Field) -> pa.ChunkedArray:
        """A column's pieces as one array of its type: each row is in one piece at most."""
        pieces = [part.conformed(values, column.type) for values, part in self.columns[column.name]]
        return functools.reduce(pc.coalesce, pieces)


def _count(counter: Counter[str], name: str, n: int) -> None:
    if n:
        counter[name] += n


def _beyond_exact(values: pa.ChunkedArray) -> bool:
    """Whether integers `values` hold one beyond 2**53, which a double may round."""
    extremes = pc.min_max(values)
    low, high = extremes["min"].as_py(), extremes["max"].as_py()
    return low is not None and (low < -_EXACT_IN_DOUBLE or high > _EXACT_IN_DOUBLE)


def _widens_quietly(target: pa.DataType, widened: pa.DataType, declared: bool) -> bool:
    """An inferred integer meeting a fraction: no value is lost. (Inside objects and lists,
    `_fit_nested` widens what nobody declared.)"""
    return bool(pa.types.is_integer(target) and pa.types.is_floating(widened) and not declared)


def _takes_first_type(target: pa.DataType, declared: bool, contract: SchemaContract) -> bool:
    """An inferred column seen only null so far is as new as one never seen: under variant it
    takes the type of its first values (freeze and discard treat them as a new column's)."""
    return pa.types.is_null(target) and not declared and contract == "variant"


def _frozen(where: str, what: str) -> SchemaContractError:
    return SchemaContractError(
        f"{where} is set to schema_contract: freeze, and {what}. Nothing was written. "
        "Fix the source, or set schema_contract to variant (keep the type, values that do not "
        "fit go to a __v_ column), evolve (widen the table), discard_value or discard_row."
    )


# --- converting one column -------------------------------------------------------------------

_Converted = tuple[pa.ChunkedArray, pa.ChunkedArray | None, int]


def _convert(
    array: pa.ChunkedArray, target: pa.DataType, held: pa.DataType | None = None
) -> _Converted:
    """`array` as `target`: the converted values (rejected ones null), the rejects, the count
    of values converted from another kind. Rejects are None when every value fits.

    Objects and lists are fitted inside (`_fit_nested`), where `held` is the declared type:
    what it leaves out widens, so their values may come out of a type wider than `target`."""
    source = array.type
    if source == target or source == pa.null():
        return conform_array(array, target), None, 0
    if pa.types.is_string(target):
        converted = array.length() - array.null_count
        return conform_array(array, target), None, converted
    if _same_shape(source, target):
        values, rejected, converted = _fit_nested(_one_chunk(array), target, held)
        if rejected is None:
            return pa.chunked_array([values]), None, converted
        kept = pc.if_else(rejected, pa.scalar(None, values.type), values)
        return pa.chunked_array([kept]), pa.chunked_array([rejected]), converted
    if pa.types.is_timestamp(target) and pa.types.is_timestamp(source):
        return _as_utc(array).cast(target), None, 0
    parse = _parser(source, target)
    if parse is None:
        return _all_rejected(array, target)
    chunks, masks, converted = [], [], 0
    for chunk in array.chunks:
        values, ok = parse(chunk)
        rejected = pc.and_(chunk.is_valid(), pc.invert(ok))
        chunks.append(values)
        masks.append(rejected)
        converted += pc.sum(pc.cast(ok, _INT64)).as_py() or 0
    if pa.types.is_integer(source):
        converted = 0  # an integer held as a double is the same number, not a conversion
    rejects = pa.chunked_array(masks, type=pa.bool_())
    any_rejected = pc.any(rejects).as_py()
    return (
        pa.chunked_array(chunks, type=target),
        rejects if any_rejected else None,
        converted,
    )


# --- inside objects and lists --------------------------------------------------------------

_Fitted = tuple[pa.Array, pa.Array | None, int]


def _same_shape(source: pa.DataType, target: pa.DataType) -> bool:
    both_structs = pa.types.is_struct(source) and pa.types.is_struct(target)
    return both_structs or (pa.types.is_list(source) and pa.types.is_list(target))


def _one_chunk(array: pa.ChunkedArray) -> pa.Array:
    if array.num_chunks == 1:
        return array.chunk(0)
    return array.combine_chunks() if array.num_chunks else pa.array([], array.type)


def _fit_nested(values: pa.Array, target: pa.DataType, held: pa.DataType | None) -> _Fitted:
    """`values` fitted to `target` value by value at every depth: each converted by the
    column rules, a declared one (`held` is not None) that does not convert rejecting its
    element, anything else widening. Rejects are per element of `values`, or None."""
    source = values.type
    if source == target or pa.types.is_null(source):
        return conform_array(values, target), None, 0
    if pa.types.is_struct(source) and pa.types.is_struct(target):
        return _fit_struct(values, target, held)
    if pa.types.is_list(source) and pa.types.is_list(target):
        return _fit_list(values, target, held)
    fitted, rejected, converted = _convert(pa.chunked_array([values]), target)
    if rejected is None:
        return _one_chunk(fitted), None, converted
    if held is not None:
        return _one_chunk(fitted), _one_chunk(rejected), converted
    return conform_array(values, widen_type(target, source)), None, 0


def _fit_struct(values: pa.StructArray, target: pa.StructType, held: pa.DataType | None) -> _Fitted:
    children, fields, rejects, converted = [], [], [], 0
    for child in target:
        index = values.type.get_field_index(child.name)
        if index < 0:
            children.append(pa.nulls(len(values), child.type))
            fields.append(child)
            continue
        declared = _child_type(held, child.name)
        fitted, rejected, count = _fit_nested(values.field(index), child.type, declared)
        children.append(fitted)
        fields.append(child.with_type(fitted.type))
        converted += count
        if rejected is not None:
            rejects.append(rejected)
    # A key nobody declared or saw before joins the object, as a new column joins a table.
    for index, child in enumerate(values.type):
        if target.get_field_index(child.name) < 0:
            children.append(values.field(index))
            fields.append(pa.field(child.name, child.type))
    mask = values.is_null() if values.null_count else None
    fitted_struct = pa.StructArray.from_arrays(children, fields=fields, mask=mask)
    return fitted_struct, _any_rejected(rejects, values), converted


def _child_type(kind: pa.DataType | None, name: str) -> pa.DataType | None:
    """The type of the key `name` in `kind` when `kind` is an object that has it."""
    if kind is None or not pa.types.is_struct(kind) or kind.get_field_index(name) < 0:
        return None
    return kind.field(kind.get_field_index(name)).type


def _fit_list(values: pa.ListArray, target: pa.ListType, held: pa.DataType | None) -> _Fitted:
    # from_arrays refuses a validity mask together with sliced offsets: rebase them to zero
    offsets = values.offsets.to_numpy()
    start, end = int(offsets[0]), int(offsets[-1])
    items = values.values.slice(start, end - start)
    held_item = held.value_type if held is not None and pa.types.is_list(held) else None
    fitted, rejected, converted = _fit_nested(items, target.value_type, held_item)
    kind = (
        target
        if fitted.type == target.value_type
        else pa.list_(target.value_field.with_type(fitted.type))
    )
    mask = values.is_null() if values.null_count else None
    rebased = pa.array(offsets - start, pa.int32())
    fitted_list = pa.ListArray.from_arrays(rebased, fitted, type=kind, mask=mask)
    if rejected is None:
        return fitted_list, None, converted
    # An element is rejected when one of its items is.
    owners = np.repeat(np.arange(len(values)), np.diff(offsets))
    hit = np.zeros(len(values), dtype=bool)
    hit[owners[rejected.to_numpy(zero_copy_only=False)]] = True
    return fitted_list, _any_rejected([pa.array(hit)], values), converted


def _any_rejected(rejects: list[pa.Array], values: pa.Array) -> pa.Array | None:
    """Whether each element of `values` holds a rejected value; None when none does."""
    if not rejects:
        return None
    rejected = pc.and_(functools.reduce(pc.or_, rejects), values.is_valid())
    return rejected if pc.any(rejected).as_py() else None


def _all_rejected(array: pa.ChunkedArray, target: pa.DataType) -> _Converted:
    rejected = array.is_valid()
    if not pc.any(rejected).as_py():
        return pa.chunked_array([pa.nulls(len(array), target)]), None, 0
    return pa.chunked_array([pa.nulls(len(array), target)]), rejected, 0


def _as_utc(array: pa.ChunkedArray) -> pa.ChunkedArray:
    if array.type.tz is None:
        return pc.assume_timezone(array, "UTC")
    return array


_Parser = Callable[[pa.Array], tuple[pa.Array, pa.Array]]


def _parser(source: pa.DataType, target: pa.DataType) -> _Parser | None:
    """A vectorised lossless conversion from `source` to `target`, or None if there is none."""
    text = pa.types.is_string(source) or pa.types.is_large_string(source)
    if pa.types.is_integer(target):
        if text:
            return lambda chunk: _text_to_int(chunk, target)
        if pa.types.is_floating(source):
            return lambda chunk: _float_to_int(chunk, target)
        if pa.types.is_integer(source):
            return lambda chunk: _float_to_int(chunk.cast(_FLOAT64), target)
        return None
    if pa.types.is_floating(target) and pa.types.is_integer(source):
        return lambda chunk: _int_to_float(chunk, target)
    if pa.types.is_floating(target) and text:
        return lambda chunk: _text_to_double(chunk, target)
    if pa.types.is_boolean(target) and text:
        return _text_to_bool
    if (pa.types.is_timestamp(target) or pa.types.is_date32(target)) and text:
        return lambda chunk: _text_to_time(chunk, target)
    return None


def convert_values(values: list[Any], target: pa.DataType) -> tuple[list[Any], int]:
    """Python values with those that convert without loss to `target` (text, and integral
    floats for an integer) converted, and how many were (the same rules as for Arrow columns).

    Inside objects and lists each value converts to its own type in `target`; an object or a
    list is copied only where a value inside it converts.

    >>> convert_values([1, "3185", 12.0, "n/a"], pa.int64())
    ([1, 3185, 12, 'n/a'], 2)
    >>> convert_values([{"k": "2", "s": "x"}], pa.struct([("k", pa.int64())]))
    ([{'k': 2, 's': 'x'}], 1)
    """
    if pa.types.is_struct(target) or pa.types.is_list(target):
        pairs = [_converted(value, target) for value in values]
        return [value for value, _ in pairs], sum(count for _, count in pairs)
    converters = _python_converters.get(_kind(target))
    if converters is None:
        return values, 0
    out, count = [], 0
    for value in values:
        convert = converters.get(type(value))
        if convert is not None and (new := convert(value)) is not None:
            out.append(new)
            count += 1
        else:
            out.append(value)
    return out, count


def _converted(value: Any, target: pa.DataType) -> tuple[Any, int]:
    """`convert_values` for one value at any depth: the value, and how many inside converted."""
    if isinstance(value, Mapping) and pa.types.is_struct(target):
        copy: dict[str, Any] | None = None
        count = 0
        for key, child in value.items():
            kind = _child_type(target, key)
            new, converted = (child, 0) if kind is None else _converted(child, kind)
            if converted:
                if copy is None:
                    copy = dict(value)
                copy[key] = new
                count += converted
        return (value if copy is None else copy), count
    if isinstance(value, list | tuple) and pa.types.is_list(target):
        pairs = [_converted(item, target.value_type) for item in value]
        count = sum(converted for _, converted in pairs)
        return ([item for item, _ in pairs] if count else value), count
    convert = _python_converters.get(_kind(target), {}).get(type(value))
    if convert is not None and (new := convert(value)) is not None:
        return new, 1
    return value, 0


def _text_to_float(text: str) -> float | None:
    """The double `text` spells without loss (see the module docstring), or None."""
    if not re.fullmatch(_NUMBER_TEXT, text):
        return None
    number = float(text)
    if not math.isfinite(number):
        return None
    # Finite, so at most 309 digits: int() is within Python's limit on digits it converts.
    if re.fullmatch(_DIGITS, text) and number != int(text):
        return None
    return number


def _float_to_int_value(value: float) -> int | None:
    """`_float_to_int` for one Python float."""
    return int(value) if value.is_integer() and _INT64_MIN <= value < _INT64_MAX else None


def _text_to_bool_value(text: str) -> bool | None:
    return {"true": True, "false": False}.get(text)


def _text_to(chunk: pa.Array, pattern: str, target: pa.DataType) -> tuple[pa.Array, pa.Array]:
    ok = pc.fill_null(pc.match_substring_regex(chunk, pattern), False)
    candidates = pc.if_else(ok, chunk, pa.scalar(None, chunk.type))
    return candidates.cast(target), ok


def _text_to_double(chunk: pa.Array, target: pa.DataType) -> tuple[pa.Array, pa.Array]:
    """`_text_to_float` for a column: one pass of Arrow, then Python for texts of 16 digits or
    more, the only integers a double may not hold (fewer digits stay below 2**53)."""
    values, ok = _text_to(chunk, _NUMBER_TEXT, target)
    ok = pc.and_(ok, pc.fill_null(pc.is_finite(values), False))
    long = pc.fill_null(pc.match_substring_regex(chunk, _LONG_DIGITS), False)
    if pc.any(long).as_py():
        exact = [
            not is_long or _text_to_float(text) is not None
            for text, is_long in zip(chunk.to_pylist(), long.to_pylist(), strict=True)
        ]
        ok = pc.and_(ok, pa.array(exact, pa.bool_()))
    return pc.if_else(ok, values, pa.scalar(None, target)), ok


def _text_to_int(chunk: pa.Array, target: pa.DataType) -> tuple[pa.Array, pa.Array]:
    try:
        return _text_to(chunk, _INTEGER_TEXT, target)
    except pa.ArrowInvalid:  # 19 digits beyond int64: decide value by value
        values = [_int_or_none(v) for v in chunk.to_pylist()]
        ok = pa.array([v is not None for v in values], pa.bool_())
        return pa.array(values, target), ok


def _int_or_none(value: str | None) -> int | None:
    if value is None or not re.fullmatch(_INTEGER_TEXT, value):
        return None
    number = int(value)
    return number if _INT64_MIN <= number <= _INT64_MAX else None


def _float_to_int(chunk: pa.Array, target: pa.DataType) -> tuple[pa.Array, pa.Array]:
    finite = pc.and_(pc.is_finite(chunk), pc.equal(pc.floor(chunk), chunk))
    in_range = pc.and_(
        pc.greater_equal(chunk, float(_INT64_MIN)), pc.less(chunk, float(_INT64_MAX))
    )
    ok = pc.fill_null(pc.and_(finite, in_range), False)
    candidates = pc.if_else(ok, chunk, pa.scalar(None, chunk.type))
    return candidates.cast(target), ok


def _int_to_float(chunk: pa.Array, target: pa.DataType) -> tuple[pa.Array, pa.Array]:
    """Integers as doubles where the double is exact: beyond 2**53 not every integer is one."""
    large = pc.or_(pc.greater(chunk, _EXACT_IN_DOUBLE), pc.less(chunk, -_EXACT_IN_DOUBLE))
    if not pc.any(large).as_py():
        return chunk.cast(target), chunk.is_valid()
    exact = [v is not None and float(v) == v for v in chunk.to_pylist()]
    values = [float(v) if ok else None for v, ok in zip(chunk.to_pylist(), exact, strict=True)]
    return pa.array(values, target), pa.array(exact, pa.bool_())


def _text_to_bool(chunk: pa.Array) -> tuple[pa.Array, pa.Array]:
    is_true = pc.equal(chunk, "true")
    ok = pc.fill_null(pc.or_(is_true, pc.equal(chunk, "false")), False)
    return pc.if_else(ok, is_true, pa.scalar(None, pa.bool_())), ok


def _text_to_time(chunk: pa.Array, target: pa.DataType) -> tuple[pa.Array, pa.Array]:
    values = [_parse_time(v, target) for v in chunk.to_pylist()]
    ok = pa.array([v is not None for v in values], pa.bool_())
    return pa.array(values, target), ok


def _parse_time(text: Any, target: pa.DataType) -> dt.date | dt.datetime | None:
    if not isinstance(text, str):
        return None
    if not pa.types.is_date32(target):
        return parse_instant(text)
    try:
        return dt.date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        return None


_python_converters: dict[str, dict[type, Callable[[Any], Any]]] = {
    "bigint": {str: _int_or_none, float: _float_to_int_value},
    "double": {str: _text_to_float},
    "bool": {str: _text_to_bool_value},
    # Anything is text as its JSON text (README); counted here, as the readers cannot count it.
    "text": {kind: json_text for kind in (int, float, bool, dict, list)},
}
