"""A submission whose folder of documents is missing, materialized as a user does."""

from pathlib import Path

import dagster as dg
import pytest

from extract_assets.build import definitions_from_config
from extract_assets.emulator import EmulatorServer


def test_a_missing_folder_of_documents_fails_the_run_naming_it_and_sends_nothing(
    emulator: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATAEXTRACTOR_BASE_URL", emulator.base_url("dataextractor"))
    monkeypatch.setenv("DATAEXTRACTOR_API_KEY", "demo-dataextractor-key")
    monkeypatch.setenv("EXTRACT_ASSETS_OUTPUT", str(tmp_path / "data"))
    config = tmp_path / "extract-assets.yaml"
    config.write_text("dataextractor:\n  submissions:\n    - {name: inbox, folder: invoices}\n")
    job = definitions_from_config(config).resolve_implicit_global_asset_job_def()

    with dg.instance_for_test() as instance:
        result = job.execute_in_process(instance=instance, raise_on_error=False)

    (failure,) = [event for event in result.all_events if event.is_step_failure]
    error = failure.step_failure_data.error
    message = error.cause.message if error and error.cause else ""
    assert f"inbox: no folder of documents at {tmp_path / 'invoices'}: create it" in message
    assert emulator.control.requests("dataextractor") == []
    assert not (tmp_path / "data").exists()
