"""dataextractor.io datasets and document folders a user wants as assets, from Python or YAML."""

from __future__ import annotations

import functools
from pathlib import Path

import dagster as dg
from pydantic import Field

from extract_assets.asset_settings import Day, SentText, SpecSettings
from extract_assets.core.contract_setting import CONTRACT_HELP, DEFAULT_CONTRACT, SchemaContract
from extract_assets.core.names import AssetName
from extract_assets.table_settings import TableSettings

TABLES = ("datasets", "fields", "line_items", "ground_truth", "accuracy")


class DataExtractorDatasetsSpec(SpecSettings, TableSettings):
    """Five Parquet tables of the datasets created each day, from one pass over the API.

    >>> spec = DataExtractorDatasetsSpec(name="invoices", start_date="2026-11-01")
    >>> spec.asset_names()
    ['invoices_datasets', 'invoices_fields', 'invoices_line_items', 'invoices_ground_truth', \
'invoices_accuracy']
    """

    name: AssetName = Field(description="Prefix of the five asset names.")
    start_date: Day = Field(description="The first day partition, as YYYY-MM-DD.")
    customer_id: SentText | None = Field(default=None, description="Only this customer's datasets.")
    dataset_type: SentText | None = Field(default=None, description="Only this type, e.g. invoice.")
    is_verified: bool | None = Field(default=None, description="Only verified (or unverified).")
    schema_contract: SchemaContract = Field(default=DEFAULT_CONTRACT, description=CONTRACT_HELP)

    def asset_names(self) -> list[str]:
        return [f"{self.name}_{table}" for table in TABLES]

    def asset_keys(self) -> list[dg.AssetKey]:
        return [dg.AssetKey(name) for name in self.asset_names()]

    def partitions(self) -> dg.DailyPartitionsDefinition:
        """One partition per day a dataset was created (UTC); today's included, it fills up."""
        return _days_from(self.start_date.isoformat())


# One definition per start day, shared by the specs that have it: Dagster validates each
# partitions definition object once, not each asset.
@functools.cache
def _days_from(start: str) -> dg.DailyPartitionsDefinition:
    return dg.DailyPartitionsDefinition(start_date=start, end_offset=1)


class DataExtractorSubmissionSpec(SpecSettings):
    """A folder of documents to submit: each file's content is sent once, ever.

    >>> DataExtractorSubmissionSpec(name="inbox", folder="docs/inbox").dataset_type is None
    True
    """

    name: AssetName = Field(description="Asset name.")
    folder: Path = Field(description="Folder whose PDF, PNG, JPEG and TIFF files are submitted.")
    dataset_type: SentText | None = Field(default=None, description="e.g. invoice, purchase_order.")
    customer_id: SentText | None = Field(default=None, description="Customer to file them under.")
