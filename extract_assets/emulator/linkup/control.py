"""Linkup's control routes, under `/_emulator/linkup`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from extract_assets.emulator.linkup.api import TaskViews
from extract_assets.emulator.linkup.errors import LinkupError
from extract_assets.emulator.linkup.models import (
    LinkupKey,
    LinkupScenario,
    LinkupSeed,
    LinkupSettingsUpdate,
)
from extract_assets.emulator.linkup.state import LinkupState
from extract_assets.emulator.payloads import read_payload


def control_routes(state: LinkupState, views: TaskViews) -> list[BaseRoute]:
    """Keys, scenarios, settings, seeding, and every task of every organization."""

    async def add_key(request: Request) -> Response:
        account = await read_payload(request, LinkupKey)
        state.keys[account.key] = account
        return JSONResponse({"key": account.key, "org": state.org_of(account)})

    async def list_keys(request: Request) -> Response:
        now = views.clock.time()
        keys = []
        for account in state.keys.values():
            spent = state.spent(account, now)
            remaining = None if account.credits is None else account.credits - spent
            keys.append(
                {
                    **account.model_dump(),
                    "org": state.org_of(account),
                    "spent": spent,
                    "remaining": remaining,
                }
            )
        return JSONResponse(keys)

    async def add_scenario(request: Request) -> Response:
        state.scenarios.append(await read_payload(request, LinkupScenario))
        return JSONResponse([s.model_dump() for s in state.scenarios])

    async def settings(request: Request) -> Response:
        if request.method == "POST":
            update = await read_payload(request, LinkupSettingsUpdate)
            changes = update.model_dump(exclude_none=True)
            state.settings = state.settings.model_copy(update=changes)
        return JSONResponse(state.settings.model_dump())

    async def tasks(request: Request) -> Response:
        return JSONResponse(
            [views.render(task, request) | {"org": task.org} for task in state.tasks.values()]
        )

    async def seed(request: Request) -> Response:
        payload = await read_payload(request, LinkupSeed)
        try:
            seeded = state.seed(payload)
        except LinkupError as error:
            return JSONResponse({"error": error.message}, status_code=error.status)
        return JSONResponse({"count": len(seeded), "ids": [task.id for task in seeded]})

    return [
        Route("/keys", add_key, methods=["POST"]),
        Route("/seed", seed, methods=["POST"]),
        Route("/keys", list_keys, methods=["GET"]),
        Route("/scenarios", add_scenario, methods=["POST"]),
        Route("/settings", settings, methods=["GET", "POST"]),
        Route("/tasks", tasks, methods=["GET"]),
    ]
