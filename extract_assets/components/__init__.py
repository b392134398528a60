"""Dagster components: declare extracts in a `dg` project's `defs.yaml`, without Python."""

from extract_assets.components.providers import (
    DataExtractorComponent,
    ExtractToComponent,
    LinkupComponent,
)

__all__ = ["DataExtractorComponent", "ExtractToComponent", "LinkupComponent"]
