"""Bodies in the charset their `Content-Type` declares, handed on as UTF-8.

JSON and NDJSON are UTF-8, and a body that declares nothing (or UTF-8, or ASCII) is read as
such, untouched. A host may still declare another charset (`text/plain; charset=windows-1252`,
`application/x-ndjson; charset=utf-16`: a file exported by a tool of another platform, a server
configured long ago); read as UTF-8, its accents would become U+FFFD and its UTF-16 would not
be JSON at all. So such a body is decoded by the charset it names, a piece at a time.

Servers also label UTF-8 as `charset=ISO-8859-1` (HTTP/1.1's old default for text/*), which
read by the label would turn every "é" into "Ã©". So a body labelled with a charset of single
bytes (or another legacy one) stays UTF-8 while its bytes are UTF-8, and is read by its label
from the first byte that is not: before that byte it is ASCII, which both read alike, in all
but the rarest text. UTF-16 and UTF-32, whose bytes often pass for UTF-8, are read by the label.
"""

from __future__ import annotations

import codecs
from collections.abc import Generator, Iterator

from extract_assets.core.content_encoding import BodyDecoder

__all__ = ["in_utf8", "other_charset", "utf8_first"]

_UTF8_ALREADY = frozenset({"utf-8", "utf-8-sig", "ascii"})
_UNICODE = ("utf-16", "utf-32")


def other_charset(declared: str | None) -> codecs.CodecInfo | None:
    """The codec of a declared charset that is not UTF-8 already; None for none, for UTF-8 or
    ASCII, and for a name Python does not know (read as UTF-8, as JSON is).

    >>> other_charset("ISO-8859-1").name, other_charset("utf8"), other_charset("x-unknown")
    ('iso8859-1', None, None)
    """
    if not declared:
        return None
    try:
        codec = codecs.lookup(declared.strip().strip('"'))
    except LookupError:
        return None
    return None if codec.name in _UTF8_ALREADY else codec


def utf8_first(codec: codecs.CodecInfo) -> bool:
    """Whether text labelled `codec` is read as UTF-8 while its bytes are UTF-8 (see the module
    doc): all but UTF-16 and UTF-32.

    >>> utf8_first(codecs.lookup("latin-1")), utf8_first(codecs.lookup("utf-16-le"))
    (True, False)
    """
    return not codec.name.startswith(_UNICODE)


def in_utf8(decoder: BodyDecoder, declared: str | None) -> BodyDecoder:
    """`decoder`, its bytes re-encoded into UTF-8 from the charset `declared`, when that is
    another one (see `other_charset`); else `decoder` itself, which costs nothing more.

    >>> from extract_assets.core.content_encoding import body_decoder
    >>> b"".join(in_utf8(body_decoder("identity"), "latin-1").feed(b'{"n": "Jos\\xe9"}'))
    b'{"n": "Jos\\xc3\\xa9"}'
    """
    codec = other_charset(declared)
    return decoder if codec is None else _Recoded(decoder, codec)


class _Recoded:
    """A decoder whose output is text in `codec`, handed on as UTF-8 (UTF-8 already passing as
    it is, see the module doc). A byte the charset does not define becomes U+FFFD, as a line
    that is not UTF-8 does (see `text_repair`)."""

    def __init__(self, inner: BodyDecoder, codec: codecs.CodecInfo) -> None:
        self._inner = inner
        self._codec = codec.name
        self._text = codec.incrementaldecoder("replace")
        self._utf8 = utf8_first(codec)
        self._pending = b""  # the start of a UTF-8 character the next piece completes

    def feed(self, data: bytes) -> Iterator[bytes]:
        for piece in self._inner.feed(data):
            if self._utf8:
                piece = yield from self._utf8_part(piece)
            if piece and (text := self._text.decode(piece)):
                yield text.encode()

    def _utf8_part(self, piece: bytes) -> Generator[bytes, None, bytes]:
        """Yields the UTF-8 start of `piece` as it is; returns the rest, from the first byte
        that is not UTF-8 on (then read by the label), or nothing."""
        data, self._pending = self._pending + piece, b""
        try:
            _, valid = codecs.utf_8_decode(data, "strict", False)
        except UnicodeDecodeError as error:
            self._utf8 = False
            valid, rest = error.start, data[error.start :]
        else:
            self._pending, rest = data[valid:], b""
        if valid:
            yield data[:valid]
        return rest

    def finish(self) -> bytes:
        # Held back as the start of a UTF-8 character that never came: text in the label's.
        last = self._text.decode(self._inner.finish() + self._pending)
        if self._text.getstate()[0]:
            raise EOFError(f"the {self._codec} text stopped inside a character")
        return last.encode()
