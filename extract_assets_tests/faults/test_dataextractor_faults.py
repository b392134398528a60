"""dataextractor.io under injected faults: the clean run's five tables, each document paid once."""

from pathlib import Path

import dagster as dg

from extract_assets.dataextractor.assets import build_dataextractor_assets
from extract_assets.dataextractor.resource import DataExtractorResource
from extract_assets.dataextractor.spec import (
    DataExtractorDatasetsSpec,
    DataExtractorSubmissionSpec,
)
from extract_assets.emulator import EmulatorServer

from .conftest import (
    FAULT_KINDS,
    assert_same_tables,
    inject_mix,
    injected_kinds,
    parquet_tables,
    stray_files,
)

KEY = "dx-FAULTS-5f4e3d2c1b0a9988"
ACCOUNT = "acct_faults"
RANGE = {
    "dagster/asset_partition_range_start": "2026-11-09",
    "dagster/asset_partition_range_end": "2026-11-11",
}
DOCUMENTS = {f"invoice-{n}.pdf": b"%PDF-1.7\n" + bytes([48 + n]) * 2_000 for n in range(4)}


def prepare(emulator: EmulatorServer) -> None:
    """An account of its own with five days of datasets: several list pages per run."""
    emulator.control.add_dataextractor_key(KEY, account=ACCOUNT)
    emulator.control.dataextractor_settings(read_per_minute=100_000, write_per_minute=100_000)
    emulator.control.seed_dataextractor_datasets(
        300, account=ACCOUNT, date_from="2026-11-08", date_to="2026-11-12", failed_share=0.1
    )
    emulator.control.dataextractor_settings(processing_seconds=0.2)


def resource(emulator: EmulatorServer) -> DataExtractorResource:
    return DataExtractorResource(
        api_key=KEY,
        base_url=emulator.base_url("dataextractor"),
        reads_per_minute=100_000,
        writes_per_minute=100_000,
        poll_initial_seconds=0.1,
        poll_max_seconds=0.3,
        poll_timeout_seconds=60,
        retry_deadline_seconds=30,
    )


def materialize_tables(
    emulator: EmulatorServer, output: Path, instance: dg.DagsterInstance
) -> dg.ExecuteInProcessResult:
    spec = DataExtractorDatasetsSpec(name="docs", start_date="2026-11-01")
    return dg.materialize(
        build_dataextractor_assets([spec], output_dir=str(output)),
        resources={"dataextractor": resource(emulator)},
        instance=instance,
        tags=RANGE,
    )


def test_faulted_backfill_writes_the_clean_runs_five_tables(
    emulator: EmulatorServer, tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    prepare(emulator)
    assert materialize_tables(emulator, tmp_path / "clean", instance).success
    emulator.control.reset()
    prepare(emulator)
    inject_mix(
        emulator.control,
        "dataextractor",
        paid_method="POST",
        paid_path="^/api/v1/extract$",
        busy_path="^/api/v1/datasets$",
    )

    result = materialize_tables(emulator, tmp_path / "faulted", instance)

    assert result.success
    injected = injected_kinds(emulator.control)
    assert all(injected.get(kind, 0) > 0 for kind in FAULT_KINDS), injected
    faulted = parquet_tables(tmp_path / "faulted")
    assert len(faulted) == 5 * 3
    assert_same_tables(faulted, parquet_tables(tmp_path / "clean"))
    assert stray_files(tmp_path / "faulted") == []


def test_faulted_submission_uploads_each_document_once_and_extracts_them_all(
    emulator: EmulatorServer, tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    prepare(emulator)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name, content in DOCUMENTS.items():
        (inbox / name).write_bytes(content)
    inject_mix(
        emulator.control,
        "dataextractor",
        paid_method="POST",
        paid_path="^/api/v1/extract$",
        busy_path="^/api/v1/datasets/",
    )
    spec = DataExtractorSubmissionSpec(name="inbox", folder=inbox)

    result = dg.materialize(
        build_dataextractor_assets(submissions=[spec], output_dir=str(tmp_path / "out")),
        resources={"dataextractor": resource(emulator)},
        instance=instance,
    )

    assert result.success
    metadata = result.asset_materializations_for_node("inbox")[0].metadata
    assert metadata["dataextractor/extracted"].value == len(DOCUMENTS), metadata["documents"]
    uploads = [
        r
        for r in emulator.control.requests("dataextractor")
        if r["method"] == "POST" and r["path"] == "/api/v1/extract" and r["fault"] != "status"
    ]
    assert len(uploads) == len(DOCUMENTS)
