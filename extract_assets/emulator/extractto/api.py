"""Extract.to's HTTP surface, with paths as in its documentation (no version prefix)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from extract_assets.emulator.detail_errors import (
    handle_detail_error,
    handle_http_exception,
    handle_unexpected,
)
from extract_assets.emulator.extractto.access import reader
from extract_assets.emulator.extractto.auth import require_billing
from extract_assets.emulator.extractto.connections_api import connection_routes
from extract_assets.emulator.extractto.errors import ExtracttoError
from extract_assets.emulator.extractto.extracts_api import extract_routes, table_routes
from extract_assets.emulator.extractto.listing import Pager
from extract_assets.emulator.extractto.resources_api import resource_routes
from extract_assets.emulator.extractto.state import ExtracttoState


def build_api_app(state: ExtracttoState, pager: Pager) -> Starlette:
    """The API as mounted at the base URL."""
    routes = [
        *resource_routes(state, pager),
        *connection_routes(state, pager),
        *extract_routes(state, pager),
        *table_routes(state, pager),
        *_billing_routes(state),
    ]
    return Starlette(
        routes=routes,
        exception_handlers={
            ExtracttoError: handle_detail_error,
            HTTPException: handle_http_exception,
            Exception: handle_unexpected,
        },
    )


def _billing_routes(state: ExtracttoState) -> list[Route]:
    """The plan and usage, for keys with the Billing permission."""

    async def plans(request: Request) -> Response:
        require_billing(reader(state, request))
        return JSONResponse(state.plan.model_dump())

    async def usage(request: Request) -> Response:
        require_billing(reader(state, request))
        return JSONResponse(state.usage())

    return [
        Route("/plans", plans, methods=["GET"]),
        Route("/usage", usage, methods=["GET"]),
    ]
