"""dataextractor.io end to end, as a user runs it, against the emulator's real-world profile.

The README's setup, from a YAML file: a datasets spec (five day-partitioned tables), a
submission folder, webhooks on, the receiver on loopback storing the emulator's signed events.
One journey on a persistent instance: a backfill of five days of datasets written the way real
services write them (offsets and naive times near midnight, values as numbers, some beyond
float64, accuracy as a map, boxes as arrays or missing, errors as objects, statuses in other
cases, ids of digits), the folder submitted and its events turned into runs by the webhook
sensor, a re-run of a day, a submission of the same folder again, the emulator's clock moved on
to its next day (a day Dagster has no partition for until its own clock gets there), and a
downstream week read through the IO manager. The tests judge the tables a user reads against
the datasets the API listed when each day was last materialized.
"""

from __future__ import annotations

import re
import shutil
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import httpx
import pandas as pd
import pyarrow as pa
import pytest
from dagster._core.test_utils import freeze_time

import extract_assets as ea
from extract_assets.dataextractor.resource import DataExtractorResource
from extract_assets.dataextractor.webhooks import WEBHOOK_PATH, WebhookStore, create_webhook_app
from extract_assets.emulator import EmulatorServer
from extract_assets.metadata import SCHEMA_CHANGE_METADATA
from extract_assets_tests.journey import evaluate_tick
from extract_assets_tests.readers import Row
from extract_assets_tests.security.servers import serving
from extract_assets_tests.stored_values import (
    Beyond,
    assert_files_have_the_table_schema,
    loads_exact,
    problems_in_row,
    read_table,
)

from .conftest import API_KEY, WEBHOOK_SECRET

SEED = 4
ACCOUNT = "acct_journey"
TABLES = ("datasets", "fields", "line_items", "ground_truth", "accuracy")
DEMO_DOCUMENTS = Path(ea.__file__).parent / "demo" / "documents"
NUMBER_TEXT = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")
BOX = ("x", "y", "width", "height")
GROUND_TRUTH = {"invoice_number": "INV-2044", "total": "1,234.50"}


@dataclass
class Materialized:
    """One day of the datasets table as one run wrote it, and the datasets the API listed
    for that day right after."""

    run: int
    day: str
    metadata: dict[str, Any]
    listed: list[dict[str, Any]]


@dataclass
class Journey:
    output: Path
    today: date
    ticks: list[list[dg.RunRequest]] = field(default_factory=list)
    materialized: list[Materialized] = field(default_factory=list)
    checks: list[tuple[str, str, bool]] = field(default_factory=list)
    submissions: list[dict[str, int]] = field(default_factory=list)
    events: int = 0
    verified: str = ""
    downstream: dict[str, Any] = field(default_factory=dict)

    def day(self, days_ago: int) -> str:
        return (self.today - timedelta(days=days_ago)).isoformat()

    def latest(self) -> dict[str, Materialized]:
        return {m.day: m for m in self.materialized}

    def final_datasets(self) -> list[dict[str, Any]]:
        """The final datasets of every materialized day, as listed when it was last written."""
        return [
            dataset
            for day, m in self.latest().items()
            for dataset in m.listed
            if utc_day(dataset["created_at"]) == day and not processing(dataset)
        ]


def utc_day(text: str) -> str:
    moment = datetime.fromisoformat(text)
    return (
        (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).date().isoformat()
    )


def processing(dataset: dict[str, Any]) -> bool:
    return str(dataset["status"]).lower() == "processing"


def listing(url: str) -> list[dict[str, Any]]:
    """Every dataset of the account, read straight from the API, newest first."""
    found: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 100}
    with httpx.Client(headers={"Authorization": f"Bearer {API_KEY}"}) as http:
        while True:
            body = loads_exact(http.get(f"{url}/api/v1/datasets", params=params).content)
            found += body["data"]
            if not body["next_cursor"]:
                return found
            params["cursor"] = body["next_cursor"]


class Pipeline:
    """The YAML file's definitions, run as the daemon and a user run them."""

    def __init__(self, emulator: EmulatorServer, defs: dg.Definitions, journey: Journey) -> None:
        self.url = emulator.base_url("dataextractor")
        self.resource = DataExtractorResource(
            api_key=API_KEY,
            base_url=self.url,
            reads_per_minute=100_000,
            writes_per_minute=100_000,
            retry_deadline_seconds=10,
            poll_initial_seconds=0.1,
            poll_max_seconds=0.3,
        )
        self.assets = [
            asset
            for asset in defs.assets or []
            if isinstance(asset, dg.AssetsDefinition)
            and not any(key.to_user_string().startswith("linkup") for key in asset.keys)
        ]
        self.tables = [f"docs_{table}" for table in TABLES]
        self.sensor = next(s for s in defs.sensors or [] if s.name == "docs_webhook_sensor")
        self.journey = journey
        self.cursor: str | None = None
        self.instance: dg.DagsterInstance

    def tick(self) -> list[dg.RunRequest]:
        result = evaluate_tick(
            self.sensor, self.instance, self.cursor, self.assets, {"dataextractor": self.resource}
        )
        self.cursor = result.cursor
        requests = list(result.run_requests or [])
        self.journey.ticks.append(requests)
        return requests

    def materialize(
        self, first: str, last: str, extra: list[dg.AssetsDefinition] | None = None
    ) -> None:
        result = dg.materialize(
            [*self.assets, *(extra or [])],
            selection=self.tables if extra is None else [a.key for a in extra],
            instance=self.instance,
            resources={"dataextractor": self.resource},
            tags={
                "dagster/asset_partition_range_start": first,
                "dagster/asset_partition_range_end": last,
            },
        )
        assert result.success
        listed = listing(self.url)
        run = len({m.run for m in self.journey.materialized}) + 1
        for event in result.get_asset_materialization_events():
            materialization = event.materialization
            if materialization.asset_key == dg.AssetKey("docs_datasets"):
                day = str(materialization.partition)
                mine = [d for d in listed if utc_day(d["created_at"]) == day]
                self.journey.materialized.append(
                    Materialized(run, day, dict(materialization.metadata), mine)
                )
        self.note_checks(result)

    def submit(self) -> None:
        result = dg.materialize(
            self.assets,
            selection=["inbox"],
            instance=self.instance,
            resources={"dataextractor": self.resource},
        )
        assert result.success
        (materialization,) = result.asset_materializations_for_node("inbox")
        self.journey.submissions.append(
            {
                key.removeprefix("dataextractor/"): value.value
                for key, value in materialization.metadata.items()
                if key.startswith("dataextractor/")
            }
        )
        self.note_checks(result)

    def verify(self, day: str) -> None:
        """Ground truth saved for a complete dataset of `day`, as a reviewer does in the app."""
        dataset = next(
            d
            for d in listing(self.url)
            if utc_day(d["created_at"]) == day and str(d["status"]).lower() == "complete"
        )
        with self.resource.get_client() as client:
            client.write_ground_truth(str(dataset["id"]), GROUND_TRUTH)
        self.journey.verified = str(dataset["id"])

    def note_checks(self, result: dg.ExecuteInProcessResult) -> None:
        self.journey.checks += [
            (e.asset_key.to_user_string(), e.check_name, e.passed)
            for e in result.get_asset_check_evaluations()
        ]


def weekly(start: date, seen: dict[str, Any]) -> dg.AssetsDefinition:
    """A user's asset: the seven days up to its own of fields (pandas) and datasets (pyarrow)."""
    window = dg.TimeWindowPartitionMapping(start_offset=-6)

    @dg.asset(
        partitions_def=dg.DailyPartitionsDefinition(start_date=start.isoformat()),
        ins={
            "fields": dg.AssetIn("docs_fields", partition_mapping=window),
            "datasets": dg.AssetIn("docs_datasets", partition_mapping=window),
        },
    )
    def week(fields: pd.DataFrame, datasets: pa.Table) -> None:
        seen["fields"] = fields
        seen["datasets"] = datasets

    return week


def copy_documents(folder: Path, copies: int) -> None:
    """The demo's documents and `copies` of each with other content (other datasets)."""
    folder.mkdir(exist_ok=True)
    for document in DEMO_DOCUMENTS.iterdir():
        shutil.copy(document, folder / document.name)
        for n in range(copies):
            content = document.read_bytes() + f"\n% copy {n}\n".encode()
            (folder / f"{document.stem}-{n}.pdf").write_bytes(content)


def wait_for_events(store: WebhookStore, count: int) -> None:
    """Wait for the emulator's deliveries, made by its own threads (not a timed assertion)."""
    deadline = time.monotonic() + 30
    while len(store.events_after(0, 10_000)) < count:
        assert time.monotonic() < deadline, "the emulator did not deliver every event"
        time.sleep(0.05)


def write_config(folder: Path, start: date) -> Path:
    config = folder / "extract-assets.yaml"
    config.write_text(
        "dataextractor:\n"
        "  webhooks: {enabled: true}\n"
        "  datasets:\n"
        f"    - {{name: docs, start_date: '{start}'}}\n"
        "  submissions:\n"
        "    - {name: inbox, folder: documents, dataset_type: invoice, customer_id: cust_demo}\n",
        encoding="utf-8",
    )
    return config


@pytest.fixture(scope="module")
def journey(
    emulator: EmulatorServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Journey]:
    control = emulator.control
    control.reset()
    control.set_profile("real-world", seed=SEED)
    control.add_dataextractor_key(key=API_KEY, account=ACCOUNT)
    control.dataextractor_settings(
        read_per_minute=100_000, write_per_minute=100_000, processing_seconds=0.5
    )
    today = control.now().date()
    folder = tmp_path_factory.mktemp("dataextractor-journey")
    copy_documents(folder / "documents", copies=2)
    store_path = folder / "webhooks.sqlite3"
    store = WebhookStore(store_path)
    journey = Journey(folder / "data", today)
    day = journey.day
    # Some fail; some stay processing past the journey (left out, counted per day).
    control.seed_dataextractor_datasets(
        30,
        account=ACCOUNT,
        date_from=day(5),
        date_to=day(1),
        failed_share=0.1,
        processing_share=0.1,
        processing_seconds=4 * 86_400,
    )
    with (
        serving(create_webhook_app(store, WEBHOOK_SECRET)) as receiver,
        pytest.MonkeyPatch.context() as env,
        dg.instance_for_test() as instance,
    ):
        control.subscribe_dataextractor_webhook(
            receiver + WEBHOOK_PATH, WEBHOOK_SECRET, account=ACCOUNT
        )
        env.setenv("DATAEXTRACTOR_API_KEY", API_KEY)
        env.setenv("DATAEXTRACTOR_BASE_URL", emulator.base_url("dataextractor"))
        env.setenv("DATAEXTRACTOR_WEBHOOK_STORE", str(store_path))
        env.setenv("EXTRACT_ASSETS_OUTPUT", str(journey.output))
        start = today - timedelta(days=30)
        pipeline = Pipeline(
            emulator, ea.definitions_from_config(write_config(folder, start)), journey
        )
        pipeline.instance = instance
        pipeline.tick()  # no event yet
        pipeline.materialize(day(7), day(1))  # a backfill, one run: two days without datasets
        pipeline.submit()  # nine documents, each an event once processed
        wait_for_events(store, 9)
        for request in pipeline.tick():
            pipeline.materialize(str(request.partition_key), str(request.partition_key))
        pipeline.tick()
        pipeline.materialize(day(3), day(3))  # a re-run of a day
        pipeline.verify(day(2))  # ground truth saved: one more event
        wait_for_events(store, 10)
        for request in pipeline.tick():
            pipeline.materialize(str(request.partition_key), str(request.partition_key))
        pipeline.submit()  # the same folder again: nothing is sent
        control.advance_clock(86_400)  # the service's next day
        copy_documents(folder / "documents", copies=3)  # three more documents
        pipeline.submit()
        wait_for_events(store, 13)
        pipeline.tick()  # a day after Dagster's last partition: kept for later
        with freeze_time(datetime.combine(today + timedelta(days=2), datetime.min.time(), UTC)):
            for request in pipeline.tick():
                pipeline.materialize(str(request.partition_key), str(request.partition_key))
            pipeline.tick()
        pipeline.materialize(day(1), day(1), extra=[weekly(start, journey.downstream)])
        journey.events = len(store.events_after(0, 10_000))
        yield journey


def test_each_day_an_event_touched_is_requested_once_the_day_exists(journey: Journey) -> None:
    requested = [[str(r.partition_key) for r in tick] for tick in journey.ticks]
    day = journey.day
    assert requested == [[], [day(0)], [], [day(2)], [], [day(-1)], []]


def test_every_final_dataset_of_each_day_lands_once_in_its_utc_day(journey: Journey) -> None:
    final = journey.final_datasets()
    assert any(d["created_at"][:10] != utc_day(d["created_at"]) for d in final), "none shifted"
    stored = read_table(journey.output / "dataextractor" / "docs_datasets", "date")
    assert sorted((r["date"], r["dataset_id"]) for r in stored) == sorted(
        (utc_day(d["created_at"]), str(d["id"])) for d in final
    )


def test_no_value_of_a_dataset_is_lost_or_altered(journey: Journey) -> None:
    stored = {
        r["dataset_id"]: r
        for r in read_table(journey.output / "dataextractor" / "docs_datasets", "date")
    }
    problems = {
        d["id"]: found
        for d in journey.final_datasets()
        if (found := problems_in_row(dataset_view(d), stored[str(d["id"])], SKIP))
    }
    assert problems == {}


@pytest.mark.parametrize("table", TABLES[1:])
def test_no_part_of_a_dataset_is_lost_or_altered(journey: Journey, table: str) -> None:
    sent = {key: row for d in journey.final_datasets() for key, row in PARTS[table](d)}
    assert sent, f"no {table} were sent"
    rows = read_table(journey.output / "dataextractor" / f"docs_{table}", "date")
    stored = {part_key(table, row): row for row in rows}
    assert len(stored) == len(rows) and stored.keys() == sent.keys()
    problems = {
        key: found
        for key, row in sent.items()
        if (found := problems_in_row(row, stored[key], SKIP))
    }
    assert problems == {}


@pytest.mark.parametrize("table", TABLES)
def test_every_file_of_each_table_has_the_table_schema(journey: Journey, table: str) -> None:
    assert_files_have_the_table_schema(journey.output / "dataextractor" / f"docs_{table}")


def test_each_day_reports_its_rows_and_the_datasets_left_processing(journey: Journey) -> None:
    reported = [
        (
            m.day,
            m.metadata["dagster/partition_row_count"].value,
            m.metadata["dataextractor/processing_left_out"].value,
        )
        for m in journey.materialized
    ]
    assert reported == [
        (m.day, sum(not processing(d) for d in m.listed), sum(processing(d) for d in m.listed))
        for m in journey.materialized
    ]
    assert any(left for _, _, left in reported), "no dataset was left processing"


def test_every_dataset_as_the_profile_sends_it_is_read(journey: Journey) -> None:
    unreadable = {
        m.metadata["dataextractor/unreadable_datasets"].value for m in journey.materialized
    }
    assert unreadable == {0}


def test_a_folder_submitted_again_sends_only_its_new_documents(journey: Journey) -> None:
    sent = [(s["extracted"], s["skipped"], s["failed"]) for s in journey.submissions]
    assert sent == [(9, 0, 0), (0, 9, 0), (3, 9, 0)]
    assert journey.events == 13


def test_ground_truth_saved_later_lands_with_its_day_s_next_run(journey: Journey) -> None:
    rows = read_table(journey.output / "dataextractor" / "docs_ground_truth", "date")
    saved = {r["name"]: r["value"] for r in rows if r["dataset_id"] == journey.verified}
    assert saved == GROUND_TRUTH
    datasets = read_table(journey.output / "dataextractor" / "docs_datasets", "date")
    assert [r["is_verified"] for r in datasets if r["dataset_id"] == journey.verified] == [True]


def test_every_check_passes(journey: Journey) -> None:
    failed = [check for check in journey.checks if not check[2]]
    assert failed == [] and journey.checks


def test_the_tables_change_no_column_and_convert_only_the_times_sent_as_text(
    journey: Journey,
) -> None:
    for m in journey.materialized:
        change = m.metadata[SCHEMA_CHANGE_METADATA].value
        moved = [change[key] for key in ("columns_added", "types_widened", "values_to_variant")]
        dropped = (change["values_discarded"], change["rows_discarded"])
        assert (moved, dropped) == ([[], {}, {}], ({}, 0)), m.day
        assert set(change["values_converted"]) <= {"created_at", "updated_at"}, m.day


def test_the_downstream_week_reads_exactly_the_rows_of_its_seven_days(journey: Journey) -> None:
    week = {journey.day(n) for n in range(1, 8)}
    for table, frame in journey.downstream.items():
        rows = frame.to_pylist() if isinstance(frame, pa.Table) else frame.to_dict("records")
        stored = read_table(journey.output / "dataextractor" / f"docs_{table}", "date")
        assert Counter(str(r["dataset_id"]) for r in rows) == Counter(
            r["dataset_id"] for r in stored if r["date"] in week
        ), table


# --- what each table should hold, read from the datasets as the API sent them --------------------

# Kept by the table beside what was sent: the day folder, and the dataset each row is of.
SKIP = frozenset({"date", "dataset_id"})


def dataset_view(dataset: dict[str, Any]) -> dict[str, Any]:
    """The datasets table's row, as sent: the status as the contract spells it."""
    accuracy = dataset.get("accuracy") or {}
    return {
        **{key: dataset.get(key) for key in ("dataset_type", "customer_id", "filename")},
        **{key: dataset.get(key) for key in ("created_at", "updated_at", "error")},
        "status": str(dataset["status"]).lower(),
        "is_verified": dataset.get("is_verified"),
        "overall_accuracy": accuracy.get("overall_accuracy"),
    }


def value_number(sent: dict[str, Any]) -> float | None:
    value = sent.get("value")
    if isinstance(value, Beyond | bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and sent.get("type") in {"number", "currency"}:
        return float(value.replace(",", "")) if NUMBER_TEXT.match(value) else None
    return None


def value_boolean(sent: dict[str, Any]) -> bool | None:
    value = sent.get("value")
    if isinstance(value, bool):
        return value
    if sent.get("type") == "boolean" and value in {"true", "false"}:
        return value == "true"
    return None


def field_view(sent: dict[str, Any]) -> dict[str, Any]:
    """A field's row: the value as sent (kept as text), what it is as a number or a boolean,
    and its box from an object, an array `[x, y, width, height]`, or none."""
    box = sent.get("bounding_box")
    if isinstance(box, list):
        box = dict(zip(BOX, box, strict=False))
    box = box if isinstance(box, dict) else {}
    return {
        "name": sent["name"],
        "value": sent.get("value"),
        "value_number": value_number(sent),
        "value_boolean": value_boolean(sent),
        "type": sent.get("type"),
        "confidence": sent.get("confidence"),
        **{key: box.get(key) for key in ("page", *BOX)},
    }


def fields_of(d: dict[str, Any]) -> Iterator[tuple[tuple[Any, ...], dict[str, Any]]]:
    for sent in d["fields"] or []:
        yield (str(d["id"]), sent["name"]), field_view(sent)


def line_items_of(d: dict[str, Any]) -> Iterator[tuple[tuple[Any, ...], dict[str, Any]]]:
    for item in d["line_items"] or []:
        for sent in item["fields"] or []:
            key = (str(d["id"]), item["index"], sent["name"])
            yield key, {"line_index": item["index"], **field_view(sent)}


def ground_truth_of(d: dict[str, Any]) -> Iterator[tuple[tuple[Any, ...], dict[str, Any]]]:
    for truth in d["ground_truth"] or []:
        yield (str(d["id"]), truth["name"]), {"name": truth["name"], "value": truth["value"]}


def accuracy_of(d: dict[str, Any]) -> Iterator[tuple[tuple[Any, ...], dict[str, Any]]]:
    scores = (d.get("accuracy") or {}).get("fields") or []
    pairs = (
        scores.items() if isinstance(scores, dict) else [(s["name"], s["score"]) for s in scores]
    )
    for name, score in pairs:
        yield (str(d["id"]), name), {"name": name, "score": score}


PARTS = {
    "fields": fields_of,
    "line_items": line_items_of,
    "ground_truth": ground_truth_of,
    "accuracy": accuracy_of,
}


def part_key(table: str, row: Row) -> tuple[Any, ...]:
    if table == "line_items":
        return (row["dataset_id"], row["line_index"], row["name"])
    return (row["dataset_id"], row["name"])
