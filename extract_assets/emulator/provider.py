"""What a provider plugs into the emulator: its API app, its file host and its control routes."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp

from extract_assets.emulator.clock import Clock
from extract_assets.emulator.files import ResultStore
from extract_assets.emulator.realworld import RealWorld


@dataclass(frozen=True)
class EmulatorContext:
    """Shared services every provider is built with."""

    clock: Clock
    seed: int
    results: ResultStore
    # The profile the whole emulator answers with (see `realworld`).
    profile: RealWorld


class Provider(ABC):
    """One emulated service, mounted at `/{name}` with its files at `/files/{name}`."""

    name: ClassVar[str]

    @property
    def files_prefix(self) -> str:
        """Where the root app mounts the file host, outside the API prefix."""
        return f"/files/{self.name}"

    @abstractmethod
    def api_app(self) -> ASGIApp:
        """The provider's own API, with paths as in its documentation."""

    def files_app(self) -> ASGIApp | None:
        """The host serving result files, when the provider hands out download URLs."""
        return None

    def control_routes(self) -> list[BaseRoute]:
        """Provider-specific control routes, mounted under `/_emulator/{name}`."""
        return []

    @abstractmethod
    def error_response(self, status: int) -> Response:
        """The provider's own error body for an injected status."""

    @abstractmethod
    def reset(self) -> None:
        """Forget all state and restore the default keys and settings."""

    def close(self) -> None:
        """Stop whatever the provider runs in the background (by default nothing)."""
        return None
