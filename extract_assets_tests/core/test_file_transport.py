"""The download transport: bodies in large pieces, httpx's errors, clean connections, TLS."""

from __future__ import annotations

import random
import socket
import ssl
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from extract_assets.core.file_transport import FileTransport
from extract_assets.core.http import ApiClient
from extract_assets.core.retry import RetryPolicy
from extract_assets.emulator import EmulatorServer
from extract_assets.linkup.client import LinkupClient
from extract_assets_tests.security.servers import Seen, redirecting_app, serving
from extract_assets_tests.tls import self_signed_certificate

PIECE = 1 << 20


def body_of(size: int) -> bytes:
    return random.Random(size).randbytes(size)


async def _bytes(request: Request) -> Response:
    return Response(body_of(int(request.path_params["size"])))


async def _target(request: Request) -> Response:
    """The request target as it arrived, byte for byte."""
    raw_path: bytes = request.scope["raw_path"]
    return Response(raw_path + b"?" + request.scope["query_string"])


async def _chunked_then_broken(request: Request) -> Response:
    """`size` bytes sent chunked (no length announced), then the connection breaks."""

    async def sent() -> AsyncIterator[bytes]:
        yield body_of(int(request.path_params["size"]))
        raise ConnectionError("the host went away")

    return StreamingResponse(sent())


BYTES_APP = Starlette(
    routes=[
        Route("/bytes/{size:int}", _bytes),
        Route("/target/{rest:path}", _target),
        Route("/chunked-then-broken/{size:int}", _chunked_then_broken),
    ]
)


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    with serving(BYTES_APP) as url:
        yield url


def files_client(
    context: ssl.SSLContext | None = None, *, read_timeout: float = 10.0, **options: bool
) -> httpx.Client:
    return httpx.Client(
        transport=FileTransport(ssl_context=context or ssl.create_default_context()),
        timeout=httpx.Timeout(10.0, read=read_timeout),
        **options,
    )


def pieces(client: httpx.Client, url: str) -> list[bytes]:
    with client.stream("GET", url) as response:
        response.raise_for_status()
        return list(response.iter_raw())


@pytest.mark.parametrize("size", [0, 1, PIECE - 1, PIECE, PIECE + 1, 3 * PIECE + 7])
def test_a_body_arrives_whole_in_pieces_of_one_mebibyte(origin: str, size: int) -> None:
    with files_client() as client:
        received = pieces(client, f"{origin}/bytes/{size}")
    assert b"".join(received) == body_of(size)
    assert all(len(piece) == PIECE for piece in received[:-1])
    assert len(received) == -(-size // PIECE)


def test_a_signed_links_path_and_query_reach_the_host_byte_for_byte(origin: str) -> None:
    target = (
        "/target/a%2Fb/c~d/e%20f.ndjson?X-Amz-Credential=AK%2F20261206%2Fus-east-1%2Fs3"
        "&X-Amz-Signature=ab%2Bcd%3D&x=a+b&y=%7E&z=caf%C3%A9&empty=&flag"
    )
    with files_client() as client:
        assert client.get(f"{origin}{target}").content == target.encode()


def test_a_body_left_half_read_does_not_spill_into_the_next_answer(origin: str) -> None:
    with files_client() as client:
        with client.stream("GET", f"{origin}/bytes/{3 * PIECE}") as response:
            next(response.iter_raw())
        assert client.get(f"{origin}/bytes/100").content == body_of(100)
        assert client.get(f"{origin}/bytes/{PIECE + 1}").content == body_of(PIECE + 1)


def connections_to(url: str) -> list[Any]:
    """This process's sockets to `url`'s port still open, in whatever TCP state."""
    port = httpx.URL(url).port
    return [
        c for c in psutil.Process().net_connections(kind="tcp") if c.raddr and c.raddr.port == port
    ]


def test_a_body_read_to_its_end_leaves_no_connection_open(origin: str) -> None:
    with files_client() as client:
        with client.stream("GET", f"{origin}/bytes/{3 * PIECE}") as response:
            response.read()
        assert connections_to(origin) == []


def test_an_answer_left_half_read_leaves_no_connection_open(origin: str) -> None:
    with files_client() as client:
        with client.stream("GET", f"{origin}/bytes/{3 * PIECE}") as response:
            next(response.iter_raw())
            assert connections_to(origin)
        assert connections_to(origin) == []


def test_redirects_are_followed_by_httpx_as_the_client_says(origin: str) -> None:
    with serving(redirecting_app(Seen(), origin)) as elsewhere:
        url = f"{elsewhere}/bytes/{PIECE + 3}"
        with files_client(follow_redirects=False) as client:
            assert client.get(url).status_code == 307
        with files_client(follow_redirects=True) as client:
            assert client.get(url).content == body_of(PIECE + 3)


def test_a_refused_connection_raises_httpx_connect_error() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    with files_client() as client, pytest.raises(httpx.ConnectError):
        client.get(f"http://127.0.0.1:{port}/bytes/1")


@pytest.fixture
def result_url(emulator: EmulatorServer, linkup_url: str) -> str:
    emulator.control.add_linkup_scenario(match="many rows", rows=20_000)
    with LinkupClient("demo-linkup-key", base_url=linkup_url, requests_per_minute=None) as linkup:
        task = linkup.wait(linkup.create("many rows", "https://example.com/list").id)
    assert task.output is not None
    return task.output.result_url


def test_a_connection_broken_mid_body_raises_httpx_remote_protocol_error(
    emulator: EmulatorServer, result_url: str
) -> None:
    emulator.control.add_fault(kind="drop", path="^/files/", after_bytes=100_000, times=1)
    with files_client() as client, pytest.raises(httpx.RemoteProtocolError):
        pieces(client, result_url)


@pytest.mark.parametrize("size", [1, 70_000, PIECE + 5])
def test_a_chunked_body_that_breaks_hands_on_every_byte_that_arrived_first(
    origin: str, size: int
) -> None:
    arrived: list[bytes] = []
    with (
        files_client() as client,
        client.stream("GET", f"{origin}/chunked-then-broken/{size}") as r,
    ):
        with pytest.raises(httpx.RemoteProtocolError):
            arrived.extend(r.iter_raw())
    assert b"".join(arrived) == body_of(size)


def test_an_answer_slower_than_the_read_timeout_raises_httpx_read_timeout(
    emulator: EmulatorServer, result_url: str
) -> None:
    emulator.control.add_fault(kind="slow", path="^/files/", delay=3, times=1)
    with files_client(read_timeout=0.5) as client, pytest.raises(httpx.ReadTimeout):
        client.get(result_url)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(breaks=st.lists(st.integers(min_value=1, max_value=3 * PIECE), min_size=1, max_size=3))
def test_a_download_broken_anywhere_resumes_to_the_exact_bytes(
    emulator: EmulatorServer, result_url: str, linkup_url: str, breaks: list[int]
) -> None:
    served = httpx.get(result_url).content
    emulator.control.clear_faults()
    for after in breaks:
        emulator.control.add_fault(kind="drop", path="^/files/", after_bytes=after, times=1)
    api = ApiClient(
        provider="test", base_url=linkup_url, api_key="unused", sleep=lambda seconds: None
    )
    with api:
        assert b"".join(api.download(result_url)) == served


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed_certificate(tmp_path_factory.mktemp("tls"))


def test_a_host_whose_certificate_is_not_trusted_is_refused(
    certificate: tuple[Path, Path],
) -> None:
    with serving(BYTES_APP, tls=certificate) as secure, files_client() as client:
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            client.get(f"{secure}/bytes/10")


def test_a_trusted_host_serves_the_exact_bytes_over_https(
    certificate: tuple[Path, Path],
) -> None:
    trusting = ssl.create_default_context(cafile=str(certificate[0]))
    with serving(BYTES_APP, tls=certificate) as secure, files_client(trusting) as client:
        received = pieces(client, f"{secure}/bytes/{2 * PIECE + 5}")
    assert b"".join(received) == body_of(2 * PIECE + 5)
    assert [len(piece) for piece in received] == [PIECE, PIECE, 5]


def test_a_download_goes_through_the_proxy_the_environment_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen = Seen()

    async def answer(request: Request) -> Response:
        seen.record(request)
        return Response(b"from the proxy")

    proxy = Starlette(routes=[Route("/{path:path}", answer)])
    with serving(proxy) as proxy_url:
        for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", proxy_url)
        api = ApiClient(
            provider="test",
            base_url="http://127.0.0.1:9",
            api_key="k",
            retry=RetryPolicy(max_attempts=1),
        )
        with api:
            # Nothing listens on the origin's port: only the proxy can answer.
            assert b"".join(api.download("http://127.0.0.1:9/result.ndjson")) == b"from the proxy"
    assert [path for path, _ in seen.requests] == ["/result.ndjson"]
