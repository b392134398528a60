"""dataextractor.io's answers sent in a `Content-Encoding` not asked for (br, zstd, several in a
row), as a CDN in front of an API sends them, through the public client: read whole."""

from __future__ import annotations

import json

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from extract_assets.dataextractor.client import DataExtractorClient
from extract_assets_tests.compressed import compressed
from extract_assets_tests.security.servers import serving

DATASETS = [
    {"id": f"ds_{n}", "status": "completed", "created_at": "2026-11-01T00:00:00Z"} for n in range(3)
]


@pytest.mark.parametrize("header", ["br", "zstd", "br, gzip"])
def test_a_page_of_datasets_sent_in_br_zstd_or_stacked_codings_is_read(header: str) -> None:
    async def datasets(request: Request) -> Response:
        page = json.dumps({"data": DATASETS, "next_cursor": None}).encode()
        headers = {"content-encoding": header}
        return Response(compressed(page, header), headers=headers, media_type="application/json")

    with serving(Starlette(routes=[Route("/api/v1/datasets", datasets)])) as url:
        with DataExtractorClient(api_key="de-compressed", base_url=url) as client:
            page = client.dataset_page()
    assert [dataset.id for dataset in page.datasets] == ["ds_0", "ds_1", "ds_2"]
