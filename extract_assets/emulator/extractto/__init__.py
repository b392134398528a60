"""The Extract.to API emulator: extracts and their data tables, connections and their runs."""

from __future__ import annotations

import hashlib

from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp

from extract_assets.emulator.detail_errors import REQUEST_ID_HEADER
from extract_assets.emulator.extractto.api import build_api_app
from extract_assets.emulator.extractto.auth import DEFAULT_KEY
from extract_assets.emulator.extractto.control import control_routes
from extract_assets.emulator.extractto.cursors import CursorCodec
from extract_assets.emulator.extractto.errors import error_response, with_request_ids
from extract_assets.emulator.extractto.listing import Pager
from extract_assets.emulator.extractto.realworld import fault_body, rewriter
from extract_assets.emulator.extractto.seed import seed_demo
from extract_assets.emulator.extractto.state import ExtracttoState
from extract_assets.emulator.provider import EmulatorContext, Provider
from extract_assets.emulator.realworld import JsonRewriteMiddleware

__all__ = ["DEFAULT_KEY", "ExtracttoProvider"]


class ExtracttoProvider(Provider):
    """Extract.to: extracts synced on demand or on schedule, rows read page by page."""

    name = "extractto"

    def __init__(self, context: EmulatorContext) -> None:
        self.state = ExtracttoState(context)
        self.profile = context.profile
        secret = hashlib.sha256(f"{context.seed}:extractto:cursors".encode()).digest()
        pager = Pager(CursorCodec(secret), lambda: self.state.settings)
        api = with_request_ids(build_api_app(self.state, pager))
        self._api = JsonRewriteMiddleware(api, context.profile, rewriter(context.profile))
        self.reset()

    def api_app(self) -> ASGIApp:
        return self._api

    def control_routes(self) -> list[BaseRoute]:
        return control_routes(self.state)

    def error_response(self, status: int) -> Response:
        response = error_response(status)
        if self.profile.on:
            other = fault_body(status)
            if other is not None:
                other.headers[REQUEST_ID_HEADER] = response.headers[REQUEST_ID_HEADER]
                return other
        return response

    def reset(self) -> None:
        self.state.clear()
        self.state.demo = seed_demo(self.state)
