"""Extract.to's control routes, under `/_emulator/extractto`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from extract_assets.emulator.clock import iso_z
from extract_assets.emulator.extractto.auth import ApiKey
from extract_assets.emulator.extractto.bodies import check_cron
from extract_assets.emulator.extractto.dates import yesterday
from extract_assets.emulator.extractto.errors import ExtracttoError
from extract_assets.emulator.extractto.models import (
    ConnectionScenario,
    ConnectionSeed,
    ExtractScenario,
    ExtractSeed,
    KeyPayload,
    OutsideSync,
    PlanUpdate,
    ServedRows,
    SettingsUpdate,
)
from extract_assets.emulator.extractto.resources import Account
from extract_assets.emulator.extractto.served import MESSY_COLUMNS, MESSY_FIELDS, ServedDays
from extract_assets.emulator.extractto.state import ExtracttoState
from extract_assets.emulator.payloads import read_exact_payload, read_payload

Handler = Callable[[Request], Awaitable[Response]]


def _answers_errors(handler: Handler) -> Handler:
    """A refused control request answers `{"error"}` with the API's status, not a 500."""

    @wraps(handler)
    async def guarded(request: Request) -> Response:
        try:
            return await handler(request)
        except ExtracttoError as exc:
            return JSONResponse({"error": exc.detail}, status_code=exc.status)

    return guarded


def control_routes(state: ExtracttoState) -> list[BaseRoute]:
    """Keys, plan, settings, the demo ids, and quick extracts and connections for tests."""

    def key_json(key: ApiKey) -> dict[str, object]:
        return {
            "key": key.key,
            "role": key.role,
            "billing": key.billing,
            "created_at": iso_z(key.created_at),
            "expires_at": iso_z(key.expires_at),
        }

    async def keys(request: Request) -> Response:
        if request.method == "POST":
            payload = await read_payload(request, KeyPayload)
            created = state.now - payload.age_days * 86_400
            key = ApiKey(payload.key, payload.role, payload.billing, created)
            state.keyring.add(key)
            return JSONResponse(key_json(key))
        return JSONResponse([key_json(k) for k in state.keyring.keys.values()])

    async def plan(request: Request) -> Response:
        if request.method == "POST":
            update = await read_payload(request, PlanUpdate)
            state.plan = state.plan.model_copy(update=update.model_dump(exclude_none=True))
        return JSONResponse(state.plan.model_dump())

    async def settings(request: Request) -> Response:
        if request.method == "POST":
            update = await read_payload(request, SettingsUpdate)
            changes = update.model_dump(exclude_none=True)
            state.settings = state.settings.model_copy(update=changes)
        return JSONResponse(state.settings.model_dump())

    async def demo(request: Request) -> Response:
        assert state.demo is not None
        return JSONResponse(state.demo.as_json())

    async def extracts(request: Request) -> Response:
        if request.method == "GET":
            now = state.now
            items = list(state.extracts.values())
            for item in items:
                item.settle(now)
            return JSONResponse([e.control_json(now) for e in items])
        seed = await read_payload(request, ExtractSeed)
        assert state.demo is not None
        connection = state.connection(seed.connection_id or state.demo.google_ads_connection_id)
        source = state.sources[connection.source_id]
        account_id = seed.account_id or source.accounts[0].id
        account = next((a for a in source.accounts if a.id == account_id), None)
        if account is None:
            account = Account(account_id, seed.account_name or f"Account ({account_id})")
            source.accounts.append(account)
        extract = state.add_extract(
            title=seed.title,
            data_table_title=seed.data_table_title or seed.title,
            connection=connection,
            accounts=(account,),
            template_id=state.new_id(),
            fields=tuple(seed.fields) if seed.fields else None,
            schedules_limit=seed.schedules_limit,
        )
        extract.rows_per_day = seed.rows_per_day
        extract.sync_seconds = seed.sync_seconds
        extract.fail = seed.fail
        extract.profile = seed.profile
        extract.profile_seed = seed.profile_seed
        if seed.profile == "messy":
            extract.fields = MESSY_FIELDS
            extract.declared_columns = MESSY_COLUMNS
        return JSONResponse(extract.control_json(state.now))

    async def served_rows(request: Request) -> Response:
        extract = state.extract(request.path_params["id"])
        served = await read_exact_payload(request, ServedRows)
        extract.profile = "served"
        extract.served = ServedDays.of(served.days)
        if served.columns is not None:
            extract.declared_columns = tuple((c.name, c.type) for c in served.columns)
        return JSONResponse(extract.control_json(state.now))

    async def extract_scenario(request: Request) -> Response:
        extract = state.extract(request.path_params["id"])
        scenario = await read_payload(request, ExtractScenario)
        for name in scenario.model_fields_set:
            setattr(extract, name, getattr(scenario, name))
        return JSONResponse(extract.control_json(state.now))

    async def outside_sync(request: Request) -> Response:
        extract = state.extract(request.path_params["id"])
        days = (await read_payload(request, OutsideSync)).resolve(yesterday(state.now))
        # The service's own schedule is not a client request: no plan check, but it counts.
        state.start_sync(extract, "schedule", days, enforce_plan=False)
        return JSONResponse(extract.control_json(state.now))

    async def connections(request: Request) -> Response:
        seed = await read_payload(request, ConnectionSeed)
        check_cron(seed.schedule, seed.cron)
        accounts = None if seed.accounts is None else [Account(a.id, a.name) for a in seed.accounts]
        source_connector = state.connector_of_service(seed.source_service)
        source = state.add_source(seed.name, source_connector, {}, accounts)
        destination_connector = state.connector_of_service(seed.destination_service)
        destination = state.add_destination(seed.name, destination_connector, {})
        connection = state.add_connection(
            seed.name,
            source,
            destination,
            schedule=seed.schedule,
            cron=seed.cron,
            backfill_days=seed.backfill_days,
            streams=None,
        )
        return JSONResponse(state.connection_json(connection))

    async def connection_scenario(request: Request) -> Response:
        connection = state.connection(request.path_params["id"])
        scenario = await read_payload(request, ConnectionScenario)
        for name in scenario.model_fields_set:
            setattr(connection.scenario, name, getattr(scenario, name))
        return JSONResponse(vars(connection.scenario))

    routes: list[tuple[str, Handler, list[str]]] = [
        ("/keys", keys, ["GET", "POST"]),
        ("/plan", plan, ["GET", "POST"]),
        ("/settings", settings, ["GET", "POST"]),
        ("/demo", demo, ["GET"]),
        ("/extracts", extracts, ["GET", "POST"]),
        ("/extracts/{id}/scenario", extract_scenario, ["POST"]),
        ("/extracts/{id}/sync", outside_sync, ["POST"]),
        ("/extracts/{id}/served_rows", served_rows, ["PUT"]),
        ("/connections", connections, ["POST"]),
        ("/connections/{id}/scenario", connection_scenario, ["POST"]),
    ]
    return [
        Route(path, _answers_errors(handler), methods=methods) for path, handler, methods in routes
    ]
