"""Extracts (create, read, update, run, pause) and the data tables their rows land in."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from extract_assets.emulator.extractto.access import reader, writer
from extract_assets.emulator.extractto.bodies import (
    ExtractCreate,
    ExtractPatch,
    ExtractPut,
    RunRange,
    parse_body,
)
from extract_assets.emulator.extractto.dates import yesterday
from extract_assets.emulator.extractto.errors import ExtracttoError
from extract_assets.emulator.extractto.extracts import Extract
from extract_assets.emulator.extractto.listing import (
    ROWS_LIMIT,
    Pager,
    parse_date_param,
    parse_limit,
)
from extract_assets.emulator.extractto.rows import DEFAULT_FIELDS
from extract_assets.emulator.extractto.state import ExtracttoState
from extract_assets.emulator.realworld import EscapingJSONResponse


def extract_routes(state: ExtracttoState, pager: Pager) -> list[Route]:
    """Extracts: create, read, update, run, pause."""

    def render(extract: Extract) -> dict[str, Any]:
        return extract.as_json(state.now, stamped_at_start=state.context.profile.on)

    def check_schedules(schedules: list[Any], limit: int) -> None:
        if len(schedules) > limit:
            raise ExtracttoError(
                402,
                f"Schedules limit reached: {len(schedules)} schedules > schedules_limit {limit}",
            )

    async def list_extracts(request: Request) -> Response:
        reader(state, request)
        items = state.extracts.values()
        return pager.respond(request.query_params, "extracts", items, render, state.now)

    async def create_extract(request: Request) -> Response:
        writer(state, request)
        body = parse_body(await request.body(), ExtractCreate)
        connection, accounts = state.resolve_accounts(
            [(a.connection_id, a.account_id) for a in body.accounts]
        )
        state.check_extract_allowed()
        schedules = body.schedules or []
        check_schedules(schedules, state.plan.schedules_limit)
        extract = state.add_extract(
            title=body.data_table_title,
            data_table_title=body.data_table_title,
            connection=connection,
            accounts=accounts,
            template_id=body.template_id,
            fields=tuple(body.fields) if body.fields else None,
        )
        extract.additional_params = body.additional_params or {}
        extract.schedules = schedules
        extract.sync_historical_data = body.sync_historical_data
        return JSONResponse(render(extract), status_code=201)

    async def extract(request: Request) -> Response:
        if request.method == "GET":
            reader(state, request)
            return JSONResponse(render(state.extract(request.path_params["id"])))
        writer(state, request)
        found = state.extract(request.path_params["id"])
        raw = await request.body()
        # PUT replaces every updatable attribute (an omitted one goes back to its default);
        # PATCH changes only the names sent.
        update = parse_body(raw, ExtractPut if request.method == "PUT" else ExtractPatch)
        sent = update.model_fields_set if request.method == "PATCH" else None
        schedules = update.schedules if sent is None or "schedules" in sent else found.schedules
        check_schedules(schedules or [], found.schedules_limit)
        if sent is None or "fields" in sent:
            found.fields = tuple(update.fields) if update.fields else DEFAULT_FIELDS
        if sent is None or "additional_params" in sent:
            found.additional_params = update.additional_params or {}
        if sent is None or "sync_historical_data" in sent:
            found.sync_historical_data = update.sync_historical_data
        found.schedules = schedules or []
        return JSONResponse(render(found))

    async def run_extract(request: Request) -> Response:
        writer(state, request)
        found = state.extract(request.path_params["id"])
        days = parse_body(await request.body(), RunRange).resolve(yesterday(state.now))
        state.start_sync(found, "api", days, enforce_plan=True)
        return JSONResponse(render(found))

    def pausing(paused: bool) -> Callable[[Request], Awaitable[Response]]:
        async def switch(request: Request) -> Response:
            writer(state, request)
            found = state.extract(request.path_params["id"])
            found.paused = paused
            return JSONResponse(render(found))

        return switch

    return [
        Route("/extracts", list_extracts, methods=["GET"]),
        Route("/extracts", create_extract, methods=["POST"]),
        Route("/extracts/{id}", extract, methods=["GET", "PUT", "PATCH"]),
        Route("/extracts/{id}/run", run_extract, methods=["POST"]),
        Route("/extracts/{id}/pause", pausing(True), methods=["POST"]),
        Route("/extracts/{id}/unpause", pausing(False), methods=["POST"]),
    ]


def table_routes(state: ExtracttoState, pager: Pager) -> list[Route]:
    """Data tables and their rows."""

    async def get_table(request: Request) -> Response:
        reader(state, request)
        return JSONResponse(state.table(request.path_params["id"]).table_json())

    async def get_rows(request: Request) -> Response:
        reader(state, request)
        found = state.table(request.path_params["id"])
        params = request.query_params
        first, last = parse_date_param(params, "date_from"), parse_date_param(params, "date_to")
        if first is not None and last is not None and first > last:
            raise ExtracttoError(400, "date_from must not be after date_to")
        limit = parse_limit(params, *ROWS_LIMIT)
        now = state.now
        # The cursor names the table and the range, so it cannot page through another listing.
        scope = f"rows:{found.data_table_id}:{first or ''}:{last or ''}"
        position = pager.position(params, scope, now)
        start = (int(position[0]), int(position[1]), int(position[2])) if position else None
        page, after = found.read(first, last, start, limit, state.context.profile)
        next_cursor = pager.cursor(scope, list(after), now) if after else None
        return EscapingJSONResponse({"data": page, "next_cursor": next_cursor})

    return [
        Route("/data-tables/{id}", get_table, methods=["GET"]),
        Route("/data-tables/{id}/rows", get_rows, methods=["GET"]),
    ]
