"""Undo the `Content-Encoding` a file host applied to a download, a piece at a time.

Downloads ask for `Accept-Encoding: identity`, because a `Range` to resume from must count the
bytes of the file itself. Object stores answer an object stored compressed as it was stored
(`Content-Encoding: gzip`) whatever the client asks, and CDNs in front of them send `br` or
`zstd` whatever was asked; their ranges then count the compressed bytes. So the download resumes
by compressed bytes and decodes here, with one decoder kept across the resumed requests. Codings
stacked in one header (`gzip, br`: gzip applied first) are undone in reverse order.

A decoder hands out pieces of at most `piece_bytes`, however well the data compresses (the
emulator's rows shrink 300 to 1), and says when the stream ended before its end.

A body that names no coding but begins as gzip or a zstd frame does (byte 0x1f, or the bytes
28 b5 2f fd, which no JSON text begins with) is a file stored compressed (`result.ndjson.gz`,
`result.ndjson.zst`, `Content-Type: application/zstd`): it is decoded as such too, and resumed by
its stored bytes like any other.
"""

from __future__ import annotations

import sys
import zlib
from collections.abc import Callable, Iterator
from typing import Protocol

import brotli

if sys.version_info >= (3, 14):
    from compression import zstd
else:
    from backports import zstd

__all__ = ["BodyDecoder", "UnreadableEncodingError", "body_decoder", "coding_of"]

_PIECE_BYTES = 4 << 20
_GZIP_WINDOW = 16 + zlib.MAX_WBITS
_GZIP_FIRST_BYTE = 0x1F
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_CODINGS = ("identity", "gzip", "deflate", "br", "zstd")


class UnreadableEncodingError(ValueError):
    """The body is not in the encoding its header names, or in one this package cannot read."""


class BodyDecoder(Protocol):
    """Turns the bytes received into the bytes of the file, keeping state between calls."""

    def feed(self, data: bytes) -> Iterator[bytes]:
        """The file's bytes that `data`, the next bytes received, completes."""
        ...

    def finish(self) -> bytes:
        """Once every byte was received: the file's bytes held back until the end (none but
        for a charset, see `charset`); raises `EOFError` when the encoded stream stopped before
        its end (the decompressors hand out all they can as the bytes arrive)."""
        ...


def coding_of(header: str | None) -> str:
    """The codings a `Content-Encoding` header names, lower-cased (`identity` when absent).

    >>> coding_of("GZIP"), coding_of("x-gzip"), coding_of(None), coding_of("gzip, BR")
    ('gzip', 'gzip', 'identity', 'gzip, br')
    """
    codings = [part.strip().lower() for part in (header or "").split(",") if part.strip()]
    codings = ["gzip" if coding == "x-gzip" else coding for coding in codings]
    codings = [coding for coding in codings if coding != "identity"]
    return ", ".join(codings) or "identity"


def body_decoder(coding: str, *, piece_bytes: int = _PIECE_BYTES) -> BodyDecoder:
    """A decoder for `coding` (as `coding_of` names it), or `UnreadableEncodingError`.
    A decoder also raises `UnreadableEncodingError` when the bytes are not in its coding.

    >>> decoder = body_decoder("gzip")
    >>> b"".join(decoder.feed(__import__("gzip").compress(b'{"id": 1}\\n')))
    b'{"id": 1}\\n'
    >>> decoder.finish()
    b''
    """
    if coding == "identity":
        return _Sniffing(piece_bytes)
    codings = coding.split(", ")
    unknown = [name for name in codings if name not in _STREAMS]
    if unknown:
        raise UnreadableEncodingError(
            f"the file host sent it with Content-Encoding {coding!r}, which extract-assets cannot "
            f"decode (it reads {', '.join(_CODINGS)}, and several of them in a row)"
        )
    # The last coding named was applied last, so it is undone first.
    decoders = [_Decompressing(name, piece_bytes) for name in reversed(codings)]
    decoder: BodyDecoder = decoders[0]
    for inner in decoders[1:]:
        decoder = _Stacked(decoder, inner)
    return decoder


class _Identity:
    def feed(self, data: bytes) -> Iterator[bytes]:
        if data:
            yield data

    def finish(self) -> bytes:
        return b""


class _Sniffing:
    """Identity, or gzip or zstd when the body begins as they do (see the module doc)."""

    def __init__(self, piece_bytes: int) -> None:
        self._piece = piece_bytes
        self._inner: BodyDecoder | None = None
        self._head = b""  # the first bytes, while they may still begin a zstd frame

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._inner is None:
            data, self._head = self._head + data, b""
            if not data:
                return
            if _ZSTD_MAGIC.startswith(data[: len(_ZSTD_MAGIC)]) and len(data) < len(_ZSTD_MAGIC):
                self._head = data
                return
            self._inner = self._sniffed(data)
        yield from self._inner.feed(data)

    def _sniffed(self, first: bytes) -> BodyDecoder:
        if first[0] == _GZIP_FIRST_BYTE:
            return _Decompressing("gzip", self._piece)
        if first.startswith(_ZSTD_MAGIC):
            return _Decompressing("zstd", self._piece)
        return _Identity()

    def finish(self) -> bytes:
        return self._head if self._inner is None else self._inner.finish()


class _Stacked:
    """Two decoders in a row: what `outer` decodes, `inner` decodes further."""

    def __init__(self, outer: BodyDecoder, inner: BodyDecoder) -> None:
        self._outer = outer
        self._inner = inner

    def feed(self, data: bytes) -> Iterator[bytes]:
        for piece in self._outer.feed(data):
            yield from self._inner.feed(piece)

    def finish(self) -> bytes:
        last = b"".join(self._inner.feed(self._outer.finish()))
        return last + self._inner.finish()


class _Stream(Protocol):
    """One compressed stream (a gzip member, a zstd frame, a brotli or deflate stream), seen
    through one interface."""

    ended: bool
    # Output is waiting inside: the next step must pass no input.
    holding: bool

    def step(self, data: bytes, limit: int) -> bytes:
        """Output for `data` and what the stream holds, of about `limit` bytes at most."""
        ...

    def after_end(self) -> bytes:
        """The input received past the stream's end, once `ended`."""
        ...


class _Decompressing:
    """Decodes one coding, a stream after another where the coding allows several in a row
    (`cat a.gz b.gz`, zstd frames), handing out pieces of at most `piece_bytes`."""

    def __init__(self, coding: str, piece_bytes: int) -> None:
        self._coding = coding
        self._new, self._errors, self._several = _STREAMS[coding]
        self._piece = piece_bytes
        self._stream = self._new()
        self._started = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        while data or self._stream.holding:
            if self._stream.ended:
                if not self._several or not data.strip(b"\0"):
                    return  # after the last stream: its end, or gzip's zero padding
                self._stream = self._new()
            passed, data = (b"", data) if self._stream.holding else (data, b"")
            try:
                out = self._stream.step(passed, self._piece)
            except self._errors as error:
                raise UnreadableEncodingError(
                    f"its bytes are not valid {self._coding}: {error}"
                ) from error
            self._started = True
            # brotli may hand out up to twice its limit: cut to the pieces promised.
            for start in range(0, len(out), self._piece):
                yield out[start : start + self._piece]
            if self._stream.ended:
                data = self._stream.after_end() + data

    def finish(self) -> bytes:
        if self._started and not self._stream.ended:
            raise EOFError(f"the {self._coding} stream stopped before its end")
        return b""


class _Zlib:
    """zlib's inflater, for gzip, or for deflate, which HTTP defines as zlib-wrapped but some
    servers send raw (told apart by the first two bytes)."""

    def __init__(self, window: int | None) -> None:
        self._inflate = zlib.decompressobj(window) if window is not None else None
        self._head = b""  # deflate's first bytes, until there are two to tell its kind by
        self.ended = False
        self.holding = False

    def step(self, data: bytes, limit: int) -> bytes:
        if self._inflate is None:
            data, self._head = self._head + data, b""
            if len(data) < 2:
                self._head = data
                return b""
            self._inflate = zlib.decompressobj(_deflate_window(data))
        out = self._inflate.decompress(data or self._inflate.unconsumed_tail, limit)
        self.ended = self._inflate.eof
        # A full piece may leave output inside zlib with no input left: ask again.
        self.holding = not self.ended and (bool(self._inflate.unconsumed_tail) or len(out) == limit)
        return out

    def after_end(self) -> bytes:
        return self._inflate.unused_data if self._inflate is not None else b""


class _Zstd:
    """One zstd frame (a skippable frame is one that holds nothing)."""

    def __init__(self) -> None:
        self._inflate = zstd.ZstdDecompressor()
        self.ended = False
        self.holding = False

    def step(self, data: bytes, limit: int) -> bytes:
        out = self._inflate.decompress(data, limit)
        self.ended = self._inflate.eof
        self.holding = not self.ended and not self._inflate.needs_input
        return out

    def after_end(self) -> bytes:
        return self._inflate.unused_data


class _Brotli:
    """One brotli stream. Its limit is a size past which its buffer stops growing, and output
    may still wait inside when it says it takes input again."""

    def __init__(self) -> None:
        self._inflate = brotli.Decompressor()
        self.ended = False
        self.holding = False

    def step(self, data: bytes, limit: int) -> bytes:
        out = self._inflate.process(data, output_buffer_limit=limit)
        self.ended = self._inflate.is_finished()
        self.holding = not self.ended and (
            not self._inflate.can_accept_more_data() or len(out) >= limit
        )
        return out

    def after_end(self) -> bytes:
        return b""  # brotli refuses bytes past its end as not brotli


_STREAMS: dict[str, tuple[Callable[[], _Stream], tuple[type[Exception], ...], bool]] = {
    "gzip": (lambda: _Zlib(_GZIP_WINDOW), (zlib.error,), True),
    "deflate": (lambda: _Zlib(None), (zlib.error,), False),
    "zstd": (_Zstd, (zstd.ZstdError,), True),
    "br": (_Brotli, (brotli.error,), False),
}


def _deflate_window(first: bytes) -> int:
    """zlib-wrapped deflate when the first two bytes are a zlib header, else raw deflate."""
    if len(first) >= 2 and first[0] & 0x0F == 8 and int.from_bytes(first[:2], "big") % 31 == 0:
        return zlib.MAX_WBITS
    return -zlib.MAX_WBITS
