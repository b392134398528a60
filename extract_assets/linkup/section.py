"""The `linkup` section of a config file, and the attributes of a `LinkupComponent`."""

from __future__ import annotations

from pydantic import Field, field_validator

from extract_assets.linkup.sensors import TASK_OUTPUTS_ASSET
from extract_assets.linkup.spec import LinkupExtractSpec
from extract_assets.sections import Section, SensorSettings


class LinkupSection(Section):
    """Linkup extracts: the `linkup` section of a config file, or a `LinkupComponent`.

    >>> LinkupSection.model_validate(
    ...     {"extracts": [{"name": "team", "q": "Team", "url": "https://example.com"}]}
    ... ).asset_names()
    ['team', 'linkup_task_outputs']
    """

    extracts: list[LinkupExtractSpec] = Field(default_factory=list)
    sensor: SensorSettings = Field(default_factory=SensorSettings)

    @field_validator("extracts")
    @classmethod
    def _task_outputs_name_is_taken(
        cls, extracts: list[LinkupExtractSpec]
    ) -> list[LinkupExtractSpec]:
        if any(spec.name == TASK_OUTPUTS_ASSET for spec in extracts):
            raise ValueError(
                f"{TASK_OUTPUTS_ASSET!r} is the asset of the Linkup tasks started outside "
                "Dagster: give this extract another name"
            )
        return extracts

    def names(self) -> list[str]:
        # Every Linkup account also has the asset of the tasks started outside Dagster.
        return [*(spec.name for spec in self.extracts), TASK_OUTPUTS_ASSET]
