"""The Linkup `/v1/extract` emulator."""

from __future__ import annotations

import hashlib

from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp

from extract_assets.emulator.files import UrlSigner
from extract_assets.emulator.linkup.api import TaskViews, build_api_app, build_files_app
from extract_assets.emulator.linkup.control import control_routes
from extract_assets.emulator.linkup.errors import error_response
from extract_assets.emulator.linkup.realworld import gateway_error, rewriter
from extract_assets.emulator.linkup.state import DEFAULT_KEY, LinkupState
from extract_assets.emulator.provider import EmulatorContext, Provider
from extract_assets.emulator.realworld import JsonRewriteMiddleware

__all__ = ["DEFAULT_KEY", "LinkupProvider"]


class LinkupProvider(Provider):
    """Linkup: asynchronous extract tasks whose rows land in pre-signed NDJSON files."""

    name = "linkup"

    def __init__(self, context: EmulatorContext) -> None:
        self.state = LinkupState(context)
        self.profile = context.profile
        secret = hashlib.sha256(f"{context.seed}:linkup:url-signing".encode()).digest()
        signer = UrlSigner(secret)
        self._views = TaskViews(self.state, context.clock, signer, self.files_prefix)
        api = build_api_app(self.state, self._views)
        self._api = JsonRewriteMiddleware(api, context.profile, rewriter(context.profile))
        self._files = build_files_app(
            self.state, context.clock, signer, context.results, context.profile
        )

    def api_app(self) -> ASGIApp:
        return self._api

    def files_app(self) -> ASGIApp:
        return self._files

    def control_routes(self) -> list[BaseRoute]:
        return control_routes(self.state, self._views)

    def error_response(self, status: int) -> Response:
        if self.profile.on:
            gateway = gateway_error(status)
            if gateway is not None:
                return gateway
        return error_response(status)

    def reset(self) -> None:
        self.state.reset()
