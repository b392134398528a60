"""The dataextractor.io API emulator: datasets of business documents, uploads, ground truth,
rate limits, monthly quotas and signed webhooks."""

from __future__ import annotations

import hashlib

from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp

from extract_assets.emulator.dataextractor.accounts import DEFAULT_KEY
from extract_assets.emulator.dataextractor.api import build_api_app
from extract_assets.emulator.dataextractor.control import control_routes
from extract_assets.emulator.dataextractor.cursors import CursorCodec
from extract_assets.emulator.dataextractor.dispatcher import Dispatcher
from extract_assets.emulator.dataextractor.errors import error_response, with_request_ids
from extract_assets.emulator.dataextractor.listing import Pager
from extract_assets.emulator.dataextractor.realworld import rewriter
from extract_assets.emulator.dataextractor.seed import DEMO, seed_datasets
from extract_assets.emulator.dataextractor.state import DataextractorState
from extract_assets.emulator.provider import EmulatorContext, Provider
from extract_assets.emulator.realworld import JsonRewriteMiddleware

__all__ = ["DEFAULT_KEY", "DataextractorProvider"]


class DataextractorProvider(Provider):
    """dataextractor.io: documents uploaded, extracted after a while, listed page by page."""

    name = "dataextractor"

    def __init__(self, context: EmulatorContext) -> None:
        self.state = DataextractorState(context)
        secret = hashlib.sha256(f"{context.seed}:dataextractor:cursors".encode()).digest()
        api = with_request_ids(build_api_app(self.state, Pager(CursorCodec(secret))))
        self._api = JsonRewriteMiddleware(api, context.profile, rewriter(context.profile))
        self._dispatcher = Dispatcher(self.state.hub, context.clock, lambda: self.state.settings)
        self.reset()

    def api_app(self) -> ASGIApp:
        return self._api

    def control_routes(self) -> list[BaseRoute]:
        return control_routes(self.state, self._dispatcher)

    def error_response(self, status: int) -> Response:
        return error_response(status)

    def reset(self) -> None:
        self.state.clear()
        seed_datasets(self.state, DEMO)

    def close(self) -> None:
        self._dispatcher.stop()
