"""`DataExtractorResource`: dataextractor.io settings and secrets for Dagster."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from extract_assets.dataextractor.client import DataExtractorClient
from extract_assets.dataextractor.contract import (
    API_KEY_ENV,
    BASE_URL_ENV,
    DEFAULT_BASE_URL,
    READS_PER_MINUTE,
    WRITES_PER_MINUTE,
)
from extract_assets.resource import ProviderResource, api_key_env_field


class DataExtractorResource(ProviderResource):
    """Connection settings for dataextractor.io; the key comes from `DATAEXTRACTOR_API_KEY`.

    >>> import dagster as dg
    >>> DataExtractorResource(api_key=dg.EnvVar("DATAEXTRACTOR_API_KEY")).reads_per_minute
    60.0
    """

    base_url_env: ClassVar[str] = BASE_URL_ENV
    default_base_url: ClassVar[str] = DEFAULT_BASE_URL

    api_key_env: str = api_key_env_field(API_KEY_ENV)

    reads_per_minute: float = Field(
        default=READS_PER_MINUTE, description="The plan's limit for list and get, per key."
    )
    writes_per_minute: float = Field(
        default=WRITES_PER_MINUTE, description="The plan's limit for uploads, per key."
    )

    def get_client(self, *, retry_deadline_seconds: float | None = None) -> DataExtractorClient:
        """A client with these settings; close it (or use `with`) when done."""
        return DataExtractorClient(
            **self.client_settings(retry_deadline_seconds),
            reads_per_minute=self.reads_per_minute,
            writes_per_minute=self.writes_per_minute,
        )
