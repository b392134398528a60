"""dataextractor.io datasets and document folders a user wants as assets, from Python or YAML."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import dagster as dg
from pydantic import BaseModel, ConfigDict, Field

from extract_assets.core.contract import CONTRACT_HELP, DEFAULT_CONTRACT, SchemaContract
from extract_assets.core.names import AssetName

TABLES = ("datasets", "fields", "line_items", "ground_truth", "accuracy")


class DataExtractorDatasetsSpec(BaseModel):
    """Five Parquet tables of the datasets created each day, from one pass over the API.

    >>> spec = DataExtractorDatasetsSpec(name="invoices", start_date="2026-11-01")
    >>> spec.asset_names()
    ['invoices_datasets', 'invoices_fields', 'invoices_line_items', 'invoices_ground_truth', \
'invoices_accuracy']
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: AssetName = Field(description="Prefix of the five asset names.")
    start_date: date = Field(description="The first day partition.")
    customer_id: str | None = Field(default=None, description="Only this customer's datasets.")
    dataset_type: str | None = Field(default=None, description="Only this type, e.g. invoice.")
    is_verified: bool | None = Field(default=None, description="Only verified (or unverified).")
    schema_contract: SchemaContract = Field(default=DEFAULT_CONTRACT, description=CONTRACT_HELP)
    group: str = Field(default="dataextractor", description="Dagster asset group.")
    tags: dict[str, str] = Field(default_factory=dict, description="Dagster asset tags.")
    owners: list[str] = Field(default_factory=list, description="Dagster asset owners.")
    description: str | None = Field(default=None, description="Shown in the Dagster UI.")

    def asset_names(self) -> list[str]:
        return [f"{self.name}_{table}" for table in TABLES]

    def asset_keys(self) -> list[dg.AssetKey]:
        return [dg.AssetKey(name) for name in self.asset_names()]

    def partitions(self) -> dg.DailyPartitionsDefinition:
        """One partition per day a dataset was created (UTC); today's included, it fills up."""
        return dg.DailyPartitionsDefinition(start_date=self.start_date.isoformat(), end_offset=1)


class DataExtractorSubmissionSpec(BaseModel):
    """A folder of documents to submit: each file's content is sent once, ever.

    >>> DataExtractorSubmissionSpec(name="inbox", folder="docs/inbox").dataset_type is None
    True
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: AssetName = Field(description="Asset name.")
    folder: Path = Field(description="Folder whose PDF, PNG, JPEG and TIFF files are submitted.")
    dataset_type: str | None = Field(default=None, description="e.g. invoice, purchase_order.")
    customer_id: str | None = Field(default=None, description="Customer to file them under.")
    group: str = Field(default="dataextractor", description="Dagster asset group.")
    tags: dict[str, str] = Field(default_factory=dict, description="Dagster asset tags.")
    owners: list[str] = Field(default_factory=list, description="Dagster asset owners.")
    description: str | None = Field(default=None, description="Shown in the Dagster UI.")
