"""dataextractor.io's HTTP surface, with paths as in its reference: `/api/v1/...`."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from extract_assets.emulator.dataextractor.errors import DataextractorError
from extract_assets.emulator.dataextractor.ground_truth import parse_ground_truth
from extract_assets.emulator.dataextractor.listing import Pager, parse_list_query
from extract_assets.emulator.dataextractor.state import DataextractorState
from extract_assets.emulator.dataextractor.uploads import read_upload
from extract_assets.emulator.detail_errors import (
    handle_detail_error,
    handle_http_exception,
    handle_unexpected,
)


def build_api_app(state: DataextractorState, pager: Pager) -> Starlette:
    """The API as mounted at the base URL."""

    def authorization(request: Request) -> str | None:
        return request.headers.get("authorization")

    async def list_datasets(request: Request) -> Response:
        key = state.caller(authorization(request), "read")
        query = parse_list_query(request.query_params)
        now = state.now
        if query.cursor is not None and state.context.profile.on:
            # The real-world profile: someone uploads between two page reads.
            pager.check(query, key.account, now)
            state.arrive(key.account, query.dataset_type, query.customer_id)
        page, next_cursor = pager.page(
            query, key.account, state.datasets.values(), now, state.settings.cursor_ttl
        )
        return JSONResponse({"data": [d.as_json(now) for d in page], "next_cursor": next_cursor})

    async def get_dataset(request: Request) -> Response:
        key = state.caller(authorization(request), "read")
        dataset = state.dataset(key, request.path_params["id"])
        return JSONResponse(dataset.as_json(state.now))

    async def extract(request: Request) -> Response:
        key = state.caller(authorization(request), "write")
        upload = await read_upload(request.headers.get("content-type"), request.stream())
        dataset = state.upload(
            state.account_of(key),
            content_seed=f"{state.context.seed}:{upload.digest}",
            filename=upload.filename,
            dataset_type=upload.dataset_type,
            customer_id=upload.customer_id,
        )
        return JSONResponse(dataset.as_json(state.now), status_code=202)

    async def put_ground_truth(request: Request) -> Response:
        key = state.caller(authorization(request), "write")
        dataset = state.dataset(key, request.path_params["id"])
        state.verify(dataset, parse_ground_truth(await request.body()))
        return JSONResponse(dataset.as_json(state.now))

    return Starlette(
        routes=[
            Route("/api/v1/datasets", list_datasets, methods=["GET"]),
            Route("/api/v1/datasets/{id}", get_dataset, methods=["GET"]),
            Route("/api/v1/datasets/{id}/ground_truth", put_ground_truth, methods=["PUT"]),
            Route("/api/v1/extract", extract, methods=["POST"]),
        ],
        exception_handlers={
            DataextractorError: handle_detail_error,
            HTTPException: handle_http_exception,
            Exception: handle_unexpected,
        },
    )
