"""Text Parquet cannot hold as it came (bytes that are not UTF-8, a lone UTF-16 surrogate):
each bad part becomes U+FFFD, the row stays, every reader reads the table, one warning tells."""

from __future__ import annotations

import json
import logging
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extract_assets.core.day_folders import write_day_folders
from extract_assets.core.parquet import write_ndjson, write_records
from extract_assets_tests.readers import assert_all_readers_agree

CUT_EMOJI = json.loads('"cut \\ud83d"')  # the first half of 😀, as a provider cut it


def test_bytes_that_are_not_utf8_become_replacement_characters_every_reader_can_read(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "people"
    write_ndjson([b'{"name": "Jos\xe9"}\n{"name": "Ada"}\n'], folder / "part-0.parquet")
    rows = assert_all_readers_agree(folder, None)
    assert sorted(row["name"] for row in rows) == ["Ada", "Jos\ufffd"]


def test_a_lone_surrogate_escaped_in_ndjson_becomes_a_replacement_character(
    tmp_path: Path,
) -> None:
    target = tmp_path / "t" / "bios.parquet"
    write_ndjson([b'{"bio": "ok"}\n{"bio": "cut \\ud83d", "tags": ["\\udc00"]}\n'], target)
    assert pq.read_table(target).to_pylist() == [
        {"bio": "ok", "tags": None},
        {"bio": "cut \ufffd", "tags": ["\ufffd"]},
    ]


def test_a_lone_surrogate_in_records_becomes_a_replacement_character(tmp_path: Path) -> None:
    target = tmp_path / "t" / "bios.parquet"
    write_records([{"bio": CUT_EMOJI, "n": 1}, {"bio": "whole 😀", "n": 2}], target)
    assert pq.read_table(target).column("bio").to_pylist() == ["cut \ufffd", "whole 😀"]


def test_a_lone_surrogate_in_a_page_of_rows_lands_in_its_day_folder(tmp_path: Path) -> None:
    day = date(2026, 12, 1)
    page = [{"date": "2026-12-01", "title": CUT_EMOJI}, {"date": "2026-12-01", "title": "ok"}]
    write_day_folders([page], tmp_path / "ads", [day])
    rows = assert_all_readers_agree(tmp_path / "ads", "date")
    assert sorted(row["title"] for row in rows) == ["cut \ufffd", "ok"]


def test_the_repairs_of_a_block_are_told_in_one_warning_with_their_count(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    lines = b"".join(b'{"name": "Jos\xe9 %d"}\n' % n for n in range(50))
    with caplog.at_level(logging.WARNING, logger="extract_assets.core.text_repair"):
        write_ndjson([lines], tmp_path / "t" / "names.parquet")
    [warning] = [r.getMessage() for r in caplog.records if "U+FFFD" in r.getMessage()]
    assert warning.startswith("50 lines held bytes that are not UTF-8")


def test_text_that_needs_no_repair_is_not_told(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="extract_assets.core.text_repair"):
        write_ndjson(['{"name": "José 😀"}\n'.encode()], tmp_path / "t" / "names.parquet")
    assert not [r for r in caplog.records if "U+FFFD" in r.getMessage()]


# Any code point, lone surrogates included: `st.text` leaves them out whatever its alphabet.
ANY_TEXT = st.lists(st.characters() | st.characters(categories=["Cs"]), max_size=12).map("".join)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(texts=st.lists(ANY_TEXT, min_size=1, max_size=20))
def test_any_text_in_records_lands_with_only_its_lone_surrogates_replaced(
    tmp_path_factory: pytest.TempPathFactory, texts: list[str]
) -> None:
    target = tmp_path_factory.mktemp("texts") / "t" / "texts.parquet"
    write_records([{"text": text} for text in texts], target)
    expected = [
        "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text) for text in texts
    ]
    assert pq.read_table(target).column("text").to_pylist() == expected


# Bytes a JSON string may hold unescaped, valid UTF-8 or not: no quote, backslash or control.
STRING_BYTES = st.binary(max_size=16).map(
    lambda raw: bytes(b for b in raw if b >= 0x20 and b not in b'"\\')
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(values=st.lists(STRING_BYTES, min_size=1, max_size=20))
def test_any_bytes_in_ndjson_strings_land_decoded_as_a_browser_would(
    tmp_path_factory: pytest.TempPathFactory, values: list[bytes]
) -> None:
    target = tmp_path_factory.mktemp("bytes") / "t" / "texts.parquet"
    write_ndjson([b"".join(b'{"text": "%s"}\n' % value for value in values)], target)
    expected = [value.decode("utf-8", "replace") for value in values]
    assert pq.read_table(target).column("text").to_pylist() == expected
