"""Dagster assets for three data-extraction services, materialized to Parquet.

>>> import dagster as dg
>>> import extract_assets as ea
>>> spec = ea.LinkupExtractSpec(name="team", q="Team members", url="https://example.com/team")
>>> defs = dg.Definitions(
...     assets=ea.build_linkup_assets([spec]),
...     resources={"linkup": ea.LinkupResource(api_key=dg.EnvVar("LINKUP_API_KEY"))},
... )
"""

from extract_assets.build import definitions_from_config
from extract_assets.config import load_config
from extract_assets.linkup.assets import build_linkup_assets
from extract_assets.linkup.client import LinkupClient
from extract_assets.linkup.resource import LinkupResource
from extract_assets.linkup.sensors import build_linkup_sensor, build_linkup_task_outputs_asset
from extract_assets.linkup.spec import LinkupExtractSpec

__all__ = [
    "LinkupClient",
    "LinkupExtractSpec",
    "LinkupResource",
    "build_linkup_assets",
    "build_linkup_sensor",
    "build_linkup_task_outputs_asset",
    "definitions_from_config",
    "load_config",
]
