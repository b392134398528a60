"""What every provider client shares: one `ApiClient`, its rate limits, and closing it."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Self

from extract_assets.core.http import ApiClient, ErrorFactory, Timeouts
from extract_assets.core.polling import PollPolicy
from extract_assets.core.ratelimit import Pacer, SharedRateLimiter, shared_limiter
from extract_assets.core.retry import RetryPolicy
from extract_assets.core.state import SharedState


class ProviderClient:
    """Base of the provider clients: a context manager around one `ApiClient`.

    `rates` maps a bucket name to (requests per minute, burst); each bucket is shared by every
    client of the same key in the process, so threads and runs pace together, and with a
    `state` by every process and machine that uses it.
    """

    def __init__(
        self,
        *,
        provider: str,
        api_key: str,
        base_url: str,
        error_factory: ErrorFactory,
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
        poll: PollPolicy | None = None,
        rates: Mapping[str, tuple[float, int]] | None = None,
        base_url_env: str | None = None,
        state: SharedState | None = None,
    ) -> None:
        fingerprint = hashlib.sha256(api_key.encode()).hexdigest()[:12]
        self.state = state
        limiters: dict[str, Pacer] = {}
        for bucket, (per_minute, burst) in (rates or {}).items():
            name = f"{provider}:{fingerprint}:{bucket}"
            limiters[bucket] = (
                SharedRateLimiter(state, name, per_minute, burst=burst)
                if state is not None
                else shared_limiter(name, per_minute, burst=burst)
            )
        self._api = ApiClient(
            provider=provider,
            base_url=base_url,
            api_key=api_key,
            error_factory=error_factory,
            timeouts=timeouts,
            retry=retry,
            limiters=limiters,
            base_url_env=base_url_env,
        )
        self.poll = poll or PollPolicy()

    @property
    def base_url(self) -> str:
        return str(self._api.base_url)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    def close(self) -> None:
        self._api.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
