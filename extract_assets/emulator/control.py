"""The control API under `/_emulator`: health, reset, clock, faults, request log, in flight,
profile."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from extract_assets.emulator.clock import iso_z
from extract_assets.emulator.faults import FaultRule
from extract_assets.emulator.instance import Emulator
from extract_assets.emulator.payloads import PayloadError, handle_payload_error, read_payload
from extract_assets.emulator.realworld import ProfileChange


class ClockChange(BaseModel):
    """Jump ahead by `advance` seconds and/or run at `speed` x real time."""

    model_config = ConfigDict(extra="forbid")

    advance: float | None = Field(default=None, ge=0)
    speed: float | None = Field(default=None, ge=0)


def build_control_app(emulator: Emulator) -> Starlette:
    """The control API, with each provider's own routes under `/{provider}`."""

    def clock_state() -> dict[str, object]:
        return {"now": iso_z(emulator.clock.time()), "speed": emulator.clock.speed}

    async def health(request: Request) -> Response:
        return JSONResponse(
            {"status": "ok", "seed": emulator.seed, "providers": list(emulator.providers)}
        )

    async def reset(request: Request) -> Response:
        emulator.reset()
        return JSONResponse({"status": "reset"})

    async def clock(request: Request) -> Response:
        if request.method == "POST":
            change = await read_payload(request, ClockChange)
            if change.speed is not None:
                emulator.clock.set_speed(change.speed)
            if change.advance is not None:
                emulator.clock.advance(change.advance)
        return JSONResponse(clock_state())

    async def faults(request: Request) -> Response:
        if request.method == "POST":
            rule = await read_payload(request, FaultRule)
            return JSONResponse({"id": emulator.faults.add(rule)})
        if request.method == "DELETE":
            emulator.faults.clear()
        return JSONResponse(emulator.faults.rules())

    async def requests(request: Request) -> Response:
        provider = request.query_params.get("provider")
        return JSONResponse([e.as_json() for e in emulator.log.entries(provider)])

    async def inflight(request: Request) -> Response:
        if request.method == "DELETE":
            emulator.inflight.reset()
        return JSONResponse(emulator.inflight.snapshot())

    async def profile(request: Request) -> Response:
        if request.method == "PUT":
            change = await read_payload(request, ProfileChange)
            emulator.profile.set(change.name, change.seed)
        return JSONResponse(emulator.profile.as_json())

    routes: list[BaseRoute] = [
        Route("/health", health, methods=["GET"]),
        Route("/reset", reset, methods=["POST"]),
        Route("/clock", clock, methods=["GET", "POST"]),
        Route("/faults", faults, methods=["GET", "POST", "DELETE"]),
        Route("/requests", requests, methods=["GET"]),
        Route("/inflight", inflight, methods=["GET", "DELETE"]),
        Route("/profile", profile, methods=["GET", "PUT"]),
    ]
    routes += [
        Mount(f"/{name}", routes=provider.control_routes())
        for name, provider in emulator.providers.items()
    ]
    return Starlette(routes=routes, exception_handlers={PayloadError: handle_payload_error})
