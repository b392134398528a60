"""A Linkup result file of real-world rows sent through a CDN in br, zstd or stacked codings:
broken off half way, it lands as the same table as the file sent plain, in every reader; its
compressed stream ending early, it fails and writes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from extract_assets.core.errors import IncompleteResultError
from extract_assets.emulator import EmulatorServer
from extract_assets.linkup.client import LinkupClient
from extract_assets.linkup.models import Task
from extract_assets_tests.compressed import compressed
from extract_assets_tests.readers import WITHOUT_SPARK, assert_all_readers_agree
from extract_assets_tests.security.servers import serving


@pytest.fixture
def real_world_task(emulator: EmulatorServer, client: LinkupClient) -> Task:
    emulator.control.set_profile("real-world", seed=23)
    emulator.control.add_linkup_scenario("through a cdn", rows=3_000)
    return client.wait(client.create("through a cdn", "https://example.com/rows").id)


def plain_file(task: Task) -> bytes:
    assert task.output is not None
    return httpx.get(task.output.result_url, headers={"Accept-Encoding": "identity"}).content


@contextmanager
def cdn(body: bytes, coding: str) -> Iterator[str]:
    """Serves `body` in `coding`, breaking off half way the first time; a `Range` counts the
    encoded bytes."""
    sent = compressed(body, coding)
    breaks = [1]

    async def result(request: Request) -> Response:
        headers = {"Content-Encoding": coding, "Content-Type": "application/x-ndjson"}
        if asked := request.headers.get("range"):
            start = int(asked.removeprefix("bytes=").removesuffix("-"))
            headers["Content-Range"] = f"bytes {start}-{len(sent) - 1}/{len(sent)}"
            return Response(sent[start:], status_code=206, headers=headers)
        if not breaks[0]:
            return Response(sent, headers=headers)
        breaks[0] -= 1

        async def half() -> AsyncIterator[bytes]:
            yield sent[: len(sent) // 2]
            raise ConnectionError("the edge went away")

        return StreamingResponse(half(), headers={**headers, "Content-Length": str(len(sent))})

    with serving(Starlette(routes=[Route("/result.ndjson", result)])) as url:
        yield f"{url}/result.ndjson"


def through(task: Task, url: str) -> Task:
    assert task.output is not None
    return task.model_copy(update={"output": task.output.model_copy(update={"result_url": url})})


@pytest.mark.parametrize("coding", ["br", "zstd", "gzip, br"])
def test_a_result_sent_in_br_zstd_or_stacked_codings_lands_as_the_plain_one(
    real_world_task: Task, client: LinkupClient, tmp_path: Path, coding: str
) -> None:
    plain = plain_file(real_world_task)
    as_sent = client.write_result(real_world_task, tmp_path / "plain" / "part.parquet")
    with cdn(plain, coding) as url:
        sent_through = through(real_world_task, url)
        landed = client.write_result(sent_through, tmp_path / "cdn" / "part.parquet")
    assert landed.rows == as_sent.rows == 3_000
    assert landed.schema == as_sent.schema
    rows = assert_all_readers_agree(tmp_path / "cdn", None, readers=WITHOUT_SPARK)
    assert rows == assert_all_readers_agree(tmp_path / "plain", None, readers=WITHOUT_SPARK)


@pytest.mark.parametrize("coding", ["br", "zstd", "gzip, br"])
def test_a_result_whose_compressed_stream_ends_early_fails_and_writes_nothing(
    real_world_task: Task, client: LinkupClient, tmp_path: Path, coding: str
) -> None:
    sent = compressed(plain_file(real_world_task), coding)

    async def cut_short(request: Request) -> Response:
        return Response(sent[: len(sent) - 16], headers={"Content-Encoding": coding})

    with serving(Starlette(routes=[Route("/result.ndjson", cut_short)])) as url:
        sent_through = through(real_world_task, f"{url}/result.ndjson")
        with pytest.raises(IncompleteResultError, match="stream stopped before its end"):
            client.write_result(sent_through, tmp_path / "cdn" / "part.parquet")
    assert not (tmp_path / "cdn").exists() or not any((tmp_path / "cdn").iterdir())
