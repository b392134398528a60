"""`ExtractToResource`: Extract.to settings and secrets for Dagster; hands out clients."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from extract_assets.extractto.client import ExtractToClient
from extract_assets.extractto.contract import API_KEY_ENV, BASE_URL_ENV, DEFAULT_BASE_URL
from extract_assets.resource import PacedResource, api_key_env_field


class ExtractToResource(PacedResource):
    """Connection settings for the Extract.to API; the key comes from `EXTRACTTO_API_KEY`.

    >>> import dagster as dg
    >>> ExtractToResource(api_key=dg.EnvVar("EXTRACTTO_API_KEY")).busy_timeout_seconds
    3600.0
    """

    base_url_env: ClassVar[str] = BASE_URL_ENV
    default_base_url: ClassVar[str] = DEFAULT_BASE_URL

    api_key_env: str = api_key_env_field(API_KEY_ENV)

    busy_timeout_seconds: float = Field(
        default=3600.0,
        description="How long a run waits for a sync already under way before giving up.",
    )

    def get_client(self, *, retry_deadline_seconds: float | None = None) -> ExtractToClient:
        """A client with these settings; close it (or use `with`) when done."""
        return ExtractToClient(
            **self.client_settings(retry_deadline_seconds),
            requests_per_minute=self.requests_per_minute,
        )
