"""JSON read without a number changing: a number beyond the doubles is kept as its text, in
the sink's exact reader and in every API answer."""

import json
import math
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.dataset as ds
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from extract_assets.core.day_folders import write_day_folders
from extract_assets.core.http import ApiClient
from extract_assets.core.json_text import finite, json_text, loads
from extract_assets.core.paths import day_file
from extract_assets.core.table import TableWriter
from extract_assets_tests.readers import WITHOUT_SPARK, assert_all_readers_agree
from extract_assets_tests.security.servers import serving


def test_loads_keeps_a_number_beyond_the_doubles_as_its_text() -> None:
    assert loads(b"[1e400, -1E+999, 1.5e308, 2]") == ["1e400", "-1E+999", 1.5e308, 2]


@pytest.fixture
def api_answering_a_number_beyond_the_doubles() -> Iterator[str]:
    async def answer(request: Request) -> Response:
        return Response(b'{"data": [{"cost": 1e400, "ctr": 0.5}]}', media_type="application/json")

    with serving(Starlette(routes=[Route("/rows", answer)])) as url:
        yield url


def test_an_api_answer_keeps_a_number_beyond_the_doubles_as_its_text(
    api_answering_a_number_beyond_the_doubles: str,
) -> None:
    url = api_answering_a_number_beyond_the_doubles
    with ApiClient(provider="Example", base_url=url, api_key="key") as api:
        answer = api.decode(api.request("GET", "/rows"), "GET")
    assert answer == {"data": [{"cost": "1e400", "ctr": 0.5}]}


# --- NaN, Infinity and -Infinity, as services built on Python's json.dumps send them ----------

_NON_FINITE = st.sampled_from([math.nan, math.inf, -math.inf])
_NUMBER = st.integers(-5, 5) | st.floats(-10, 10, allow_nan=False) | _NON_FINITE
_NESTED = st.recursive(
    _NUMBER | st.text("ab", max_size=2),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from("pq"), inner),
    max_leaves=5,
).filter(lambda value: isinstance(value, dict | list))
_DAY = date(2026, 11, 2)


def _strict(text: str) -> Any:
    """JSON as a strict parser reads it: NaN and Infinity are no JSON."""

    def refuse(name: str) -> None:
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


@settings(max_examples=20, deadline=None)
@given(
    values=st.lists(_NUMBER | _NESTED, min_size=1, max_size=8),
    numbers=st.lists(_NUMBER, min_size=9, max_size=9),
    path=st.sampled_from(["ndjson", "records"]),
)
def test_nan_and_infinity_are_doubles_in_a_number_column_and_their_names_in_json_text(
    values: list[Any], numbers: list[Any], path: str
) -> None:
    values = [*values, {"p": [math.nan]}]  # at least one object holding one
    pairs = zip(numbers, values, strict=False)
    rows = [{"id": i, "n": n, "o": o} for i, (n, o) in enumerate(pairs)]
    with tempfile.TemporaryDirectory() as place:
        folder = Path(place) / "t"
        # The first write makes `o` an integer column and `n` a number column; the second
        # replaces its day.
        _write(path, folder, [{"id": -1, "n": 0.5, "o": 0}])
        _write(path, folder, rows)
        assert_all_readers_agree(folder, "date", WITHOUT_SPARK)
        # (the readers' rows show NaN as missing, as pandas does: pyarrow's keep it)
        stored = {row["id"]: row for row in ds.dataset(folder).to_table().to_pylist()}
        with duckdb.connect() as con:
            invalid = con.execute(
                "SELECT count(*) FROM read_parquet(?) "
                "WHERE o__v_json IS NOT NULL AND NOT json_valid(o__v_json)",
                [f"{folder}/*/*.parquet"],
            ).fetchone()

    assert invalid == (0,)
    for row in rows:
        got = stored[row["id"]]
        assert _same_number(row["n"], got["n"])
        if isinstance(row["o"], dict | list):
            assert _strict(got["o__v_json"]) == finite(row["o"])
        else:
            assert _same_number(row["o"], got["o"] if got["o"] is not None else got["o__v_double"])


def _write(path: str, folder: Path, rows: list[dict[str, Any]]) -> None:
    """`rows` as one day of the table at `folder`: a Linkup result's NDJSON, or an Extract.to
    page as its client reads it."""
    text = "".join(json.dumps(row) + "\n" for row in rows).encode()
    if path == "records":
        page = [{"date": _DAY.isoformat(), **loads(line)} for line in text.splitlines()]
        write_day_folders([page], folder, [_DAY])
        return
    with TableWriter(folder) as table:
        table.stage_ndjson([text], day_file(folder, _DAY))
        table.publish()


def _same_number(sent: Any, stored: Any) -> bool:
    if isinstance(sent, float) and math.isnan(sent):
        return isinstance(stored, float) and math.isnan(stored)
    return isinstance(stored, int | float) and float(stored) == float(sent)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (math.nan, "NaN"),
        (-math.inf, "-Infinity"),
        ({"a": math.nan, "b": [math.inf, 1.5]}, '{"a":"NaN","b":["Infinity",1.5]}'),
    ],
)
def test_json_text_names_nan_and_infinity_and_stays_json_inside_objects_and_lists(
    value: Any, text: str
) -> None:
    assert json_text(value) == text
