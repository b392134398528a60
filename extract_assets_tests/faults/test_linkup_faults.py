"""Linkup under injected faults: the same Parquet as a clean run, each task paid for once."""

from pathlib import Path

import dagster as dg

from extract_assets.emulator import EmulatorServer
from extract_assets.linkup.assets import build_linkup_assets
from extract_assets.linkup.resource import LinkupResource
from extract_assets.linkup.spec import LinkupExtractSpec

from .conftest import (
    FAULT_KINDS,
    assert_same_tables,
    inject_mix,
    injected_kinds,
    parquet_tables,
    stray_files,
)

KEY = "lk-FAULTS-1a2b3c4d5e6f7a8b9c0d"
SPECS = [
    LinkupExtractSpec(name="team", q="Every team member with role", url="https://example.com/t"),
    LinkupExtractSpec(
        name="products",
        q="Every product with price",
        url="https://example.com/p",
        row_schema={
            "type": "object",
            "properties": {"name": {"type": "string"}, "price": {"type": "number"}},
        },
    ),
    LinkupExtractSpec(name="jobs", q="Every open job posting", url="https://example.com/j"),
]


def prepare(emulator: EmulatorServer) -> None:
    emulator.control.add_linkup_key(key=KEY)
    # Big enough that a broken or truncated download loses real rows.
    emulator.control.add_linkup_scenario("product", rows=5_000)


def resource(emulator: EmulatorServer, *, deadline: float = 30) -> LinkupResource:
    return LinkupResource(
        api_key=KEY,
        base_url=emulator.base_url("linkup"),
        poll_initial_seconds=0.1,
        poll_max_seconds=0.3,
        poll_timeout_seconds=60,
        retry_deadline_seconds=deadline,
        requests_per_minute=None,
    )


def materialize(
    emulator: EmulatorServer, output: Path, instance: dg.DagsterInstance
) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        build_linkup_assets(SPECS, output_dir=str(output)),
        resources={"linkup": resource(emulator)},
        instance=instance,
        raise_on_error=False,
    )


def test_faulted_run_writes_the_clean_runs_parquet_and_pays_once_per_asset(
    emulator: EmulatorServer, tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    prepare(emulator)
    assert materialize(emulator, tmp_path / "clean", instance).success
    emulator.control.reset()
    prepare(emulator)
    inject_mix(
        emulator.control,
        "linkup",
        paid_method="POST",
        paid_path="^/v1/extract$",
        busy_path="^/v1/extract/",
        files=True,
    )

    result = materialize(emulator, tmp_path / "faulted", instance)

    assert result.success
    injected = injected_kinds(emulator.control)
    assert all(injected.get(kind, 0) > 0 for kind in (*FAULT_KINDS, "truncate")), injected
    assert_same_tables(parquet_tables(tmp_path / "faulted"), parquet_tables(tmp_path / "clean"))
    assert stray_files(tmp_path / "faulted") == []
    tasks = emulator.control.linkup_tasks()
    assert sorted(task["input"]["q"] for task in tasks) == sorted(spec.q for spec in SPECS)
