"""An extract over a messy but legal source: a 7-day backfill reads as one table everywhere."""

import json
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd
import pyarrow.parquet as pq
import pytest

from extract_assets.core.table import read_document
from extract_assets.emulator import EmulatorServer
from extract_assets.extractto.assets import build_extractto_assets
from extract_assets.extractto.resource import ExtractToResource
from extract_assets.extractto.spec import ExtractToExtractSpec
from extract_assets.metadata import (
    FILES_REWRITTEN_METADATA,
    SCHEMA_CHANGE,
    SCHEMA_CHANGE_METADATA,
)
from extract_assets_tests.downstream import weekly_ads
from extract_assets_tests.readers import assert_all_readers_agree

from .conftest import served_rows

WEEK = {
    "dagster/asset_partition_range_start": "2026-11-01",
    "dagster/asset_partition_range_end": "2026-11-07",
}


def spec(extract_id: str, **settings: Any) -> ExtractToExtractSpec:
    return ExtractToExtractSpec(
        name="ads", extract_id=extract_id, start_date="2026-10-01", **settings
    )


def backfill(
    resource: ExtractToResource, output: Path, ads: ExtractToExtractSpec, *extra: Any
) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [*build_extractto_assets([ads], output_dir=str(output)), *extra],
        resources={"extractto": resource},
        tags=WEEK,
        raise_on_error=False,
        selection=[ads.name],
    )


@pytest.fixture
def messy(quick_emulator: EmulatorServer) -> dict[str, Any]:
    return quick_emulator.control.add_extractto_extract(
        "Messy ads", profile="messy", profile_seed=3, sync_seconds=0
    )


def test_a_messy_week_reads_as_one_table_in_every_reader_with_every_value(
    fast_resource: ExtractToResource,
    extractto_url: str,
    messy: dict[str, Any],
    tmp_path: Path,
) -> None:
    result = backfill(fast_resource, tmp_path, spec(messy["id"]))
    assert result.success
    folder = tmp_path / "extractto" / "ads"
    served = served_rows(extractto_url, messy["data_table_id"], "2026-11-01", "2026-11-07")

    rows = assert_all_readers_agree(folder, "date")

    assert len(rows) == len(served)
    by_key = {(r["date"], r["campaign_id"]): r for r in rows}
    for source in served:
        stored = by_key[(source["date"], source["campaign_id"])]
        impressions = source["impressions"]
        assert stored["impressions"] == (int(impressions) if impressions is not None else None)
        assert stored["cost"] == source["cost"]  # declared number: integers too
        assert stored.get("label") == source.get("label")
        assert stored["notes"] == source["notes"]
    assert sum(1 for r in rows if r.get("label") is not None) > 0


def test_a_messy_week_reads_as_one_table_through_the_io_manager(
    fast_resource: ExtractToResource,
    extractto_url: str,
    messy: dict[str, Any],
    tmp_path: Path,
) -> None:
    seen: dict[str, pd.DataFrame] = {}

    weekly = weekly_ads(seen)

    ads = spec(messy["id"])
    assert backfill(fast_resource, tmp_path, ads).success
    downstream = dg.materialize(
        [*build_extractto_assets([ads], output_dir=str(tmp_path)), weekly],
        resources={"extractto": fast_resource},
        partition_key="2026-11-07",
        selection=["weekly"],
    )
    assert downstream.success
    served = served_rows(extractto_url, messy["data_table_id"], "2026-11-01", "2026-11-07")
    assert len(seen["ads"]) == len(served)
    assert seen["ads"]["label"].notna().sum() == sum(1 for r in served if r.get("label"))


def test_the_materialization_reports_what_changed_and_the_check_sees_it(
    fast_resource: ExtractToResource, messy: dict[str, Any], tmp_path: Path
) -> None:
    result = backfill(fast_resource, tmp_path, spec(messy["id"]))
    metadata = result.asset_materializations_for_node("ads")[0].metadata
    change = metadata[SCHEMA_CHANGE_METADATA].value
    assert isinstance(change, dict)
    assert "label" in change["columns_added"]
    assert change["values_converted"]["impressions"] >= 2
    assert metadata[FILES_REWRITTEN_METADATA].value == 0
    columns = {c.name: c for c in metadata["dagster/column_schema"].value.columns}
    assert columns["impressions"].type == "int64"
    (evaluation,) = result.get_asset_check_evaluations()
    assert (evaluation.check_name, evaluation.passed) == (SCHEMA_CHANGE, False)


def campaign_extract(
    emulator: EmulatorServer, days: dict[str, list[dict[str, Any]]]
) -> dict[str, Any]:
    """An extract whose data table has a text `campaign_id` and an integer `impressions`,
    serving `days`."""
    extract = emulator.control.add_extractto_extract("Ads", sync_seconds=0)
    emulator.control.set_extractto_served_rows(
        extract["id"],
        days,
        columns=[
            {"name": "campaign_id", "type": "string"},
            {"name": "impressions", "type": "integer"},
        ],
    )
    return extract


def test_discard_row_leaves_out_the_rows_that_do_not_fit_and_the_run_succeeds(
    fast_resource: ExtractToResource,
    quick_emulator: EmulatorServer,
    tmp_path: Path,
) -> None:
    extract = campaign_extract(
        quick_emulator,
        {
            "2026-11-01": [{"campaign_id": "c1", "impressions": 5}],
            "2026-11-02": [
                {"campaign_id": "c2", "impressions": "about 40"},
                {"campaign_id": "c3", "impressions": 7},
            ],
        },
    )

    result = backfill(fast_resource, tmp_path, spec(extract["id"], schema_contract="discard_row"))

    assert result.success
    rows = assert_all_readers_agree(tmp_path / "extractto" / "ads", "date")
    assert sorted(row["campaign_id"] for row in rows) == ["c1", "c3"]
    change = result.asset_materializations_for_node("ads")[0].metadata[SCHEMA_CHANGE_METADATA]
    assert isinstance(change.value, dict) and change.value["rows_discarded"] == 1


def test_a_frozen_table_fails_with_the_column_types_and_setting_and_writes_nothing(
    fast_resource: ExtractToResource,
    quick_emulator: EmulatorServer,
    tmp_path: Path,
) -> None:
    extract = campaign_extract(
        quick_emulator, {"2026-11-01": [{"campaign_id": "c1", "impressions": 5}], "2026-11-02": []}
    )
    ads = spec(extract["id"], schema_contract="freeze")
    assert backfill(fast_resource, tmp_path, ads).success
    folder = tmp_path / "extractto" / "ads"
    before = {p: p.read_bytes() for p in folder.rglob("*.parquet")}
    quick_emulator.control.set_extractto_served_rows(
        extract["id"],
        {
            "2026-11-01": [{"campaign_id": "c1", "impressions": 6}],
            "2026-11-03": [{"campaign_id": "c2", "impressions": "about 40"}],
        },
    )

    failed = backfill(fast_resource, tmp_path, ads)

    assert not failed.success
    (failure,) = failed.get_step_failure_events()
    cause = failure.step_failure_data.error.cause
    assert cause is not None
    error = cause.message
    assert "'impressions'" in error and "int64" in error and "string" in error
    assert "schema_contract" in error
    assert {p: p.read_bytes() for p in folder.rglob("*.parquet")} == before
    assert [p.name for p in folder.parent.iterdir() if p.suffix == ".tmp"] == []
    document = read_document(folder)
    assert document is not None and document.contract == "freeze"


def test_every_file_has_the_table_schema_after_a_rerun_adds_a_column(
    fast_resource: ExtractToResource,
    quick_emulator: EmulatorServer,
    tmp_path: Path,
) -> None:
    extract = quick_emulator.control.add_extractto_extract("Ads", sync_seconds=0)
    days = {f"2026-11-0{d}": [{"campaign_id": f"c{d}", "clicks": d}] for d in range(1, 8)}
    quick_emulator.control.set_extractto_served_rows(extract["id"], days)
    ads = spec(extract["id"])
    assert backfill(fast_resource, tmp_path, ads).success
    days["2026-11-03"] = [{"campaign_id": "c3", "clicks": 3, "region": "EU"}]
    quick_emulator.control.set_extractto_served_rows(extract["id"], days)

    rerun = dg.materialize(
        build_extractto_assets([ads], output_dir=str(tmp_path)),
        resources={"extractto": fast_resource},
        partition_key="2026-11-03",
    )

    folder = tmp_path / "extractto" / "ads"
    schemas = {str(pq.read_schema(p)) for p in folder.glob("*/*.parquet")}
    assert len(schemas) == 1 and "region" in schemas.pop()
    metadata = rerun.asset_materializations_for_node("ads")[0].metadata
    assert metadata[FILES_REWRITTEN_METADATA].value == 6
    rows = assert_all_readers_agree(folder, "date")
    assert [r["region"] for r in rows if r["region"]] == ["EU"]
    assert json.loads((tmp_path / "extractto" / "ads.schema.json").read_text())["columns"]


def test_column_types_named_as_warehouses_name_them_type_the_table(
    fast_resource: ExtractToResource,
    quick_emulator: EmulatorServer,
    tmp_path: Path,
) -> None:
    extract = quick_emulator.control.add_extractto_extract("Warehouse ads", sync_seconds=0)
    row = {
        "campaign_id": 17,
        "impressions": "1200",
        "cost": "3.50",
        "active": "true",
        "seen_at": "2026-11-01 10:00:00+02:00",
    }
    quick_emulator.control.set_extractto_served_rows(
        extract["id"],
        {"2026-11-01": [row]},
        columns=[
            {"name": "campaign_id", "type": "VARCHAR(64)"},
            {"name": "impressions", "type": "INT64"},
            {"name": "cost", "type": "NUMERIC(12, 2)"},
            {"name": "active", "type": "Bool"},
            {"name": "seen_at", "type": "TIMESTAMP(6) WITH TIME ZONE"},
        ],
    )
    assert backfill(fast_resource, tmp_path, spec(extract["id"])).success
    folder = tmp_path / "extractto" / "ads"
    schema = pq.read_schema(next(folder.glob("date=*/*.parquet")))
    assert {name: str(schema.field(name).type) for name in row} == {
        "campaign_id": "string",
        "impressions": "int64",
        "cost": "double",
        "active": "bool",
        "seen_at": "timestamp[us, tz=UTC]",
    }
    (read,) = assert_all_readers_agree(folder, "date")
    assert (read["campaign_id"], read["impressions"], read["cost"], read["active"]) == (
        "17",
        1200,
        3.5,
        True,
    )


UNDATED = {
    "2026-11-01": [
        {"campaign_id": "c1", "impressions": 5},
        {"campaign_id": "c2", "impressions": 6, "date": None},
        {"campaign_id": "c3", "impressions": 7, "date": "yesterday"},
    ],
    "2026-11-02": [{"campaign_id": "c4", "impressions": 8, "date": "2026-10-20"}],
}


def test_rows_with_no_readable_date_are_left_out_counted_apart_from_rows_outside_the_window(
    fast_resource: ExtractToResource, quick_emulator: EmulatorServer, tmp_path: Path
) -> None:
    extract = campaign_extract(quick_emulator, UNDATED)
    result = backfill(fast_resource, tmp_path, spec(extract["id"]))
    assert result.success
    rows = assert_all_readers_agree(tmp_path / "extractto" / "ads", "date")
    assert [row["campaign_id"] for row in rows] == ["c1"]
    metadata = result.asset_materializations_for_node("ads")[0].metadata
    assert metadata["extract_assets/rows_without_date"].value == 2
    assert metadata["extract_assets/rows_outside_window"].value == 1


def test_under_freeze_rows_with_no_readable_date_fail_the_run_and_nothing_is_written(
    fast_resource: ExtractToResource, quick_emulator: EmulatorServer, tmp_path: Path
) -> None:
    extract = campaign_extract(quick_emulator, {"2026-11-01": UNDATED["2026-11-01"][:1]})
    ads = spec(extract["id"], schema_contract="freeze")
    assert backfill(fast_resource, tmp_path, ads).success
    folder = tmp_path / "extractto" / "ads"
    before = {p: p.read_bytes() for p in folder.rglob("*.parquet")}
    quick_emulator.control.set_extractto_served_rows(extract["id"], UNDATED)

    failed = backfill(fast_resource, tmp_path, ads)

    assert not failed.success
    (failure,) = failed.get_step_failure_events()
    cause = failure.step_failure_data.error.cause
    assert cause is not None
    assert "2 rows have no readable `date` (such as 'yesterday', None)" in cause.message
    assert "Nothing was written" in cause.message
    assert {p: p.read_bytes() for p in folder.rglob("*.parquet")} == before
