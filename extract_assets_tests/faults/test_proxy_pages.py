"""A proxy or captive portal that answers 200 in a service's place, with a page that is not the
service's JSON: each provider's listing fails with an `UnreadableAnswerError` that says so, and
the next answer, the service's own, reads as usual."""

from collections.abc import Callable
from typing import Any

import pytest

from extract_assets.core.client import ProviderClient
from extract_assets.core.errors import UnreadableAnswerError
from extract_assets.dataextractor.client import DataExtractorClient
from extract_assets.emulator import EmulatorServer
from extract_assets.extractto.client import ExtractToClient
from extract_assets.linkup.client import LinkupClient

KEY = "proxy-test-key-5e4d3c2b1a"


def linkup(emulator: EmulatorServer) -> tuple[ProviderClient, Callable[[], Any]]:
    emulator.control.add_linkup_key(key=KEY)
    client = LinkupClient(KEY, base_url=emulator.base_url("linkup"))
    return client, client.list


def extractto(emulator: EmulatorServer) -> tuple[ProviderClient, Callable[[], Any]]:
    emulator.control.add_extractto_key(key=KEY)
    client = ExtractToClient(KEY, base_url=emulator.base_url("extractto"))
    return client, client.extracts


def dataextractor(emulator: EmulatorServer) -> tuple[ProviderClient, Callable[[], Any]]:
    emulator.control.add_dataextractor_key(key=KEY, account="acct_proxy")
    client = DataExtractorClient(KEY, base_url=emulator.base_url("dataextractor"))
    return client, client.dataset_page


LISTINGS = {
    "linkup": (linkup, "^/v1/extract$"),
    "extractto": (extractto, "^/extracts$"),
    "dataextractor": (dataextractor, "^/api/v1/datasets$"),
}


@pytest.mark.parametrize("body", ["html", "text", "empty"])
@pytest.mark.parametrize("provider", list(LISTINGS))
def test_a_listing_answered_200_by_a_proxy_page_is_an_unreadable_answer_that_says_so(
    emulator: EmulatorServer, provider: str, body: str
) -> None:
    make, path = LISTINGS[provider]
    emulator.control.add_fault(
        "status", provider=provider, method="GET", path=path, status=200, body=body, times=1
    )
    client, listing = make(emulator)
    with client:
        with pytest.raises(UnreadableAnswerError, match="a body that is not JSON") as raised:
            listing()
        assert raised.value.status == 200
        assert raised.value.hint is not None and "proxy" in raised.value.hint
        listing()
