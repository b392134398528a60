from collections.abc import Iterator

import dagster as dg
import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from extract_assets.emulator import EmulatorServer
from extract_assets.linkup.client import LinkupClient
from extract_assets.linkup.resource import LinkupResource
from extract_assets_tests.linkup.listing import Listing
from extract_assets_tests.security.servers import serving

# A key shaped like a real one, so a leak of it anywhere is unmistakable.
SECRET_KEY = "lk-SECRET-9f8e7d6c5b4a39281706"


@pytest.fixture
def secret_key(emulator: EmulatorServer) -> str:
    emulator.control.add_linkup_key(key=SECRET_KEY)
    return SECRET_KEY


@pytest.fixture
def fast_resource(linkup_url: str, secret_key: str) -> LinkupResource:
    """The resource as a user configures it, with waits short enough for tests."""
    return LinkupResource(
        api_key=secret_key,
        base_url=linkup_url,
        poll_initial_seconds=0.1,
        poll_max_seconds=0.3,
        poll_timeout_seconds=60,
        retry_deadline_seconds=30,
        requests_per_minute=None,
    )


@pytest.fixture
def client(fast_resource: LinkupResource) -> Iterator[LinkupClient]:
    with fast_resource.get_client() as linkup:
        yield linkup


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as test_instance:
        yield test_instance


@pytest.fixture
def listing() -> Listing:
    return Listing()


@pytest.fixture
def resource(listing: Listing) -> Iterator[LinkupResource]:
    """A resource reading `listing`, as fast as it answers."""
    with serving(Starlette(routes=[Route("/v1/extract", listing.page)])) as url:
        yield LinkupResource(api_key="key", base_url=url, requests_per_minute=None)
