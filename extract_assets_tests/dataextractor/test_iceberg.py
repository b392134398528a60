"""The five dataextractor.io tables written as Iceberg tables: a real materialization against
the emulator, each table one snapshot, read by every reader like the Parquet path."""

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from extract_assets.core.iceberg_catalog import CATALOG_ENV, CatalogSettings, open_catalog
from extract_assets.dataextractor.resource import DataExtractorResource
from extract_assets.dataextractor.spec import TABLES, DataExtractorDatasetsSpec
from extract_assets.emulator import EmulatorServer
from extract_assets.metadata import ICEBERG_SNAPSHOT, ICEBERG_TABLE
from extract_assets_tests.iceberg_readers import assert_iceberg_readers_agree, normalised
from extract_assets_tests.readers import read_pyarrow

from .test_assets import ACCOUNT, DAY, KEY, held_by_emulator, materialize_day


@pytest.fixture(autouse=True)
def _default_catalog(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CATALOG_ENV, raising=False)


@pytest.fixture
def resource(emulator: EmulatorServer) -> DataExtractorResource:
    emulator.control.add_dataextractor_key(KEY, account=ACCOUNT)
    emulator.control.set_speed(30)
    return DataExtractorResource(
        api_key=KEY,
        base_url=emulator.base_url("dataextractor"),
        reads_per_minute=60 * 30,
        writes_per_minute=10 * 30,
    )


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as test_instance:
        yield test_instance


def test_a_day_lands_in_five_iceberg_tables_that_read_like_the_parquet_path(
    emulator: EmulatorServer,
    resource: DataExtractorResource,
    tmp_path: Path,
    instance: dg.DagsterInstance,
) -> None:
    emulator.control.seed_dataextractor_datasets(
        40, account=ACCOUNT, date_from="2026-11-09", date_to="2026-11-11", failed_share=0.1
    )
    parquet = DataExtractorDatasetsSpec(name="docs", start_date="2026-11-01")
    iceberg = parquet.model_copy(update={"table_format": "iceberg"})
    assert materialize_day(parquet, resource, tmp_path / "parquet", instance).success
    result = materialize_day(iceberg, resource, tmp_path / "iceberg", instance)

    catalog = open_catalog(CatalogSettings(), tmp_path / "iceberg")
    for name in (f"docs_{table}" for table in TABLES):
        table = catalog.load_table(("dataextractor", name))
        assert len(table.snapshots()) == 1
        rows = assert_iceberg_readers_agree(table, "date")
        types = {f.name: f.type for f in table.schema().as_arrow()}
        folder = tmp_path / "parquet" / "dataextractor" / name
        assert rows == normalised(read_pyarrow(folder, "date"), types, "date"), name
        metadata = result.asset_materializations_for_node("docs")
        reported = [m.metadata for m in metadata if m.asset_key == dg.AssetKey(name)]
        assert ICEBERG_TABLE.read(reported[0]) == f"dataextractor.{name}"
        assert ICEBERG_SNAPSHOT.read(reported[0]) == table.current_snapshot().snapshot_id
    datasets = catalog.load_table("dataextractor.docs_datasets").scan().to_arrow()
    assert sorted(datasets.column("dataset_id").to_pylist()) == sorted(
        d["id"] for d in held_by_emulator(emulator, DAY)
    )
