"""Bodies compressed as servers send them: one `Content-Encoding` or several in a row."""

from __future__ import annotations

import gzip
import sys
import zlib
from collections.abc import Callable

import brotli

if sys.version_info >= (3, 14):
    from compression import zstd
else:
    from backports import zstd

COMPRESSORS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": gzip.compress,
    "deflate": zlib.compress,
    "br": brotli.compress,
    "zstd": zstd.compress,
}


def compressed(body: bytes, header: str) -> bytes:
    """`body` in the codings a `Content-Encoding` header names, applied in the order named."""
    for coding in header.split(", "):
        if coding != "identity":
            body = COMPRESSORS[coding](body)
    return body
