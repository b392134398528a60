"""Extract.to under injected faults: the same day folders as a clean run, one sync per run."""

from pathlib import Path

import dagster as dg
import pyarrow as pa

from extract_assets.emulator import EmulatorServer
from extract_assets.extractto.assets import build_extractto_assets
from extract_assets.extractto.resource import ExtractToResource
from extract_assets.extractto.spec import ExtractToExtractSpec

from .conftest import (
    FAULT_KINDS,
    assert_same_tables,
    inject_mix,
    injected_kinds,
    parquet_tables,
    stray_files,
)

KEY = "xt-FAULTS-0a1b2c3d4e5f60718293"
RANGE = {
    "dagster/asset_partition_range_start": "2026-10-01",
    "dagster/asset_partition_range_end": "2026-10-03",
}
DAY = "2026-10-05"
# The one column a provider stamps at sync time: a later sync of the same rows changes it.
SYNC_TIME = "__insert_date"


def prepare(emulator: EmulatorServer) -> list[ExtractToExtractSpec]:
    """Two extracts with pages enough for faults to land between them."""
    emulator.control.add_extractto_key(key=KEY, role="admin")
    specs = []
    for name in ("ads", "campaigns"):
        extract = emulator.control.add_extractto_extract(
            f"{name} extract", rows_per_day=1_500, sync_seconds=0.05
        )
        specs.append(
            ExtractToExtractSpec(name=name, extract_id=extract["id"], start_date="2026-01-01")
        )
    return specs


def materialize(
    emulator: EmulatorServer,
    specs: list[ExtractToExtractSpec],
    output: Path,
    instance: dg.DagsterInstance,
) -> list[dg.ExecuteInProcessResult]:
    """A three-day backfill of both extracts in one run, then one more day in another."""
    assets = build_extractto_assets(specs, output_dir=str(output))
    resource = ExtractToResource(
        api_key=KEY,
        base_url=emulator.base_url("extractto"),
        poll_initial_seconds=0.1,
        poll_max_seconds=0.3,
        poll_timeout_seconds=60,
        retry_deadline_seconds=30,
        requests_per_minute=None,
    )
    return [
        dg.materialize(assets, resources={"extractto": resource}, instance=instance, **options)
        for options in ({"tags": RANGE}, {"partition_key": DAY})
    ]


def without_sync_time(tables: dict[str, pa.Table]) -> dict[str, pa.Table]:
    """The tables with the sync time, one value per file, set to the epoch (type kept)."""
    blanked = {}
    for name, table in tables.items():
        index = table.schema.get_field_index(SYNC_TIME)
        column = table.column(index)
        assert column.null_count == 0 and len(column.unique()) <= 1, name
        epoch = pa.array([0] * table.num_rows, pa.int64()).cast(column.type)
        blanked[name] = table.set_column(index, table.schema.field(index), epoch)
    return blanked


def api_syncs(emulator: EmulatorServer) -> dict[str, int]:
    return {
        extract["title"]: sum(1 for sync in extract["syncs"] if sync["origin"] == "api")
        for extract in emulator.control.extractto_extracts()
        if extract["title"].endswith(" extract")
    }


def test_faulted_backfill_writes_the_clean_runs_day_folders_and_syncs_once_per_run(
    emulator: EmulatorServer, tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    specs = prepare(emulator)
    assert all(run.success for run in materialize(emulator, specs, tmp_path / "clean", instance))
    emulator.control.reset()
    specs = prepare(emulator)
    inject_mix(
        emulator.control,
        "extractto",
        paid_method="POST",
        paid_path="^/extracts/[^/]+/run$",
        busy_path="^/data-tables/[^/]+/rows$",
    )

    runs = materialize(emulator, specs, tmp_path / "faulted", instance)

    assert all(run.success for run in runs)
    injected = injected_kinds(emulator.control)
    assert all(injected.get(kind, 0) > 0 for kind in FAULT_KINDS), injected
    faulted = parquet_tables(tmp_path / "faulted")
    assert len(faulted) == 2 * 4
    assert_same_tables(
        without_sync_time(faulted), without_sync_time(parquet_tables(tmp_path / "clean"))
    )
    assert stray_files(tmp_path / "faulted") == []
    assert api_syncs(emulator) == {"ads extract": 2, "campaigns extract": 2}
