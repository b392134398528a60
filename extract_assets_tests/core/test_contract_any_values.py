"""Any values, of any kind, over batches and days, under `variant`: read back whole by DuckDB,
pyarrow, Polars and pandas, every value sent is in its column, converted only without loss, or
unchanged in exactly one variant column of its kind; an object or a list there is the JSON text
sent, with the keys sent (apart only by case too), nulls only where sent, numbers as numbers."""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extract_assets.core import parquet
from extract_assets.core.column_names import column_key
from extract_assets.core.day_folders import write_day_folders
from extract_assets.core.table import TableWriter
from extract_assets_tests.readers import WITHOUT_SPARK, Row, assert_all_readers_agree

Source = Literal["ndjson", "records"]
KEYS = ("x", "y", "o", "X")
DECLARED = {
    "properties": {
        "x": {"type": "integer"},
        "o": {
            "type": "object",
            "properties": {"k": {"type": "integer"}, "a": {"type": "number"}},
        },
    }
}
_INTEGER_TEXT = re.compile(r"-?(0|[1-9][0-9]*)")
_NUMBER_TEXT = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_INT64 = range(-(2**63), 2**63)


class Beyond(str):
    """A JSON number beyond the doubles, sent as a number (`1e400`): the table keeps its text."""


_BEYOND_MARK = "\u0000beyond:"
_MARKED = re.compile(r'"\\u0000beyond:([^"]*)"')
EDGE_INTEGERS = [2**53, 2**53 + 1, -(2**53 + 1), 2**63 - 1, -(2**63), 2**63, 2**64 + 1, 10**30]
TEXTS = st.sampled_from(
    [
        "",
        "n/a",
        "007",
        "+5",
        " 12",
        "12.5",
        "0.1",
        "3185",
        "1e400",
        "true",
        '{"a": 1}',
        "9007199254740993",
        "18446744073709551615",
    ]
) | st.text(st.characters(blacklist_categories=("Cs",)), max_size=4)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-1000, 1000)
    | st.sampled_from(EDGE_INTEGERS)
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXTS
    | st.just(Beyond("1e400"))
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["a", "A", "k", "K", ""]), inner, max_size=3)
    ),
    max_leaves=6,
)
ROWS = st.lists(
    st.fixed_dictionaries({}, optional=dict.fromkeys(KEYS, VALUES)), min_size=1, max_size=4
)
DAYS = st.lists(ROWS, min_size=1, max_size=3)


def ndjson(rows: list[dict[str, Any]]) -> bytes:
    text = "".join(json.dumps(marked(row), ensure_ascii=False) + "\n" for row in rows)
    return _MARKED.sub(r"\1", text).encode()


def marked(value: Any) -> Any:
    """`value` with each `Beyond` marked, to be written as the bare number by `ndjson`."""
    if isinstance(value, Beyond):
        return Beyond(_BEYOND_MARK + value)
    if isinstance(value, dict):
        return {key: marked(child) for key, child in value.items()}
    if isinstance(value, list):
        return [marked(item) for item in value]
    return value


def as_text(value: Any) -> Any:
    """`value` as a JSON page read by Python brings it: a number beyond the doubles is text."""
    if isinstance(value, Beyond):
        return str(value)
    if isinstance(value, dict):
        return {key: as_text(child) for key, child in value.items()}
    if isinstance(value, list):
        return [as_text(item) for item in value]
    return value


def land(
    folder: Path, days: list[list[dict[str, Any]]], how: Source, schema: Any
) -> tuple[list[Row], dict[str, str]]:
    """Each day's rows written to the table as a write of its own, in small blocks and batches
    (so later batches of a write meet the types earlier ones set), read back by four readers."""
    table = folder / "linkup" / "t"
    renamed: dict[str, str] = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parquet, "_BLOCK_BYTES", 64)
        patch.setattr(parquet, "_RECORDS_PER_BATCH", 2)
        for day, rows in enumerate(days):
            with TableWriter(table, json_schema=schema) as writer:
                target = table / f"part-{day}.parquet"
                if how == "ndjson":
                    writer.stage_ndjson([ndjson(rows)], target)
                else:
                    writer.stage_records([as_text(row) for row in rows], target)
                renamed.update(writer.publish().changes.renamed)
    return assert_all_readers_agree(table, None, WITHOUT_SPARK), renamed


# --- judging one value -------------------------------------------------------------------


def same_json(sent: Any, stored: Any) -> bool:
    """`stored` (JSON read back) is `sent`: the same keys, kinds and values at every depth."""
    if isinstance(sent, Beyond):
        return stored == str(sent)
    if isinstance(sent, bool) or isinstance(stored, bool):
        return sent is stored
    if isinstance(sent, dict):
        return (
            isinstance(stored, dict)
            and sent.keys() == stored.keys()
            and all(same_json(sent[key], stored[key]) for key in sent)
        )
    if isinstance(sent, list):
        return (
            isinstance(stored, list)
            and len(sent) == len(stored)
            and all(same_json(a, b) for a, b in zip(sent, stored, strict=True))
        )
    if isinstance(sent, float) or isinstance(stored, float):
        return type(sent) is type(stored) and sent == stored
    return type(sent) is type(stored) and sent == stored


def spelled(text: str) -> int | float | None:
    """The number `text` spells as JSON, or None."""
    if _INTEGER_TEXT.fullmatch(text):
        return int(text)
    return float(text) if _NUMBER_TEXT.fullmatch(text) else None


def kept_in_column(sent: Any, stored: Any) -> bool:
    """`stored`, in the column itself, is `sent` converted without loss (README's rules)."""
    if isinstance(stored, str):
        if isinstance(sent, str):
            return stored == sent
        # Anything in a text place is its JSON text. An object there may have been stored as
        # a struct before the place widened to text: then it reads without its null keys (a
        # struct cannot tell a key sent as null from one another object brought), and its
        # numbers as the struct's types held them.
        try:
            return kept_in_column(sent, json.loads(stored))
        except json.JSONDecodeError:
            return False
    if isinstance(stored, dict):
        return isinstance(sent, dict) and _kept_object(sent, stored)
    if isinstance(stored, list):
        return (
            isinstance(sent, list)
            and len(sent) == len(stored)
            and all(_kept_or_null(a, b) for a, b in zip(sent, stored, strict=True))
        )
    if isinstance(sent, str) and not isinstance(sent, Beyond):
        if isinstance(stored, bool):
            return {"true": True, "false": False}.get(sent) is stored
        number = spelled(sent)
        return number is not None and number == stored and math.isfinite(float(stored))
    if isinstance(sent, bool) or isinstance(stored, bool):
        return sent is stored
    if isinstance(sent, int) and isinstance(stored, float):
        return float(sent) == stored  # an inferred integer column that met a fraction
    return isinstance(sent, int | float) and sent == stored


def _kept_object(sent: dict[str, Any], stored: dict[str, Any]) -> bool:
    by_key = {column_key(name): value for name, value in stored.items()}
    # A struct holds every key any row had: those this object lacks read as null; as text it
    # holds none of its null keys.
    present = {key for key, value in sent.items() if value is not None}
    return present <= by_key.keys() and all(
        _kept_or_null(sent.get(key), value) for key, value in by_key.items()
    )


def _kept_or_null(sent: Any, stored: Any) -> bool:
    if sent is None:
        return stored is None
    return stored is not None and kept_in_column(sent, stored)


def kept_in_variant(kind: str, sent: Any, stored: Any) -> bool:
    """`stored`, in the variant column `kind`, is `sent` unchanged."""
    if kind == "json":
        return isinstance(sent, dict | list) and same_json(sent, json.loads(stored))
    if kind == "text":
        beyond_int64 = isinstance(sent, int) and not isinstance(sent, bool) and sent not in _INT64
        return (isinstance(sent, str) and stored == sent) or (beyond_int64 and stored == str(sent))
    if kind == "bigint":
        return type(sent) is int and stored == sent
    if kind == "double":
        return type(sent) is float and stored == sent
    return kind == "bool" and isinstance(sent, bool) and stored is sent


def problems(sent: dict[str, Any], stored: Row, renamed: dict[str, str]) -> Iterator[str]:
    for sent_key in KEYS:
        key = renamed.get(sent_key, sent_key)
        value = sent.get(sent_key)
        held = {
            name: cell
            for name, cell in stored.items()
            if cell is not None and (name == key or name.startswith(f"{key}__v_"))
        }
        if value is None:
            if held:
                yield f"{key}: sent null, stored {held}"
            continue
        if len(held) != 1:
            yield f"{key}: sent {value!r}, stored {held or 'nothing'}"
            continue
        ((name, cell),) = held.items()
        ok = (
            kept_in_column(value, cell)
            if name == key
            else kept_in_variant(name.removeprefix(f"{key}__v_"), value, cell)
        )
        if not ok:
            yield f"{key}: sent {value!r}, stored {name}={cell!r}"


_SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(autouse=True)
def _quiet_widening_warnings() -> Iterator[None]:
    logging.disable(logging.WARNING)
    yield
    logging.disable(logging.NOTSET)


def assert_every_value_kept(
    days: list[list[dict[str, Any]]], stored: list[Row], renamed: dict[str, str]
) -> None:
    sent = [row for rows in days for row in rows]
    by_id = {row["id"]: row for row in stored}
    assert len(stored) == len(sent)
    found = [
        f"row {i}: {p}" for i, row in enumerate(sent) for p in problems(row, by_id[i], renamed)
    ]
    assert not found, "\n".join(found)


def numbered(days: list[list[dict[str, Any]]]) -> list[list[dict[str, Any]]]:
    ids = iter(range(sum(map(len, days))))
    return [[{"id": next(ids), **row} for row in rows] for rows in days]


@_SETTINGS
@given(days=DAYS, how=st.sampled_from(["ndjson", "records"]))
def test_any_values_over_days_are_each_kept_in_their_column_or_a_variant(
    tmp_path_factory: pytest.TempPathFactory, days: list[list[dict[str, Any]]], how: Source
) -> None:
    days = numbered(days)
    stored, renamed = land(tmp_path_factory.mktemp("any"), days, how, None)
    assert_every_value_kept(days if how == "ndjson" else as_text(days), stored, renamed)


@_SETTINGS
@given(days=DAYS, how=st.sampled_from(["ndjson", "records"]))
def test_any_values_over_days_beside_declared_columns_are_each_kept_in_their_column_or_a_variant(
    tmp_path_factory: pytest.TempPathFactory, days: list[list[dict[str, Any]]], how: Source
) -> None:
    days = numbered(days)
    stored, renamed = land(tmp_path_factory.mktemp("declared"), days, how, DECLARED)
    assert_every_value_kept(days if how == "ndjson" else as_text(days), stored, renamed)


def land_in_days(
    folder: Path, days: list[list[dict[str, Any]]], schema: Any
) -> tuple[list[Row], dict[str, str]]:
    """Each day written by its own run of day folders (Extract.to's path), its rows in pages of
    two, as a JSON page read by Python brings them; read back by four readers."""
    table = folder / "extractto" / "ads"
    renamed: dict[str, str] = {}
    for index, rows in enumerate(days):
        day = date(2026, 11, 1) + timedelta(days=index)
        page = [{**as_text(row), "date": day.isoformat()} for row in rows]
        pages = [page[start : start + 2] for start in range(0, len(page), 2)]
        written = write_day_folders(pages, table, [day], json_schema=schema)
        renamed.update(written.table.changes.renamed)
    return assert_all_readers_agree(table, "date", WITHOUT_SPARK), renamed


@_SETTINGS
@given(days=DAYS, declared=st.booleans())
def test_any_values_over_days_in_pages_are_each_kept_in_their_column_or_a_variant(
    tmp_path_factory: pytest.TempPathFactory, days: list[list[dict[str, Any]]], declared: bool
) -> None:
    days = numbered(days)
    schema = DECLARED if declared else None
    stored, renamed = land_in_days(tmp_path_factory.mktemp("pages"), days, schema)
    assert_every_value_kept(as_text(days), stored, renamed)


DECLARING = [
    None,
    {"properties": {"x": {"type": "integer"}}},
    {"properties": {"o": {"type": "object", "properties": {"k": {"type": "integer"}}}}},
    DECLARED,
]
TASKS = st.lists(st.tuples(st.sampled_from(range(len(DECLARING))), ROWS), min_size=2, max_size=4)


def columns_of_keys(schema: pa.Schema) -> dict[str, str]:
    """The keys whose columns the table named otherwise (apart by case), by key."""
    return {
        column_key(name): name
        for name in schema.names
        if "__v_" not in name and column_key(name) != name
    }


def declared_places(schema: pa.Schema) -> dict[str, pa.DataType]:
    """The types of `x` and `o.k`, where the table has them."""
    places = {}
    if "x" in schema.names:
        places["x"] = schema.field("x").type
    kind = schema.field("o").type if "o" in schema.names else pa.null()
    if pa.types.is_struct(kind) and kind.get_field_index("k") >= 0:
        places["o.k"] = kind.field("k").type
    return places


def took_a_type_only_where_null(before: pa.DataType, after: pa.DataType) -> bool:
    """Whether `after` is `before`, but for places `before` held only nulls (no type yet)."""
    if pa.types.is_null(before) or before == after:
        return True
    if pa.types.is_list(before) and pa.types.is_list(after):
        return took_a_type_only_where_null(before.value_type, after.value_type)
    if pa.types.is_struct(before) and pa.types.is_struct(after):
        return all(
            after.get_field_index(child.name) >= 0
            and took_a_type_only_where_null(child.type, after.field(child.name).type)
            for child in before
        )
    return False


@_SETTINGS
@given(tasks=TASKS)
def test_tasks_of_any_schemas_keep_what_one_declared_and_every_value(
    tmp_path_factory: pytest.TempPathFactory, tasks: list[tuple[int, list[dict[str, Any]]]]
) -> None:
    """Each task's rows go to one table of every task (as `linkup_task_outputs` writes them),
    each task with its own JSON Schema, or none."""
    table = tmp_path_factory.mktemp("tasks") / "linkup" / "linkup_task_outputs"
    days = numbered([rows for _, rows in tasks])
    kept: dict[str, pa.DataType] = {}
    for index, ((schema, _), rows) in enumerate(zip(tasks, days, strict=True)):
        with TableWriter(table, json_schema=DECLARING[schema]) as writer:
            writer.stage_ndjson([ndjson(rows)], table / f"task_id=t{index}" / "part-0.parquet")
            written = writer.publish().schema
        now = declared_places(written)
        assert all(took_a_type_only_where_null(kind, now[place]) for place, kind in kept.items())
        declared = DECLARING[schema] or {"properties": {}}
        kept |= {
            place: kind
            for place, kind in now.items()
            if place.split(".")[0] in declared["properties"]
            # `x` declared an integer where the table holds an object: only what the schema
            # declares inside an object keeps its type, and it declares nothing there.
            and not (place == "x" and pa.types.is_nested(kind))
        }
    stored = assert_all_readers_agree(table, "task_id", WITHOUT_SPARK)
    assert_every_value_kept(days, stored, columns_of_keys(written))
