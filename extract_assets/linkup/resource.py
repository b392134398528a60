"""`LinkupResource`: Linkup settings and secrets for Dagster; hands out `LinkupClient`s."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from extract_assets.linkup.client import LinkupClient
from extract_assets.linkup.contract import API_KEY_ENV, BASE_URL_ENV, DEFAULT_BASE_URL
from extract_assets.resource import PacedResource, api_key_env_field


class LinkupResource(PacedResource):
    """Connection settings for Linkup's `/v1/extract`; the key comes from `LINKUP_API_KEY`,
    or the variable its `dg.EnvVar` names, which errors then name.

    >>> import dagster as dg
    >>> resource = LinkupResource(api_key=dg.EnvVar("TEAM_LINKUP_KEY"))
    >>> resource.api_key_env, resource.poll_timeout_seconds
    ('TEAM_LINKUP_KEY', 1200.0)
    """

    base_url_env: ClassVar[str] = BASE_URL_ENV
    default_base_url: ClassVar[str] = DEFAULT_BASE_URL

    api_key_env: str = api_key_env_field(API_KEY_ENV)

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
