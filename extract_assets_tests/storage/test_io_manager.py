"""A user's own asset downstream of ours gets our Parquet as one DataFrame or Table."""

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import fsspec
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from extract_assets.dataextractor.assets import build_dataextractor_assets
from extract_assets.dataextractor.resource import DataExtractorResource
from extract_assets.dataextractor.spec import DataExtractorDatasetsSpec
from extract_assets.extractto.assets import build_extractto_assets
from extract_assets.extractto.resource import ExtractToResource
from extract_assets.extractto.spec import ExtractToExtractSpec
from extract_assets.io_manager import ExtractAssetsIOManager
from extract_assets.linkup.assets import build_linkup_assets
from extract_assets.linkup.resource import LinkupResource
from extract_assets.linkup.sensors import TASKS_PARTITIONS, build_linkup_task_outputs_asset
from extract_assets.linkup.spec import LinkupExtractSpec

from .conftest import Bucket

ADS = "google_ads_campaigns"
RANGE = {
    "dagster/asset_partition_range_start": "2026-09-14",
    "dagster/asset_partition_range_end": "2026-09-20",
}
WEEK = [date(2026, 9, 14) + timedelta(days=n) for n in range(7)]
DAILY = dg.DailyPartitionsDefinition(start_date="2026-01-01")
LAST_7_DAYS = dg.TimeWindowPartitionMapping(start_offset=-6)


def ads_assets(extract_id: str, output: str) -> list[dg.AssetsDefinition]:
    spec = ExtractToExtractSpec(name=ADS, extract_id=extract_id, start_date="2026-01-01")
    return build_extractto_assets([spec], output_dir=output)


def weekly_report(received: list[Any], *, annotation: type = pd.DataFrame) -> dg.AssetsDefinition:
    """A user's daily asset over the last 7 days of ads; it keeps what it was given."""

    def compute(google_ads_campaigns: Any) -> dg.MaterializeResult:
        received.append(google_ads_campaigns)
        return dg.MaterializeResult(metadata={"rows": len(google_ads_campaigns)})

    compute.__annotations__["google_ads_campaigns"] = annotation
    return dg.asset(
        name="weekly_report",
        partitions_def=DAILY,
        ins={ADS: dg.AssetIn(partition_mapping=LAST_7_DAYS)},
    )(compute)


def day_file_rows(folder: Path) -> int:
    return sum(
        pq.ParquetFile(folder / f"date={day}" / "part-0.parquet").metadata.num_rows for day in WEEK
    )


def test_a_daily_downstream_asset_reads_a_7_day_window_as_one_dataframe(
    extractto: ExtractToResource,
    extract_id: str,
    tmp_path: Path,
    instance: dg.DagsterInstance,
) -> None:
    upstream = ads_assets(extract_id, str(tmp_path))
    resources = {"extractto": extractto}
    assert dg.materialize(upstream, resources=resources, instance=instance, tags=RANGE).success
    received: list[Any] = []

    result = dg.materialize(
        [*upstream, weekly_report(received)],
        selection=["weekly_report"],
        partition_key="2026-09-20",
        resources=resources,
        instance=instance,
    )

    assert result.success
    (frame,) = received
    assert isinstance(frame, pd.DataFrame)
    assert len(frame) == day_file_rows(tmp_path / "extractto" / ADS)
    assert sorted(set(frame["date"])) == WEEK


def test_a_downstream_asset_in_the_same_run_gets_the_runs_window(
    extractto: ExtractToResource,
    extract_id: str,
    tmp_path: Path,
    instance: dg.DagsterInstance,
) -> None:
    received: list[Any] = []

    @dg.asset(partitions_def=DAILY, backfill_policy=dg.BackfillPolicy.single_run())
    def window_rows(google_ads_campaigns) -> dg.MaterializeResult:  # type: ignore[no-untyped-def]
        received.append(google_ads_campaigns)
        return dg.MaterializeResult()

    result = dg.materialize(
        [*ads_assets(extract_id, str(tmp_path)), window_rows],
        resources={"extractto": extractto},
        instance=instance,
        tags=RANGE,
    )

    assert result.success
    (frame,) = received
    assert isinstance(frame, pd.DataFrame)  # no annotation: a DataFrame
    assert len(frame) == day_file_rows(tmp_path / "extractto" / ADS)
    assert sorted(set(frame["date"])) == WEEK
    partitions = [str(m.partition) for m in result.asset_materializations_for_node(ADS)]
    assert sorted(partitions) == [day.isoformat() for day in WEEK]  # one event per day


def test_an_input_annotated_as_a_pyarrow_table_gets_a_table_with_typed_dates(
    extractto: ExtractToResource,
    extract_id: str,
    tmp_path: Path,
    instance: dg.DagsterInstance,
) -> None:
    upstream = ads_assets(extract_id, str(tmp_path))
    resources = {"extractto": extractto}
    assert dg.materialize(upstream, resources=resources, instance=instance, tags=RANGE).success
    received: list[Any] = []

    dg.materialize(
        [*upstream, weekly_report(received, annotation=pa.Table)],
        selection=["weekly_report"],
        partition_key="2026-09-20",
        resources=resources,
        instance=instance,
    )

    (table,) = received
    assert isinstance(table, pa.Table)
    assert table.schema.field("date").type == pa.date32()
    assert table.num_rows == day_file_rows(tmp_path / "extractto" / ADS)


def test_a_window_with_a_day_never_materialized_fails_naming_what_to_materialize(
    extractto: ExtractToResource,
    extract_id: str,
    tmp_path: Path,
    instance: dg.DagsterInstance,
) -> None:
    upstream = ads_assets(extract_id, str(tmp_path))
    resources = {"extractto": extractto}
    assert dg.materialize(upstream, resources=resources, instance=instance, tags=RANGE).success

    result = dg.materialize(
        [*upstream, weekly_report([])],
        selection=["weekly_report"],
        partition_key="2026-09-21",
        resources=resources,
        instance=instance,
        raise_on_error=False,
    )

    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    message = str(failure.step_failure_data.error)
    assert "date=2026-09-21" in message
    assert "materialize those partitions of google_ads_campaigns first" in message


def test_an_unpartitioned_linkup_asset_reaches_a_downstream_asset_as_a_dataframe(
    linkup: LinkupResource, tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    spec = LinkupExtractSpec(name="team", q="Team members", url="https://example.com/team")
    received: list[Any] = []

    @dg.asset
    def team_size(team: pd.DataFrame) -> dg.MaterializeResult:
        received.append(team)
        return dg.MaterializeResult()

    result = dg.materialize(
        [*build_linkup_assets([spec], output_dir=str(tmp_path)), team_size],
        resources={"linkup": linkup},
        instance=instance,
    )

    assert result.success
    (frame,) = received
    written = pq.read_table(tmp_path / "linkup" / "team" / "part-0.parquet")
    assert len(frame) == written.num_rows > 0
    assert list(frame.columns) == written.column_names


def test_assets_on_object_storage_report_urls_and_feed_a_downstream_asset(
    extractto: ExtractToResource,
    extract_id: str,
    bucket: Bucket,
    instance: dg.DagsterInstance,
) -> None:
    upstream = ads_assets(extract_id, bucket.url("lake"))
    resources = {"extractto": extractto}
    run = dg.materialize(upstream, resources=resources, instance=instance, tags=RANGE)
    assert run.success
    paths = sorted(str(m.metadata["path"].value) for m in run.asset_materializations_for_node(ADS))
    assert paths == [bucket.url(f"lake/extractto/{ADS}/date={day}") for day in WEEK]
    received: list[Any] = []

    dg.materialize(
        [*upstream, weekly_report(received)],
        selection=["weekly_report"],
        partition_key="2026-09-20",
        resources=resources,
        instance=instance,
    )

    (frame,) = received
    fs = fsspec.filesystem("s3")
    files = fs.glob(f"{bucket.name}/lake/extractto/{ADS}/date=*/part-0.parquet")
    assert len(files) == 7
    assert len(frame) == sum(pq.ParquetFile(f, filesystem=fs).metadata.num_rows for f in files)
    assert sorted(set(frame["date"])) == WEEK


@pytest.mark.parametrize("value", [42, "rows"])
def test_our_io_manager_refuses_to_store_a_users_value(value: object) -> None:
    context = dg.build_output_context(asset_key=dg.AssetKey("mine"))
    with pytest.raises(TypeError, match="give your own assets another io_manager_key"):
        ExtractAssetsIOManager().handle_output(context, value)


def test_the_linkup_task_outputs_reach_a_downstream_asset_with_their_task_ids(
    linkup: LinkupResource, tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    outputs = build_linkup_task_outputs_asset(output_dir=str(tmp_path))
    with linkup.get_client() as client:
        task_ids = [
            client.wait(client.create(q, "https://example.com/outside").id).id
            for q in ("first rows", "second rows")
        ]
    instance.add_dynamic_partitions(TASKS_PARTITIONS, task_ids)
    for task_id in task_ids:
        dg.materialize(
            [outputs], resources={"linkup": linkup}, instance=instance, partition_key=task_id
        )
    received: list[Any] = []

    @dg.asset
    def all_outside_rows(linkup_task_outputs: pa.Table) -> dg.MaterializeResult:
        received.append(linkup_task_outputs)
        return dg.MaterializeResult()

    dg.materialize(
        [outputs, all_outside_rows],
        selection=["all_outside_rows"],
        resources={"linkup": linkup},
        instance=instance,
    )

    (table,) = received
    folder = tmp_path / "linkup" / "linkup_task_outputs"
    for task_id in task_ids:
        written = pq.read_metadata(folder / f"task_id={task_id}" / "part-0.parquet").num_rows
        assert table.filter(pc.field("task_id") == task_id).num_rows == written > 0
    assert table.num_rows == sum(
        pq.read_metadata(folder / f"task_id={t}" / "part-0.parquet").num_rows for t in task_ids
    )


def test_a_table_of_the_dataextractor_multi_asset_reaches_a_downstream_asset_in_the_same_run(
    dataextractor: DataExtractorResource, tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    spec = DataExtractorDatasetsSpec(name="docs", start_date="2026-11-01")
    received: list[Any] = []

    @dg.asset(partitions_def=spec.partitions(), backfill_policy=dg.BackfillPolicy.single_run())
    def documents_of_the_day(docs_datasets: pd.DataFrame) -> dg.MaterializeResult:
        received.append(docs_datasets)
        return dg.MaterializeResult()

    result = dg.materialize(
        [*build_dataextractor_assets([spec], output_dir=str(tmp_path)), documents_of_the_day],
        resources={"dataextractor": dataextractor},
        instance=instance,
        partition_key="2026-11-10",
    )

    assert result.success
    (frame,) = received
    day = tmp_path / "dataextractor" / "docs_datasets" / "date=2026-11-10" / "part-0.parquet"
    assert len(frame) == pq.read_metadata(day).num_rows > 0
    assert set(frame["date"]) == {date(2026, 11, 10)}
