"""`ExtractToResource`: Extract.to settings and secrets for Dagster; hands out clients."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from extract_assets.extractto.client import ExtractToClient
from extract_assets.extractto.contract import BASE_URL_ENV, DEFAULT_BASE_URL
from extract_assets.resource import ProviderResource


class ExtractToResource(ProviderResource):
    """Connection settings for the Extract.to API; the key comes from `EXTRACTTO_API_KEY`.

    >>> import dagster as dg
    >>> ExtractToResource(api_key=dg.EnvVar("EXTRACTTO_API_KEY")).busy_timeout_seconds
    3600.0
    """

    base_url_env: ClassVar[str] = BASE_URL_ENV
    default_base_url: ClassVar[str] = DEFAULT_BASE_URL

    requests_per_minute: float | None = Field(
        default=120.0,
        description="Client-side pace per API key: per process, or across every process "
        "and machine with a shared state; null for none.",
    )
    busy_timeout_seconds: float = Field(
        default=3600.0,
        description="How long a run waits for a sync already under way before giving up.",
    )

    def get_client(self, *, retry_deadline_seconds: float | None = None) -> ExtractToClient:
        """A client with these settings; close it (or use `with`) when done.

        `retry_deadline_seconds` also caps the timeouts, so no call outlasts a sensor's budget.
        """
        return ExtractToClient(
            api_key=self.api_key,
            base_url=self.resolved_base_url(),
            timeouts=self.timeouts(retry_deadline_seconds),
            retry=self.retry_policy(retry_deadline_seconds),
            poll=self.poll_policy(),
            requests_per_minute=self.requests_per_minute,
            state=self.shared_state(),
        )
