"""What every API handler starts with: the caller's key, and small shared answers."""

from __future__ import annotations

from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from extract_assets.emulator.extractto.auth import ApiKey, require_writer
from extract_assets.emulator.extractto.state import ExtracttoState


class Rendered(Protocol):
    """A resource that renders itself as the API returns it."""

    def as_json(self) -> dict[str, Any]: ...


def reader(state: ExtracttoState, request: Request) -> ApiKey:
    """The caller's key: any valid key may read (401 otherwise)."""
    return state.keyring.authenticate(request.headers.get("authorization"), state.now)


def writer(state: ExtracttoState, request: Request) -> ApiKey:
    """The caller's key, which must hold the Creator or Admin role (401/403 otherwise)."""
    key = reader(state, request)
    require_writer(key)
    return key


def deleted(resource_id: str) -> Response:
    """The answer to a DELETE."""
    return JSONResponse({"id": resource_id, "deleted": True})


def as_json(item: Rendered) -> dict[str, Any]:
    """`item.as_json()`, as a function to hand to the pager."""
    return item.as_json()
