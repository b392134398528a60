"""The root ASGI app: providers under their prefixes, their files apart, control at `/_emulator`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount
from starlette.types import ASGIApp

from extract_assets.emulator.control import build_control_app
from extract_assets.emulator.faults import ErrorResponder, FaultMiddleware
from extract_assets.emulator.files import object_store_error
from extract_assets.emulator.inflight import InFlightMiddleware
from extract_assets.emulator.instance import Emulator
from extract_assets.emulator.requests_log import RequestLogMiddleware


def create_app(*, seed: int = 0, data_dir: str | Path | None = None) -> Starlette:
    """A fresh emulator as an ASGI app; its `Emulator` is at `app.state.emulator`."""
    emulator = Emulator(seed=seed, data_dir=data_dir)
    routes: list[BaseRoute] = [Mount("/_emulator", app=build_control_app(emulator))]
    for name, provider in emulator.providers.items():
        api = _gateway(emulator, name, provider.api_app(), provider.error_response, files=False)
        routes.append(Mount(f"/{name}", app=api))
        files_app = provider.files_app()
        if files_app is not None:
            files = _gateway(emulator, name, files_app, _file_host_error, files=True)
            routes.append(Mount(provider.files_prefix, app=files))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            emulator.close()

    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.emulator = emulator
    return app


def _gateway(
    emulator: Emulator, provider: str, app: ASGIApp, errors: ErrorResponder, *, files: bool
) -> ASGIApp:
    """Log every request to a provider app, count it while in flight, apply the fault rules.

    Paths in the log and in fault rules are relative to the provider: `/v1/extract` for the API,
    `/files/<name>` for its file host.
    """
    faulty = FaultMiddleware(
        app, provider=provider, faults=emulator.faults, error_response=errors, files=files
    )
    # Counted outside the faults, so a request a slow fault holds back is in flight.
    counted = InFlightMiddleware(faulty, provider=provider, counts=emulator.inflight)
    return RequestLogMiddleware(
        counted,
        provider=provider,
        path_prefix="/files" if files else "",
        log=emulator.log,
        clock=emulator.clock,
    )


def _file_host_error(status: int) -> Response:
    return object_store_error(status, f"Injected fault: HTTP {status}.")
