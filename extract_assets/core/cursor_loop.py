"""Telling a listing whose pages loop from one whose cursor merely comes back.

Cursors are opaque: a service may hand out the same cursor again with the next rows (a scroll
that grows), so a cursor seen twice is not yet a loop. It is one when nothing new has arrived
since it was last followed; the listing then ends there, as if it had no next page.
"""

from __future__ import annotations

from collections.abc import Hashable

__all__ = ["CursorLoop"]


class CursorLoop:
    """The cursors a listing followed, each with what had arrived when it was followed.

    >>> loop = CursorLoop()
    >>> loop.repeats("c1", 2), loop.repeats("c1", 4), loop.repeats("c1", 4)
    (False, False, True)
    """

    def __init__(self) -> None:
        self._followed: dict[str, Hashable] = {}

    def repeats(self, cursor: str, arrived: Hashable) -> bool:
        """Whether following `cursor` now, with `arrived` (a count or a fingerprint of what
        the listing has brought), would repeat the last time it was followed."""
        if cursor in self._followed and self._followed[cursor] == arrived:
            return True
        self._followed[cursor] = arrived
        return False
