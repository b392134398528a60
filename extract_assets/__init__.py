"""Dagster assets for three data-extraction services, materialized to Parquet.

>>> import dagster as dg
>>> import extract_assets as ea
>>> spec = ea.LinkupExtractSpec(name="team", q="Team members", url="https://example.com/team")
>>> import pandas as pd
>>> @dg.asset
... def team_size(team: pd.DataFrame) -> int:  # our asset "team", read from its Parquet
...     return len(team)
>>> defs = dg.Definitions(
...     assets=[*ea.build_linkup_assets([spec]), team_size],
...     resources={"linkup": ea.LinkupResource(api_key=dg.EnvVar("LINKUP_API_KEY"))},
... )

Downstream assets like `team_size` get our rows as a pandas DataFrame (or a `pyarrow.Table`,
by annotation) from `ExtractAssetsIOManager`, which every builder binds:

>>> defs.resolve_asset_graph().get(dg.AssetKey("team_size")).parent_keys
{AssetKey(['team'])}
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from extract_assets.build import definitions_from_config
    from extract_assets.components import (
        DataExtractorComponent,
        ExtractToComponent,
        LinkupComponent,
    )
    from extract_assets.config import load_config
    from extract_assets.dataextractor.assets import build_dataextractor_assets
    from extract_assets.dataextractor.client import DataExtractorClient
    from extract_assets.dataextractor.resource import DataExtractorResource
    from extract_assets.dataextractor.sensors import (
        build_dataextractor_polling_sensor,
        build_dataextractor_webhook_sensor,
    )
    from extract_assets.dataextractor.spec import (
        DataExtractorDatasetsSpec,
        DataExtractorSubmissionSpec,
    )
    from extract_assets.deployment import DistributedSetupWarning, check_deployment
    from extract_assets.extractto.assets import build_extractto_assets
    from extract_assets.extractto.client import ExtractToClient
    from extract_assets.extractto.resource import ExtractToResource
    from extract_assets.extractto.schedules import build_extractto_schedule
    from extract_assets.extractto.sensors import build_extractto_sensor
    from extract_assets.extractto.spec import ExtractToConnectionSpec, ExtractToExtractSpec
    from extract_assets.io_manager import ExtractAssetsIOManager
    from extract_assets.linkup.assets import build_linkup_assets
    from extract_assets.linkup.client import LinkupClient
    from extract_assets.linkup.resource import LinkupResource
    from extract_assets.linkup.sensors import build_linkup_sensor, build_linkup_task_outputs_asset
    from extract_assets.linkup.spec import LinkupExtractSpec
    from extract_assets.translator import AssetProps, ExtractAssetsTranslator

# Loaded on first use, so that the plain clients (and the emulator) import without Dagster.
_WHERE = {
    "definitions_from_config": "extract_assets.build",
    "DataExtractorComponent": "extract_assets.components",
    "ExtractToComponent": "extract_assets.components",
    "LinkupComponent": "extract_assets.components",
    "load_config": "extract_assets.config",
    "DistributedSetupWarning": "extract_assets.deployment",
    "check_deployment": "extract_assets.deployment",
    "build_dataextractor_assets": "extract_assets.dataextractor.assets",
    "DataExtractorClient": "extract_assets.dataextractor.client",
    "DataExtractorResource": "extract_assets.dataextractor.resource",
    "build_dataextractor_polling_sensor": "extract_assets.dataextractor.sensors",
    "build_dataextractor_webhook_sensor": "extract_assets.dataextractor.sensors",
    "DataExtractorDatasetsSpec": "extract_assets.dataextractor.spec",
    "DataExtractorSubmissionSpec": "extract_assets.dataextractor.spec",
    "build_extractto_assets": "extract_assets.extractto.assets",
    "ExtractToClient": "extract_assets.extractto.client",
    "ExtractToResource": "extract_assets.extractto.resource",
    "build_extractto_schedule": "extract_assets.extractto.schedules",
    "build_extractto_sensor": "extract_assets.extractto.sensors",
    "ExtractToConnectionSpec": "extract_assets.extractto.spec",
    "ExtractToExtractSpec": "extract_assets.extractto.spec",
    "ExtractAssetsIOManager": "extract_assets.io_manager",
    "build_linkup_assets": "extract_assets.linkup.assets",
    "LinkupClient": "extract_assets.linkup.client",
    "LinkupResource": "extract_assets.linkup.resource",
    "build_linkup_sensor": "extract_assets.linkup.sensors",
    "build_linkup_task_outputs_asset": "extract_assets.linkup.sensors",
    "LinkupExtractSpec": "extract_assets.linkup.spec",
    "AssetProps": "extract_assets.translator",
    "ExtractAssetsTranslator": "extract_assets.translator",
}

__all__ = [
    "AssetProps",
    "DataExtractorClient",
    "DataExtractorComponent",
    "DataExtractorDatasetsSpec",
    "DataExtractorResource",
    "DataExtractorSubmissionSpec",
    "DistributedSetupWarning",
    "ExtractAssetsIOManager",
    "ExtractAssetsTranslator",
    "ExtractToClient",
    "ExtractToComponent",
    "ExtractToConnectionSpec",
    "ExtractToExtractSpec",
    "ExtractToResource",
    "LinkupClient",
    "LinkupComponent",
    "LinkupExtractSpec",
    "LinkupResource",
    "build_dataextractor_assets",
    "build_dataextractor_polling_sensor",
    "build_dataextractor_webhook_sensor",
    "build_extractto_assets",
    "build_extractto_schedule",
    "build_extractto_sensor",
    "build_linkup_assets",
    "build_linkup_sensor",
    "build_linkup_task_outputs_asset",
    "check_deployment",
    "definitions_from_config",
    "load_config",
]


def __dir__() -> list[str]:
    # `dg list components` finds the components of this entry point module through dir().
    return sorted({*globals(), *__all__})


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'extract_assets' has no attribute {name!r}")
    return getattr(import_module(_WHERE[name]), name)
