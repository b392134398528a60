"""Reading a `multipart/form-data` body without a third-party parser.

The body is read with a size cap: an upload far over the file limit is drained, not kept.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from email.message import Message
from email.utils import collapse_rfc2231_value

from extract_assets.emulator.dataextractor.errors import DataextractorError

MALFORMED = "Malformed multipart/form-data body"


@dataclass(frozen=True)
class Part:
    """One part of the form: a field, or a file when it has a filename."""

    name: str
    filename: str | None
    content_type: str | None
    data: bytes


class BodyTooLarge(Exception):
    """The body went past the cap; the rest was drained."""


def boundary_of(content_type: str | None) -> str:
    """The boundary of a multipart/form-data Content-Type, or 400."""
    header = Message()
    header["content-type"] = content_type or ""
    boundary = header.get_param("boundary")
    if header.get_content_type() != "multipart/form-data" or not isinstance(boundary, str):
        raise DataextractorError(
            400, "Request must be multipart/form-data with a `file` part and a boundary"
        )
    return boundary


async def read_capped(stream: AsyncIterator[bytes], cap: int) -> bytes:
    """The whole body, or BodyTooLarge once it exceeds `cap` bytes (after draining the rest, so
    the client can read the answer instead of seeing its upload cut off)."""
    body = bytearray()
    async for chunk in stream:
        body += chunk
        if len(body) > cap:
            async for _ in stream:
                pass
            raise BodyTooLarge
    return bytes(body)


def parse_parts(body: bytes, boundary: str) -> list[Part]:
    """The parts of a form body, or 400 when it is not well formed."""
    delimiter = b"--" + boundary.encode("latin-1")
    start = body.find(delimiter)
    if start < 0:
        raise DataextractorError(400, MALFORMED)
    parts: list[Part] = []
    position = start + len(delimiter)
    while True:
        if body.startswith(b"--", position):
            return parts
        if not body.startswith(b"\r\n", position):
            raise DataextractorError(400, MALFORMED)
        headers_end = body.find(b"\r\n\r\n", position + 2)
        end = body.find(b"\r\n" + delimiter, position + 2)
        if headers_end < 0 or end < 0 or headers_end > end:
            raise DataextractorError(400, MALFORMED)
        parts.append(_part(body[position + 2 : headers_end], body[headers_end + 4 : end]))
        position = end + 2 + len(delimiter)


def _part(raw_headers: bytes, data: bytes) -> Part:
    header = Message()
    for line in raw_headers.decode("utf-8", errors="replace").split("\r\n"):
        field, colon, value = line.partition(":")
        if not colon:
            raise DataextractorError(400, MALFORMED)
        header[field.strip()] = value.strip()
    name = _disposition_param(header, "name")
    if header.get_content_disposition() != "form-data" or name is None:
        raise DataextractorError(400, MALFORMED)
    content_type = header.get("content-type")
    return Part(
        name=name,
        filename=_disposition_param(header, "filename"),
        content_type=None if content_type is None else str(content_type),
        data=data,
    )


def _disposition_param(header: Message, name: str) -> str | None:
    value = header.get_param(name, header="content-disposition")
    # A tuple is an RFC 2231 encoded value (`filename*=utf-8''...`).
    return None if value is None else collapse_rfc2231_value(value)
