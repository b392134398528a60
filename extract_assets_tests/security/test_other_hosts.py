"""The Authorization header goes to the configured API and nowhere else: not to a result file
on another origin, not along a redirect, whichever provider."""

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from extract_assets.emulator import EmulatorServer

from .providers import LinkupCase, ProviderCase
from .servers import Seen, proxy_app, redirecting_app, serving


def test_a_linkup_result_on_another_origin_is_fetched_without_the_key(
    emulator: EmulatorServer, tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    # The API behind a proxy at one origin; its resultUrls rewritten to a second origin that
    # records headers and redirects to the emulator's file host, a third one.
    case = LinkupCase(emulator, tmp_path / "output")
    case.register_key()
    api_seen, files_seen = Seen(), Seen()
    with serving(redirecting_app(files_seen, emulator.url)) as file_host:
        proxy = proxy_app(api_seen, emulator.url, rewrite=(f"{emulator.url}/", f"{file_host}/"))
        with serving(proxy) as api:
            resource = case.resource(base_url=f"{api}/linkup")
            result = case.materialize(resource, instance)
    assert result.success
    assert api_seen.with_authorization(), "the API itself must get the key"
    assert files_seen.requests, "the result must have been fetched from the other origin"
    assert files_seen.with_authorization() == []
    downloads = [r for r in emulator.control.requests("linkup") if r["path"].startswith("/files")]
    assert downloads and not any(download["authorization"] for download in downloads)


def test_an_api_redirect_to_another_host_is_not_followed_with_the_key(
    case: ProviderCase, instance: dg.DagsterInstance
) -> None:
    case.register_key()
    elsewhere = Seen()
    with serving(redirecting_app(elsewhere, "http://127.0.0.1:9")) as other_host:
        api_seen = Seen()
        with serving(redirecting_app(api_seen, other_host)) as api:
            resource = case.resource(base_url=f"{api}/{case.name}")
            result = case.materialize(resource, instance)
    assert not result.success
    assert api_seen.with_authorization(), "the configured API must get the key"
    assert elsewhere.with_authorization() == []


@pytest.fixture(scope="module")
def instance() -> Iterator[dg.DagsterInstance]:
    """In memory: nothing here scans the instance's files."""
    with dg.DagsterInstance.ephemeral() as ephemeral:
        yield ephemeral
