"""Extract.to as real services answer (the emulator's real-world profile): `__insert_date`
without an offset, row dates as timestamps with offsets, account ids as numbers, run errors as
objects, `last_sync` stamped as a sync starts, statuses in other cases, numbers beyond float64 in
rows, error bodies of other shapes."""

import json
import math
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import httpx
import pytest

from extract_assets.core.errors import ServerError
from extract_assets.core.retry import RetryPolicy
from extract_assets.emulator import EmulatorServer
from extract_assets.extractto.assets import build_extractto_assets
from extract_assets.extractto.client import ConnectionRunFailedError, ExtractToClient
from extract_assets.extractto.resource import ExtractToResource
from extract_assets.extractto.sensors import build_extractto_sensor
from extract_assets.extractto.spec import ExtractToExtractSpec
from extract_assets_tests.readers import (
    assert_all_readers_agree,
    describe_difference,
    read_with_all,
)

from .conftest import SECRET_KEY, served_rows
from .test_sensors import Tick, outside_sync

READERS = ("pyarrow", "duckdb", "polars", "pandas")


@pytest.fixture
def real_world(quick_emulator: EmulatorServer) -> EmulatorServer:
    quick_emulator.control.set_profile("real-world", seed=5)
    return quick_emulator


@pytest.fixture
def today(real_world: EmulatorServer) -> date:
    return real_world.control.now().date()


@pytest.fixture
def tick(
    demo: dict[str, str], fast_resource: ExtractToResource, today: date, tmp_path: Path
) -> Iterator[Tick]:
    """The extracts sensor evaluated as the daemon does, on a persistent instance."""
    spec = ExtractToExtractSpec(
        name="ads", extract_id=demo["extract_id"], start_date=today - timedelta(days=60)
    )
    assets = build_extractto_assets([spec], output_dir=str(tmp_path))
    sensor = build_extractto_sensor([spec], time_budget_seconds=10)
    with dg.instance_for_test() as instance:
        yield Tick(assets, sensor, instance, fast_resource)


def backfill_ads(
    resource: ExtractToResource, extract_id: str, output: Path, last_day: str
) -> dg.ExecuteInProcessResult:
    """The extract as the asset `ads`, backfilled in one run from 2026-11-01 to `last_day`."""
    spec = ExtractToExtractSpec(name="ads", extract_id=extract_id, start_date="2026-10-01")
    return dg.materialize(
        build_extractto_assets([spec], output_dir=str(output)),
        resources={"extractto": resource},
        tags={
            "dagster/asset_partition_range_start": "2026-11-01",
            "dagster/asset_partition_range_end": last_day,
        },
    )


class Beyond(str):
    """The text of a JSON number beyond float64 (a double would be infinity)."""


def _float_or_beyond(text: str) -> float | Beyond:
    number = float(text)
    return Beyond(text) if math.isinf(number) else number


def served_exactly(base_url: str, table_id: str, date_from: str, date_to: str) -> list[Any]:
    """The rows the emulator serves for the dates, a number beyond float64 as `Beyond`."""
    params = {"date_from": date_from, "date_to": date_to, "limit": "10000"}
    headers = {"Authorization": f"Bearer {SECRET_KEY}"}
    rows: list[Any] = []
    with httpx.Client(base_url=base_url, headers=headers) as http:
        while True:
            answer = http.get(f"/data-tables/{table_id}/rows", params=params).raise_for_status()
            body = json.loads(answer.content, parse_float=_float_or_beyond)
            rows += body["data"]
            if not body["next_cursor"]:
                return rows
            params["cursor"] = body["next_cursor"]


def utc_day_of(text: str) -> str:
    """The test's own reading of a row's date: a plain date, or a timestamp's UTC day."""
    if len(text) == 10:
        return text
    moment = datetime.fromisoformat(text)
    return (
        (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).date().isoformat()
    )


def test_a_sensor_tick_reads_insert_dates_without_an_offset(
    real_world: EmulatorServer, tick: Tick, demo: dict[str, str], today: date
) -> None:
    assert tick() == []
    first, last = today - timedelta(days=3), today - timedelta(days=2)
    outside_sync(real_world, demo["extract_id"], first, last)
    (request,) = tick()
    assert (
        request.tags["dagster/asset_partition_range_start"],
        request.tags["dagster/asset_partition_range_end"],
    ) == (first.isoformat(), last.isoformat())


def test_a_row_whose_insert_date_cannot_be_read_is_passed_over_and_the_tick_goes_on(
    real_world: EmulatorServer, tick: Tick, demo: dict[str, str], today: date
) -> None:
    assert tick() == []
    day = today - timedelta(days=2)
    real_world.control.set_extractto_served_rows(
        demo["extract_id"],
        {
            day.isoformat(): [
                {"campaign_id": "c1", "__insert_date": "not a time"},
                {"campaign_id": "c2"},
            ]
        },
    )
    outside_sync(real_world, demo["extract_id"], day, day)
    (request,) = tick()
    assert request.tags["dagster/asset_partition_range_start"] == day.isoformat()


def test_an_extract_whose_account_id_is_a_number_is_read_and_the_sensor_still_ticks(
    real_world: EmulatorServer,
    tick: Tick,
    client: ExtractToClient,
    extractto_url: str,
) -> None:
    added = real_world.control.add_extractto_extract("Numbered account", account_id="98765")
    answer = httpx.get(
        f"{extractto_url}/extracts/{added['id']}",
        headers={"Authorization": f"Bearer {SECRET_KEY}"},
    )
    assert answer.json()["account_id"] == 98765
    assert {e.id: e.account_id for e in client.extracts()}[added["id"]] == "98765"
    assert tick() == []


def test_a_sync_stamped_as_it_starts_ends_once_its_status_leaves_syncing(
    real_world: EmulatorServer, client: ExtractToClient, demo: dict[str, str]
) -> None:
    synced = client.sync(demo["extract_id"], "2026-11-01", "2026-11-02")
    assert synced.status == "active"
    assert client.extract(demo["extract_id"]).last_sync == synced.last_sync


def test_a_failed_run_whose_error_is_an_object_raises_with_its_message(
    real_world: EmulatorServer, client: ExtractToClient
) -> None:
    connection = real_world.control.add_extractto_connection("Failing")
    real_world.control.set_extractto_connection_scenario(
        connection["id"], outcome="failed", error="OAuth token revoked"
    )
    run = client.run_connection(connection["id"])
    with pytest.raises(ConnectionRunFailedError, match="OAuth token revoked"):
        client.wait_for_connection_run(connection["id"], run.id)
    (listed,) = client.connection_runs(connection["id"])
    assert json.loads(listed.error or "") == {
        "code": "sync_failed",
        "message": "OAuth token revoked",
    }


# A day of the demo's extract fits one page; 2,500 rows a day make the 5 days two pages, read
# with the next one asked for while the first is decoded.
@pytest.mark.parametrize("rows_per_day", [None, 2_500], ids=["one page", "two pages"])
def test_every_row_lands_in_the_folder_of_its_utc_day(
    real_world: EmulatorServer,
    fast_resource: ExtractToResource,
    extractto_url: str,
    demo: dict[str, str],
    tmp_path: Path,
    rows_per_day: int | None,
) -> None:
    if rows_per_day is not None:
        real_world.control.set_extractto_extract_scenario(
            demo["extract_id"], rows_per_day=rows_per_day
        )
    ads = backfill_ads(fast_resource, demo["extract_id"], tmp_path, "2026-11-05")
    assert ads.success
    outside = [
        m.metadata["extract_assets/rows_outside_window"].value
        for m in ads.asset_materializations_for_node("ads")
    ]
    assert outside == [0] * 5
    served = served_rows(extractto_url, demo["data_table_id"], "2026-11-01", "2026-11-05")
    assert any(len(str(row["date"])) > 10 for row in served), "the profile sent no timestamp"
    assert (len(served) > 10_000) == (rows_per_day is not None), "pages: not as the case says"
    expected: dict[str, int] = {}
    for row in served:
        day = utc_day_of(str(row["date"]))
        expected[day] = expected.get(day, 0) + 1
    cut = sorted(str(row["account_name"]).replace("\ud83d", "\ufffd") for row in served)
    # One row in 50 is cut: the two-page case has thousands of rows, the other a few dozen.
    assert rows_per_day is None or any(name.endswith(" \ufffd") for name in cut), "none cut"
    for reader, rows in read_with_all(tmp_path / "extractto" / "ads", "date", READERS).items():
        got: dict[str, int] = {}
        for row in rows:
            got[row["date"]] = got.get(row["date"], 0) + 1
        assert got == expected, reader
        assert sorted(row["account_name"] for row in rows) == cut, reader


def test_rows_spelled_every_way_a_service_may_land_in_one_table_every_reader_reads(
    real_world: EmulatorServer,
    fast_resource: ExtractToResource,
    demo: dict[str, str],
    tmp_path: Path,
) -> None:
    # Rows of a data table as messy as the contract allows, on top of the profile's row dates
    # with offsets: a field spelled in two cases (inside an object too), a uint64 id, numbers
    # sent as text, keys that come late, text beyond ASCII. (The profile's own rows bring an
    # emoji cut in two: see `test_every_row_lands_in_the_folder_of_its_utc_day`.)
    real_world.control.set_extractto_served_rows(
        demo["extract_id"],
        {
            "2026-11-01": [
                {"Price": 1, "order_id": 18446744073709551615, "spend": "12.5"},
                {"price": 2, "order_id": 7, "spend": 3, "meta": {"Tag": "a"}},
            ],
            "2026-11-02": [
                {"price": "4", "order_id": 9, "meta": {"tag": "b", "Tag": "c"}},
                {"Price": 5, "note": "José 😀", "late": True},
            ],
        },
    )
    ads = backfill_ads(fast_resource, demo["extract_id"], tmp_path, "2026-11-02")
    assert ads.success
    rows = assert_all_readers_agree(tmp_path / "extractto" / "ads", "date")
    assert len(rows) == 4
    names = list(rows[0])
    assert len({name.casefold() for name in names}) == len(names)
    assert sorted(str(row["order_id"]) for row in rows) == [
        "18446744073709551615",
        "7",
        "9",
        "None",
    ]
    assert "José 😀" in [row["note"] for row in rows]
    assert {"Tag": "c", "tag__case_2": "b"} in [row["meta"] for row in rows]


def test_numbers_beyond_float64_land_as_their_text_beside_their_column(
    real_world: EmulatorServer,
    fast_resource: ExtractToResource,
    extractto_url: str,
    demo: dict[str, str],
    tmp_path: Path,
) -> None:
    assert backfill_ads(fast_resource, demo["extract_id"], tmp_path, "2026-11-05").success
    served = served_exactly(extractto_url, demo["data_table_id"], "2026-11-01", "2026-11-05")
    sent = {
        (utc_day_of(str(row["date"])), row["account_id"], row["campaign_id"], name): value
        for row in served
        for name, value in row.items()
        if isinstance(value, Beyond)
    }
    assert sent, "the profile sent no number beyond float64"
    tables = read_with_all(tmp_path / "extractto" / "ads", "date", READERS)
    for reader, rows in tables.items():
        assert describe_difference(tables["pyarrow"], rows) is None, reader
        landed = {(r["date"], r["account_id"], r["campaign_id"]): r for r in rows}
        assert len(landed) == len(rows) == len(served), reader
        assert {
            key: (landed[key[:3]][name], landed[key[:3]][f"{name}__v_text"])
            for key in sent
            for name in key[3:]
        } == {key: (None, text) for key, text in sent.items()}, reader


def test_extracts_reported_in_another_case_are_read_as_the_contract_spells_them(
    real_world: EmulatorServer, client: ExtractToClient, extractto_url: str
) -> None:
    for n in range(6):
        real_world.control.add_extractto_extract(f"Extract {n}")
    headers = {"Authorization": f"Bearer {SECRET_KEY}"}
    answer = httpx.get(f"{extractto_url}/extracts", headers=headers)
    sent = {e["id"]: e["status"] for e in answer.json()["data"]}
    assert any(status != status.lower() for status in sent.values()), "no status in another case"
    assert {e.id: e.status for e in client.extracts()} == {
        key: status.lower() for key, status in sent.items()
    }


def test_connection_runs_reported_in_another_case_end_as_succeeded(
    real_world: EmulatorServer, client: ExtractToClient, extractto_url: str
) -> None:
    connection = real_world.control.add_extractto_connection("Runs")
    ended = []
    for _ in range(4):
        run = client.run_connection(connection["id"])
        ended.append(client.wait_for_connection_run(connection["id"], run.id).status)
    assert ended == ["succeeded"] * 4
    headers = {"Authorization": f"Bearer {SECRET_KEY}"}
    answer = httpx.get(f"{extractto_url}/connections/{connection['id']}/runs", headers=headers)
    sent = [run["status"] for run in answer.json()["data"]]
    assert {s.lower() for s in sent} == {"succeeded"} and len(set(sent)) > 1


@pytest.mark.parametrize(("status", "body"), [(500, "provider"), (502, "html"), (503, "empty")])
def test_a_server_error_of_any_body_is_a_typed_retried_error(
    real_world: EmulatorServer, extractto_url: str, status: int, body: str
) -> None:
    real_world.control.add_fault("status", status=status, body=body, provider="extractto")
    retry = RetryPolicy(max_attempts=2, backoff_base_seconds=0.01)
    with ExtractToClient(api_key=SECRET_KEY, base_url=extractto_url, retry=retry) as client:
        with pytest.raises(ServerError) as raised:
            client.extracts()
    assert raised.value.status == status and raised.value.attempts == 2
    assert raised.value.request_id
