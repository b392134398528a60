"""`LinkupResource`: Linkup settings and secrets for Dagster; hands out `LinkupClient`s."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from extract_assets.linkup.client import LinkupClient
from extract_assets.linkup.contract import BASE_URL_ENV, DEFAULT_BASE_URL
from extract_assets.resource import PacedResource


class LinkupResource(PacedResource):
    """Connection settings for Linkup's `/v1/extract`; the key comes from `LINKUP_API_KEY`.

    >>> import dagster as dg
    >>> resource = LinkupResource(api_key=dg.EnvVar("LINKUP_API_KEY"))
    >>> resource.poll_timeout_seconds
    1200.0
    """

    base_url_env: ClassVar[str] = BASE_URL_ENV
    default_base_url: ClassVar[str] = DEFAULT_BASE_URL

    queue_wait_seconds: float = Field(
        default=1800.0, description="How long to wait for a slot when too many tasks are queued."
    )

    def get_client(self, *, retry_deadline_seconds: float | None = None) -> LinkupClient:
        """A client with these settings; close it (or use `with`) when done."""
        return LinkupClient(
            **self.client_settings(retry_deadline_seconds),
            queue_wait_seconds=self.queue_wait_seconds,
            requests_per_minute=self.requests_per_minute,
        )
