"""An extract written as an Iceberg table: a real materialization against the emulator, read by
every reader and by our IO manager, with the same rows as the Parquet path."""

from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd
import pytest

from extract_assets.core.iceberg_catalog import CATALOG_ENV, CatalogSettings, open_catalog
from extract_assets.core.table_format import TABLE_FORMAT_ENV
from extract_assets.emulator import EmulatorServer
from extract_assets.extractto.assets import build_extractto_assets
from extract_assets.extractto.resource import ExtractToResource
from extract_assets.extractto.spec import ExtractToExtractSpec
from extract_assets.metadata import (
    ICEBERG_CATALOG,
    ICEBERG_CATALOG_NAME,
    ICEBERG_LOCATION,
    ICEBERG_SNAPSHOT,
    ICEBERG_TABLE,
)
from extract_assets_tests.downstream import weekly_ads
from extract_assets_tests.iceberg_readers import assert_iceberg_readers_agree, normalised
from extract_assets_tests.readers import read_pyarrow

from .conftest import served_rows

# The test once in the default SQLite catalog and once through a REST catalog.
in_each_catalog = pytest.mark.usefixtures("iceberg_catalog_kind")
WEEK = {
    "dagster/asset_partition_range_start": "2026-11-01",
    "dagster/asset_partition_range_end": "2026-11-07",
}


@pytest.fixture(autouse=True)
def _default_catalog(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CATALOG_ENV, raising=False)
    monkeypatch.delenv(TABLE_FORMAT_ENV, raising=False)


@pytest.fixture
def messy(quick_emulator: EmulatorServer) -> dict[str, Any]:
    return quick_emulator.control.add_extractto_extract(
        "Messy ads", profile="messy", profile_seed=3, sync_seconds=0
    )


def spec(extract_id: str, **settings: Any) -> ExtractToExtractSpec:
    return ExtractToExtractSpec(
        name="ads", extract_id=extract_id, start_date="2026-10-01", **settings
    )


def backfill(
    resource: ExtractToResource, output: Path, ads: ExtractToExtractSpec
) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        build_extractto_assets([ads], output_dir=str(output)),
        resources={"extractto": resource},
        tags=WEEK,
        selection=[ads.name],
    )


@in_each_catalog
def test_a_week_lands_as_one_snapshot_that_every_reader_reads_like_the_parquet_path(
    fast_resource: ExtractToResource, extractto_url: str, messy: dict[str, Any], tmp_path: Path
) -> None:
    backfill(fast_resource, tmp_path / "parquet", spec(messy["id"]))
    backfill(fast_resource, tmp_path / "iceberg", spec(messy["id"], table_format="iceberg"))

    table = open_catalog(CatalogSettings(), tmp_path / "iceberg").load_table("extractto.ads")
    assert len(table.snapshots()) == 1
    rows = assert_iceberg_readers_agree(table, "date")
    parquet = read_pyarrow(tmp_path / "parquet" / "extractto" / "ads", "date")
    types = {f.name: f.type for f in table.schema().as_arrow()}
    assert _without_sync_time(rows) == _without_sync_time(normalised(parquet, types, "date"))
    served = served_rows(extractto_url, messy["data_table_id"], "2026-11-01", "2026-11-07")
    assert len(rows) == len(served)


def _without_sync_time(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows without the time each sync inserted them (the two runs synced apart)."""
    return sorted(
        ({k: v for k, v in row.items() if k != "__insert_date"} for row in rows),
        key=lambda row: sorted((k, str(v)) for k, v in row.items()),
    )


def test_one_setting_makes_every_asset_an_iceberg_table(
    fast_resource: ExtractToResource,
    messy: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(TABLE_FORMAT_ENV, "iceberg")

    backfill(fast_resource, tmp_path, spec(messy["id"]))

    assert open_catalog(CatalogSettings(), tmp_path).table_exists("extractto.ads")
    assert not list((tmp_path / "extractto" / "ads").glob("date=*"))


def test_the_materialization_reports_the_snapshot_the_location_and_the_catalog(
    fast_resource: ExtractToResource, messy: dict[str, Any], tmp_path: Path
) -> None:
    result = backfill(fast_resource, tmp_path, spec(messy["id"], table_format="iceberg"))

    table = open_catalog(CatalogSettings(), tmp_path).load_table("extractto.ads")
    snapshot = table.current_snapshot()
    assert snapshot is not None
    for materialization in result.asset_materializations_for_node("ads"):
        metadata = materialization.metadata
        assert ICEBERG_SNAPSHOT.read(metadata) == snapshot.snapshot_id
        assert ICEBERG_TABLE.read(metadata) == "extractto.ads"
        assert ICEBERG_LOCATION.read(metadata) == table.location()
        assert ICEBERG_CATALOG.read(metadata) == f"sqlite:///{tmp_path}/iceberg_catalog.db"
        assert ICEBERG_CATALOG_NAME.read(metadata) == "extract_assets"
        assert metadata["dagster/row_count"].value == len(table.scan().to_arrow())


@in_each_catalog
def test_a_downstream_asset_reads_every_row_of_its_window_through_the_io_manager(
    fast_resource: ExtractToResource, extractto_url: str, messy: dict[str, Any], tmp_path: Path
) -> None:
    seen: dict[str, pd.DataFrame] = {}

    weekly = weekly_ads(seen)

    ads = spec(messy["id"], table_format="iceberg")
    backfill(fast_resource, tmp_path, ads)
    dg.materialize(
        [*build_extractto_assets([ads], output_dir=str(tmp_path)), weekly],
        resources={"extractto": fast_resource},
        partition_key="2026-11-07",
        selection=["weekly"],
    )

    served = served_rows(extractto_url, messy["data_table_id"], "2026-11-01", "2026-11-07")
    assert len(seen["ads"]) == len(served)
    assert seen["ads"]["label"].notna().sum() == sum(1 for r in served if r.get("label"))
    assert list(seen["ads"].columns)[-1] == "date"


def test_a_downstream_asset_of_a_day_never_materialized_fails_naming_the_day(
    fast_resource: ExtractToResource, messy: dict[str, Any], tmp_path: Path
) -> None:
    @dg.asset(partitions_def=dg.DailyPartitionsDefinition(start_date="2026-10-01"))
    def daily(ads: pd.DataFrame) -> None:
        pass

    ads = spec(messy["id"], table_format="iceberg")
    backfill(fast_resource, tmp_path, ads)
    result = dg.materialize(
        [*build_extractto_assets([ads], output_dir=str(tmp_path)), daily],
        resources={"extractto": fast_resource},
        partition_key="2026-11-09",
        selection=["daily"],
        raise_on_error=False,
    )

    assert not result.success
    failure = result.failure_data_for_node("daily")
    assert failure is not None and "2026-11-09" in str(failure.error)
