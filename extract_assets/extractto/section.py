"""The `extractto` section of a config file, and the attributes of an `ExtractToComponent`."""

from __future__ import annotations

from pydantic import Field

from extract_assets.extractto.spec import ExtractToConnectionSpec, ExtractToExtractSpec
from extract_assets.sections import Section, SensorSettings


class ExtractToSection(Section):
    """Extract.to extracts and connections: the `extractto` section, or an `ExtractToComponent`.

    >>> ExtractToSection.model_validate(
    ...     {"account": "eu", "connections": [{"name": "sync", "connection_id": "c-1"}]}
    ... ).asset_names()
    ['eu/sync']
    """

    extracts: list[ExtractToExtractSpec] = Field(default_factory=list)
    connections: list[ExtractToConnectionSpec] = Field(default_factory=list)
    sensor: SensorSettings = Field(default_factory=SensorSettings)

    def names(self) -> list[str]:
        return [spec.name for spec in (*self.extracts, *self.connections)]
