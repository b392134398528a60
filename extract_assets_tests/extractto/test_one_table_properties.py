"""Property: whatever rows a source serves, day after day, the table keeps every value.

Hypothesis generates sequences of partition materializations whose rows drift: integers, floats,
numbers as strings and nulls in one column, keys that appear late or vanish, empty days, unicode
and nested objects. The emulator serves them verbatim; after every step every file must have the
table's schema, and pyarrow, DuckDB, Polars and pandas must read back every served value — in
its column after the documented conversions, or unchanged in one of its variant columns.
"""

import json
import math
import tempfile
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extract_assets.core.contract import VARIANT_INFIX
from extract_assets.core.table import read_document
from extract_assets.emulator import EmulatorServer
from extract_assets.extractto.assets import build_extractto_assets
from extract_assets.extractto.resource import ExtractToResource
from extract_assets.extractto.spec import ExtractToExtractSpec
from extract_assets_tests.readers import read_with_all

START = date(2026, 11, 1)
DAYS = 4
KEYS = ("a", "b", "c")
DECLARED = [{"name": "a", "type": "integer"}, {"name": "b", "type": "number"}]

scalars = st.one_of(
    st.none(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.integers(min_value=-(10**6), max_value=10**6).map(str),
    st.decimals(places=2, min_value=-1000, max_value=1000, allow_nan=False).map(str),
    st.booleans(),
    st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=8),
)
values = st.one_of(
    scalars,
    st.dictionaries(st.sampled_from(["x", "y"]), st.integers(-5, 5), max_size=2),
    st.lists(st.integers(-5, 5), max_size=3),
)
rows = st.lists(st.dictionaries(st.sampled_from(KEYS), values, max_size=3), max_size=4)
days = st.dictionaries(st.integers(0, DAYS - 1), rows, min_size=1, max_size=DAYS)
steps = st.lists(days, min_size=1, max_size=3)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def matches(served: Any, stored: Any) -> bool:
    """Whether a value read back is the served one, after the documented conversions."""
    if _number(served) and _number(stored) and float(served) == float(stored):
        return True  # 12.0 in an integer column is 12; 3 in a number column is 3.0
    if (
        isinstance(stored, float)
        and isinstance(served, int | float)
        and not isinstance(served, bool)
    ):
        return math.isclose(stored, served, rel_tol=1e-15) or stored == served
    if served == stored and type(served) is type(stored):
        return True
    if isinstance(served, str) and isinstance(stored, int | float) and not isinstance(stored, bool):
        return float(served) == float(stored)
    if isinstance(served, str) and isinstance(stored, bool):
        return served == json.dumps(stored)
    if isinstance(stored, str) and not isinstance(served, str):
        try:
            return json.loads(stored) == served
        except ValueError:
            return False
    if isinstance(served, int) and isinstance(stored, int):
        return served == stored
    if isinstance(served, dict) and isinstance(stored, dict):
        return all(served.get(k) == v for k, v in stored.items() if v is not None) and all(
            stored.get(k) == v for k, v in served.items()
        )
    return False


def assert_every_value_kept(
    served: dict[int, list[dict[str, Any]]], read: list[dict[str, Any]], reader: str
) -> None:
    expected = {(START + timedelta(days=d)).isoformat(): r for d, r in served.items()}
    got: dict[str, list[dict[str, Any]]] = {}
    for row in read:
        got.setdefault(row["date"], []).append(row)
    for day, source_rows in expected.items():
        stored_rows = sorted(got.get(day, []), key=lambda r: r["rid"])
        assert [r["rid"] for r in stored_rows] == [s["rid"] for s in source_rows], (reader, day)
        for source, stored in zip(source_rows, stored_rows, strict=True):
            for key in KEYS:
                columns = [c for c in stored if c == key or c.startswith(key + VARIANT_INFIX)]
                held = [c for c in columns if stored[c] is not None]
                value = source.get(key)
                if value is None or (value == {} and not held):
                    assert held == [] or value == {}, (reader, day, key, value, stored)
                    continue
                assert len(held) == 1, (reader, day, key, value, {c: stored[c] for c in columns})
                assert matches(value, stored[held[0]]), (reader, key, value, stored[held[0]])


@pytest.fixture
def output() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=steps, declared=st.booleans())
def test_every_served_value_survives_any_sequence_of_materializations(
    steps: list[dict[int, list[dict[str, Any]]]],
    declared: bool,
    quick_emulator: EmulatorServer,
    fast_resource: ExtractToResource,
) -> None:
    extract = quick_emulator.control.add_extractto_extract("Drifting", sync_seconds=0)
    ads = ExtractToExtractSpec(name="ads", extract_id=extract["id"], start_date="2026-10-01")
    state: dict[int, list[dict[str, Any]]] = {}
    rid = 0
    with tempfile.TemporaryDirectory() as out:
        folder = Path(out) / "extractto" / "ads"
        for step in steps:
            for day, day_rows in step.items():
                state[day] = []
                for row in day_rows:
                    rid += 1
                    state[day].append({"rid": rid, **row})
            quick_emulator.control.set_extractto_served_rows(
                extract["id"],
                {(START + timedelta(days=d)).isoformat(): r for d, r in state.items()},
                columns=DECLARED if declared else None,
            )
            first, last = min(step), max(step)
            result = dg.materialize(
                build_extractto_assets([ads], output_dir=out),
                resources={"extractto": fast_resource},
                tags={
                    "dagster/asset_partition_range_start": (START + timedelta(first)).isoformat(),
                    "dagster/asset_partition_range_end": (START + timedelta(last)).isoformat(),
                },
                raise_on_error=False,
            )
            assert result.success
            for d in range(first, last + 1):
                state.setdefault(d, [])
            document = read_document(folder)
            assert document is not None
            for path in folder.glob("*/*.parquet"):
                assert pq.read_schema(path).equals(document.schema), path
            if not list(folder.glob("*/*.parquet")):
                continue
            read = read_with_all(folder, "date", ("pyarrow", "duckdb", "polars", "pandas"))
            for reader, read_rows in read.items():
                assert_every_value_kept(state, read_rows, reader)
