"""Row pages: the next page is asked for while this one is decoded and handed over, and a
cursor handed out a second time ends them."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from extract_assets.emulator import EmulatorServer
from extract_assets.extractto.client import ExtractToClient
from extract_assets_tests.security.servers import serving

from .conftest import calls, served_rows, wait_until

ROWS = [{"date": f"2026-09-{1 + n // 10:02d}", "id": n} for n in range(23)]


def test_the_next_page_is_asked_for_before_the_reader_takes_it(
    emulator: EmulatorServer,
    client: ExtractToClient,
    small_extract: dict[str, Any],
) -> None:
    client.sync(small_extract["id"], "2026-09-01", "2026-09-03")
    table_id = small_extract["data_table_id"]
    pages = client.iter_row_pages(table_id, "2026-09-01", "2026-09-03", page_size=7)
    next(pages)
    # Nothing more is asked of the generator: the second page is on its way all the same.
    wait_until(
        lambda: len(calls(emulator, "GET", f"/data-tables/{table_id}/rows")) == 2,
        "the second page asked for",
    )
    pages.close()


def test_pages_of_real_world_rows_are_read_whole_one_request_a_page(
    quick_emulator: EmulatorServer,
    client: ExtractToClient,
    small_extract: dict[str, Any],
    extractto_url: str,
) -> None:
    quick_emulator.control.set_profile("real-world", seed=5)
    client.sync(small_extract["id"], "2026-09-01", "2026-09-03")
    table_id = small_extract["data_table_id"]
    pages = list(client.iter_row_pages(table_id, "2026-09-01", "2026-09-03", page_size=7))
    assert len(calls(quick_emulator, "GET", f"/data-tables/{table_id}/rows")) == len(pages)
    served = served_rows(extractto_url, table_id, "2026-09-01", "2026-09-03")
    assert any(len(str(row["date"])) > 10 for row in served), "the profile sent no timestamp"
    assert [row for page in pages for row in page] == served


def envelope_app(style: str, asked: list[str | None]) -> Starlette:
    """Pages of `ROWS`, 5 at a time, in an envelope written in `style`."""

    async def rows(request: Request) -> Response:
        cursor = request.query_params.get("cursor")
        asked.append(cursor)
        start = int(cursor or 0)
        page = ROWS[start : start + int(request.query_params["limit"])]
        after = str(start + len(page)) if start + len(page) < len(ROWS) else None
        if style == "cursor first":
            body = json.dumps({"next_cursor": after, "data": page})
        elif style == "indented":
            body = json.dumps({"data": page, "next_cursor": after}, indent=2)
        else:
            body = json.dumps({"data": page, "next_cursor": after}, separators=(",", ":"))
        return Response(body, media_type="application/json")

    return Starlette(routes=[Route("/data-tables/{table}/rows", rows)])


@pytest.fixture(params=["cursor last", "cursor first", "indented"])
def envelope_url(request: pytest.FixtureRequest) -> Iterator[tuple[str, list[str | None]]]:
    asked: list[str | None] = []
    with serving(envelope_app(request.param, asked)) as url:
        yield url, asked


def test_pages_are_read_whole_however_the_envelope_is_written(
    envelope_url: tuple[str, list[str | None]],
) -> None:
    url, asked = envelope_url
    with ExtractToClient("key", base_url=url, requests_per_minute=None) as client:
        pages = list(client.iter_row_pages("t", "2026-09-01", "2026-09-03", page_size=5))
    assert [row for page in pages for row in page] == ROWS
    assert asked == [None, "5", "10", "15", "20"]


def cursor_app(answers: dict[str | None, list[str | None]], asked: list[str | None]) -> Starlette:
    """Rows pages: each cursor is answered with the next of its `answers` (the cursor to hand
    out next), its rows named after the cursor and how often it was asked for."""
    times: dict[str | None, int] = {}

    async def rows(request: Request) -> Response:
        cursor = request.query_params.get("cursor")
        asked.append(cursor)
        turn = times[cursor] = times.get(cursor, -1) + 1
        after = answers[cursor][min(turn, len(answers[cursor]) - 1)]
        fresh = turn if len(answers[cursor]) > 1 else 0
        page = [{"date": "2026-09-01", "id": f"{cursor}{fresh}-{n}"} for n in range(2)]
        return Response(json.dumps({"data": page, "next_cursor": after}))

    return Starlette(routes=[Route("/data-tables/{table}/rows", rows)])


def read_ids(answers: dict[str | None, list[str | None]], asked: list[str | None]) -> list[str]:
    with serving(cursor_app(answers, asked)) as url, ExtractToClient("key", base_url=url) as reader:
        pages = reader.iter_row_pages("t1", "2026-09-01", "2026-09-01", page_size=2)
        return [str(row["id"]).removesuffix("-0") for page in pages for row in page[:1]]


@pytest.mark.timeout(30)  # without the guard, the pages never end
def test_a_cursor_answered_with_the_same_page_again_ends_the_pages(
    caplog: pytest.LogCaptureFixture,
) -> None:
    asked: list[str | None] = []
    loop: dict[str | None, list[str | None]] = {None: ["a"], "a": ["b"], "b": ["a"]}
    with caplog.at_level(logging.WARNING, logger="extract_assets.extractto"):
        assert read_ids(loop, asked) == ["None0", "a0", "b0"]
    assert asked == [None, "a", "b", "a"]
    assert "answered cursor 'a' with the same page a second time" in caplog.text


def test_a_cursor_handed_out_again_with_the_next_rows_is_followed_to_the_end() -> None:
    asked: list[str | None] = []
    scroll: dict[str | None, list[str | None]] = {None: ["s"], "s": ["s", "s", None]}
    assert read_ids(scroll, asked) == ["None0", "s0", "s1", "s2"]
    assert asked == [None, "s", "s", "s"]
