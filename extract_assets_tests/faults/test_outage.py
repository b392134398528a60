"""A total outage: every run fails within its retry deadline, says why, and writes nothing."""

import time
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import pytest

from extract_assets.dataextractor.assets import build_dataextractor_assets
from extract_assets.dataextractor.resource import DataExtractorResource
from extract_assets.dataextractor.spec import DataExtractorDatasetsSpec
from extract_assets.emulator import EmulatorServer
from extract_assets.extractto.assets import build_extractto_assets
from extract_assets.extractto.resource import ExtractToResource
from extract_assets.extractto.spec import ExtractToExtractSpec
from extract_assets.linkup.assets import build_linkup_assets
from extract_assets.linkup.resource import LinkupResource
from extract_assets.linkup.spec import LinkupExtractSpec

DEADLINE = 2.0
# Starting the run, the first attempts and Dagster's bookkeeping, on a busy 2-core machine.
OVERHEAD = 10.0
Run = Callable[[EmulatorServer, Path, dg.DagsterInstance], dg.ExecuteInProcessResult]


def linkup_run(
    emulator: EmulatorServer, output: Path, instance: dg.DagsterInstance
) -> dg.ExecuteInProcessResult:
    spec = LinkupExtractSpec(name="team", q="Every team member", url="https://example.com/t")
    resource = LinkupResource(
        api_key="demo-linkup-key",
        base_url=emulator.base_url("linkup"),
        retry_deadline_seconds=DEADLINE,
        requests_per_minute=None,
    )
    return dg.materialize(
        build_linkup_assets([spec], output_dir=str(output)),
        resources={"linkup": resource},
        instance=instance,
        raise_on_error=False,
    )


def extractto_run(
    emulator: EmulatorServer, output: Path, instance: dg.DagsterInstance
) -> dg.ExecuteInProcessResult:
    extract_id = emulator.control.extractto_demo()["extract_id"]
    spec = ExtractToExtractSpec(name="ads", extract_id=extract_id, start_date="2026-01-01")
    resource = ExtractToResource(
        api_key="demo-extractto-key",
        base_url=emulator.base_url("extractto"),
        retry_deadline_seconds=DEADLINE,
        requests_per_minute=None,
    )
    return dg.materialize(
        build_extractto_assets([spec], output_dir=str(output)),
        resources={"extractto": resource},
        instance=instance,
        partition_key="2026-10-01",
        raise_on_error=False,
    )


def dataextractor_run(
    emulator: EmulatorServer, output: Path, instance: dg.DagsterInstance
) -> dg.ExecuteInProcessResult:
    spec = DataExtractorDatasetsSpec(name="docs", start_date="2026-11-01")
    resource = DataExtractorResource(
        api_key="demo-dataextractor-key",
        base_url=emulator.base_url("dataextractor"),
        retry_deadline_seconds=DEADLINE,
    )
    return dg.materialize(
        build_dataextractor_assets([spec], output_dir=str(output)),
        resources={"dataextractor": resource},
        instance=instance,
        partition_key="2026-11-10",
        raise_on_error=False,
    )


@pytest.mark.parametrize(
    ("provider", "run"),
    [("linkup", linkup_run), ("extractto", extractto_run), ("dataextractor", dataextractor_run)],
)
def test_total_outage_fails_the_run_within_its_deadline_with_the_providers_answer(
    emulator: EmulatorServer,
    tmp_path: Path,
    instance: dg.DagsterInstance,
    provider: str,
    run: Run,
) -> None:
    emulator.control.add_fault("status", provider=provider, status=503)
    started = time.monotonic()

    result = run(emulator, tmp_path, instance)

    elapsed = time.monotonic() - started
    assert not result.success
    (failure,) = result.get_step_failure_events()
    error = failure.step_failure_data.error
    assert error is not None
    message = str(error.cause.message if error.cause else error.message)
    assert "Service Unavailable (HTTP 503" in message
    assert elapsed < DEADLINE + OVERHEAD
    assert [path for path in tmp_path.rglob("*") if path.is_file()] == []
