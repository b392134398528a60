"""`LinkupResource`: Linkup settings and secrets for Dagster; hands out `LinkupClient`s."""

from __future__ import annotations

import os

import dagster as dg
from pydantic import Field

from extract_assets.core.http import Timeouts
from extract_assets.core.polling import PollPolicy
from extract_assets.core.retry import RetryPolicy
from extract_assets.linkup.client import LinkupClient
from extract_assets.linkup.contract import BASE_URL_ENV, DEFAULT_BASE_URL


class LinkupResource(dg.ConfigurableResource):
    """Connection settings for Linkup's `/v1/extract`.

    >>> import dagster as dg
    >>> resource = LinkupResource(api_key=dg.EnvVar("LINKUP_API_KEY"))
    >>> resource.poll_timeout_seconds
    1200.0
    """

    api_key: str = Field(
        repr=False, description="Linkup API key. Pass dg.EnvVar('LINKUP_API_KEY'), never a literal."
    )
    base_url: str | None = Field(
        default=None,
        description=f"API base URL; default: {BASE_URL_ENV} if set, else the real API.",
    )
    connect_timeout_seconds: float = Field(default=10.0, description="Seconds to connect.")
    read_timeout_seconds: float = Field(default=60.0, description="Seconds between bytes.")
    max_attempts: int = Field(default=6, description="Attempts per request, the first included.")
    retry_deadline_seconds: float = Field(
        default=300.0, description="Give up retrying a request after this many seconds."
    )
    poll_initial_seconds: float = Field(default=2.0, description="First wait between polls.")
    poll_max_seconds: float = Field(default=15.0, description="Longest wait between polls.")
    poll_timeout_seconds: float = Field(
        default=1200.0, description="Fail a materialization whose task is not final by then."
    )
    queue_wait_seconds: float = Field(
        default=1800.0, description="How long to wait for a slot when too many tasks are queued."
    )
    requests_per_minute: float | None = Field(
        default=120.0, description="Client-side pace per API key and process; null for none."
    )

    def resolved_base_url(self) -> str:
        return self.base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL

    def get_client(self, *, retry_deadline_seconds: float | None = None) -> LinkupClient:
        """A client with these settings; close it (or use `with`) when done."""
        return LinkupClient(
            api_key=self.api_key,
            base_url=self.resolved_base_url(),
            timeouts=Timeouts(connect=self.connect_timeout_seconds, read=self.read_timeout_seconds),
            retry=RetryPolicy(
                max_attempts=self.max_attempts,
                deadline_seconds=retry_deadline_seconds or self.retry_deadline_seconds,
            ),
            poll=PollPolicy(
                initial_seconds=self.poll_initial_seconds,
                max_seconds=self.poll_max_seconds,
                timeout_seconds=self.poll_timeout_seconds,
            ),
            queue_wait_seconds=self.queue_wait_seconds,
            requests_per_minute=self.requests_per_minute,
        )
