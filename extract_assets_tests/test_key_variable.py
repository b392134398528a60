"""The errors about an API key name the variable the user keeps it in.

A YAML section's `api.key_env` names the variable a provider's key is read from: when the key is
refused, or the variable is empty, the user is sent to that variable, not to the provider's usual
one, and the key itself is never shown.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest

from extract_assets.build import definitions_from_config
from extract_assets.dataextractor.contract import API_KEY_ENV as DATAEXTRACTOR_KEY_ENV
from extract_assets.emulator import EmulatorServer
from extract_assets.extractto.contract import API_KEY_ENV as EXTRACTTO_KEY_ENV
from extract_assets.linkup.contract import API_KEY_ENV as LINKUP_KEY_ENV

WRONG_KEY = "wrong-key-5f3a9c"


@dataclass(frozen=True)
class Provider:
    name: str
    section: str
    asset: str
    partition: str | None
    usual_key_env: str

    @property
    def key_env(self) -> str:
        return f"TEAM_{self.name.upper()}_KEY"

    @property
    def base_url_env(self) -> str:
        return f"{self.name.upper()}_BASE_URL"


PROVIDERS = [
    Provider(
        "linkup",
        'extracts: [{name: team, q: Team members, url: "https://example.com/team"}]',
        "team",
        None,
        LINKUP_KEY_ENV,
    ),
    Provider(
        "extractto",
        "extracts: [{name: ads, extract_id: b6bf6030-da15-46a5-a82e-d1a102e663f4, "
        'start_date: "2026-10-01"}]',
        "ads",
        "2026-10-05",
        EXTRACTTO_KEY_ENV,
    ),
    Provider(
        "dataextractor",
        'datasets: [{name: docs, start_date: "2026-11-01"}]',
        "docs_datasets",
        "2026-11-10",
        DATAEXTRACTOR_KEY_ENV,
    ),
]


def materialize_with_key(
    provider: Provider,
    key: str,
    emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    instance: dg.DagsterInstance,
) -> dg.ExecuteInProcessResult:
    """Materialize the provider's asset from a YAML file whose `api.key_env` is the provider's
    `key_env`, that variable holding `key`."""
    config = tmp_path / "extract-assets.yaml"
    config.write_text(
        f"{provider.name}:\n  api: {{key_env: {provider.key_env}}}\n  {provider.section}\n"
    )
    monkeypatch.setenv(provider.key_env, key)
    monkeypatch.setenv(provider.base_url_env, emulator.base_url(provider.name))
    monkeypatch.setenv("EXTRACT_ASSETS_OUTPUT", str(tmp_path / "data"))
    defs = definitions_from_config(config)
    # With the assets made beside it (a dataset family's tables are made together).
    assets = list(defs.resolve_assets_def(dg.AssetKey(provider.asset)).keys)
    job = defs.resolve_implicit_job_def_def_for_assets(assets)
    assert job is not None
    return job.execute_in_process(
        instance=instance,
        asset_selection=assets,
        partition_key=provider.partition,
        raise_on_error=False,
    )


def failure_message(result: dg.ExecuteInProcessResult) -> str:
    assert not result.success
    (failure,) = result.get_step_failure_events()
    error = failure.step_failure_data.error
    assert error is not None
    return str(error.cause.message if error.cause else error.message)


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as instance:
        yield instance


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda p: p.name)
def test_a_refused_key_names_the_variable_the_yaml_reads_it_from(
    provider: Provider,
    emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    instance: dg.DagsterInstance,
) -> None:
    result = materialize_with_key(provider, WRONG_KEY, emulator, monkeypatch, tmp_path, instance)

    message = failure_message(result)
    assert "401" in message
    assert provider.key_env in message
    assert provider.usual_key_env not in message
    assert WRONG_KEY not in "\n".join(str(entry) for entry in instance.all_logs(result.run_id))


@pytest.mark.parametrize("value", ["", "  \n"], ids=["empty", "only-spaces"])
@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda p: p.name)
def test_an_empty_key_variable_fails_naming_it_before_any_request(
    provider: Provider,
    value: str,
    emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    instance: dg.DagsterInstance,
) -> None:
    result = materialize_with_key(provider, value, emulator, monkeypatch, tmp_path, instance)

    message = failure_message(result)
    assert "ConfigError" in message
    assert f"{provider.key_env} is set but holds no API key" in message
    assert emulator.control.requests(provider.name) == []
