"""One `dg` component per provider; each is its config-file section and builds like it."""

from pathlib import Path
from typing import ClassVar, Self

import dagster as dg
from pydantic import BaseModel

from extract_assets.build import (
    dataextractor_definitions,
    extractto_definitions,
    linkup_definitions,
)
from extract_assets.components.scaffold import (
    DataExtractorScaffolder,
    ExtractToScaffolder,
    LinkupScaffolder,
)
from extract_assets.components.section import SectionComponent
from extract_assets.config import DataExtractorSection, ExtractToSection, LinkupSection
from extract_assets.deployment import check_deployment


@dg.scaffold_with(LinkupScaffolder)
class LinkupComponent(SectionComponent, LinkupSection):
    """Linkup `/v1/extract` extracts as Parquet assets, declared in `defs.yaml`.

    Attributes are those of the `linkup` section of an extract-assets config file: `extracts`
    (name, q, url, schema, ...), `sensor` and `api` (`key_env`, `base_url`). One per project:
    it owns the `linkup` resource, the tasks sensor and `linkup_task_outputs`.

    >>> component = LinkupComponent(
    ...     extracts=[{"name": "team", "q": "Team members", "url": "https://example.com/team"}]
    ... )
    >>> sorted(k.to_user_string() for k in dg.build_defs_for_component(component=component)
    ...     .resolve_all_asset_keys())
    ['linkup_task_outputs', 'team']
    """

    section: ClassVar[type[BaseModel]] = LinkupSection

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        return _checked(linkup_definitions(self, self.translator()))


@dg.scaffold_with(ExtractToScaffolder)
class ExtractToComponent(SectionComponent, ExtractToSection):
    """Extract.to extracts (date-partitioned Parquet) and connections as assets, in `defs.yaml`.

    Attributes are those of the `extractto` section of an extract-assets config file:
    `extracts`, `connections`, `sensor` and `api` (`key_env`, `base_url`). One per project:
    it owns the `extractto` resource and the extracts sensor.
    """

    section: ClassVar[type[BaseModel]] = ExtractToSection

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        return _checked(extractto_definitions(self, self.translator()))


@dg.scaffold_with(DataExtractorScaffolder)
class DataExtractorComponent(SectionComponent, DataExtractorSection):
    """dataextractor.io day tables and document submissions as assets, in `defs.yaml`.

    Attributes are those of the `dataextractor` section of an extract-assets config file:
    `datasets`, `submissions`, `sensor`, `webhooks` and `api`. Relative submission folders are
    read from the folder of the `defs.yaml`. One per project: it owns the `dataextractor`
    resource.
    """

    section: ClassVar[type[BaseModel]] = DataExtractorSection

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        return _checked(dataextractor_definitions(self, self.translator()))

    def beside(self, folder: Path) -> Self:
        return self.relative_to(folder)


def _checked(defs: dg.Definitions) -> dg.Definitions:
    """A project of components takes its run launcher from the instance: warn at load when it
    spreads work over machines that this setup cannot reach."""
    check_deployment(defs)
    return defs
