"""A result file stored gzip-compressed and served as it is stored, without `Content-Encoding`
(`result.ndjson.gz`, `Content-Type: application/gzip`), through `LinkupClient.write_result`: its
rows land in every reader, and one cut short is a truncated download that writes nothing."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from extract_assets.core.errors import IncompleteResultError
from extract_assets.linkup.client import LinkupClient
from extract_assets.linkup.models import Task
from extract_assets_tests.readers import read_with_all
from extract_assets_tests.security.servers import serving

ROWS = [{"n": n, "name": f"member {n}", "bio": "é" * (n % 7)} for n in range(500)]
STORED = gzip.compress("".join(json.dumps(row) + "\n" for row in ROWS).encode())


@contextmanager
def stored(body: bytes, content_type: str) -> Iterator[Task]:
    async def result(request: Request) -> Response:
        return Response(body, media_type=content_type)

    with serving(Starlette(routes=[Route("/files/result.ndjson.gz", result)])) as url:
        yield Task.model_validate(
            {
                "id": "t-stored",
                "status": "completed",
                "createdAt": "2026-11-01T00:00:00Z",
                "updatedAt": "2026-11-01T00:00:00Z",
                "output": {
                    "creditsUsed": 1,
                    "resultUrl": f"{url}/files/result.ndjson.gz",
                    "rowsReturned": len(ROWS),
                },
            }
        )


def client() -> LinkupClient:
    return LinkupClient(api_key="lk-stored", base_url="http://127.0.0.1:9", download_attempts=2)


@pytest.mark.parametrize("content_type", ["application/gzip", "application/octet-stream"])
def test_a_result_stored_gzip_compressed_lands_whole_in_every_reader(
    tmp_path: Path, content_type: str
) -> None:
    with stored(STORED, content_type) as task, client() as linkup:
        linkup.write_result(task, tmp_path / "team" / "r.parquet")
    readers = read_with_all(tmp_path / "team", None, ("pyarrow", "duckdb", "polars", "pandas"))
    assert all(sorted(rows, key=lambda row: row["n"]) == ROWS for rows in readers.values())


def test_a_result_stored_gzip_compressed_cut_short_is_truncated_and_writes_nothing(
    tmp_path: Path,
) -> None:
    with stored(STORED[: len(STORED) // 2], "application/gzip") as task, client() as linkup:
        with pytest.raises(IncompleteResultError, match="gzip stream stopped before its end"):
            linkup.write_result(task, tmp_path / "team" / "r.parquet")
    assert not (tmp_path / "team").exists()
