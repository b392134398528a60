"""Undo the `Content-Encoding` a file host applied to a download, a piece at a time.

Downloads ask for `Accept-Encoding: identity`, because a `Range` to resume from must count the
bytes of the file itself. Object stores answer an object stored compressed as it was stored
(`Content-Encoding: gzip`) whatever the client asks, and their ranges then count the compressed
bytes. So the download resumes by compressed bytes and decodes here, with one decoder kept
across the resumed requests.

A decoder hands out pieces of at most `piece_bytes`, however well the data compresses (the
emulator's rows shrink 300 to 1), and says when the stream ended before its end.

A body that names no coding but begins as gzip does (byte 0x1f, which no JSON text begins with) is
a file stored gzip-compressed (`result.ndjson.gz`, `Content-Type: application/gzip`): it is
decoded as gzip too, and resumed by its stored bytes like any other.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Protocol

__all__ = ["BodyDecoder", "UnreadableEncodingError", "body_decoder", "coding_of"]

_PIECE_BYTES = 4 << 20
_GZIP_WINDOW = 16 + zlib.MAX_WBITS
_GZIP_FIRST_BYTE = 0x1F
_CODINGS = ("identity", "gzip", "deflate")


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
        its end (zlib hands out all it can as the bytes arrive)."""
        ...


def coding_of(header: str | None) -> str:
    """The coding a `Content-Encoding` header names, lower-cased (`identity` when absent).

    >>> coding_of("GZIP"), coding_of("x-gzip"), coding_of(None), coding_of("br")
    ('gzip', 'gzip', 'identity', 'br')
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
    if coding == "gzip":
        return _Inflater(_GZIP_WINDOW, piece_bytes, members=True)
    if coding == "deflate":
        return _Inflater(None, piece_bytes, members=False)
    raise UnreadableEncodingError(
        f"the file host sent it with Content-Encoding {coding!r}, which extract-assets cannot "
        f"decode (it reads {', '.join(_CODINGS)})"
    )


class _Identity:
    def feed(self, data: bytes) -> Iterator[bytes]:
        if data:
            yield data

    def finish(self) -> bytes:
        return b""


class _Sniffing:
    """Identity, or gzip when the body's first byte is gzip's first (see the module doc)."""

    def __init__(self, piece_bytes: int) -> None:
        self._piece = piece_bytes
        self._inner: BodyDecoder | None = None

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._inner is None:
            if not data:
                return
            gzipped = data[0] == _GZIP_FIRST_BYTE
            self._inner = (
                _Inflater(_GZIP_WINDOW, self._piece, members=True) if gzipped else _Identity()
            )
        yield from self._inner.feed(data)

    def finish(self) -> bytes:
        return b"" if self._inner is None else self._inner.finish()


class _Inflater:
    """zlib's inflater: gzip (of one member or several, as `cat a.gz b.gz` gives) or deflate,
    which HTTP defines as zlib-wrapped but some servers send raw."""

    def __init__(self, window: int | None, piece_bytes: int, *, members: bool) -> None:
        self._piece = piece_bytes
        self._members = members
        self._inflate = zlib.decompressobj(window) if window is not None else None
        self._head = b""  # deflate's first bytes, until there are two to tell its kind by
        self._started = False
        self._ended = False
        self._full = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._inflate is None:
            data, self._head = self._head + data, b""
            if len(data) < 2:
                self._head = data
                return
            self._inflate = zlib.decompressobj(_deflate_window(data))
        while data or self._full:
            if self._ended:
                if not self._members or not data.strip(b"\0"):
                    return  # after the last member: a deflate stream's end, or gzip's padding
                self._inflate = zlib.decompressobj(_GZIP_WINDOW)
                self._ended = False
            try:
                piece = self._inflate.decompress(data, self._piece)
            except zlib.error as error:
                raise UnreadableEncodingError(
                    f"its bytes are not valid {self._name}: {error}"
                ) from error
            self._started = True
            # A full piece may leave output inside zlib with no input left: ask again.
            self._full = len(piece) == self._piece
            if piece:
                yield piece
            if self._inflate.eof:
                self._ended, self._full = True, False
                data = self._inflate.unused_data
            else:
                data = self._inflate.unconsumed_tail

    def finish(self) -> bytes:
        if self._head or (self._started and not self._ended):
            raise EOFError(f"the {self._name} stream stopped before its end")
        return b""

    @property
    def _name(self) -> str:
        return "gzip" if self._members else "deflate"


def _deflate_window(first: bytes) -> int:
    """zlib-wrapped deflate when the first two bytes are a zlib header, else raw deflate."""
    if len(first) >= 2 and first[0] & 0x0F == 8 and int.from_bytes(first[:2], "big") % 31 == 0:
        return zlib.MAX_WBITS
    return -zlib.MAX_WBITS
