"""Result links as a service may write them, through `LinkupClient.write_result`: a link relative
to the API is resolved against its base URL and fetched without the key; a link of another scheme
fails at once, saying so, instead of being retried until the deadline."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from extract_assets.core.errors import UnreadableAnswerError
from extract_assets.linkup.client import LinkupClient
from extract_assets.linkup.models import Task
from extract_assets_tests.security.servers import Seen, serving

KEY = "lk-LINKS-6e5d4c3b2a19"


def completed(result_url: str) -> Task:
    return Task.model_validate(
        {
            "id": "t-links",
            "status": "completed",
            "createdAt": "2026-11-01T00:00:00Z",
            "updatedAt": "2026-11-01T00:00:00Z",
            "output": {"creditsUsed": 1, "resultUrl": result_url, "rowsReturned": 2},
        }
    )


def files_app(seen: Seen) -> Starlette:
    async def result(request: Request) -> Response:
        seen.record(request)
        return Response(b'{"n": 1}\n{"n": 2}\n', media_type="application/x-ndjson")

    return Starlette(routes=[Route("/files/result.ndjson", result)])


@pytest.mark.parametrize("link", ["/files/result.ndjson", "//{host}/files/result.ndjson"])
def test_a_result_link_relative_to_the_api_is_fetched_from_its_host_without_the_key(
    tmp_path: Path, link: str
) -> None:
    seen = Seen()
    with serving(files_app(seen)) as url:
        task = completed(link.format(host=url.removeprefix("http://")))
        with LinkupClient(api_key=KEY, base_url=f"{url}/linkup") as client:
            assert client.write_result(task, tmp_path / "r.parquet").rows == 2
    assert [path for path, _ in seen.requests] == ["/files/result.ndjson"]
    assert seen.with_authorization() == []


@pytest.mark.parametrize("link", ["s3://results/t-links.ndjson", "ftp://127.0.0.1/r.ndjson"])
def test_a_result_link_of_another_scheme_fails_at_once_saying_so(tmp_path: Path, link: str) -> None:
    with LinkupClient(api_key=KEY, base_url="http://127.0.0.1:9") as client:
        with pytest.raises(UnreadableAnswerError) as raised:
            client.write_result(completed(link), tmp_path / "team" / "r.parquet")
    assert f"the file link {link} is not an HTTP(S) link" in str(raised.value)
    assert raised.value.attempts is None and not (tmp_path / "team").exists()
