"""Names users give assets: they become Dagster asset keys and folder names, so keep them safe."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

_ASSET_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")


def check_asset_name(name: str) -> str:
    """Accept names Dagster allows as asset keys and that cannot leave the output folder.

    >>> check_asset_name("team_members")
    'team_members'
    >>> check_asset_name("../x")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ValueError: '../x' is not a valid asset name: ...
    """
    # fullmatch: `$` would also match before a trailing newline, letting "team\n" through.
    if not _ASSET_NAME.fullmatch(name):
        raise ValueError(
            f"{name!r} is not a valid asset name: use letters, digits and '_', "
            "starting with a letter or '_'"
        )
    return name


AssetName = Annotated[str, AfterValidator(check_asset_name)]
