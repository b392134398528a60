"""What every provider client shares: it owns one `ApiClient` and closes it."""

from __future__ import annotations

from typing import Self

from extract_assets.core.http import ApiClient


class ProviderClient:
    """Base of the provider clients: a context manager around one `ApiClient`."""

    def __init__(self, api: ApiClient) -> None:
        self._api = api

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
