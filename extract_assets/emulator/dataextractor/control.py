"""dataextractor.io's control routes, under `/_emulator/dataextractor`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from extract_assets.emulator.dataextractor.dispatcher import Dispatcher
from extract_assets.emulator.dataextractor.errors import DataextractorError
from extract_assets.emulator.dataextractor.models import (
    KeyPayload,
    Scenario,
    SeedRequest,
    SettingsUpdate,
    Subscription,
)
from extract_assets.emulator.dataextractor.seed import seed_datasets
from extract_assets.emulator.dataextractor.state import DataextractorState
from extract_assets.emulator.payloads import read_payload

Handler = Callable[[Request], Awaitable[Response]]


def _answers_errors(handler: Handler) -> Handler:
    """A refused control request answers `{"error"}` with the API's status, not a 500."""

    @wraps(handler)
    async def guarded(request: Request) -> Response:
        try:
            return await handler(request)
        except DataextractorError as exc:
            return JSONResponse({"error": exc.detail}, status_code=exc.status)

    return guarded


def control_routes(state: DataextractorState, dispatcher: Dispatcher) -> list[BaseRoute]:
    """Keys, settings, scenarios, seeding, rate and quota usage, webhooks and their deliveries."""

    async def keys(request: Request) -> Response:
        if request.method == "POST":
            key = state.keyring.add(await read_payload(request, KeyPayload))
            return JSONResponse(state.keyring.key_json(key, state.now))
        now = state.now
        return JSONResponse([state.keyring.key_json(k, now) for k in state.keyring.keys.values()])

    async def revoke(request: Request) -> Response:
        key = state.keyring.revoke(request.path_params["key"])
        if key is None:
            raise DataextractorError(404, "No such key")
        return JSONResponse(state.keyring.key_json(key, state.now))

    async def settings(request: Request) -> Response:
        if request.method == "POST":
            update = await read_payload(request, SettingsUpdate)
            changes = update.model_dump(exclude_none=True)
            state.settings = state.settings.model_copy(update=changes)
        return JSONResponse(state.settings.model_dump())

    async def scenarios(request: Request) -> Response:
        state.scenarios.append(await read_payload(request, Scenario))
        return JSONResponse([s.model_dump() for s in state.scenarios])

    async def seed(request: Request) -> Response:
        ids = seed_datasets(state, await read_payload(request, SeedRequest))
        return JSONResponse({"count": len(ids), "ids": ids})

    async def usage(request: Request) -> Response:
        return JSONResponse(state.limiter.usage(state.limits()))

    async def webhooks(request: Request) -> Response:
        if request.method == "POST":
            subscription = await read_payload(request, Subscription)
            account = state.keyring.account(subscription.account)
            if account is None:
                raise DataextractorError(404, f"No account {subscription.account!r}")
            webhook = state.hub.subscribe(subscription, account.id)
            dispatcher.start()
            return JSONResponse(webhook.as_json())
        return JSONResponse([w.as_json() for w in state.hub.webhooks()])

    async def deliveries(request: Request) -> Response:
        return JSONResponse(state.hub.attempts())

    routes: list[tuple[str, Handler, list[str]]] = [
        ("/keys", keys, ["GET", "POST"]),
        ("/keys/{key}", revoke, ["DELETE"]),
        ("/settings", settings, ["GET", "POST"]),
        ("/scenarios", scenarios, ["POST"]),
        ("/seed", seed, ["POST"]),
        ("/usage", usage, ["GET"]),
        ("/webhooks", webhooks, ["GET", "POST"]),
        ("/deliveries", deliveries, ["GET"]),
    ]
    return [
        Route(path, _answers_errors(handler), methods=methods) for path, handler, methods in routes
    ]
