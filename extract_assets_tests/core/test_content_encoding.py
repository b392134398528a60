"""Decoding a download's `Content-Encoding`: exact bytes however the body is split, bounded
pieces, and a clear failure for a stream cut short or bytes in another coding."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator

import brotli
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extract_assets.core.content_encoding import (
    UnreadableEncodingError,
    body_decoder,
    coding_of,
)
from extract_assets_tests.compressed import COMPRESSORS, compressed, zstd

bodies = st.binary(max_size=20_000) | st.text(max_size=5_000).map(str.encode)
cuts = st.lists(st.integers(min_value=0, max_value=30_000), max_size=6)


def split(data: bytes, at: list[int]) -> Iterator[bytes]:
    points = sorted({min(point, len(data)) for point in at})
    start = 0
    for point in [*points, len(data)]:
        yield data[start:point]
        start = point


def decoded(coding: str, received: Iterator[bytes], piece_bytes: int = 4 << 20) -> bytes:
    decoder = body_decoder(coding, piece_bytes=piece_bytes)
    out = [piece for chunk in received for piece in decoder.feed(chunk)]
    return b"".join(out) + decoder.finish()


def raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


@given(body=bodies, at=cuts)
def test_gzip_split_anywhere_decodes_to_the_exact_bytes(body: bytes, at: list[int]) -> None:
    assert decoded("gzip", split(gzip.compress(body), at)) == body


@given(members=st.lists(bodies, min_size=2, max_size=4), at=cuts)
def test_gzip_of_several_members_decodes_to_all_of_them(
    members: list[bytes], at: list[int]
) -> None:
    received = b"".join(gzip.compress(member) for member in members)
    assert decoded("gzip", split(received, at)) == b"".join(members)


def test_zero_padding_after_the_last_gzip_member_is_ignored() -> None:
    assert decoded("gzip", iter([gzip.compress(b"a\n") + bytes(512)])) == b"a\n"


@given(body=bodies, at=cuts, wrapped=st.booleans())
def test_deflate_zlib_wrapped_or_raw_decodes_to_the_exact_bytes(
    body: bytes, at: list[int], wrapped: bool
) -> None:
    sent = zlib.compress(body) if wrapped else raw_deflate(body)
    assert decoded("deflate", split(sent, at)) == body


@given(body=st.binary(min_size=1, max_size=20_000), data=st.data())
def test_a_gzip_stream_cut_short_fails_at_its_end(body: bytes, data: st.DataObject) -> None:
    sent = gzip.compress(body)
    cut = data.draw(st.integers(min_value=1, max_value=len(sent) - 1))
    with pytest.raises(EOFError, match="gzip stream stopped before its end"):
        decoded("gzip", iter([sent[:cut]]))


def test_pieces_stay_small_however_well_the_body_compresses() -> None:
    body = b'{"id": 1, "name": "same row"}\n' * 400_000  # 12 MB that gzip makes 35 kB
    decoder = body_decoder("gzip", piece_bytes=1 << 20)
    pieces = [piece for piece in decoder.feed(gzip.compress(body))]
    assert max(map(len, pieces)) <= 1 << 20
    assert b"".join(pieces) == body


@pytest.mark.parametrize("piece_bytes", [1, 100, 4096])
def test_output_zlib_still_holds_when_the_input_is_spent_arrives(piece_bytes: int) -> None:
    body = b"a" * 100_000  # raw deflate has no trailer after the last bytes that expand
    assert decoded("deflate", iter([raw_deflate(body)]), piece_bytes=piece_bytes) == body


def test_bytes_that_are_not_gzip_are_unreadable() -> None:
    with pytest.raises(UnreadableEncodingError, match="not valid gzip"):
        decoded("gzip", iter([b'{"id": 1}\n']))


def test_a_coding_this_package_cannot_read_is_named_in_the_error() -> None:
    with pytest.raises(
        UnreadableEncodingError, match=r"Content-Encoding 'compress'.*gzip, deflate, br, zstd"
    ):
        body_decoder(coding_of("compress"))


def test_a_coding_we_cannot_read_among_stacked_ones_is_refused_by_the_header() -> None:
    with pytest.raises(UnreadableEncodingError, match="'gzip, compress'"):
        body_decoder(coding_of("gzip, compress"))


def test_identity_passes_the_bytes_as_they_come() -> None:
    assert decoded(coding_of(None), iter([b"a", b"", b"b\n"])) == b"ab\n"


@pytest.mark.parametrize(
    ("header", "coding"),
    [("gzip", "gzip"), ("X-Gzip", "gzip"), (" GZIP ", "gzip"), ("identity", "identity"),
     ("", "identity"), ("gzip, identity", "gzip"), ("deflate, gzip", "deflate, gzip")],
)  # fmt: skip
def test_a_header_names_its_coding_in_lower_case(header: str, coding: str) -> None:
    assert coding_of(header) == coding


@given(body=bodies, at=cuts)
def test_brotli_split_anywhere_decodes_to_the_exact_bytes(body: bytes, at: list[int]) -> None:
    assert decoded("br", split(brotli.compress(body), at)) == body


@given(body=bodies, at=cuts)
def test_zstd_split_anywhere_decodes_to_the_exact_bytes(body: bytes, at: list[int]) -> None:
    assert decoded("zstd", split(zstd.compress(body), at)) == body


@given(frames=st.lists(bodies, min_size=2, max_size=4), at=cuts)
def test_zstd_of_several_frames_decodes_to_all_of_them(frames: list[bytes], at: list[int]) -> None:
    received = b"".join(zstd.compress(frame) for frame in frames)
    assert decoded("zstd", split(received, at)) == b"".join(frames)


def test_a_zstd_skippable_frame_holds_nothing() -> None:
    skippable = b"\x50\x2a\x4d\x18" + (3).to_bytes(4, "little") + b"abc"
    assert decoded("zstd", iter([skippable + zstd.compress(b"a\n")])) == b"a\n"


@given(
    body=bodies,
    at=cuts,
    codings=st.lists(st.sampled_from(sorted(COMPRESSORS)), min_size=2, max_size=3),
)
def test_stacked_codings_are_undone_in_reverse_order(
    body: bytes, at: list[int], codings: list[str]
) -> None:
    header = ", ".join(codings)
    assert decoded(coding_of(header), split(compressed(body, header), at), piece_bytes=1000) == body


@pytest.mark.parametrize("coding", ["br", "zstd", "gzip, br", "zstd, gzip"])
@given(body=st.binary(min_size=1, max_size=20_000), data=st.data())
def test_a_stream_cut_short_in_any_coding_fails_at_its_end(
    coding: str, body: bytes, data: st.DataObject
) -> None:
    sent = compressed(body, coding)
    cut = data.draw(st.integers(min_value=1, max_value=len(sent) - 1))
    with pytest.raises(EOFError, match="stream stopped before its end"):
        decoded(coding, iter([sent[:cut]]))


@pytest.mark.parametrize("coding", ["br", "zstd", "gzip, zstd", "br, gzip"])
def test_pieces_stay_small_in_every_coding_however_well_the_body_compresses(coding: str) -> None:
    body = b'{"id": 1, "name": "same row"}\n' * 400_000  # 12 MB that shrinks a thousandfold
    sent = compressed(body, coding)
    decoder = body_decoder(coding, piece_bytes=1 << 20)
    pieces = [piece for piece in decoder.feed(sent)]
    assert max(map(len, pieces)) <= 1 << 20
    assert b"".join(pieces) + decoder.finish() == body


@pytest.mark.parametrize("piece_bytes", [1, 100, 4096])
def test_brotli_output_waiting_inside_arrives_with_tiny_pieces(piece_bytes: int) -> None:
    body = b"a" * 100_000
    assert decoded("br", iter([brotli.compress(body)]), piece_bytes=piece_bytes) == body


@pytest.mark.parametrize(
    ("coding", "garbage"),
    [
        ("br", b'{"id": 1}\n'),
        ("zstd", b'{"id": 1}\n'),
        ("gzip, zstd", zstd.compress(b"not gzip\n")),
    ],
)
def test_bytes_that_are_not_the_coding_named_are_unreadable(coding: str, garbage: bytes) -> None:
    with pytest.raises(UnreadableEncodingError, match="not valid"):
        decoded(coding, iter([garbage]))


@given(body=bodies, at=cuts)
def test_a_body_that_names_no_coding_but_is_a_zstd_frame_is_decoded(
    body: bytes, at: list[int]
) -> None:
    assert decoded(coding_of(None), split(zstd.compress(body), at)) == body


@pytest.mark.parametrize("body", [b"(", b"(\xb5", b"(\xb5/", b'("a")\n'])
def test_a_body_that_only_begins_as_a_zstd_frame_does_passes_as_it_came(body: bytes) -> None:
    assert decoded(coding_of(None), iter(bytes([byte]) for byte in body)) == body


@settings(max_examples=50)
@given(
    streams=st.lists(st.binary(max_size=2_000), min_size=2, max_size=4),
    at=cuts,
    coding=st.sampled_from(["gzip", "zstd"]),
    piece_bytes=st.sampled_from([1, 7, 100]),
)
def test_several_streams_in_a_row_decode_whole_in_tiny_pieces(
    streams: list[bytes], at: list[int], coding: str, piece_bytes: int
) -> None:
    received = b"".join(COMPRESSORS[coding](stream) for stream in streams)
    assert decoded(coding, split(received, at), piece_bytes=piece_bytes) == b"".join(streams)
