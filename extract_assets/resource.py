"""Settings every provider resource shares: key, base URL, timeouts, retries, polling, pace."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, ClassVar

import dagster as dg
from pydantic import Field, PrivateAttr

from extract_assets.core.client import ClientOptions
from extract_assets.core.http import Timeouts
from extract_assets.core.polling import PollPolicy
from extract_assets.core.retry import RetryPolicy
from extract_assets.core.state import SharedState
from extract_assets.instance_state import state_for


class ClientSettings(ClientOptions):
    """What every provider client takes from its resource."""

    api_key: str
    base_url: str


def api_key_env_field(default: str) -> Any:
    """The `api_key_env` setting of a provider's resource, `default` its usual variable."""
    return Field(
        default=default,
        description="The environment variable the key is read from, named by the errors that "
        "say what to fix; set from the dg.EnvVar given as api_key.",
    )


class ProviderResource(dg.ConfigurableResource):
    """Base of the provider resources; each names its environment variables and default URL."""

    base_url_env: ClassVar[str]
    default_base_url: ClassVar[str]

    api_key: str = Field(repr=False, description="API key. Pass dg.EnvVar(...), never a literal.")
    api_key_env: str
    base_url: str | None = Field(
        default=None,
        description="API base URL; default: the provider's *_BASE_URL variable, else the real API.",
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
        default=1200.0, description="Fail a materialization whose work is not done by then."
    )

    _state: SharedState | None = PrivateAttr(default=None)

    # Hidden from type checkers, which keep checking each setting passed by name.
    if not TYPE_CHECKING:

        def __init__(self, **config: Any) -> None:
            # The variable named in `dg.EnvVar(...)` is where the user keeps the key: errors
            # must send them there, whatever name a YAML `api.key_env` or their code gave it.
            # Set here, not in a validator: Dagster keeps as run config only what is passed.
            key = config.get("api_key")
            if isinstance(key, dg.EnvVar):
                config.setdefault("api_key_env", key.env_var_name)
            super().__init__(**config)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        # Runs, steps and sensor ticks get the instance here; its database is the shared store.
        self._state = state_for(context.instance)

    def client_settings(self, retry_deadline_seconds: float | None = None) -> ClientSettings:
        """The settings a client gets; `retry_deadline_seconds` also caps the timeouts, so no
        call outlasts a sensor's budget."""
        return ClientSettings(
            api_key=self.api_key,
            base_url=self.resolved_base_url(),
            timeouts=self.timeouts(retry_deadline_seconds),
            retry=self.retry_policy(retry_deadline_seconds),
            poll=self.poll_policy(),
            state=self.shared_state(),
            api_key_env=self.api_key_env,
        )

    def shared_state(self) -> SharedState | None:
        """Where state shared by every run and machine lives (`state_for`), if anywhere."""
        return self._state or state_for(None)

    def resolved_base_url(self) -> str:
        return self.base_url or os.environ.get(self.base_url_env) or self.default_base_url

    def timeouts(self, cap_seconds: float | None = None) -> Timeouts:
        """The configured timeouts, no longer than `cap_seconds` (a sensor's tick budget)."""
        cap = cap_seconds or float("inf")
        return Timeouts(
            connect=min(self.connect_timeout_seconds, cap), read=min(self.read_timeout_seconds, cap)
        )

    def retry_policy(self, deadline_seconds: float | None = None) -> RetryPolicy:
        return RetryPolicy(
            max_attempts=self.max_attempts,
            deadline_seconds=deadline_seconds or self.retry_deadline_seconds,
        )

    def poll_policy(self) -> PollPolicy:
        return PollPolicy(
            initial_seconds=self.poll_initial_seconds,
            max_seconds=self.poll_max_seconds,
            timeout_seconds=self.poll_timeout_seconds,
        )


class PacedResource(ProviderResource):
    """A provider resource whose clients pace every request at one rate per key."""

    requests_per_minute: float | None = Field(
        default=120.0,
        description="Client-side pace per API key: per process, or across every process "
        "and machine with a shared state; null for none.",
    )
