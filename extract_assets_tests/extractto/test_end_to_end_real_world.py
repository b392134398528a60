"""Extract.to end to end, as a user runs it, against the emulator's real-world profile.

Two extracts declared in a YAML file (the demo's generated rows, with row dates as timestamps
with offsets, names cut through an emoji and numbers beyond float64; and a `messy` one whose
values drift: impressions as text, a cost integer on a range's first day, a column that comes
late) go through one journey on a persistent instance: a backfill of eight days, a re-run of
one day, sensor ticks around syncs Extract.to runs on its own schedule (the emulator's clock
moved on a day between two of them), the runs the sensor requests, and a downstream week read
through the IO manager. The tests then judge what a user sees: the tables read whole by four
readers, against the rows the service served for each day when it was last materialized.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import httpx
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dagster._core.test_utils import freeze_time

import extract_assets as ea
from extract_assets.core.table import read_document
from extract_assets.emulator import EmulatorServer
from extract_assets.extractto.resource import ExtractToResource
from extract_assets.metadata import SCHEMA_CHANGE_METADATA
from extract_assets_tests.journey import evaluate_tick
from extract_assets_tests.readers import Row
from extract_assets_tests.stored_values import (
    Beyond,
    assert_files_have_the_table_schema,
    loads_exact,
    problems_in_row,
    read_table,
)

from .conftest import SECRET_KEY
from .test_real_world import utc_day_of

SEED = 3
RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"
TABLES = ("ads", "messy")
ROW_KEY = ("account_id", "campaign_id")
# The declared number and integer columns of both data tables.
NUMBER_COLUMNS = frozenset({"impressions", "clicks", "cost", "conversions"})


@dataclass
class Materialized:
    """One materialization of one partition: its metadata, and the rows served for its day."""

    run: int
    asset: str
    day: str
    metadata: dict[str, Any]
    served: list[dict[str, Any]]


@dataclass
class Journey:
    """What the journey did and saw, kept for the tests after the emulator is reset."""

    output: Path
    today: date
    ticks: list[list[dg.RunRequest]] = field(default_factory=list)
    runs: list[dg.ExecuteInProcessResult] = field(default_factory=list)
    materialized: list[Materialized] = field(default_factory=list)
    downstream: dict[str, Any] = field(default_factory=dict)

    def day(self, days_ago: int) -> str:
        return (self.today - timedelta(days=days_ago)).isoformat()

    def latest(self) -> dict[tuple[str, str], Materialized]:
        """The last materialization of each (table, day)."""
        return {(m.asset, m.day): m for m in self.materialized}

    def by_run(self) -> dict[tuple[int, str], list[Materialized]]:
        """The partitions each run materialized, per table: they share the run's table
        metadata (what changed), each with its own day's rows."""
        runs: dict[tuple[int, str], list[Materialized]] = {}
        for m in self.materialized:
            runs.setdefault((m.run, m.asset), []).append(m)
        return runs


def served_by_day(url: str, table_id: str, first: str, last: str) -> dict[str, list[Any]]:
    """The rows Extract.to serves for the dates, read without our client, by UTC day."""
    params = {"date_from": first, "date_to": last, "limit": "10000"}
    days: dict[str, list[Any]] = {}
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {SECRET_KEY}"}) as http:
        while True:
            answer = http.get(f"/data-tables/{table_id}/rows", params=params).raise_for_status()
            body = loads_exact(answer.content)
            for row in body["data"]:
                days.setdefault(utc_day_of(str(row["date"])), []).append(row)
            if not body["next_cursor"]:
                return days
            params["cursor"] = body["next_cursor"]


def assets_named(defs: dg.Definitions, names: tuple[str, ...]) -> list[dg.AssetsDefinition]:
    """The config's assets of these names (the code location always holds Linkup's task
    outputs too, which would need Linkup's key)."""
    return [
        asset
        for asset in defs.assets or []
        if isinstance(asset, dg.AssetsDefinition) and asset.key.to_user_string() in names
    ]


class Pipeline:
    """The YAML file's definitions run as the daemon and a user run them."""

    def __init__(
        self,
        emulator: EmulatorServer,
        defs: dg.Definitions,
        instance: dg.DagsterInstance,
        tables: dict[str, str],
        journey: Journey,
    ) -> None:
        self.emulator = emulator
        self.url = emulator.base_url("extractto")
        self.resource = ExtractToResource(
            api_key=SECRET_KEY,
            base_url=self.url,
            poll_initial_seconds=0.1,
            poll_max_seconds=0.3,
            requests_per_minute=None,
        )
        self.assets = assets_named(defs, TABLES)
        self.sensor = next(s for s in defs.sensors or [] if s.name == "extractto_extracts_sensor")
        self.instance = instance
        self.tables = tables
        self.journey = journey
        self.cursor: str | None = None

    def tick(self) -> list[dg.RunRequest]:
        result = evaluate_tick(
            self.sensor, self.instance, self.cursor, self.assets, {"extractto": self.resource}
        )
        self.cursor = result.cursor
        requests = list(result.run_requests or [])
        self.journey.ticks.append(requests)
        return requests

    def materialize(
        self,
        names: list[str],
        first: str,
        last: str,
        run_config: dict[str, Any] | None = None,
        extra: list[dg.AssetsDefinition] | None = None,
    ) -> dg.ExecuteInProcessResult:
        result = dg.materialize(
            [*self.assets, *(extra or [])],
            selection=names,
            instance=self.instance,
            resources={"extractto": self.resource},
            tags={RANGE_START: first, RANGE_END: last},
            run_config=run_config,
        )
        assert result.success
        self.journey.runs.append(result)
        self._note(result, first, last)
        return result

    def run(self, request: dg.RunRequest) -> None:
        names = [key.to_user_string() for key in request.asset_selection or []]
        self.materialize(
            names, request.tags[RANGE_START], request.tags[RANGE_END], request.run_config
        )

    def _note(self, result: dg.ExecuteInProcessResult, first: str, last: str) -> None:
        served = {
            name: served_by_day(self.url, table, first, last) for name, table in self.tables.items()
        }
        run = len(self.journey.runs)
        for event in result.get_asset_materialization_events():
            materialization = event.materialization
            assert materialization is not None
            asset = materialization.asset_key.to_user_string()
            if asset in TABLES:
                day = str(materialization.partition)
                self.journey.materialized.append(
                    Materialized(
                        run, asset, day, dict(materialization.metadata), served[asset].get(day, [])
                    )
                )

    def outside_sync(self, extract_id: str, first: str, last: str) -> None:
        """A sync Extract.to runs on its own schedule, waited out on the emulator's clock."""
        self.emulator.control.sync_extractto_extract(extract_id, first, last)
        self.emulator.control.advance_clock(1)


def weekly(start: date, seen: dict[str, Any]) -> dg.AssetsDefinition:
    """A user's asset: the seven days up to its own of `ads` (pandas) and `messy` (pyarrow)."""
    window = dg.TimeWindowPartitionMapping(start_offset=-6)

    @dg.asset(
        partitions_def=dg.DailyPartitionsDefinition(start_date=start.isoformat()),
        ins={
            "ads": dg.AssetIn("ads", partition_mapping=window),
            "messy": dg.AssetIn("messy", partition_mapping=window),
        },
    )
    def week(ads: pd.DataFrame, messy: pa.Table) -> None:
        seen["ads"] = ads
        seen["messy"] = messy

    return week


def write_config(folder: Path, start: date, ads: str, messy: str) -> Path:
    config = folder / "extract-assets.yaml"
    config.write_text(
        "extractto:\n"
        "  sensor: {running: true}\n"
        "  extracts:\n"
        f"    - {{name: ads, extract_id: {ads}, start_date: '{start}'}}\n"
        f"    - {{name: messy, extract_id: {messy}, start_date: '{start}'}}\n",
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
    control.extractto_settings(sync_seconds=0.05, run_queued_seconds=0.0, run_running_seconds=0.05)
    control.add_extractto_key(key=SECRET_KEY, role="admin", billing=True)
    demo = control.extractto_demo()
    messy = control.add_extractto_extract(
        "Messy", profile="messy", profile_seed=SEED, rows_per_day=6
    )
    today = control.now().date()
    start = today - timedelta(days=30)
    folder = tmp_path_factory.mktemp("extractto-journey")
    config = write_config(folder, start, demo["extract_id"], messy["id"])
    journey = Journey(folder / "data", today)
    with pytest.MonkeyPatch.context() as env, dg.instance_for_test() as instance:
        env.setenv("EXTRACTTO_API_KEY", SECRET_KEY)
        env.setenv("EXTRACTTO_BASE_URL", emulator.base_url("extractto"))
        env.setenv("EXTRACT_ASSETS_OUTPUT", str(journey.output))
        pipeline = Pipeline(
            emulator,
            ea.definitions_from_config(config),
            instance,
            {"ads": demo["data_table_id"], "messy": messy["data_table_id"]},
            journey,
        )
        day = journey.day
        pipeline.tick()  # the first sighting: notes each extract's last sync
        pipeline.materialize(["ads", "messy"], day(9), day(2))  # a backfill, one run
        pipeline.materialize(["messy"], day(4), day(4))  # a re-run of one day
        pipeline.tick()  # our own syncs: nothing to request
        pipeline.outside_sync(demo["extract_id"], day(3), day(1))
        pipeline.outside_sync(messy["id"], day(5), day(3))
        for request in pipeline.tick():
            pipeline.run(request)
        pipeline.tick()
        control.advance_clock(86_400)  # the service's next day
        pipeline.outside_sync(demo["extract_id"], day(2), day(0))
        for request in pipeline.tick():
            pipeline.run(request)
        pipeline.tick()
        with freeze_time(datetime.combine(today + timedelta(days=1), time(0, 30), UTC)):
            # Our clock reaches the next day: the partition of the day synced early exists.
            for request in pipeline.tick():
                pipeline.run(request)
            pipeline.tick()
        pipeline.materialize(["week"], day(2), day(2), extra=[weekly(start, journey.downstream)])
        yield journey


def latest_rows(journey: Journey, table: str) -> dict[str, list[dict[str, Any]]]:
    """Per day, the rows served when the table's day was last materialized."""
    return {day: m.served for (name, day), m in journey.latest().items() if name == table}


def by_key(rows: list[Row], day_of: Any) -> dict[tuple[Any, ...], Row]:
    keyed = {(day_of(row), *(str(row[k]) for k in ROW_KEY)): row for row in rows}
    assert len(keyed) == len(rows), "rows that share a key"
    return keyed


def test_ticks_request_nothing_for_our_own_syncs(journey: Journey) -> None:
    first, after_ours, _, after_runs, _, after_more_runs, _, after_the_last = journey.ticks
    assert (first, after_ours, after_runs, after_more_runs, after_the_last) == ([],) * 5


def test_each_outside_sync_is_requested_for_its_days_whose_partitions_exist(
    journey: Journey,
) -> None:
    requested = [
        sorted(
            (r.asset_selection[0].to_user_string(), r.tags[RANGE_START], r.tags[RANGE_END])
            for r in tick
            if r.asset_selection
        )
        for tick in journey.ticks
    ]
    day = journey.day
    # The clock moved a day on: the service's last sync reached our today, no partition yet.
    assert requested[2] == [("ads", day(3), day(1)), ("messy", day(5), day(3))]
    assert requested[4] == [("ads", day(2), day(1))]


def test_a_day_synced_before_its_partition_exists_is_requested_once_it_exists(
    journey: Journey,
) -> None:
    (request,) = journey.ticks[6]
    assert (request.tags[RANGE_START], request.tags[RANGE_END]) == (journey.day(0),) * 2
    assert latest_rows(journey, "ads")[journey.day(0)], "the service wrote no row that day"


@pytest.mark.parametrize("table", TABLES)
def test_every_reader_reads_every_row_the_service_served_in_its_utc_day(
    journey: Journey, table: str
) -> None:
    served = latest_rows(journey, table)
    stored = read_table(journey.output / "extractto" / table, "date")
    assert Counter(row["date"] for row in stored) == Counter(
        {day: len(rows) for day, rows in served.items() if rows}
    )


@pytest.mark.parametrize("table", TABLES)
def test_no_value_the_service_sent_is_lost_or_altered(journey: Journey, table: str) -> None:
    served = by_key(
        [row for rows in latest_rows(journey, table).values() for row in rows],
        lambda row: utc_day_of(str(row["date"])),
    )
    stored = by_key(read_table(journey.output / "extractto" / table, "date"), lambda r: r["date"])
    assert stored.keys() == served.keys()
    problems = {
        key: found
        for key, row in served.items()
        if (found := problems_in_row(row, stored[key], frozenset({"date"})))
    }
    assert problems == {}


@pytest.mark.parametrize("table", TABLES)
def test_every_file_of_the_table_has_the_schema_its_document_records(
    journey: Journey, table: str
) -> None:
    assert_files_have_the_table_schema(journey.output / "extractto" / table)


def test_each_partition_reports_the_rows_served_for_its_day(journey: Journey) -> None:
    reported = [
        (m.asset, m.day, m.metadata["dagster/partition_row_count"].value)
        for m in journey.materialized
    ]
    assert reported == [(m.asset, m.day, len(m.served)) for m in journey.materialized]


def test_values_moved_to_a_variant_column_are_counted_as_the_service_sent_them(
    journey: Journey,
) -> None:
    reported, sent = {}, {}
    for run, partitions in journey.by_run().items():
        reported[run] = partitions[0].metadata[SCHEMA_CHANGE_METADATA].value["values_to_variant"]
        sent[run] = dict(
            Counter(
                f"{key}__v_text"
                for m in partitions
                for row in m.served
                for key, value in row.items()
                if isinstance(value, Beyond)
            )
        )
    assert any(sent.values()), "the profile sent no number beyond float64"
    assert reported == sent


def test_values_converted_are_counted_only_for_values_the_service_sent_as_text(
    journey: Journey,
) -> None:
    reported, sent = {}, {}
    for run, partitions in journey.by_run().items():
        reported[run] = partitions[0].metadata[SCHEMA_CHANGE_METADATA].value["values_converted"]
        sent[run] = dict(
            Counter(
                key
                for m in partitions
                for row in m.served
                for key, value in row.items()
                if key in NUMBER_COLUMNS | {"__insert_date"}  # a timestamp is sent as text
                and isinstance(value, str)
                and not isinstance(value, Beyond)
            )
        )
    assert any(sent.values()), "the profile sent no number as text"
    assert reported == sent


def test_the_downstream_week_reads_exactly_the_rows_of_its_seven_days(journey: Journey) -> None:
    week = {journey.day(n) for n in range(2, 9)}
    for table, frame in journey.downstream.items():
        rows = frame.to_pylist() if isinstance(frame, pa.Table) else frame.to_dict("records")
        read = sorted((str(row["date"])[:10], *(str(row[k]) for k in ROW_KEY)) for row in rows)
        stored = read_table(journey.output / "extractto" / table, "date")
        assert read == sorted(
            (row["date"], *(str(row[k]) for k in ROW_KEY)) for row in stored if row["date"] in week
        ), table


# --- a data table whose values drift from day to day ---------------------------------------------

# Declared as warehouses name their types; GEOGRAPHY is one the table does not know.
DRIFT_COLUMNS = [
    {"name": "order_id", "type": "BIGINT"},
    {"name": "amount", "type": "NUMERIC(12,2)"},
    {"name": "placed_at", "type": "TIMESTAMP WITH TIME ZONE"},
    {"name": "paid", "type": "BOOL"},
    {"name": "region", "type": "GEOGRAPHY"},
]


def drift_days(first: date) -> dict[str, list[dict[str, Any]]]:
    """Three days of orders, each day's values of one kind per key, the kinds drifting
    between days: numbers then text, offsets then none, a column that comes late, a key in
    another case, an object where text came before, a number for a timestamp."""
    day = [(first + timedelta(days=n)).isoformat() for n in range(3)]
    return {
        day[0]: [
            {"order_id": 1, "amount": 12.5, "placed_at": "2026-11-01T10:00:00+02:00",
             "paid": True, "score": 3, "region": "POINT(1 2)"},
            {"order_id": 2, "amount": 7.0, "placed_at": "2026-11-01T23:59:59-05:00",
             "paid": False, "score": 4, "region": None},
        ],
        day[1]: [
            {"order_id": "3", "amount": "7.25", "placed_at": "2026-11-02 23:59:59",
             "paid": "false", "score": "n/a", "late": "x", "region": "LINESTRING(0 0, 1 1)"},
            {"order_id": 18446744073709551615, "amount": "1,234.50",
             "placed_at": "2026-11-02t10:00:00.123456789z", "paid": "true", "score": "7"},
        ],
        day[2]: [
            {"order_id": 5, "amount": 3, "placed_at": 1764000000, "paid": 1,
             "late": {"a": 1}, "Score": 9},
            {"order_id": 6, "amount": None, "placed_at": None, "paid": 0, "late": {"a": None}},
        ],
    }  # fmt: skip


# One day whose rows send a declared timestamp as a number, then as text.
MIXED_ROWS = [
    {"order_id": 7, "placed_at": 1764000000},
    {"order_id": 8, "placed_at": "2026-11-02 10:00:00"},
]


# A data table whose rows also spell their day as `Date`, beside the partition column `date`.
DATED_ROWS = [{"Date": "2026-11-01", "n": 1}, {"Date": None, "n": 2}]


@dataclass
class Drift:
    """The drifting table after each step: its rows and the files each run rewrote."""

    output: Path
    served: dict[str, list[dict[str, Any]]]
    day_by_day: list[Row] = field(default_factory=list)
    backfilled: list[Row] = field(default_factory=list)
    mixed: list[Row] = field(default_factory=list)
    rewritten: list[tuple[int, int]] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)
    checks: list[bool] = field(default_factory=list)
    converted: list[dict[str, int]] = field(default_factory=list)


def schemas_of_other_days(folder: Path, days: list[str]) -> list[pa.Schema]:
    """The schema of each file of the table but those of `days`."""
    return [
        pq.read_schema(path).remove_metadata()
        for path in folder.rglob("*.parquet")
        if path.parent.name.removeprefix("date=") not in days
    ]


@pytest.fixture(scope="module")
def drift(emulator: EmulatorServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Drift]:
    control = emulator.control
    control.reset()
    control.set_profile("real-world", seed=SEED)
    control.extractto_settings(sync_seconds=0.05)
    control.add_extractto_key(key=SECRET_KEY, role="admin", billing=True)
    extract = control.add_extractto_extract("Orders")
    mixed = control.add_extractto_extract("Mixed")
    dated = control.add_extractto_extract("Dated")
    first = control.now().date() - timedelta(days=4)
    served = drift_days(first)
    control.set_extractto_served_rows(extract["id"], served, columns=DRIFT_COLUMNS)
    control.set_extractto_served_rows(mixed["id"], {first: MIXED_ROWS}, columns=DRIFT_COLUMNS)
    control.set_extractto_served_rows(dated["id"], {first: DATED_ROWS})
    folder = tmp_path_factory.mktemp("extractto-drift")
    config = folder / "extract-assets.yaml"
    config.write_text(
        "extractto:\n  extracts:\n"
        f"    - {{name: orders, extract_id: {extract['id']}, start_date: '{first}'}}\n"
        f"    - {{name: mixed, extract_id: {mixed['id']}, start_date: '{first}'}}\n"
        f"    - {{name: dated, extract_id: {dated['id']}, start_date: '{first}'}}\n",
        encoding="utf-8",
    )
    drift = Drift(folder / "data", served)
    table = drift.output / "extractto" / "orders"
    resource = ExtractToResource(
        api_key=SECRET_KEY,
        base_url=emulator.base_url("extractto"),
        poll_initial_seconds=0.1,
        requests_per_minute=None,
    )
    with pytest.MonkeyPatch.context() as env, dg.instance_for_test() as instance:
        env.setenv("EXTRACTTO_API_KEY", SECRET_KEY)
        env.setenv("EXTRACT_ASSETS_OUTPUT", str(drift.output))
        defs = ea.definitions_from_config(config)
        assets = assets_named(defs, ("orders", "mixed", "dated"))

        def materialize(days: list[str]) -> None:
            before = schemas_of_other_days(table, days)
            result = dg.materialize(
                assets,
                selection=["orders"],
                instance=instance,
                resources={"extractto": resource},
                tags={RANGE_START: days[0], RANGE_END: days[-1]},
            )
            assert result.success
            metadata = result.asset_materializations_for_node("orders")[0].metadata
            drift.renamed |= metadata[SCHEMA_CHANGE_METADATA].value["keys_renamed"]
            document = read_document(table)
            assert document is not None
            after = document.schema.remove_metadata()
            drift.rewritten.append(
                (
                    metadata["extract_assets/files_rewritten"].value,
                    sum(not schema.equals(after) for schema in before),
                )
            )
            drift.checks += [e.passed for e in result.get_asset_check_evaluations()]
            drift.converted.append(metadata[SCHEMA_CHANGE_METADATA].value["values_converted"])

        days = sorted(served)
        for day in days:
            materialize([day])
        materialize(days[:1])  # a re-run of a day that brings nothing new
        drift.day_by_day = read_table(table, "date")
        materialize(days)  # a backfill of all three: one page of every kind
        drift.backfilled = read_table(table, "date")
        assert dg.materialize(
            assets,
            selection=["mixed", "dated"],
            instance=instance,
            resources={"extractto": resource},
            partition_key=first.isoformat(),
        ).success
        drift.mixed = read_table(drift.output / "extractto" / "mixed", "date")
        yield drift


# The emulator adds both to the rows a test sets; the first journey judges them.
NOT_SENT = frozenset({"date", "__insert_date"})


def drift_problems(drift: Drift, stored_rows: list[Row]) -> dict[str, list[str]]:
    stored = {
        (row["date"], str(row["order_id"] or row["order_id__v_text"])): row for row in stored_rows
    }
    problems = {}
    for day, rows in drift.served.items():
        for row in rows:
            found = problems_in_row(
                row, stored[(day, str(row["order_id"]))], NOT_SENT, drift.renamed
            )
            if found:
                problems[f"{day} order {row['order_id']}"] = found
    return problems


def test_a_table_materialized_day_by_day_keeps_every_drifting_value_as_sent(drift: Drift) -> None:
    assert len(drift.day_by_day) == sum(len(rows) for rows in drift.served.values())
    assert drift_problems(drift, drift.day_by_day) == {}


def test_a_backfill_over_the_drifting_days_keeps_every_value_of_its_kind(drift: Drift) -> None:
    assert drift_problems(drift, drift.backfilled) == {}


def test_a_page_sending_a_timestamp_as_a_number_then_as_text_keeps_the_number(
    drift: Drift,
) -> None:
    stored = {row["order_id"]: row for row in drift.mixed}
    problems = {
        row["order_id"]: problems_in_row(row, stored[row["order_id"]], NOT_SENT)
        for row in MIXED_ROWS
    }
    assert problems == {7: [], 8: []}


def test_a_key_spelled_like_the_partition_column_keeps_its_values_in_every_reader(
    drift: Drift,
) -> None:
    rows = read_table(drift.output / "extractto" / "dated", "date")
    kept = {row["n"]: row.get("Date") or row.get("Date__case_2") for row in rows}
    assert kept == {1: "2026-11-01", 2: None}


def test_each_run_reports_the_earlier_files_it_rewrote_to_the_table_schema(drift: Drift) -> None:
    reported = [pair[0] for pair in drift.rewritten]
    assert reported == [pair[1] for pair in drift.rewritten]
    assert any(reported), "no run rewrote a file"


def test_every_file_of_the_drifting_table_has_the_table_schema(drift: Drift) -> None:
    assert_files_have_the_table_schema(drift.output / "extractto" / "orders")


def test_every_timestamp_sent_as_text_is_counted_as_converted(drift: Drift) -> None:
    days = sorted(drift.served)
    runs = [[day] for day in days] + [days[:1], days]
    sent = [
        sum(isinstance(row.get("placed_at"), str) for day in run for row in drift.served[day])
        for run in runs
    ]
    assert [counts.get("placed_at", 0) for counts in drift.converted] == sent


def test_the_schema_check_passes_only_for_the_runs_that_changed_nothing(drift: Drift) -> None:
    # Day one adds the columns, day two adds late ones and variants, day three a key in
    # another case and variants; the re-run of day one brings nothing new.
    assert drift.checks[:4] == [False, False, False, True]
