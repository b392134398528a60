"""Extract.to extracts and connections a user wants as assets, from Python or YAML."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from extract_assets.asset_settings import Day, SentText, SpecSettings
from extract_assets.core.contract_setting import CONTRACT_HELP, DEFAULT_CONTRACT, SchemaContract
from extract_assets.core.names import AssetName
from extract_assets.table_settings import TableSettings

Grain = Literal["daily", "weekly", "monthly"]


class _Spec(SpecSettings):
    name: AssetName = Field(description="Asset name: letters, digits and '_'.")


class ExtractToExtractSpec(_Spec, TableSettings):
    """An extract as a date-partitioned asset: each partition is a `date_from`..`date_to` run.

    >>> spec = ExtractToExtractSpec(name="ads", extract_id="e-1", start_date="2026-01-01")
    >>> (spec.grain, spec.end_offset, spec.schedule_hour)
    ('daily', 0, None)
    """

    extract_id: SentText = Field(description="The extract's id in Extract.to.")
    grain: Grain = Field(default="daily", description="Partition size: daily, weekly, monthly.")
    start_date: Day = Field(description="The first partition's start, as YYYY-MM-DD.")
    end_offset: int = Field(
        default=0, description="Partitions past the last complete one (e.g. 1 includes today)."
    )
    schema_contract: SchemaContract = Field(default=DEFAULT_CONTRACT, description=CONTRACT_HELP)
    schedule_hour: int | None = Field(
        default=None,
        ge=0,
        le=23,
        description="If set, a schedule materializes the last "
        "complete partition every day at this hour (UTC).",
    )


class ExtractToConnectionSpec(_Spec):
    """A connection as an asset: materializing it runs the connection into its destination.

    >>> ExtractToConnectionSpec(name="hubspot_sync", connection_id="c-1").connection_id
    'c-1'
    """

    connection_id: SentText = Field(description="The connection's id in Extract.to.")
