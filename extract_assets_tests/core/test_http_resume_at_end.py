"""A download whose connection breaks after its last byte, before the host said it was done
(a chunked body missing its last, empty chunk): resumed at the file's end, the host answers
416, as object stores do for a range that starts at the end. That 416 ends the download when
it gives the file's length as what arrived; otherwise the download starts again."""

from __future__ import annotations

import gzip
import re
from collections.abc import AsyncIterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from extract_assets.core.errors import IncompleteResultError
from extract_assets.core.http import ApiClient
from extract_assets_tests.security.servers import Seen

ROWS = b"".join(b'{"id": %d, "name": "row %d"}\n' % (n, n) for n in range(2_000))
GZIPPED = gzip.compress(ROWS)
_RANGE = re.compile(r"bytes=(\d+)-")
seen = Seen()


def broken_after_the_last_byte(body: bytes, headers: dict[str, str]) -> StreamingResponse:
    """`body`, chunked (no length announced), whose connection breaks before its last chunk."""

    async def whole_then_gone() -> AsyncIterator[bytes]:
        yield body
        raise ConnectionError("the host went away")

    return StreamingResponse(whole_then_gone(), headers=headers)


def resumable(body: bytes, refused: dict[str, str], headers: dict[str, str]) -> Route:
    """A file host for `body` that answers a range from its end with 416 and `refused`."""

    async def answer(request: Request) -> Response:
        seen.record(request)
        asked = _RANGE.fullmatch(request.headers.get("range", ""))
        start = int(asked.group(1)) if asked else 0
        if start >= len(body):
            return Response(b"InvalidRange", status_code=416, headers=refused)
        if start:
            rest = {**headers, "Content-Range": f"bytes {start}-{len(body) - 1}/{len(body)}"}
            return Response(body[start:], status_code=206, headers=rest)
        return broken_after_the_last_byte(body, headers)

    return answer


breaks: list[int] = []  # where the next answers break, in bytes from the file's start


async def breaking(request: Request) -> Response:
    """Every answer chunked, broken at the first of `breaks` past its start; 416 at the end."""
    asked = _RANGE.fullmatch(request.headers.get("range", ""))
    start = int(asked.group(1)) if asked else 0
    if start >= len(ROWS):
        return Response(status_code=416, headers={"Content-Range": f"bytes */{len(ROWS)}"})
    headers = {"Content-Range": f"bytes {start}-{len(ROWS) - 1}/{len(ROWS)}"} if asked else {}
    if breaks and breaks[0] > start:
        response = broken_after_the_last_byte(ROWS[start : breaks.pop(0)], headers)
    else:
        response = StreamingResponse(iter([ROWS[start:]]), headers=headers)
    response.status_code = 206 if asked else 200
    return response


GZIP = {"Content-Encoding": "gzip"}
app = Starlette(
    routes=[
        Route(
            "/length-given.ndjson", resumable(ROWS, {"Content-Range": f"bytes */{len(ROWS)}"}, {})
        ),
        Route(
            "/gzip-length-given.ndjson",
            resumable(GZIPPED, {"Content-Range": f"bytes */{len(GZIPPED)}"}, GZIP),
        ),
        Route("/length-not-given.ndjson", resumable(ROWS, {}, {})),
        Route("/breaking.ndjson", breaking),
        Route(
            "/shorter-now.ndjson",
            resumable(ROWS, {"Content-Range": f"bytes */{len(ROWS) - 10}"}, {}),
        ),
    ]
)


def test_a_416_giving_the_length_that_arrived_ends_the_download_whole(
    host: str, downloads: ApiClient
) -> None:
    seen.requests.clear()
    assert b"".join(downloads.download(f"{host}/length-given.ndjson")) == ROWS
    assert [headers.get("range") for _, headers in seen.requests] == [None, f"bytes={len(ROWS)}-"]


def test_a_compressed_download_ended_by_a_416_is_decoded_whole(
    host: str, downloads: ApiClient
) -> None:
    assert b"".join(downloads.download(f"{host}/gzip-length-given.ndjson")) == ROWS


def test_a_416_without_the_files_length_is_an_incomplete_result(
    host: str, downloads: ApiClient
) -> None:
    with pytest.raises(IncompleteResultError, match="did not say how long the file is"):
        b"".join(downloads.download(f"{host}/length-not-given.ndjson"))


def test_a_416_giving_another_length_says_the_file_changed(host: str, downloads: ApiClient) -> None:
    with pytest.raises(IncompleteResultError, match=f"{len(ROWS) - 10:,} bytes long now"):
        b"".join(downloads.download(f"{host}/shorter-now.ndjson"))


# The end itself is drawn often: a break there is the case a 416 answers.
ANYWHERE = st.integers(1, len(ROWS)) | st.just(len(ROWS))


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(where=st.lists(ANYWHERE, min_size=1, max_size=2, unique=True))
def test_a_chunked_download_broken_anywhere_even_at_its_end_arrives_whole(
    host: str, downloads: ApiClient, where: list[int]
) -> None:
    breaks[:] = sorted(where)
    assert b"".join(downloads.download(f"{host}/breaking.ndjson")) == ROWS
    assert not breaks
