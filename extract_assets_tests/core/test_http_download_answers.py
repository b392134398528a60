"""What a file host may answer in place of a result file, through `LinkupClient.write_result`: a
web page answered 200 (a captive portal, a sign-in page) fails at once saying what the page
says, and an error answer whose body is not in its `Content-Encoding` is still retried by its
status; neither writes anything."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from extract_assets.core.errors import ApiError, ServerError, UnreadableAnswerError
from extract_assets.core.retry import RetryPolicy
from extract_assets.linkup.client import LinkupClient
from extract_assets.linkup.models import Task
from extract_assets_tests.compressed import compressed
from extract_assets_tests.security.servers import serving

KEY = "lk-DOWNLOADS-1f2e3d4c5b6a"
PORTAL = (
    b"<!DOCTYPE html><html><head><title>Sign in to Guest Wi-Fi</title></head>"
    b"<body><form>...</form></body></html>"
)
ROWS = b'{"name": "Ada"}\n{"name": "Grace"}\n'


class FileHost:
    """Answers the first `odd` requests with `status`, `body` and `headers`; then the file."""

    def __init__(self, odd: int, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.odd, self.status, self.body, self.headers = odd, status, body, headers
        self.requests = 0

    async def file(self, request: Request) -> Response:
        self.requests += 1
        if self.requests <= self.odd:
            return Response(self.body, self.status, self.headers)
        return Response(ROWS, media_type="application/x-ndjson")


@contextmanager
def result_of(host: FileHost) -> Iterator[Task]:
    with serving(Starlette(routes=[Route("/files/result", host.file)])) as url:
        yield Task.model_validate(
            {
                "id": "t-answers",
                "status": "completed",
                "createdAt": "2026-11-01T00:00:00Z",
                "updatedAt": "2026-11-01T00:00:00Z",
                "output": {
                    "creditsUsed": 1,
                    "resultUrl": f"{url}/files/result",
                    "rowsReturned": 2,
                },
            }
        )


def client() -> LinkupClient:
    retry = RetryPolicy(max_attempts=3, backoff_base_seconds=0.01)
    return LinkupClient(api_key=KEY, base_url="http://127.0.0.1:9", retry=retry)


@pytest.mark.parametrize("content_type", ["text/html; charset=utf-8", "application/xhtml+xml"])
def test_a_web_page_answered_for_the_file_fails_at_once_saying_what_it_says(
    tmp_path: Path, content_type: str
) -> None:
    host = FileHost(odd=99, status=200, body=PORTAL, headers={"content-type": content_type})
    with result_of(host) as task, client() as linkup:
        with pytest.raises(UnreadableAnswerError) as raised:
            linkup.write_result(task, tmp_path / "team" / "r.parquet")
    message = str(raised.value)
    assert "answered 200 with a web page" in message and "Sign in to Guest Wi-Fi" in message
    assert "captive portal" in message and KEY not in message
    assert host.requests == 1 and not (tmp_path / "team").exists()


@pytest.mark.parametrize("coding", ["gzip", "br", "zstd, br"])
def test_a_compressed_web_page_answered_for_the_file_fails_at_once_saying_what_it_says(
    tmp_path: Path, coding: str
) -> None:
    headers = {"content-type": "text/html", "content-encoding": coding}
    host = FileHost(odd=99, status=200, body=compressed(PORTAL, coding), headers=headers)
    with result_of(host) as task, client() as linkup:
        with pytest.raises(UnreadableAnswerError, match="Sign in to Guest Wi-Fi"):
            linkup.write_result(task, tmp_path / "team" / "r.parquet")
    assert host.requests == 1 and not (tmp_path / "team").exists()


def test_a_file_host_error_whose_body_is_not_in_its_coding_is_retried_by_its_status(
    tmp_path: Path,
) -> None:
    headers = {"content-type": "text/html", "content-encoding": "gzip"}
    host = FileHost(odd=1, status=503, body=b"<h1>503 Service Unavailable</h1>", headers=headers)
    with result_of(host) as task, client() as linkup:
        assert linkup.write_result(task, tmp_path / "r.parquet").rows == 2
    assert host.requests == 2


def test_a_file_host_failing_so_to_the_end_is_a_server_error_writing_nothing(
    tmp_path: Path,
) -> None:
    headers = {"content-type": "text/html", "content-encoding": "gzip"}
    host = FileHost(odd=99, status=502, body=b"<h1>Bad Gateway</h1>", headers=headers)
    with result_of(host) as task, client() as linkup:
        with pytest.raises(ServerError) as raised:
            linkup.write_result(task, tmp_path / "team" / "r.parquet")
    assert raised.value.status == 502 and raised.value.attempts == 3
    assert not (tmp_path / "team").exists()


def test_a_file_link_whose_redirects_loop_fails_saying_so_writing_nothing(tmp_path: Path) -> None:
    host = FileHost(odd=999, status=302, body=b"", headers={"location": "/files/result"})
    with result_of(host) as task, client() as linkup:
        with pytest.raises(ApiError, match="redirected again and again") as raised:
            linkup.write_result(task, tmp_path / "team" / "r.parquet")
    assert "re-execute the run" in str(raised.value) and KEY not in str(raised.value)
    assert not (tmp_path / "team").exists()


@pytest.mark.parametrize(
    "header", ["x-amz-request-id", "x-ms-request-id", "x-guploader-uploadid", "x-correlation-id"]
)
def test_a_file_host_failure_carries_the_object_stores_request_id(
    tmp_path: Path, header: str
) -> None:
    headers = {"content-type": "application/xml", header: "4442587FB7D0A2F9"}
    host = FileHost(
        odd=99, status=500, body=b"<Error><Code>InternalError</Code></Error>", headers=headers
    )
    with result_of(host) as task, client() as linkup:
        with pytest.raises(ServerError) as raised:
            linkup.write_result(task, tmp_path / "r.parquet")
    assert raised.value.request_id == "4442587FB7D0A2F9"
    assert "request id 4442587FB7D0A2F9" in str(raised.value)
