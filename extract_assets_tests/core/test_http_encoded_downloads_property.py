"""A property over file hosts and CDNs that send a download compressed however they like: in any
coding or several, broken off anywhere up to three times, honouring ranges, ignoring them, or
answering them uncompressed, and compressing the file anew into other bytes each time it is
sent whole. Whatever they do, the download hands out the file's exact bytes."""

from __future__ import annotations

import gzip
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import brotli
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from extract_assets.core.http import ApiClient
from extract_assets.core.retry import RetryPolicy
from extract_assets_tests.compressed import zstd

CODINGS = ["identity", "gzip", "br", "zstd", "gzip, br", "zstd, gzip", "br, zstd"]
# Each coding's compressor at two settings, which give the same file other bytes.
SETTINGS = {
    "gzip": (lambda body: gzip.compress(body, 1), lambda body: gzip.compress(body, 9)),
    "br": (lambda body: brotli.compress(body, quality=1), brotli.compress),
    "zstd": (lambda body: zstd.compress(body, 1), lambda body: zstd.compress(body, 19)),
}


def sent_as(body: bytes, header: str, anew: bool) -> bytes:
    for coding in header.split(", "):
        if coding != "identity":
            body = SETTINGS[coding][anew](body)
    return body


@dataclass
class Host:
    """What the file host does with the requests of one example."""

    file: bytes = b""
    coding: str = "identity"
    ranges: str = "honour"  # or "ignore", or "uncompressed" (a CDN compressing as it sends)
    anew: bool = False  # the whole file compressed anew each time it is sent
    breaks: list[float] = field(default_factory=list)  # where each of the next answers breaks
    wholes: int = 0

    async def answer(self, request: Request) -> Response:
        first = sent_as(self.file, self.coding, anew=False)
        asked = request.headers.get("range")
        if asked and self.ranges != "ignore":
            start = int(asked.removeprefix("bytes=").removesuffix("-"))
            uncompressed = self.ranges == "uncompressed"
            body = (self.file if uncompressed else first)[start:]
            headers = {"Content-Range": f"bytes {start}-{start + len(body) - 1}/*"}
            if not uncompressed and self.coding != "identity":
                headers["Content-Encoding"] = self.coding
            return self._sent(body, 206, headers)
        self.wholes += 1
        body = sent_as(self.file, self.coding, anew=self.anew and self.wholes % 2 == 0)
        coding = {} if self.coding == "identity" else {"Content-Encoding": self.coding}
        return self._sent(body, 200, coding)

    def _sent(self, body: bytes, status: int, headers: dict[str, str]) -> Response:
        if not self.breaks or len(body) < 2:
            return Response(body, status, headers)
        cut = max(1, int(len(body) * self.breaks.pop(0)))

        async def broken() -> AsyncIterator[bytes]:
            yield body[:cut]
            raise ConnectionError("the host went away")

        return StreamingResponse(broken(), status, {**headers, "Content-Length": str(len(body))})


file_host = Host()
app = Starlette(routes=[Route("/file", file_host.answer)])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)
rows = st.lists(st.dictionaries(st.text(max_size=8), json_values, max_size=5), max_size=300)


@settings(max_examples=40, deadline=None)
@given(
    written=rows,
    coding=st.sampled_from(CODINGS),
    ranges=st.sampled_from(["honour", "ignore", "uncompressed"]),
    anew=st.booleans(),
    breaks=st.lists(st.floats(min_value=0.01, max_value=0.99), max_size=3),
)
def test_a_download_however_a_host_compresses_it_hands_out_the_files_exact_bytes(
    host: str,
    written: list[dict[str, object]],
    coding: str,
    ranges: str,
    anew: bool,
    breaks: list[float],
) -> None:
    file = b"".join(json.dumps(row).encode() + b"\n" for row in written)
    file_host.file, file_host.coding, file_host.ranges = file, coding, ranges
    file_host.anew, file_host.breaks, file_host.wholes = anew, breaks, 0
    retry = RetryPolicy(max_attempts=5, backoff_base_seconds=0.001)
    with ApiClient(provider="Linkup", base_url="http://127.0.0.1:9", api_key="k", retry=retry) as c:
        assert b"".join(c.download(f"{host}/file")) == file
