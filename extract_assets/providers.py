"""The providers this package serves, one line each.

A provider is a package under `extract_assets/` with a `provider.py` declaring `PROVIDER` (a
`Provider`) and an `__init__.py` listing its public names in `PUBLIC`. Adding one means its
package and its line below; the shared modules loop over `providers()`.
"""

from __future__ import annotations

import functools
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from extract_assets.provider import Provider

PACKAGES = (
    "linkup",
    "extractto",
    "dataextractor",
)


@functools.cache
def providers() -> tuple[Provider[Any], ...]:
    """Every provider, in the order of `PACKAGES` (the order of a config file's sections).

    >>> [provider.name for provider in providers()]
    ['linkup', 'extractto', 'dataextractor']
    """
    return tuple(import_module(f"extract_assets.{name}.provider").PROVIDER for name in PACKAGES)


def public_names() -> dict[str, str]:
    """Each provider's public names and the modules defining them, without importing them:
    what the top-level package exports."""
    return {
        name: f"extract_assets.{package}.{module}"
        for package in PACKAGES
        for name, module in import_module(f"extract_assets.{package}").PUBLIC.items()
    }
