"""The `linkup` section of a config file, and the attributes of a `LinkupComponent`."""

from __future__ import annotations

from pydantic import Field

from extract_assets.linkup.spec import LinkupExtractSpec
from extract_assets.sections import Section, SensorSettings


class LinkupSection(Section):
    """Linkup extracts: the `linkup` section of a config file, or a `LinkupComponent`.

    >>> LinkupSection.model_validate(
    ...     {"extracts": [{"name": "team", "q": "Team", "url": "https://example.com"}]}
    ... ).asset_names()
    ['team']
    """

    extracts: list[LinkupExtractSpec] = Field(default_factory=list)
    sensor: SensorSettings = Field(default_factory=SensorSettings)

    def names(self) -> list[str]:
        return [spec.name for spec in self.extracts]
