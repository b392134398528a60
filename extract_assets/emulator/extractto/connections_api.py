"""Connections and their runs."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from extract_assets.emulator.extractto.access import deleted, reader, writer
from extract_assets.emulator.extractto.bodies import (
    ConnectionCreate,
    ConnectionPatch,
    check_cron,
    parse_body,
)
from extract_assets.emulator.extractto.listing import Pager
from extract_assets.emulator.extractto.state import ExtracttoState


def connection_routes(state: ExtracttoState, pager: Pager) -> list[Route]:
    """Connections and their runs."""

    async def list_connections(request: Request) -> Response:
        reader(state, request)
        items = state.connections.values()
        return pager.respond(
            request.query_params, "connections", items, state.connection_json, state.now
        )

    async def create_connection(request: Request) -> Response:
        writer(state, request)
        body = parse_body(await request.body(), ConnectionCreate)
        source = state.source(body.source_id)
        destination = state.destination(body.destination_id)
        check_cron(body.schedule, body.cron)
        connection = state.add_connection(
            body.name,
            source,
            destination,
            schedule=body.schedule,
            cron=body.cron,
            backfill_days=body.backfill_days,
            streams=body.streams,
        )
        return JSONResponse(state.connection_json(connection), status_code=201)

    async def connection(request: Request) -> Response:
        if request.method == "GET":
            reader(state, request)
            return JSONResponse(state.connection_json(state.connection(request.path_params["id"])))
        writer(state, request)
        found = state.connection(request.path_params["id"])
        if request.method == "DELETE":
            state.delete_connection(found)
            return deleted(found.id)
        patch = parse_body(await request.body(), ConnectionPatch)
        schedule = patch.schedule or found.schedule
        cron = patch.cron if "cron" in patch.model_fields_set else found.cron
        if schedule != "cron" and "cron" not in patch.model_fields_set:
            cron = None
        check_cron(schedule, cron)
        found.schedule, found.cron = schedule, cron
        if patch.name is not None:
            found.name = patch.name
        if patch.backfill_days is not None:
            found.backfill_days = patch.backfill_days
        if patch.streams is not None:
            found.streams = patch.streams
        found.updated_at = state.now
        return JSONResponse(state.connection_json(found))

    async def run_connection(request: Request) -> Response:
        writer(state, request)
        run = state.start_run(state.connection(request.path_params["id"]))
        return JSONResponse(run.as_json(state.now), status_code=202)

    async def list_runs(request: Request) -> Response:
        reader(state, request)
        found = state.connection(request.path_params["id"])
        now = state.now
        return pager.respond(
            request.query_params,
            f"runs:{found.id}",
            state.runs.get(found.id, []),
            lambda run: run.as_json(now),
            now,
            newest_first=True,
        )

    async def get_run(request: Request) -> Response:
        reader(state, request)
        found = state.connection(request.path_params["id"])
        return JSONResponse(state.run(found, request.path_params["run_id"]).as_json(state.now))

    return [
        Route("/connections", list_connections, methods=["GET"]),
        Route("/connections", create_connection, methods=["POST"]),
        Route("/connections/{id}", connection, methods=["GET", "PATCH", "DELETE"]),
        Route("/connections/{id}/run", run_connection, methods=["POST"]),
        Route("/connections/{id}/runs", list_runs, methods=["GET"]),
        Route("/connections/{id}/runs/{run_id}", get_run, methods=["GET"]),
    ]
