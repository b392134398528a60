import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import httpx
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from extract_assets.dataextractor.assets import ALL_EXTRACTED, build_dataextractor_assets
from extract_assets.dataextractor.resource import DataExtractorResource
from extract_assets.dataextractor.spec import (
    DataExtractorDatasetsSpec,
    DataExtractorSubmissionSpec,
)
from extract_assets.emulator import EmulatorServer
from extract_assets_tests.readers import read_with_all

KEY = "dx-ASSETS-TESTS-0987654321"
ACCOUNT = "acct_assets"
DAY = "2026-11-10"
PDF = b"%PDF-1.7\n" + b"1" * 1_000


@pytest.fixture
def resource(emulator: EmulatorServer) -> DataExtractorResource:
    emulator.control.add_dataextractor_key(KEY, account=ACCOUNT)
    emulator.control.set_speed(30)
    return DataExtractorResource(
        api_key=KEY,
        base_url=emulator.base_url("dataextractor"),
        reads_per_minute=60 * 30,
        writes_per_minute=10 * 30,
        poll_initial_seconds=0.1,
        poll_max_seconds=0.3,
    )


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as test_instance:
        yield test_instance


def held_by_emulator(emulator: EmulatorServer, day: str) -> list[dict[str, Any]]:
    """The account's final datasets created on `day`, read straight from the API."""
    headers = {"Authorization": f"Bearer {KEY}"}
    url = f"{emulator.base_url('dataextractor')}/api/v1/datasets"
    found, cursor = [], None
    while True:
        params: dict[str, Any] = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        body = httpx.get(url, params=params, headers=headers).json()
        found += [d for d in body["data"] if d["created_at"].startswith(day)]
        cursor = body["next_cursor"]
        if not cursor:
            return [d for d in found if d["status"] != "processing"]


def table(folder: Path, name: str) -> list[dict[str, Any]]:
    return list(
        ds.dataset(folder / "dataextractor" / name, partitioning="hive").to_table().to_pylist()
    )


def materialize_day(
    spec: DataExtractorDatasetsSpec,
    resource: DataExtractorResource,
    output: Path,
    instance: dg.DagsterInstance,
) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        build_dataextractor_assets([spec], output_dir=str(output)),
        resources={"dataextractor": resource},
        instance=instance,
        partition_key=DAY,
    )


def test_a_day_partitions_five_tables_equal_what_the_emulator_holds(
    emulator: EmulatorServer,
    resource: DataExtractorResource,
    tmp_path: Path,
    instance: dg.DagsterInstance,
) -> None:
    emulator.control.seed_dataextractor_datasets(
        60, account=ACCOUNT, date_from="2026-11-09", date_to="2026-11-11", failed_share=0.1
    )
    spec = DataExtractorDatasetsSpec(name="docs", start_date="2026-11-01")
    assert materialize_day(spec, resource, tmp_path, instance).success
    held = held_by_emulator(emulator, DAY)
    datasets = table(tmp_path, "docs_datasets")
    assert sorted(row["dataset_id"] for row in datasets) == sorted(d["id"] for d in held)
    fields = {(r["dataset_id"], r["name"]): r["value"] for r in table(tmp_path, "docs_fields")}
    assert fields == {(d["id"], f["name"]): f["value"] for d in held for f in d["fields"]}
    line_items = table(tmp_path, "docs_line_items")
    assert len(line_items) == sum(len(i["fields"]) for d in held for i in d["line_items"])
    truth = {(r["dataset_id"], r["name"]): r["value"] for r in table(tmp_path, "docs_ground_truth")}
    assert truth == {(d["id"], t["name"]): t["value"] for d in held for t in d["ground_truth"]}
    scores = table(tmp_path, "docs_accuracy")
    assert len(scores) == sum(len((d["accuracy"] or {}).get("fields", [])) for d in held)
    failed = {r["dataset_id"]: r["error"] for r in datasets if r["status"] == "failed"}
    assert failed == {d["id"]: d["error"] for d in held if d["status"] == "failed"}


def test_each_table_reports_its_own_row_count(
    emulator: EmulatorServer,
    resource: DataExtractorResource,
    tmp_path: Path,
    instance: dg.DagsterInstance,
) -> None:
    emulator.control.seed_dataextractor_datasets(
        20, account=ACCOUNT, date_from=DAY, date_to=DAY, processing_share=0
    )
    spec = DataExtractorDatasetsSpec(name="docs", start_date="2026-11-01")
    result = materialize_day(spec, resource, tmp_path, instance)
    counts = {
        e.asset_key.to_user_string(): e.step_materialization_data.materialization.metadata[
            "dagster/partition_row_count"
        ].value
        for e in result.get_asset_materialization_events()
    }
    assert counts["docs_datasets"] == 20
    assert counts["docs_fields"] == len(table(tmp_path, "docs_fields"))


def test_filters_of_the_spec_are_honoured(
    emulator: EmulatorServer,
    resource: DataExtractorResource,
    tmp_path: Path,
    instance: dg.DagsterInstance,
) -> None:
    emulator.control.seed_dataextractor_datasets(
        40, account=ACCOUNT, date_from=DAY, date_to=DAY, customer_ids=["cust_a", "cust_b"]
    )
    spec = DataExtractorDatasetsSpec(name="a_docs", start_date="2026-11-01", customer_id="cust_a")
    assert materialize_day(spec, resource, tmp_path, instance).success
    customers = {row["customer_id"] for row in table(tmp_path, "a_docs_datasets")}
    assert customers == {"cust_a"}


def test_datasets_still_processing_are_not_written(
    emulator: EmulatorServer,
    resource: DataExtractorResource,
    tmp_path: Path,
    instance: dg.DagsterInstance,
) -> None:
    ids = emulator.control.seed_dataextractor_datasets(
        10,
        account=ACCOUNT,
        date_from=DAY,
        date_to=DAY,
        processing_share=1.0,
        verified_share=0,
        failed_share=0,
        processing_seconds=36_000,
    )
    spec = DataExtractorDatasetsSpec(name="docs", start_date="2026-11-01")
    assert materialize_day(spec, resource, tmp_path, instance).success
    written = {row["dataset_id"] for row in table(tmp_path, "docs_datasets")}
    assert written.isdisjoint(ids)


def submit_folder(
    folder: Path, resource: DataExtractorResource, output: Path, instance: dg.DagsterInstance
) -> dg.ExecuteInProcessResult:
    spec = DataExtractorSubmissionSpec(name="inbox", folder=folder, dataset_type="invoice")
    return dg.materialize(
        build_dataextractor_assets(submissions=[spec], output_dir=str(output)),
        resources={"dataextractor": resource},
        instance=instance,
        raise_on_error=False,
    )


def uploads(emulator: EmulatorServer) -> int:
    return len([r for r in emulator.control.requests("dataextractor") if r["method"] == "POST"])


def test_a_file_submitted_twice_is_sent_once(
    emulator: EmulatorServer,
    resource: DataExtractorResource,
    tmp_path: Path,
    instance: dg.DagsterInstance,
) -> None:
    emulator.control.dataextractor_settings(processing_seconds=0.5)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.pdf").write_bytes(PDF)
    (inbox / "copy-of-a.pdf").write_bytes(PDF)
    first = submit_folder(inbox, resource, tmp_path / "out", instance)
    second = submit_folder(inbox, resource, tmp_path / "out", instance)
    assert first.success and second.success
    assert uploads(emulator) == 1
    metadata = second.asset_materializations_for_node("inbox")[0].metadata
    assert metadata["dataextractor/skipped"].value == 2


def test_wrong_files_are_refused_before_upload_and_reported(
    emulator: EmulatorServer,
    resource: DataExtractorResource,
    tmp_path: Path,
    instance: dg.DagsterInstance,
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "notes.txt").write_text("not a document")
    (inbox / "huge.pdf").write_bytes(b"%PDF-" + bytes(26_214_400))
    result = submit_folder(inbox, resource, tmp_path / "out", instance)
    assert uploads(emulator) == 0
    metadata = result.asset_materializations_for_node("inbox")[0].metadata
    assert metadata["dataextractor/refused"].value == 2
    assert "25 MB" in str(metadata["documents"].value)
    (check,) = result.get_asset_check_evaluations()
    assert check.check_name == ALL_EXTRACTED and not check.passed


def test_the_monthly_quota_fails_the_submission_at_once(
    emulator: EmulatorServer,
    resource: DataExtractorResource,
    tmp_path: Path,
    instance: dg.DagsterInstance,
) -> None:
    emulator.control.add_dataextractor_key(KEY, account=ACCOUNT, plan="free")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for n in range(12):
        (inbox / f"doc-{n:02d}.pdf").write_bytes(PDF + str(n).encode())
    result = submit_folder(inbox, resource, tmp_path / "out", instance)
    assert not result.success
    assert uploads(emulator) == 11
    log = "\n".join(str(entry) for entry in instance.all_logs(result.run_id))
    assert "Monthly extraction quota exceeded" in log


def test_a_quota_reached_mid_folder_says_what_was_uploaded_and_records_every_file(
    emulator: EmulatorServer,
    resource: DataExtractorResource,
    tmp_path: Path,
    instance: dg.DagsterInstance,
) -> None:
    emulator.control.add_dataextractor_key(KEY, account=ACCOUNT, plan="free")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for n in range(12):
        (inbox / f"doc-{n:02d}.pdf").write_bytes(PDF + str(n).encode())
    result = submit_folder(inbox, resource, tmp_path / "out", instance)
    assert not result.success
    (failure,) = result.get_step_failure_events()
    cause = failure.step_failure_data.error.cause
    assert cause is not None
    assert "Uploaded before this: doc-00.pdf as " in cause.message
    assert "Nothing was uploaded" not in cause.message
    (record,) = instance.fetch_observations(dg.AssetKey("inbox"), limit=1).records
    observation = record.asset_observation
    assert observation is not None
    table = str(observation.metadata["documents"].value)
    assert table.count(".pdf |") == 12
    assert "| doc-11.pdf | not sent |" in table and "| refused |" in table
    assert "| doc-11.pdf | not sent |" in "\n".join(map(str, instance.all_logs(result.run_id)))


def test_a_backfill_with_an_empty_day_leaves_each_of_the_five_tables_one_table(
    emulator: EmulatorServer,
    resource: DataExtractorResource,
    tmp_path: Path,
    instance: dg.DagsterInstance,
) -> None:
    emulator.control.seed_dataextractor_datasets(
        40, account=ACCOUNT, date_from="2026-11-09", date_to="2026-11-10", failed_share=0.2
    )
    spec = DataExtractorDatasetsSpec(name="docs", start_date="2026-11-01")
    result = dg.materialize(
        build_dataextractor_assets([spec], output_dir=str(tmp_path)),
        resources={"dataextractor": resource},
        instance=instance,
        tags={
            "dagster/asset_partition_range_start": "2026-11-08",
            "dagster/asset_partition_range_end": "2026-11-11",
        },
    )
    assert result.success
    for name in spec.asset_names():
        folder = tmp_path / "dataextractor" / name
        schemas = {str(pq.read_schema(path)) for path in folder.glob("*/*.parquet")}
        assert len(schemas) == 1, name
        assert len(list(folder.glob("*/*.parquet"))) == 4, name  # the empty days too
        rows = read_with_all(folder, "date", ("pyarrow", "duckdb", "polars", "pandas"))
        assert len({json.dumps(r, sort_keys=True, default=str) for r in rows.values()}) == 1
