import threading
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import dagster as dg
import httpx
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from extract_assets.core.day_folders import day_file, write_day_folders
from extract_assets.emulator import EmulatorServer
from extract_assets.extractto.assets import build_extractto_assets
from extract_assets.extractto.client import ExtractToClient
from extract_assets.extractto.resource import ExtractToResource
from extract_assets.extractto.spec import ExtractToConnectionSpec, ExtractToExtractSpec

from .conftest import SECRET_KEY, calls, run_requests, served_rows, wait_until

RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"
ROW_KEY = ("date", "account_id", "campaign_id")


def ads_spec(extract_id: str) -> ExtractToExtractSpec:
    return ExtractToExtractSpec(name="ads", extract_id=extract_id, start_date="2026-01-01")


def materialize(
    resource: ExtractToResource,
    output: Path,
    instance: dg.DagsterInstance | None,
    extract_id: str,
    **options: Any,
) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        build_extractto_assets([ads_spec(extract_id)], output_dir=str(output)),
        resources={"extractto": resource},
        instance=instance,
        raise_on_error=False,
        **options,
    )


def event_log_text(instance: dg.DagsterInstance, result: dg.ExecuteInProcessResult) -> str:
    return "\n".join(str(entry) for entry in instance.all_logs(result.run_id))


def folder_rows(folder: Path) -> list[dict[str, Any]]:
    """Every row of the day folders, read as one Hive-partitioned table, `date` from the path."""
    table = ds.dataset(folder, format="parquet", partitioning="hive").to_table()
    return sorted(table.to_pylist(), key=lambda row: tuple(str(row[k]) for k in ROW_KEY))


def as_stored(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Served rows as the Parquet files hold them: `__insert_date` a timestamp."""
    stored = [row | {"__insert_date": datetime.fromisoformat(row["__insert_date"])} for row in rows]
    return sorted(stored, key=lambda row: tuple(str(row[k]) for k in ROW_KEY))


def normalized(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with `date` as text, whatever type the Hive path was read as."""
    return [row | {"date": str(row["date"])} for row in rows]


@pytest.fixture
def ads_folder(tmp_path: Path) -> Path:
    return tmp_path / "extractto" / "ads"


def test_one_day_materializes_exactly_that_days_rows(
    fast_resource: ExtractToResource,
    tmp_path: Path,
    ads_folder: Path,
    instance: dg.DagsterInstance,
    demo: dict[str, str],
    extractto_url: str,
) -> None:
    result = materialize(
        fast_resource, tmp_path, instance, demo["extract_id"], partition_key="2026-09-14"
    )
    assert result.success
    served = served_rows(extractto_url, demo["data_table_id"], "2026-09-14", "2026-09-14")
    assert served and {row["date"] for row in served} == {"2026-09-14"}
    assert [p.relative_to(ads_folder) for p in ads_folder.rglob("*.parquet")] == [
        Path("date=2026-09-14/part-0.parquet")
    ]
    assert normalized(folder_rows(ads_folder)) == as_stored(served)
    (materialization,) = result.asset_materializations_for_node("ads")
    assert materialization.partition == "2026-09-14"
    assert materialization.metadata["dagster/partition_row_count"].value == len(served)


def test_a_day_asks_extract_to_for_that_day_only(
    emulator: EmulatorServer,
    fast_resource: ExtractToResource,
    tmp_path: Path,
    instance: dg.DagsterInstance,
    demo: dict[str, str],
) -> None:
    assert materialize(
        fast_resource, tmp_path, instance, demo["extract_id"], partition_key="2026-09-14"
    ).success
    (sync,) = emulator.control.extractto_extracts()[0]["syncs"]
    assert (sync["date_from"], sync["date_to"]) == ("2026-09-14", "2026-09-14")


def test_a_30_day_backfill_is_one_run_request_and_30_day_folders_of_the_rows_served(
    emulator: EmulatorServer,
    fast_resource: ExtractToResource,
    tmp_path: Path,
    ads_folder: Path,
    instance: dg.DagsterInstance,
    demo: dict[str, str],
    extractto_url: str,
) -> None:
    tags = {RANGE_START: "2026-09-01", RANGE_END: "2026-09-30"}
    result = materialize(fast_resource, tmp_path, instance, demo["extract_id"], tags=tags)
    assert result.success
    assert len(run_requests(emulator, demo["extract_id"])) == 1
    folders = sorted(p.relative_to(ads_folder).as_posix() for p in ads_folder.rglob("*.parquet"))
    assert folders == [f"date=2026-09-{day:02d}/part-0.parquet" for day in range(1, 31)]
    served = served_rows(extractto_url, demo["data_table_id"], "2026-09-01", "2026-09-30")
    assert normalized(folder_rows(ads_folder)) == as_stored(served)


def test_each_partition_of_a_backfill_reports_its_own_days_row_count(
    fast_resource: ExtractToResource,
    tmp_path: Path,
    instance: dg.DagsterInstance,
    demo: dict[str, str],
    extractto_url: str,
) -> None:
    tags = {RANGE_START: "2026-09-01", RANGE_END: "2026-09-30"}
    result = materialize(fast_resource, tmp_path, instance, demo["extract_id"], tags=tags)
    served = served_rows(extractto_url, demo["data_table_id"], "2026-09-01", "2026-09-30")
    per_day = Counter(row["date"] for row in served)
    reported = {
        m.partition: m.metadata["dagster/partition_row_count"].value
        for m in result.asset_materializations_for_node("ads")
    }
    assert reported == dict(per_day)
    assert len(reported) == 30


def test_rematerializing_a_day_replaces_its_file(
    fast_resource: ExtractToResource,
    tmp_path: Path,
    ads_folder: Path,
    instance: dg.DagsterInstance,
    demo: dict[str, str],
    extractto_url: str,
) -> None:
    for _ in range(2):
        assert materialize(
            fast_resource, tmp_path, instance, demo["extract_id"], partition_key="2026-09-14"
        ).success
    assert list((ads_folder / "date=2026-09-14").iterdir()) == [
        ads_folder / "date=2026-09-14" / "part-0.parquet"
    ]
    served = served_rows(extractto_url, demo["data_table_id"], "2026-09-14", "2026-09-14")
    assert normalized(folder_rows(ads_folder)) == as_stored(served)


def test_a_day_without_rows_gets_an_empty_file_with_the_tables_columns(
    emulator: EmulatorServer,
    fast_resource: ExtractToResource,
    tmp_path: Path,
    ads_folder: Path,
    instance: dg.DagsterInstance,
) -> None:
    empty = emulator.control.add_extractto_extract("Quiet account", rows_per_day=0)
    assert materialize(
        fast_resource, tmp_path, instance, empty["id"], partition_key="2026-09-14"
    ).success
    table = pq.read_table(ads_folder / "date=2026-09-14" / "part-0.parquet")
    assert table.num_rows == 0
    assert {"campaign_id", "clicks", "__insert_date"} <= set(table.column_names)
    assert "date" not in table.column_names


def test_rows_in_any_order_over_more_days_than_files_kept_open_land_in_their_day(
    tmp_path: Path,
) -> None:
    days = [date(2026, 1, 1) + timedelta(days=n) for n in range(100)]
    rows = [{"date": day.isoformat(), "n": n} for n in range(3) for day in days]
    pages = [rows[start : start + 50] for start in range(0, len(rows), 50)]
    written = write_day_folders(
        pages,
        tmp_path,
        days,
        json_schema={"type": "object", "properties": {"n": {"type": "integer"}}},
    )
    assert written.rows == 300 and written.outside_range == 0
    for day in (days[0], days[64], days[-1]):
        assert pq.read_table(day_file(tmp_path, day)).column("n").to_pylist() == [0, 1, 2]


def test_two_runs_of_one_extract_at_once_both_succeed_one_after_the_other(
    emulator: EmulatorServer,
    fast_resource: ExtractToResource,
    tmp_path: Path,
    ads_folder: Path,
    demo: dict[str, str],
) -> None:
    extract_id = demo["extract_id"]
    # The first sync lasts until the clock is moved, so the second run asks while it is under way.
    emulator.control.set_extractto_extract_scenario(extract_id, sync_seconds=3600)
    outcomes: dict[str, bool] = {}

    def run(day: str) -> None:
        # Each run on its own in-memory instance: sqlite-backed test instances starting runs
        # at once in one process deadlock in Dagster's logging setup (dictConfig per run).
        result = materialize(fast_resource, tmp_path, None, extract_id, partition_key=day)
        outcomes[day] = result.success

    threads = [threading.Thread(target=run, args=(day,)) for day in ("2026-09-14", "2026-09-15")]
    for thread in threads:
        thread.start()
    wait_until(lambda: bool(run_requests(emulator, extract_id)), "the first run request")
    wait_until(lambda: len(calls(emulator, "GET", f"/extracts/{extract_id}")) >= 4, "polls")
    emulator.control.set_extractto_extract_scenario(extract_id, sync_seconds=0.05)
    emulator.control.advance_clock(3600)
    for thread in threads:
        thread.join(timeout=120)
    assert outcomes == {"2026-09-14": True, "2026-09-15": True}
    assert [r["status"] for r in run_requests(emulator, extract_id)] == [200, 200]
    first, second = emulator.control.extractto_extracts()[0]["syncs"]
    assert second["started_at"] > first["finished_at"]
    assert {first["date_from"], second["date_from"]} == {"2026-09-14", "2026-09-15"}
    assert (ads_folder / "date=2026-09-14" / "part-0.parquet").exists()
    assert (ads_folder / "date=2026-09-15" / "part-0.parquet").exists()


def test_an_extract_that_ends_in_error_fails_the_run_with_its_error_text(
    emulator: EmulatorServer,
    fast_resource: ExtractToResource,
    tmp_path: Path,
    ads_folder: Path,
    instance: dg.DagsterInstance,
    demo: dict[str, str],
) -> None:
    emulator.control.set_extractto_extract_scenario(
        demo["extract_id"], fail="Google Ads: the account's OAuth token was revoked"
    )
    result = materialize(
        fast_resource, tmp_path, instance, demo["extract_id"], partition_key="2026-09-14"
    )
    assert not result.success
    assert "Google Ads: the account's OAuth token was revoked" in event_log_text(instance, result)
    assert not ads_folder.exists()


def test_a_plan_limit_fails_the_run_at_once_without_showing_the_key(
    emulator: EmulatorServer,
    fast_resource: ExtractToResource,
    tmp_path: Path,
    instance: dg.DagsterInstance,
    demo: dict[str, str],
    capfd: pytest.CaptureFixture[str],
) -> None:
    emulator.control.extractto_plan(max_runs_per_month=0)
    result = materialize(
        fast_resource, tmp_path, instance, demo["extract_id"], partition_key="2026-09-14"
    )
    assert not result.success
    log = event_log_text(instance, result)
    assert "max_runs_per_month" in log
    printed = capfd.readouterr()
    assert SECRET_KEY not in log + printed.out + printed.err
    assert len(run_requests(emulator, demo["extract_id"])) == 1


def test_the_materialization_records_the_sync_it_read(
    emulator: EmulatorServer,
    fast_resource: ExtractToResource,
    tmp_path: Path,
    instance: dg.DagsterInstance,
    demo: dict[str, str],
) -> None:
    result = materialize(
        fast_resource, tmp_path, instance, demo["extract_id"], partition_key="2026-09-14"
    )
    metadata = result.asset_materializations_for_node("ads")[0].metadata
    (sync,) = emulator.control.extractto_extracts()[0]["syncs"]
    assert datetime.fromisoformat(
        str(metadata["extractto/last_sync"].value)
    ) == datetime.fromisoformat(sync["finished_at"])
    assert metadata["extractto/extract_id"].value == demo["extract_id"]


def test_the_assets_use_the_extractto_pool() -> None:
    (asset,) = build_extractto_assets([ads_spec("e-1")])
    assert asset.op.pool == "extractto"


# Connections


def connection_asset(connection_id: str) -> list[dg.AssetsDefinition]:
    return build_extractto_assets(
        connections=[ExtractToConnectionSpec(name="warehouse_load", connection_id=connection_id)]
    )


def run_at_emulator(extractto_url: str, connection_id: str, run_id: str) -> dict[str, Any]:
    """The run as the emulator serves it, read without our client."""
    response = httpx.get(
        f"{extractto_url}/connections/{connection_id}/runs/{run_id}",
        headers={"Authorization": f"Bearer {SECRET_KEY}"},
    )
    return dict(response.raise_for_status().json())


def test_the_connection_asset_reports_the_rows_synced_of_the_run_it_started(
    emulator: EmulatorServer,
    fast_resource: ExtractToResource,
    instance: dg.DagsterInstance,
    demo: dict[str, str],
    extractto_url: str,
) -> None:
    connection_id = demo["google_ads_connection_id"]
    result = dg.materialize(
        connection_asset(connection_id), resources={"extractto": fast_resource}, instance=instance
    )
    metadata = result.asset_materializations_for_node("warehouse_load")[0].metadata
    run_id = str(metadata["extractto/run_id"].value)
    (started,) = calls(emulator, "POST", f"/connections/{connection_id}/run")
    assert started["status"] == 202
    run = run_at_emulator(extractto_url, connection_id, run_id)
    assert run["status"] == "succeeded"
    assert metadata["extractto/rows_synced"].value == run["rows_synced"] > 0


@pytest.mark.parametrize("outcome", ["failed", "cancelled"])
def test_a_connection_run_that_does_not_succeed_fails_with_the_providers_error(
    emulator: EmulatorServer,
    fast_resource: ExtractToResource,
    instance: dg.DagsterInstance,
    demo: dict[str, str],
    outcome: Literal["failed", "cancelled"],
) -> None:
    connection_id = demo["google_ads_connection_id"]
    emulator.control.set_extractto_connection_scenario(
        connection_id,
        outcome=outcome,
        error=f"BigQuery dataset not found ({outcome})",
    )
    result = dg.materialize(
        connection_asset(connection_id),
        resources={"extractto": fast_resource},
        instance=instance,
        raise_on_error=False,
    )
    assert not result.success
    log = event_log_text(instance, result)
    assert f"ended {outcome}: BigQuery dataset not found ({outcome})" in log


def test_a_connection_run_requested_while_another_is_active_waits_for_it(
    emulator: EmulatorServer,
    fast_resource: ExtractToResource,
    client: ExtractToClient,
    instance: dg.DagsterInstance,
    demo: dict[str, str],
    extractto_url: str,
) -> None:
    connection_id = demo["google_ads_connection_id"]
    emulator.control.set_extractto_connection_scenario(connection_id, running_seconds=3600)
    earlier = client.run_connection(connection_id)
    emulator.control.set_extractto_connection_scenario(connection_id, running_seconds=0.05)
    results: list[dg.ExecuteInProcessResult] = []
    worker = threading.Thread(
        target=lambda: results.append(
            dg.materialize(
                connection_asset(connection_id),
                resources={"extractto": fast_resource},
                instance=instance,
                raise_on_error=False,
            )
        )
    )
    worker.start()

    def posts() -> list[dict[str, Any]]:
        return calls(emulator, "POST", f"/connections/{connection_id}/run")

    wait_until(lambda: len(posts()) == 2, "our run request, refused while the earlier is active")
    emulator.control.advance_clock(3600)
    worker.join(timeout=120)
    (result,) = results
    assert result.success
    metadata = result.asset_materializations_for_node("warehouse_load")[0].metadata
    ours = str(metadata["extractto/run_id"].value)
    assert ours != earlier.id
    assert [r["status"] for r in posts()] == [202, 409, 202]
    earlier_run = run_at_emulator(extractto_url, connection_id, earlier.id)
    our_run = run_at_emulator(extractto_url, connection_id, ours)
    assert earlier_run["status"] == our_run["status"] == "succeeded"
    assert our_run["started_at"] > earlier_run["finished_at"]


def test_an_output_path_that_is_a_file_fails_the_run_before_extract_to_syncs(
    emulator: EmulatorServer,
    fast_resource: ExtractToResource,
    tmp_path: Path,
    instance: dg.DagsterInstance,
    demo: dict[str, str],
) -> None:
    (tmp_path / "extractto").write_text("not a folder")

    result = materialize(
        fast_resource, tmp_path, instance, demo["extract_id"], partition_key="2026-09-14"
    )

    assert not result.success
    assert "part of the output path is a file" in event_log_text(instance, result)
    assert emulator.control.extractto_extracts()[0]["syncs"] == []
