"""What every provider client shares: one `ApiClient`, its rate limits, and closing it."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Self, TypedDict, TypeVar, Unpack

from pydantic import BaseModel

from extract_assets.core.errors import UnreadableAnswerError
from extract_assets.core.http import ApiClient, ErrorFactory, Timeouts
from extract_assets.core.options import check_options
from extract_assets.core.payload import parse_each, parse_payload
from extract_assets.core.polling import PollPolicy
from extract_assets.core.ratelimit import Pacer, SharedRateLimiter, shared_limiter
from extract_assets.core.retry import RetryPolicy
from extract_assets.core.state import SharedState

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Api:
    """How one provider's API is found and its errors read; each contract module has one."""

    provider: str
    base_url_env: str
    error_factory: ErrorFactory


class ClientOptions(TypedDict, total=False):
    """How any client calls its API: `timeouts`, `retry`, `poll` (waiting for work to finish),
    `progress_every` (seconds between progress logs), `state` (rate budgets shared by every
    process and machine) and `api_key_env` (the variable the key was read from, named by the
    errors that say which one to fix)."""

    timeouts: Timeouts | None
    retry: RetryPolicy | None
    poll: PollPolicy | None
    progress_every: float
    state: SharedState | None
    api_key_env: str | None


def one_rate(per_minute: float | None, burst: int = 10) -> dict[str, tuple[float, int]] | None:
    """The `rates` of a client with one pace for every request; none without a pace."""
    return {"default": (per_minute, burst)} if per_minute else None


class ProviderClient:
    """Base of the provider clients: a context manager around one `ApiClient`.

    `rates` maps a bucket name to (requests per minute, burst); each bucket is shared by every
    client of the same key in the process, so threads and runs pace together, and with a
    `state` by every process and machine that uses it.
    """

    def __init__(
        self,
        api: Api,
        api_key: str,
        base_url: str,
        *,
        rates: Mapping[str, tuple[float, int]] | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        check_options(ClientOptions, options, type(self).__name__)
        fingerprint = hashlib.sha256(api_key.encode()).hexdigest()[:12]
        state = options.get("state")
        self.state = state
        limiters: dict[str, Pacer] = {}
        for bucket, (per_minute, burst) in (rates or {}).items():
            name = f"{api.provider}:{fingerprint}:{bucket}"
            limiters[bucket] = (
                SharedRateLimiter(state, name, per_minute, burst=burst)
                if state is not None
                else shared_limiter(name, per_minute, burst=burst)
            )
        self._api = ApiClient(
            provider=api.provider,
            base_url=base_url,
            api_key=api_key,
            error_factory=api.error_factory,
            timeouts=options.get("timeouts"),
            retry=options.get("retry"),
            limiters=limiters,
            base_url_env=api.base_url_env,
            api_key_env=options.get("api_key_env"),
        )
        self.poll = options.get("poll") or PollPolicy()
        self.progress_every = options.get("progress_every", 5.0)

    @property
    def base_url(self) -> str:
        return str(self._api.base_url)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    def close(self) -> None:
        self._api.close()

    def _read(self, model: type[M], payload: Any, what: str) -> M:
        """An answer read as `model`; one that does not fit is an `UnreadableAnswerError`,
        which also says what the answer says when it holds none of the model's required fields
        but an error's (a 200 whose body is `{"error": ...}`)."""
        try:
            return parse_payload(model, payload, provider=self._api.provider, what=what)
        except UnreadableAnswerError as error:
            required = {
                f.alias or name for name, f in model.model_fields.items() if f.is_required()
            }
            if isinstance(payload, dict) and not required & payload.keys():
                raise self._api.misfit(error, payload) from None
            raise

    def _read_each(
        self, model: type[M], items: Iterable[Any], what: str, logger: logging.Logger
    ) -> list[M]:
        """The items of a listing read as `model`; one that does not fit is logged to `logger`
        and passed over, so it neither hides the others nor stops a sensor."""
        parsed, misfits = parse_each(model, items)
        for item in misfits:
            logger.warning(
                "%s %s %s cannot be read and is passed over: %s",
                self._api.provider,
                what,
                item.id,
                item.reason,
            )
        return parsed

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
