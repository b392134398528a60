"""Downloads a file host sent compressed anyway: decoded, and failing clearly when they cannot
be (a stream cut short, a coding we cannot read, bytes that are not what the header says)."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from extract_assets.core.errors import IncompleteResultError, UnreadableAnswerError
from extract_assets.core.http import ApiClient
from extract_assets_tests.security.servers import Seen

ROWS = b"".join(b'{"id": %d, "name": "row %d"}\n' % (n, n) for n in range(2_000))
GZIPPED = gzip.compress(ROWS)
seen = Seen()


def encoded(body: bytes, coding: str, status: int = 200) -> Response:
    return Response(body, status_code=status, headers={"Content-Encoding": coding})


async def cut_short(request: Request) -> Response:
    return encoded(GZIPPED[: len(GZIPPED) // 2], "gzip")


async def brotli(request: Request) -> Response:
    seen.record(request)
    return encoded(b"\x1b\x00\x00", "br")


async def mislabelled(request: Request) -> Response:
    return encoded(ROWS, "gzip")


GZIP_HEADERS = {"Content-Encoding": "gzip", "Content-Length": str(len(GZIPPED))}


def broken_gzip(after: int) -> StreamingResponse:
    """The gzip body announced whole, whose connection breaks after `after` bytes."""

    async def part() -> AsyncIterator[bytes]:
        yield GZIPPED[:after]
        raise ConnectionError("the host went away")

    return StreamingResponse(part(), headers=GZIP_HEADERS)


async def switching(request: Request) -> Response:
    """gzip that breaks, then a resumed range sent uncompressed."""
    if "range" in request.headers:
        return Response(ROWS[1000:], status_code=206, headers={"Content-Range": "bytes 1000-"})
    return broken_gzip(1000)


drops_left = [0]


async def ignoring_ranges(request: Request) -> Response:
    """gzip that breaks half way while `drops_left`; then the whole body, whatever `Range` asks."""
    if not drops_left[0]:
        return Response(GZIPPED, headers=GZIP_HEADERS)
    drops_left[0] -= 1
    return broken_gzip(len(GZIPPED) // 2)


app = Starlette(
    routes=[
        Route("/ignoring-ranges.ndjson", ignoring_ranges),
        Route("/cut-short.ndjson", cut_short),
        Route("/brotli.ndjson", brotli),
        Route("/mislabelled.ndjson", mislabelled),
        Route("/switching.ndjson", switching),
    ]
)


def test_a_gzip_body_that_stops_before_its_end_is_an_incomplete_result(
    host: str, downloads: ApiClient
) -> None:
    with pytest.raises(IncompleteResultError, match="gzip stream stopped before its end"):
        b"".join(downloads.download(f"{host}/cut-short.ndjson"))


def test_a_coding_we_cannot_read_fails_at_once_naming_it(host: str, downloads: ApiClient) -> None:
    seen.requests.clear()
    with pytest.raises(UnreadableAnswerError) as raised:
        b"".join(downloads.download(f"{host}/brotli.ndjson"))
    assert "Content-Encoding 'br'" in str(raised.value)
    assert "What to do: nothing was written" in str(raised.value)
    assert len(seen.requests) == 1


def test_bytes_that_are_not_the_coding_the_header_names_are_unreadable(
    host: str, downloads: ApiClient
) -> None:
    with pytest.raises(UnreadableAnswerError, match="not valid gzip"):
        b"".join(downloads.download(f"{host}/mislabelled.ndjson"))


def test_a_resumed_download_in_another_coding_is_refused(host: str, downloads: ApiClient) -> None:
    with pytest.raises(UnreadableAnswerError, match="began with 'gzip'"):
        b"".join(downloads.download(f"{host}/switching.ndjson"))


def test_a_compressed_download_resumed_where_ranges_are_ignored_arrives_whole(
    host: str, downloads: ApiClient
) -> None:
    drops_left[0] = 2
    assert b"".join(downloads.download(f"{host}/ignoring-ranges.ndjson")) == ROWS
    assert drops_left[0] == 0
