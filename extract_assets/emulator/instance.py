"""One emulator instance: the clock, faults, request log, result files and the providers."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from extract_assets.emulator.clock import Clock
from extract_assets.emulator.dataextractor import DataextractorProvider
from extract_assets.emulator.extractto import ExtracttoProvider
from extract_assets.emulator.faults import FaultSet
from extract_assets.emulator.files import ResultStore
from extract_assets.emulator.inflight import InFlight
from extract_assets.emulator.linkup import LinkupProvider
from extract_assets.emulator.provider import EmulatorContext, Provider
from extract_assets.emulator.realworld import RealWorld
from extract_assets.emulator.requests_log import RequestLog


class Emulator:
    """Everything one running emulator holds; `reset()` brings it back to its start state."""

    def __init__(self, *, seed: int = 0, data_dir: str | Path | None = None) -> None:
        self.seed = seed
        self._owned_dir = data_dir is None
        self.data_dir = Path(data_dir or tempfile.mkdtemp(prefix="extract-assets-emulator-"))
        self.clock = Clock()
        self.faults = FaultSet(seed)
        self.log = RequestLog()
        self.results = ResultStore(self.data_dir / "results")
        self.profile = RealWorld()
        context = EmulatorContext(
            clock=self.clock, seed=seed, results=self.results, profile=self.profile
        )
        self.providers: dict[str, Provider] = {
            provider.name: provider
            for provider in (
                LinkupProvider(context),
                ExtracttoProvider(context),
                DataextractorProvider(context),
            )
        }
        self.inflight = InFlight(self.providers)

    def reset(self) -> None:
        """Clear provider state, faults, the request log and in-flight peaks; real time and the
        default profile again.

        Result files stay: they are named by content, so a later task reuses them as is.
        """
        self.faults.clear()
        self.log.clear()
        self.inflight.reset()
        self.clock.reset()
        self.profile.reset()
        for provider in self.providers.values():
            provider.reset()

    def close(self) -> None:
        """Stop providers' background work and file writers; remove the data folder if the
        emulator created it."""
        for provider in self.providers.values():
            provider.close()
        self.results.close()
        if self._owned_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
