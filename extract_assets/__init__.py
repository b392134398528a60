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
from typing import Any

from extract_assets.providers import public_names

# Loaded on first use, so that the plain clients (and the emulator) import without Dagster.
_WHERE = {
    "definitions_from_config": "extract_assets.build",
    "load_config": "extract_assets.config",
    "DistributedSetupWarning": "extract_assets.deployment",
    "check_deployment": "extract_assets.deployment",
    "ExtractAssetsIOManager": "extract_assets.io_manager",
    "AssetProps": "extract_assets.translator",
    "ExtractAssetsTranslator": "extract_assets.translator",
    **public_names(),
}

__all__ = sorted(_WHERE)


def __dir__() -> list[str]:
    # `dg list components` finds the components of this entry point module through dir().
    return sorted({*globals(), *__all__})


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'extract_assets' has no attribute {name!r}")
    return getattr(import_module(_WHERE[name]), name)
