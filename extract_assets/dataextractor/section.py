"""The `dataextractor` section of a config file, and the attributes of a
`DataExtractorComponent`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field

from extract_assets.dataextractor.spec import DataExtractorDatasetsSpec, DataExtractorSubmissionSpec
from extract_assets.sections import Section, SensorSettings

WEBHOOK_STORE_ENV = "DATAEXTRACTOR_WEBHOOK_STORE"


class WebhookSettings(BaseModel):
    """Where `extract-assets webhooks` stores events, for the webhook sensor to read."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    store: str = Field(
        default="dataextractor-webhooks.sqlite3",
        description="The receiver's SQLite file, relative to the file that sets it (without "
        f"it, to the working directory, as the receiver's default); {WEBHOOK_STORE_ENV} "
        "overrides it.",
    )

    def store_path(self) -> str:
        return os.environ.get(WEBHOOK_STORE_ENV) or self.store

    def relative_to(self, folder: Path) -> Self:
        """A store the file names, read from `folder` (the file's): the sensor then reads the
        file the receiver writes whichever folder Dagster runs in. The default stays the
        receiver's own: a name in the working directory."""
        if "store" not in self.model_fields_set or Path(self.store).is_absolute():
            return self
        return self.model_copy(update={"store": str(folder / self.store)})


class DataExtractorSection(Section):
    """dataextractor.io tables and submissions: the `dataextractor` section, or a component.

    >>> DataExtractorSection.model_validate(
    ...     {"datasets": [{"name": "docs", "start_date": "2026-11-01"}]}
    ... ).asset_names()[:2]
    ['docs_datasets', 'docs_fields']
    """

    datasets: list[DataExtractorDatasetsSpec] = Field(default_factory=list)
    submissions: list[DataExtractorSubmissionSpec] = Field(default_factory=list)
    sensor: SensorSettings = Field(default_factory=SensorSettings)
    webhooks: WebhookSettings = Field(default_factory=WebhookSettings)

    def names(self) -> list[str]:
        tables = [name for spec in self.datasets for name in spec.asset_names()]
        return [*tables, *(spec.name for spec in self.submissions)]

    def relative_to(self, folder: Path) -> Self:
        """Relative document folders and webhook store read from `folder` (the YAML's),
        wherever Dagster runs."""
        submissions = [
            spec
            if spec.folder.is_absolute()
            else spec.model_copy(update={"folder": folder / spec.folder})
            for spec in self.submissions
        ]
        return self.model_copy(
            update={"submissions": submissions, "webhooks": self.webhooks.relative_to(folder)}
        )
