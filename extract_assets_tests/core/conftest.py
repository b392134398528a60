"""Fixtures shared by the core tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from extract_assets.core.http import ApiClient
from extract_assets.core.retry import RetryPolicy
from extract_assets_tests.security.servers import serving


@pytest.fixture
def downloads() -> Iterator[ApiClient]:
    """A client for downloads from loopback test hosts: three attempts, short pauses."""
    retry = RetryPolicy(max_attempts=3, backoff_base_seconds=0.01)
    with ApiClient(
        provider="Linkup", base_url="http://127.0.0.1:9", api_key="k", retry=retry
    ) as client:
        yield client


@pytest.fixture(scope="module")
def host(request: pytest.FixtureRequest) -> Iterator[str]:
    """The test module's own Starlette `app`, served on loopback for the module's tests."""
    with serving(request.module.app) as url:
        yield url
