"""Downloads a file host sent compressed anyway: decoded, and failing clearly when they cannot
be (a stream cut short, a coding we cannot read, bytes that are not what the header says)."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator

import brotli
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from extract_assets.core.errors import IncompleteResultError, UnreadableAnswerError
from extract_assets.core.http import ApiClient
from extract_assets_tests.compressed import compressed
from extract_assets_tests.security.servers import Seen

ROWS = b"".join(b'{"id": %d, "name": "row %d"}\n' % (n, n) for n in range(2_000))
GZIPPED = gzip.compress(ROWS)
seen = Seen()


def encoded(body: bytes, coding: str, status: int = 200) -> Response:
    return Response(body, status_code=status, headers={"Content-Encoding": coding})


async def cut_short(request: Request) -> Response:
    return encoded(GZIPPED[: len(GZIPPED) // 2], "gzip")


async def compress(request: Request) -> Response:
    seen.record(request)
    return encoded(b"\x1f\x9d\x90", "compress")


async def mislabelled(request: Request) -> Response:
    return encoded(ROWS, "gzip")


GZIP_HEADERS = {"Content-Encoding": "gzip", "Content-Length": str(len(GZIPPED))}


def broken_gzip(after: int) -> StreamingResponse:
    """The gzip body announced whole, whose connection breaks after `after` bytes."""

    async def part() -> AsyncIterator[bytes]:
        yield GZIPPED[:after]
        raise ConnectionError("the host went away")

    return StreamingResponse(part(), headers=GZIP_HEADERS)


wholes = [0]


async def switching(request: Request) -> Response:
    """gzip that breaks, then a resumed range sent uncompressed, as from a CDN that compresses
    as it sends; the whole file asked for again comes whole."""
    if "range" in request.headers:
        return Response(ROWS[1000:], status_code=206, headers={"Content-Range": "bytes 1000-"})
    wholes[0] += 1
    return broken_gzip(1000) if wholes[0] == 1 else Response(GZIPPED, headers=GZIP_HEADERS)


async def parts_only(request: Request) -> Response:
    """gzip that breaks, then only a part uncompressed, whatever is asked."""
    if wholes[0]:
        return Response(ROWS[1000:], status_code=206, headers={"Content-Range": "bytes 1000-"})
    wholes[0] += 1
    return broken_gzip(1000)


async def recompressing(request: Request) -> Response:
    """br that breaks half way, then, ranges ignored, the whole file compressed anew with
    other settings: the same rows in other bytes."""
    wholes[0] += 1
    if wholes[0] == 1:
        first = brotli.compress(ROWS, quality=11)

        async def half() -> AsyncIterator[bytes]:
            yield first[: len(first) // 2]
            raise ConnectionError("the edge went away")

        headers = {"Content-Encoding": "br", "Content-Length": str(len(first))}
        return StreamingResponse(half(), headers=headers)
    return encoded(brotli.compress(ROWS, quality=1), "br")


drops_left = [0]


async def ignoring_ranges(request: Request) -> Response:
    """gzip that breaks half way while `drops_left`; then the whole body, whatever `Range` asks."""
    if not drops_left[0]:
        return Response(GZIPPED, headers=GZIP_HEADERS)
    drops_left[0] -= 1
    return broken_gzip(len(GZIPPED) // 2)


# As CDNs send them whatever was asked; the header names them in the order they were applied.
SENT_IN = {coding: compressed(ROWS, coding) for coding in ("br", "zstd", "gzip, br", "zstd, gzip")}
breaks_left = {coding: 0 for coding in SENT_IN}


async def breaking_in(request: Request) -> Response:
    """The body in `coding`, whose connection breaks half way while `breaks_left`; a resumed
    request gets the rest by the encoded bytes it asks for."""
    coding = request.path_params["coding"]
    body = SENT_IN[coding]
    headers = {"Content-Encoding": coding}
    if asked := request.headers.get("range"):
        start = int(asked.removeprefix("bytes=").removesuffix("-"))
        headers["Content-Range"] = f"bytes {start}-{len(body) - 1}/{len(body)}"
        return Response(body[start:], status_code=206, headers=headers)
    if not breaks_left[coding]:
        return Response(body, headers=headers)
    breaks_left[coding] -= 1

    async def part() -> AsyncIterator[bytes]:
        yield body[: len(body) // 2]
        raise ConnectionError("the host went away")

    return StreamingResponse(part(), headers={**headers, "Content-Length": str(len(body))})


async def cut_short_in(request: Request) -> Response:
    coding = request.path_params["coding"]
    return encoded(SENT_IN[coding][: len(SENT_IN[coding]) - 8], coding)


async def stored_zstd(request: Request) -> Response:
    return Response(SENT_IN["zstd"], media_type="application/zstd")


app = Starlette(
    routes=[
        Route("/ignoring-ranges.ndjson", ignoring_ranges),
        Route("/cut-short.ndjson", cut_short),
        Route("/compress.ndjson", compress),
        Route("/{coding}/breaking.ndjson", breaking_in),
        Route("/{coding}/cut-short.ndjson", cut_short_in),
        Route("/stored.ndjson.zst", stored_zstd),
        Route("/mislabelled.ndjson", mislabelled),
        Route("/switching.ndjson", switching),
        Route("/parts-only.ndjson", parts_only),
        Route("/recompressing.ndjson", recompressing),
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
        b"".join(downloads.download(f"{host}/compress.ndjson"))
    assert "Content-Encoding 'compress'" in str(raised.value)
    assert "What to do: nothing was written" in str(raised.value)
    assert len(seen.requests) == 1


def test_bytes_that_are_not_the_coding_the_header_names_are_unreadable(
    host: str, downloads: ApiClient
) -> None:
    with pytest.raises(UnreadableAnswerError, match="not valid gzip"):
        b"".join(downloads.download(f"{host}/mislabelled.ndjson"))


def test_a_resumed_download_in_another_coding_is_asked_for_whole_and_arrives_whole(
    host: str, downloads: ApiClient
) -> None:
    wholes[0] = 0
    assert b"".join(downloads.download(f"{host}/switching.ndjson")) == ROWS
    assert wholes[0] == 2


def test_a_host_that_sends_a_part_in_another_coding_when_asked_for_the_whole_is_refused(
    host: str, downloads: ApiClient
) -> None:
    wholes[0] = 0
    with pytest.raises(UnreadableAnswerError, match="began with 'gzip'"):
        b"".join(downloads.download(f"{host}/parts-only.ndjson"))


def test_a_whole_body_sent_again_compressed_into_other_bytes_arrives_whole(
    host: str, downloads: ApiClient
) -> None:
    wholes[0] = 0
    assert b"".join(downloads.download(f"{host}/recompressing.ndjson")) == ROWS
    assert wholes[0] == 2


def test_a_compressed_download_resumed_where_ranges_are_ignored_arrives_whole(
    host: str, downloads: ApiClient
) -> None:
    drops_left[0] = 2
    assert b"".join(downloads.download(f"{host}/ignoring-ranges.ndjson")) == ROWS
    assert drops_left[0] == 0


@pytest.mark.parametrize("coding", list(SENT_IN))
def test_a_download_in_br_zstd_or_stacked_codings_arrives_whole(
    host: str, downloads: ApiClient, coding: str
) -> None:
    breaks_left[coding] = 0
    assert b"".join(downloads.download(f"{host}/{coding}/breaking.ndjson")) == ROWS


@pytest.mark.parametrize("coding", list(SENT_IN))
def test_a_download_in_br_zstd_or_stacked_codings_resumes_by_its_encoded_bytes(
    host: str, downloads: ApiClient, coding: str
) -> None:
    breaks_left[coding] = 1
    assert b"".join(downloads.download(f"{host}/{coding}/breaking.ndjson")) == ROWS
    assert breaks_left[coding] == 0


@pytest.mark.parametrize("coding", list(SENT_IN))
def test_a_body_in_br_zstd_or_stacked_codings_cut_short_is_an_incomplete_result(
    host: str, downloads: ApiClient, coding: str
) -> None:
    with pytest.raises(IncompleteResultError, match="stream stopped before its end"):
        b"".join(downloads.download(f"{host}/{coding}/cut-short.ndjson"))


def test_a_file_stored_as_zstd_and_sent_without_a_coding_is_decoded(
    host: str, downloads: ApiClient
) -> None:
    assert b"".join(downloads.download(f"{host}/stored.ndjson.zst")) == ROWS
