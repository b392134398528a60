"""Extract.to data tables serving rows a test chose, and the `messy` data profile."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from extract_assets.emulator import EmulatorControl, EmulatorControlError, EmulatorServer
from extract_assets_tests.emulator.test_extractto_rows import ISO_MS_Z, every_row, rows, synced

DAYS = ("2026-11-01", "2026-11-02", "2026-11-03")
ODD_ROWS: list[dict[str, Any]] = [
    {"zeta": 1, "impressions": "3185", "cost": 12.5, "nested": {"b": [1, None], "a": "é"}},
    {"impressions": 1.0, "cost": -0.0, "big": 2**70, "tags": [], "emoji": "日本 🚀"},
    {"impressions": None, "date": "not a date", "__insert_date": "yesterday", "only_here": True},
    {},
]


@pytest.fixture
def api(emulator: EmulatorServer) -> Iterator[httpx.Client]:
    """A client of the emulated Extract.to API with the default (admin) key."""
    headers = {"Authorization": "Bearer demo-extractto-key"}
    with httpx.Client(base_url=emulator.base_url("extractto"), headers=headers) as client:
        yield client


def exact(found: list[dict[str, Any]]) -> list[str]:
    """Rows as JSON text: equal only with the same keys in the same order, of the same types."""
    return [json.dumps(row) for row in found]


def columns(api: httpx.Client, extract: dict[str, Any]) -> list[tuple[str, str]]:
    table = api.get(f"/data-tables/{extract['data_table_id']}").json()
    return [(c["name"], c["type"]) for c in table["columns"]]


def test_served_rows_come_back_verbatim_page_by_page(
    api: httpx.Client, frozen: EmulatorControl
) -> None:
    extract = frozen.add_extractto_extract("Served")
    frozen.set_extractto_served_rows(extract["id"], {DAYS[0]: ODD_ROWS[:2], DAYS[1]: ODD_ROWS[2:]})
    assert rows(api, extract)["data"] == []  # nothing before a sync covers the days
    synced(api, frozen, extract, DAYS[0], DAYS[2])
    found = every_row(api, extract, limit=1)
    inserted = found[0]["__insert_date"]
    assert ISO_MS_Z.match(inserted)
    assert exact(found) == exact(
        [
            {"date": DAYS[0], **ODD_ROWS[0], "__insert_date": inserted},
            {"date": DAYS[0], **ODD_ROWS[1], "__insert_date": inserted},
            ODD_ROWS[2],
            {"date": DAYS[1], "__insert_date": inserted},
        ]
    )
    table = api.get(f"/data-tables/{extract['data_table_id']}").json()
    assert table["row_count"] == 4


def test_only_synced_days_in_the_date_range_serve_their_rows(
    api: httpx.Client, frozen: EmulatorControl
) -> None:
    extract = frozen.add_extractto_extract("Served")
    days: dict[str, list[dict[str, Any]]] = {
        day: [{"n": n}, {"n": n, "date": "1999-01-01"}] for n, day in enumerate(DAYS)
    }
    frozen.set_extractto_served_rows(extract["id"], days | {"2026-12-25": [{"n": 9}]})
    synced(api, frozen, extract, DAYS[0], DAYS[2])
    found = every_row(api, extract, date_from=DAYS[1], date_to=DAYS[2], limit=3)
    assert [(r["n"], r["date"]) for r in found] == [
        (1, DAYS[1]),
        (1, "1999-01-01"),
        (2, DAYS[2]),
        (2, "1999-01-01"),
    ]
    assert every_row(api, extract, date_from="2026-12-01") == []


def test_setting_rows_again_replaces_them_at_the_next_sync(
    api: httpx.Client, frozen: EmulatorControl
) -> None:
    extract = frozen.add_extractto_extract("Served")
    frozen.set_extractto_served_rows(extract["id"], {DAYS[0]: [{"v": "a"}], DAYS[1]: [{"v": "b"}]})
    synced(api, frozen, extract, DAYS[0], DAYS[1])
    control_view = frozen.set_extractto_served_rows(extract["id"], {DAYS[1]: [{"v": "c"}] * 2})
    assert control_view["served_days"] == {DAYS[1]: 2}
    assert [r["v"] for r in every_row(api, extract)] == ["a", "b"]
    synced(api, frozen, extract, DAYS[0], DAYS[1])
    assert [(r["date"], r["v"]) for r in every_row(api, extract)] == [(DAYS[1], "c")] * 2


def test_given_columns_describe_the_table_and_null_keeps_them(
    api: httpx.Client, control: EmulatorControl
) -> None:
    extract = control.add_extractto_extract("Served", fields=["clicks"])
    given = [{"name": "impressions", "type": "integer"}, {"name": "blob", "type": "json"}]
    control.set_extractto_served_rows(extract["id"], {}, columns=given)
    expected = [
        ("date", "date"),
        ("account_id", "string"),
        ("account_name", "string"),
        ("impressions", "integer"),
        ("blob", "json"),
        ("__insert_date", "datetime"),
    ]
    assert columns(api, extract) == expected
    control.set_extractto_served_rows(extract["id"], {DAYS[0]: [{}]})
    assert columns(api, extract) == expected
    control.set_extractto_served_rows(
        extract["id"], {}, columns=[{"name": "x", "type": "number"}, {"name": "date", "type": "s"}]
    )
    assert columns(api, extract) == [
        ("account_id", "string"),
        ("account_name", "string"),
        ("x", "number"),
        ("date", "s"),
        ("__insert_date", "datetime"),
    ]


@pytest.mark.parametrize(
    "body",
    [
        b'{"days": {"2026-11-01": [[1, 2]]}}',
        b'{"days": {"2026-11-1": []}}',
        b'{"days": {"2026-11-01": [{"x": NaN}]}}',
        b'{"days": {"2026-11-01": [{"x": "\\ud800"}]}}',
        b'{"days": {}, "columns": [{"name": "a", "type": "s"}, {"name": "a", "type": "s"}]}',
    ],
)
def test_rows_no_json_answer_can_serve_are_400(control: EmulatorControl, body: bytes) -> None:
    extract = control.add_extractto_extract("Served")
    url = f"{control.url}/_emulator/extractto/extracts/{extract['id']}/served_rows"
    response = httpx.put(url, content=body)
    assert (response.status_code, response.json()["error"]) == (400, "invalid payload")


def test_served_rows_of_an_unknown_extract_are_404(control: EmulatorControl) -> None:
    with pytest.raises(EmulatorControlError, match="404"):
        control.set_extractto_served_rows("no-such-extract", {})


def test_messy_profile_has_its_five_traits(api: httpx.Client, frozen: EmulatorControl) -> None:
    extract = frozen.add_extractto_extract("Messy", profile="messy", rows_per_day=5)
    synced(api, frozen, extract, "2026-11-01", "2026-11-08")
    found = every_row(api, extract, limit=7)
    by_day: dict[str, list[dict[str, Any]]] = {}
    for row in found:
        by_day.setdefault(row["date"], []).append(row)
    days = sorted(by_day)
    # Some days without rows, never the first two nor the last.
    assert days[:2] == ["2026-11-01", "2026-11-02"] and days[-1] == "2026-11-08"
    assert 2 < len(days) < 8 and all(len(r) == 5 for r in by_day.values())
    # Impressions (declared integer) as digit strings on a few rows of two days.
    strings = {r["date"]: 0 for r in found if isinstance(r["impressions"], str)}
    for row in found:
        if isinstance(row["impressions"], str):
            assert row["impressions"].isdigit()
            strings[row["date"]] += 1
        else:
            assert isinstance(row["impressions"], int)
    assert len(strings) == 2 and all(1 <= n <= 3 for n in strings.values())
    # Cost an integer on the first day, a float with cents after.
    assert all(type(r["cost"]) is int for r in by_day[days[0]])
    assert all(type(r["cost"]) is float and r["cost"] % 1 for d in days[1:] for r in by_day[d])
    # Notes null on the first pages, text after.
    notes = [r["notes"] for r in found]
    half = len(found) // 2
    assert notes[:half] == [None] * half and all(isinstance(n, str) for n in notes[half:])
    # Label only in the last rows of the last day.
    assert ["label" in r for r in found] == [False] * (len(found) - 3) + [True] * 3
    assert "label" not in dict(columns(api, extract))
    assert dict(columns(api, extract))["impressions"] == "integer"


def test_messy_profile_is_the_same_for_the_same_seed(
    api: httpx.Client, frozen: EmulatorControl
) -> None:
    def messy(seed: int) -> list[str]:
        extract = frozen.add_extractto_extract("Messy", profile="messy", profile_seed=seed)
        synced(api, frozen, extract, "2026-11-01", "2026-11-05")
        return exact(
            [{k: v for k, v in r.items() if k != "__insert_date"} for r in every_row(api, extract)]
        )

    first = messy(7)
    assert messy(7) == first and messy(8) != first
