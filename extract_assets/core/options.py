"""Keyword options typed as a `TypedDict` (`**options: Unpack[...]`), checked when called.

A type checker catches a misspelt option; this catches it for everyone else, where Python
would otherwise accept it and ignore it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def check_options(allowed: Any, given: Mapping[str, object], where: str) -> None:
    """Raise `TypeError` naming any option of `given` that the TypedDict `allowed` lacks.

    >>> from typing import TypedDict
    >>> class Pace(TypedDict, total=False):
    ...     per_minute: float
    >>> check_options(Pace, {"per_minute": 60}, "pace")
    >>> check_options(Pace, {"per_minte": 60}, "pace")
    Traceback (most recent call last):
    TypeError: pace() got an unexpected keyword argument 'per_minte' (it takes: per_minute)
    """
    known = allowed.__required_keys__ | allowed.__optional_keys__
    unknown = sorted(set(given) - known)
    if unknown:
        names = ", ".join(repr(name) for name in unknown)
        raise TypeError(
            f"{where}() got an unexpected keyword argument {names} "
            f"(it takes: {', '.join(sorted(known))})"
        )
