"""An Iceberg table on object storage: data and metadata on the S3-compatible server on loopback,
the catalog in a SQL database every machine reaches."""

import os
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from extract_assets.core.iceberg_catalog import CatalogSettings, open_catalog
from extract_assets.core.storage import location
from extract_assets.extractto.assets import build_extractto_assets
from extract_assets.extractto.resource import ExtractToResource
from extract_assets.extractto.spec import ExtractToExtractSpec
from extract_assets_tests.downstream import weekly_ads
from extract_assets_tests.iceberg_readers import S3Secret, assert_iceberg_readers_agree

from .conftest import Bucket

VARIABLE = "LAKE_CATALOG_URI"


@pytest.fixture
def catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CatalogSettings:
    monkeypatch.setenv(VARIABLE, f"sqlite:///{tmp_path / 'catalog.db'}")
    return CatalogSettings(uri_env=VARIABLE)


def _iceberg_ads(extract_id: str) -> ExtractToExtractSpec:
    return ExtractToExtractSpec(
        name="ads",
        extract_id=extract_id,
        start_date="2026-10-01",
        table_format="iceberg",
        iceberg_catalog_env=VARIABLE,
    )


def test_a_week_lands_on_object_storage_and_reaches_a_downstream_asset(
    extractto: ExtractToResource, extract_id: str, bucket: Bucket, catalog: CatalogSettings
) -> None:
    ads = _iceberg_ads(extract_id)
    seen: dict[str, pd.DataFrame] = {}

    weekly = weekly_ads(seen)

    assets = build_extractto_assets([ads], output_dir=bucket.url("lake"))
    dg.materialize(
        assets,
        resources={"extractto": extractto},
        tags={
            "dagster/asset_partition_range_start": "2026-11-01",
            "dagster/asset_partition_range_end": "2026-11-07",
        },
    )
    dg.materialize(
        [*assets, weekly],
        resources={"extractto": extractto},
        partition_key="2026-11-07",
        selection=["weekly"],
    )

    table = open_catalog(catalog, location(bucket.url("lake"))).load_table("extractto.ads")
    assert table.location() == bucket.url("lake/extractto/ads")
    keys = bucket.keys()
    assert any(k.startswith("lake/extractto/ads/metadata/") for k in keys)
    assert any(k.startswith("lake/extractto/ads/data/date=2026-11-07/") for k in keys)
    rows = table.scan().to_arrow()
    assert rows.num_rows > 0
    assert len(seen["ads"]) == rows.num_rows
    assert sorted(set(seen["ads"]["date"].astype(str))) == [f"2026-11-0{d}" for d in range(1, 8)]


def test_polars_and_duckdb_read_every_row_of_a_table_on_object_storage_that_pyiceberg_reads(
    extractto: ExtractToResource,
    extract_id: str,
    bucket: Bucket,
    catalog: CatalogSettings,
    s3_endpoint: str,
) -> None:
    ads = _iceberg_ads(extract_id)
    dg.materialize(
        build_extractto_assets([ads], output_dir=bucket.url("lake")),
        resources={"extractto": extractto},
        tags={
            "dagster/asset_partition_range_start": "2026-11-01",
            "dagster/asset_partition_range_end": "2026-11-03",
        },
    )
    table = open_catalog(catalog, location(bucket.url("lake"))).load_table("extractto.ads")
    # The keys the writer took from the AWS variables, given to DuckDB as a user would.
    secret = S3Secret(
        key_id=os.environ["AWS_ACCESS_KEY_ID"],
        secret=os.environ["AWS_SECRET_ACCESS_KEY"],
        endpoint=s3_endpoint,
        region=os.environ["AWS_DEFAULT_REGION"],
    )

    rows = assert_iceberg_readers_agree(table, "date", secret)

    assert table.metadata_location.startswith(bucket.url("lake/extractto/ads/metadata/"))
    assert sorted({row["date"] for row in rows}) == ["2026-11-01", "2026-11-02", "2026-11-03"]


def test_the_default_sqlite_catalog_is_refused_for_object_storage_saying_what_to_set(
    bucket: Bucket, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EXTRACT_ASSETS_ICEBERG_CATALOG", raising=False)

    with pytest.raises(ValueError, match="set EXTRACT_ASSETS_ICEBERG_CATALOG to a postgresql"):
        open_catalog(CatalogSettings(), location(bucket.url("lake")))
