"""Bodies in the charset their `Content-Type` declares, handed on as UTF-8.

JSON and NDJSON are UTF-8, and a body that declares nothing (or UTF-8, or ASCII) is read as
such, untouched. A host may still declare another charset (`text/plain; charset=windows-1252`,
`application/x-ndjson; charset=utf-16`: a file exported by a tool of another platform, a server
configured long ago); read as UTF-8, its accents would become U+FFFD and its UTF-16 would not
be JSON at all. So such a body is decoded by the charset it names, a piece at a time.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator

from extract_assets.core.content_encoding import BodyDecoder

__all__ = ["in_utf8", "other_charset"]

_UTF8_ALREADY = frozenset({"utf-8", "utf-8-sig", "ascii"})


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
    """A decoder whose output is text in `codec`, handed on as UTF-8. A byte the charset does
    not define becomes U+FFFD, as a line that is not UTF-8 does (see `text_repair`)."""

    def __init__(self, inner: BodyDecoder, codec: codecs.CodecInfo) -> None:
        self._inner = inner
        self._codec = codec.name
        self._text = codec.incrementaldecoder("replace")

    def feed(self, data: bytes) -> Iterator[bytes]:
        for piece in self._inner.feed(data):
            if text := self._text.decode(piece):
                yield text.encode()

    def finish(self) -> None:
        self._inner.finish()
        if self._text.getstate()[0]:
            raise EOFError(f"the {self._codec} text stopped inside a character")
