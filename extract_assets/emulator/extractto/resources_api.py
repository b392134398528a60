"""Connectors, sources, destinations and triggers: list, create, get, patch, delete."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from extract_assets.emulator.extractto.access import as_json, deleted, reader, writer
from extract_assets.emulator.extractto.bodies import (
    AccountSpec,
    DestinationCreate,
    DestinationPatch,
    SourceCreate,
    SourcePatch,
    TriggerCreate,
    TriggerPatch,
    check_cron,
    parse_body,
)
from extract_assets.emulator.extractto.errors import ExtracttoError
from extract_assets.emulator.extractto.listing import Pager
from extract_assets.emulator.extractto.resources import Account
from extract_assets.emulator.extractto.state import ExtracttoState


def resource_routes(state: ExtracttoState, pager: Pager) -> list[Route]:
    """Connectors, sources, destinations and triggers."""

    async def list_connectors(request: Request) -> Response:
        reader(state, request)
        items = state.connectors.values()
        return pager.respond(request.query_params, "connectors", items, as_json, state.now)

    async def get_connector(request: Request) -> Response:
        reader(state, request)
        return JSONResponse(state.connector(request.path_params["id"]).as_json())

    async def list_sources(request: Request) -> Response:
        reader(state, request)
        items = state.sources.values()
        return pager.respond(request.query_params, "sources", items, as_json, state.now)

    async def create_source(request: Request) -> Response:
        writer(state, request)
        body = parse_body(await request.body(), SourceCreate)
        accounts = _accounts(body.accounts)
        source = state.add_source(
            body.name, state.connector(body.connector_id), body.config, accounts
        )
        return JSONResponse(source.as_json(), status_code=201)

    async def source(request: Request) -> Response:
        if request.method == "GET":
            reader(state, request)
            return JSONResponse(state.source(request.path_params["id"]).as_json())
        writer(state, request)
        found = state.source(request.path_params["id"])
        if request.method == "DELETE":
            user = next((c for c in state.connections.values() if c.source_id == found.id), None)
            if user is not None:
                raise ExtracttoError(400, f"Source is used by connection {user.id}")
            del state.sources[found.id]
            return deleted(found.id)
        patch = parse_body(await request.body(), SourcePatch)
        if patch.name is not None:
            found.name = patch.name
        if patch.config is not None:
            found.config = patch.config
        if patch.accounts is not None:
            found.accounts = _accounts(patch.accounts) or []
        found.updated_at = state.now
        return JSONResponse(found.as_json())

    async def list_destinations(request: Request) -> Response:
        reader(state, request)
        items = state.destinations.values()
        return pager.respond(request.query_params, "destinations", items, as_json, state.now)

    async def create_destination(request: Request) -> Response:
        writer(state, request)
        body = parse_body(await request.body(), DestinationCreate)
        connector = state.connector(body.connector_id)
        destination = state.add_destination(body.name, connector, body.config)
        return JSONResponse(destination.as_json(), status_code=201)

    async def destination(request: Request) -> Response:
        if request.method == "GET":
            reader(state, request)
            return JSONResponse(state.destination(request.path_params["id"]).as_json())
        writer(state, request)
        found = state.destination(request.path_params["id"])
        if request.method == "DELETE":
            connections = state.connections.values()
            user = next((c for c in connections if c.destination_id == found.id), None)
            if user is not None:
                raise ExtracttoError(400, f"Destination is used by connection {user.id}")
            del state.destinations[found.id]
            return deleted(found.id)
        patch = parse_body(await request.body(), DestinationPatch)
        if patch.name is not None:
            found.name = patch.name
        if patch.config is not None:
            found.config = patch.config
        found.updated_at = state.now
        return JSONResponse(found.as_json())

    async def list_triggers(request: Request) -> Response:
        reader(state, request)
        items = state.triggers.values()
        return pager.respond(request.query_params, "triggers", items, as_json, state.now)

    async def create_trigger(request: Request) -> Response:
        writer(state, request)
        body = parse_body(await request.body(), TriggerCreate)
        connection = state.connection(body.connection_id)
        check_cron(body.type, body.cron)
        trigger = state.add_trigger(body.name, connection, body.type, body.cron, body.enabled)
        return JSONResponse(trigger.as_json(), status_code=201)

    async def trigger(request: Request) -> Response:
        if request.method == "GET":
            reader(state, request)
            return JSONResponse(state.trigger(request.path_params["id"]).as_json())
        writer(state, request)
        found = state.trigger(request.path_params["id"])
        if request.method == "DELETE":
            del state.triggers[found.id]
            return deleted(found.id)
        patch = parse_body(await request.body(), TriggerPatch)
        kind = patch.type or found.type
        cron = patch.cron if "cron" in patch.model_fields_set else found.cron
        if kind != "cron" and "cron" not in patch.model_fields_set:
            cron = None
        check_cron(kind, cron)
        found.type, found.cron = kind, cron
        if patch.name is not None:
            found.name = patch.name
        if patch.enabled is not None:
            found.enabled = patch.enabled
        found.updated_at = state.now
        return JSONResponse(found.as_json())

    one = ["GET", "PATCH", "DELETE"]
    return [
        Route("/connectors", list_connectors, methods=["GET"]),
        Route("/connectors/{id}", get_connector, methods=["GET"]),
        Route("/sources", list_sources, methods=["GET"]),
        Route("/sources", create_source, methods=["POST"]),
        Route("/sources/{id}", source, methods=one),
        Route("/destinations", list_destinations, methods=["GET"]),
        Route("/destinations", create_destination, methods=["POST"]),
        Route("/destinations/{id}", destination, methods=one),
        Route("/triggers", list_triggers, methods=["GET"]),
        Route("/triggers", create_trigger, methods=["POST"]),
        Route("/triggers/{id}", trigger, methods=one),
    ]


def _accounts(specs: list[AccountSpec] | None) -> list[Account] | None:
    return None if specs is None else [Account(s.id, s.name) for s in specs]
