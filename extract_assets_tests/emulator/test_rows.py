"""Deterministic row generation, without HTTP."""

from __future__ import annotations

import io
import json
from datetime import date, datetime
from typing import Any

from extract_assets.emulator import rows

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "age": {"type": "integer", "minimum": 18, "maximum": 70},
        "score": {"type": "number"},
        "active": {"type": "boolean"},
        "joined": {"type": "string", "format": "date"},
        "seen": {"type": "string", "format": "date-time"},
        "site": {"type": "string", "format": "uri"},
        "contact": {"type": "string", "format": "email"},
        "level": {"enum": ["junior", "senior"]},
        "address": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "zip": {"type": "string"}},
            "required": ["city"],
        },
        "tags": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["name", "age", "address", "tags"],
}


def generate(q: str, schema: dict[str, Any] | None, count: int) -> list[dict[str, Any]]:
    """The rows as written to a file."""
    out = io.BytesIO()
    rows.write_ndjson(out, q, schema, count)
    text = out.getvalue().decode()
    assert text.count("\n") == count and (count == 0 or text.endswith("\n"))
    return [json.loads(line) for line in text.splitlines()]


def test_default_row_count_is_stable_and_between_5_and_20() -> None:
    counts = [rows.default_row_count(f"query {i}") for i in range(200)]
    assert min(counts) >= 5 and max(counts) <= 20 and len(set(counts)) > 10
    assert rows.default_row_count("query 7") == counts[7]


def test_same_inputs_give_the_same_bytes() -> None:
    first, second = io.BytesIO(), io.BytesIO()
    rows.write_ndjson(first, "q", SCHEMA, 500)
    rows.write_ndjson(second, "q", SCHEMA, 500)
    assert first.getvalue() == second.getvalue()


def test_fingerprint_changes_with_each_input() -> None:
    base = rows.fingerprint("q", SCHEMA, 10)
    assert base == rows.fingerprint("q", dict(SCHEMA), 10)
    assert len({base, rows.fingerprint("q2", SCHEMA, 10), rows.fingerprint("q", None, 10)}) == 3
    assert base != rows.fingerprint("q", SCHEMA, 11)


def test_required_properties_are_always_present_and_not_null() -> None:
    for row in generate("q", SCHEMA, 300):
        assert all(row.get(key) is not None for key in SCHEMA["required"])
        assert row["address"]["city"] is not None


def test_optional_properties_are_sometimes_null_and_sometimes_absent() -> None:
    generated = generate("q", SCHEMA, 300)
    assert any("score" not in row for row in generated)
    assert any("score" in row and row["score"] is None for row in generated)
    assert any(isinstance(row.get("score"), float) for row in generated)


def test_values_follow_types_and_formats() -> None:
    for row in generate("q", SCHEMA, 300):
        assert isinstance(row["name"], str) and 18 <= row["age"] <= 70
        assert row.get("active") in (None, True, False)
        if row.get("joined"):
            date.fromisoformat(row["joined"])
        if row.get("seen"):
            assert row["seen"].endswith("Z") and datetime.fromisoformat(row["seen"])
        if row.get("site"):
            assert row["site"].startswith("https://")
        if row.get("contact"):
            assert "@" in row["contact"]
        assert row.get("level") in (None, "junior", "senior")


def test_arrays_have_zero_to_three_items() -> None:
    sizes = {len(row["tags"]) for row in generate("q", SCHEMA, 300)}
    assert sizes == {0, 1, 2, 3}


def test_rows_without_schema_drift_like_an_agents() -> None:
    generated = generate("team", None, 40)
    assert all({"name", "role", "profileUrl"} <= set(row) for row in generated)
    assert [("email" in row) for row in generated] == [False] * 20 + [True] * 20
    assert any(row["role"] is None for row in generated)


def test_profile_urls_are_unique() -> None:
    urls = [row["profileUrl"] for row in generate("team", None, 1_000)]
    assert len(set(urls)) == len(urls)


def test_local_refs_are_followed() -> None:
    schema = {
        "type": "object",
        "$defs": {"person": {"type": "object", "properties": {"name": {"type": "string"}}}},
        "properties": {"lead": {"$ref": "#/$defs/person"}},
        "required": ["lead"],
    }
    assert all(isinstance(row["lead"], dict) for row in generate("q", schema, 20))
