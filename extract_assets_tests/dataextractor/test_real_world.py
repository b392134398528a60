"""dataextractor.io as real services answer (the emulator's real-world profile): offsets and
naive timestamps near midnight, values as numbers (some beyond float64) and booleans, accuracy as
a map, boxes as arrays or missing, null lists, errors as objects, statuses in other cases, ids of
digits sent by webhooks as numbers, a listing that shifts while it is read."""

import json
import math
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg
import httpx
import pytest

from extract_assets.core.errors import ServerError
from extract_assets.core.retry import RetryPolicy
from extract_assets.dataextractor.assets import build_dataextractor_assets
from extract_assets.dataextractor.client import DataExtractorClient
from extract_assets.dataextractor.resource import DataExtractorResource
from extract_assets.dataextractor.sensors import (
    build_dataextractor_polling_sensor,
    build_dataextractor_webhook_sensor,
)
from extract_assets.dataextractor.spec import DataExtractorDatasetsSpec
from extract_assets.emulator import EmulatorServer
from extract_assets_tests.readers import describe_difference, read_with_all

from .conftest import ACCOUNT, API_KEY, WEBHOOK_SECRET, Receiver
from .test_sensors import SPEC, days_ago, requested, seed, tick, today

READERS = ("pyarrow", "duckdb", "polars", "pandas")
TABLES = ("datasets", "fields", "line_items", "ground_truth", "accuracy")
WINDOW = {
    "dagster/asset_partition_range_start": "2026-11-01",
    "dagster/asset_partition_range_end": "2026-11-05",
}


@pytest.fixture
def real_world(emulator: EmulatorServer, resource: DataExtractorResource) -> EmulatorServer:
    emulator.control.set_profile("real-world", seed=3)
    emulator.control.seed_dataextractor_datasets(
        60, account=ACCOUNT, date_from="2026-10-31", date_to="2026-11-06", failed_share=0.1
    )
    return emulator


class Beyond(str):
    """The text of a JSON number beyond float64 (a double would be infinity)."""


def _float_or_beyond(text: str) -> float | Beyond:
    number = float(text)
    return Beyond(text) if math.isinf(number) else number


def utc_day(text: str) -> str:
    moment = datetime.fromisoformat(text)
    return (
        (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).date().isoformat()
    )


def listed(emulator: EmulatorServer, *, final_only: bool = True) -> list[dict[str, Any]]:
    """Every (final) dataset of the account, read straight from the API (a number beyond
    float64 as `Beyond`)."""
    headers = {"Authorization": f"Bearer {API_KEY}"}
    url = f"{emulator.base_url('dataextractor')}/api/v1/datasets"
    found, cursor = [], None
    while True:
        params: dict[str, Any] = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        answer = httpx.get(url, params=params, headers=headers)
        body = json.loads(answer.content, parse_float=_float_or_beyond)
        found += body["data"]
        cursor = body["next_cursor"]
        if not cursor:
            return [d for d in found if d["status"].lower() != "processing" or not final_only]


def held(emulator: EmulatorServer) -> list[dict[str, Any]]:
    """The final datasets of the backfilled days, 2026-11-01 to 2026-11-05 (UTC)."""
    return [d for d in listed(emulator) if "2026-11-01" <= utc_day(d["created_at"]) <= "2026-11-05"]


def backfill(resource: DataExtractorResource, output: Path) -> dg.ExecuteInProcessResult:
    spec = DataExtractorDatasetsSpec(name="docs", start_date="2026-10-01")
    return dg.materialize(
        build_dataextractor_assets([spec], output_dir=str(output)),
        resources={"dataextractor": resource},
        tags=WINDOW,
    )


def test_every_dataset_lands_in_the_partition_of_its_utc_day(
    real_world: EmulatorServer, resource: DataExtractorResource, tmp_path: Path
) -> None:
    final = held(real_world)
    shifted = [d for d in final if d["created_at"][:10] != utc_day(d["created_at"])]
    assert shifted, "the profile put no dataset on another text date than its UTC day"
    assert any(d["id"].isdigit() for d in final), "the profile gave no dataset an id of digits"
    assert backfill(resource, tmp_path).success
    for reader, rows in read_with_all(
        tmp_path / "dataextractor" / "docs_datasets", "date", READERS
    ).items():
        assert {r["dataset_id"]: r["date"] for r in rows} == {
            d["id"]: utc_day(d["created_at"]) for d in final
        }, reader


def test_no_dataset_is_lost_because_one_field_looks_different(
    real_world: EmulatorServer, resource: DataExtractorResource, tmp_path: Path
) -> None:
    assert backfill(resource, tmp_path).success
    final = held(real_world)
    folder = tmp_path / "dataextractor"
    fields = read_with_all(folder / "docs_fields", "date", READERS)["pyarrow"]
    assert Counter(r["dataset_id"] for r in fields) == Counter(
        d["id"] for d in final for _ in d["fields"]
    )
    typed = [f for d in final for f in d["fields"] if not isinstance(f["value"], str | None)]
    assert typed, "the profile sent no number or boolean value"
    numbers = {(r["dataset_id"], r["name"]): r["value_number"] for r in fields}
    for dataset in final:
        for field in dataset["fields"]:
            value = field["value"]
            if isinstance(value, int | float) and not isinstance(value, bool):
                assert numbers[(dataset["id"], field["name"])] == value
    scores = read_with_all(folder / "docs_accuracy", "date", READERS)["pyarrow"]
    assert len(scores) == sum(len((d["accuracy"] or {}).get("fields") or []) for d in final)


def every_field(dataset: dict[str, Any]) -> list[tuple[int | None, dict[str, Any]]]:
    """The dataset's fields (no line index) and its line items' fields (their index)."""
    top: list[tuple[int | None, dict[str, Any]]] = [(None, f) for f in dataset["fields"]]
    return top + [(i["index"], f) for i in dataset["line_items"] for f in i["fields"]]


def test_values_beyond_float64_land_as_their_text_and_no_number(
    real_world: EmulatorServer, resource: DataExtractorResource, tmp_path: Path
) -> None:
    assert backfill(resource, tmp_path).success
    sent = {
        (d["id"], item, f["name"]): f["value"]
        for d in held(real_world)
        for item, f in every_field(d)
        if isinstance(f["value"], Beyond)
    }
    assert sent, "the profile sent no value beyond float64"
    folder = tmp_path / "dataextractor"
    landed = {
        (r["dataset_id"], r.get("line_index"), r["name"]): (r["value"], r["value_number"])
        for table in ("docs_fields", "docs_line_items")
        for r in read_with_all(folder / table, "date", READERS)["pyarrow"]
    }
    assert {key: landed[key] for key in sent} == {key: (text, None) for key, text in sent.items()}


def test_every_table_reads_alike_with_every_reader(
    real_world: EmulatorServer, resource: DataExtractorResource, tmp_path: Path
) -> None:
    assert backfill(resource, tmp_path).success
    for table in TABLES:
        rows = read_with_all(tmp_path / "dataextractor" / f"docs_{table}", "date", READERS)
        assert rows["pyarrow"], table
        for reader, found in rows.items():
            assert describe_difference(rows["pyarrow"], found) is None, (table, reader)


def test_statuses_sent_in_another_case_land_as_the_contract_spells_them(
    real_world: EmulatorServer, resource: DataExtractorResource, tmp_path: Path
) -> None:
    final = held(real_world)
    assert any(d["status"] != d["status"].lower() for d in final), "no status in another case"
    assert backfill(resource, tmp_path).success
    for reader, rows in read_with_all(
        tmp_path / "dataextractor" / "docs_datasets", "date", READERS
    ).items():
        assert {r["dataset_id"]: r["status"] for r in rows} == {
            d["id"]: d["status"].lower() for d in final
        }, reader


def test_the_profile_s_webhooks_naming_datasets_by_numbers_become_runs_of_their_days(
    emulator: EmulatorServer,
    account: str,
    receiver: Receiver,
    instance: dg.DagsterInstance,
    resource: DataExtractorResource,
) -> None:
    emulator.control.set_profile("real-world", seed=3)
    emulator.control.subscribe_dataextractor_webhook(receiver.url, WEBHOOK_SECRET, account=account)
    # One dataset a day: a day whose dataset is named by a number is requested for it alone.
    days = [days_ago(n) for n in range(2, 8)]
    for day in days:
        seed(emulator, account, day, processing_share=1.0, processing_seconds=0.1)
    deadline = time.monotonic() + 10
    while len(receiver.store.events_after(0, 100)) < len(days):
        assert time.monotonic() < deadline, "the emulator did not deliver every event"
        time.sleep(0.05)
    events = [event for _, event in receiver.store.events_after(0, 100)]
    named = [event.data["dataset_id"] for event in events]
    assert any(isinstance(n, int) for n in named) and any(isinstance(n, str) for n in named)
    statuses = {event.data["status"] for event in events}
    assert {s.lower() for s in statuses} == {"complete"} and len(statuses) > 1
    sensor = build_dataextractor_webhook_sensor(SPEC, receiver.store_path, time_budget_seconds=10)
    assert sorted(requested(tick(sensor, instance, resource, None))) == sorted(days)


def test_datasets_sent_with_null_lists_or_an_error_object_are_read_not_left_out(
    real_world: EmulatorServer, resource: DataExtractorResource, tmp_path: Path
) -> None:
    real_world.control.seed_dataextractor_datasets(
        8,
        account=ACCOUNT,
        date_from="2026-11-01",
        date_to="2026-11-05",
        verified_share=0,
        failed_share=0,
        processing_share=1.0,
        processing_seconds=86_400,
    )
    sent = [
        d
        for d in listed(real_world, final_only=False)
        if "2026-11-01" <= utc_day(d["created_at"]) <= "2026-11-05"
    ]
    objects = {d["id"]: d["error"] for d in sent if isinstance(d["error"], dict)}
    assert objects, "the profile sent no error as an object"
    assert any(d["fields"] is None for d in sent), "the profile sent no null list"
    result = backfill(resource, tmp_path)
    unreadable = [
        m.metadata["dataextractor/unreadable_datasets"].value
        for m in result.asset_materializations_for_node("docs")
        if m.asset_key == dg.AssetKey("docs_datasets")
    ]
    assert unreadable == [0] * 5
    for reader, rows in read_with_all(
        tmp_path / "dataextractor" / "docs_datasets", "date", READERS
    ).items():
        errors = {r["dataset_id"]: r["error"] for r in rows if r["dataset_id"] in objects}
        assert {key: json.loads(text) for key, text in errors.items()} == objects, reader


def test_the_processing_left_out_is_counted_per_day(
    real_world: EmulatorServer, resource: DataExtractorResource, tmp_path: Path
) -> None:
    result = backfill(resource, tmp_path)
    left = {
        m.partition: m.metadata["dataextractor/processing_left_out"].value
        for m in result.asset_materializations_for_node("docs")
        if m.asset_key == dg.AssetKey("docs_datasets")
    }
    assert set(left) == {f"2026-11-0{d}" for d in range(1, 6)}
    assert all(isinstance(n, int) for n in left.values())


def test_the_polling_sensor_requests_the_utc_days_of_final_datasets_once(
    emulator: EmulatorServer,
    account: str,
    instance: dg.DagsterInstance,
    resource: DataExtractorResource,
) -> None:
    emulator.control.set_profile("real-world", seed=9)
    emulator.control.seed_dataextractor_datasets(
        12, account=account, date_from=days_ago(3), date_to=days_ago(1), verified_share=0
    )
    days = sorted({utc_day(d["created_at"]) for d in listed(emulator)} - {today().isoformat()})
    sensor = build_dataextractor_polling_sensor(SPEC, time_budget_seconds=10)
    first = tick(sensor, instance, resource, None)
    assert sorted(requested(first)) == [d for d in days if d >= days_ago(3)]
    assert not tick(sensor, instance, resource, first.cursor).run_requests


@pytest.mark.parametrize("body", ["html", "text", "empty", "truncated_json"])
def test_a_server_error_of_any_body_is_retried_and_then_typed(
    emulator: EmulatorServer, account: str, body: str
) -> None:
    emulator.control.set_profile("real-world")
    url = emulator.base_url("dataextractor")
    emulator.control.add_fault("status", status=503, body=body, provider="dataextractor", times=1)
    with DataExtractorClient(api_key=API_KEY, base_url=url, reads_per_minute=100_000) as client:
        assert client.dataset_page().datasets == []
    emulator.control.add_fault("status", status=503, body=body, provider="dataextractor")
    retry = RetryPolicy(max_attempts=2, backoff_base_seconds=0.01)
    with DataExtractorClient(
        api_key=API_KEY, base_url=url, reads_per_minute=100_000, retry=retry
    ) as client:
        with pytest.raises(ServerError) as raised:
            client.dataset_page()
    assert (raised.value.status, raised.value.attempts) == (503, 2)
    assert raised.value.request_id and API_KEY not in str(raised.value)
