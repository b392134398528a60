"""What a provider's package tells the shared modules: one `Provider`, in its `provider.py`.

The config file, the definitions, the pools, the components and the command line loop over the
providers listed in `providers.py`; none of them names one.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar

import dagster as dg

from extract_assets.sections import Section
from extract_assets.translator import Translator

if TYPE_CHECKING:
    from extract_assets.emulator import EmulatorServer

S = TypeVar("S", bound=Section)

# The demo's extra setup of a provider, around `dagster dev`: the emulator, the instance's
# folder in, the environment variables it adds out.
DemoSetup = Callable[["EmulatorServer", Path], AbstractContextManager[dict[str, str]]]


@contextmanager
def _nothing_more(emulator: EmulatorServer, home: Path) -> Iterator[dict[str, str]]:
    yield {}


def _no_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    return None


@dataclass(frozen=True)
class Provider(Generic[S]):
    """One provider: its name, its section of the config file, how the section becomes
    Dagster definitions, its concurrency pool limit, and how the demo reaches the emulator.

    `name` is the section's key in a config file, the resource key and pool of an unnamed
    account, and the folder of its tables. `pool_limit` is per account (why each number:
    the comments in `dagster.yaml`). `demo` and `commands` are a provider's own extras: what
    the demo starts beside the emulator, and subcommands of `extract-assets`, each with
    `set_defaults(run=...)`.

    >>> from extract_assets.providers import providers
    >>> [(provider.name, provider.pool_limit) for provider in providers()]
    [('linkup', 8), ('extractto', 2), ('dataextractor', 1)]
    """

    name: str
    section: type[S]
    definitions: Callable[[S, Translator | None], dg.Definitions]
    pool_limit: int
    key_env: str
    base_url_env: str
    demo_key: str
    demo: DemoSetup = _nothing_more
    commands: Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None] = _no_commands

    def demo_environment(self, emulator: EmulatorServer) -> dict[str, str]:
        """The variables that point the provider's resources at the emulator with its key."""
        return {self.base_url_env: emulator.base_url(self.name), self.key_env: self.demo_key}
