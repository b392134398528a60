"""Text that Parquet cannot hold as it came, each bad part replaced by U+FFFD, and told once.

- JSON may escape half of a surrogate pair on its own (`"\\ud83d"`): a provider that cuts text
  after so many UTF-16 units cuts through an emoji that way. Python decodes it into a string
  that UTF-8, and so Arrow and Parquet, cannot hold. Each such half becomes U+FFFD, the
  replacement character, as a browser's `TextEncoder` does.
- A line may hold bytes that are not UTF-8 (text of another encoding pasted in). Each bad
  sequence becomes U+FFFD, as a browser decodes such a page.

Either way the row and the rest of its text are kept, and one warning says how many there were.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from extract_assets.core.json_text import loads

__all__ = ["Repairs"]

logger = logging.getLogger(__name__)

_LONE = re.compile("[\ud800-\udfff]")


@dataclass
class Repairs:
    """The repairs made in some rows, told in one warning by `report`.

    >>> repairs = Repairs()
    >>> repairs.without_lone_surrogates([{"bio": "cut \\ud83d"}])
    [{'bio': 'cut �'}]
    >>> repairs.json_line(b'{"name": "Jos\\xe9"}')
    {'name': 'Jos�'}
    """

    lone_surrogates: int = 0
    lines_not_utf8: int = 0

    def without_lone_surrogates(self, rows: list[Any]) -> list[Any]:
        """`rows` (JSON-like values) with each lone surrogate in their text, keys included,
        replaced by U+FFFD."""

        def clean(value: Any) -> Any:
            if isinstance(value, str):
                text, count = _LONE.subn("\ufffd", value)
                self.lone_surrogates += count
                return text
            if isinstance(value, Mapping):
                return {clean(key): clean(item) for key, item in value.items()}
            if isinstance(value, list):
                return [clean(item) for item in value]
            return value

        return [clean(row) for row in rows]

    def json_line(self, line: bytes) -> Any:
        """The JSON value of `line`, which holds bytes that are not UTF-8."""
        self.lines_not_utf8 += 1
        return loads(line.decode("utf-8", "replace"))

    def report(self) -> None:
        """Warn of the repairs made, if any."""
        if self.lone_surrogates:
            logger.warning(
                "%d lone UTF-16 surrogates (halves of a character cut in two), which Parquet "
                "text cannot hold, were each replaced by U+FFFD",
                self.lone_surrogates,
            )
        if self.lines_not_utf8:
            logger.warning(
                "%d lines held bytes that are not UTF-8; each bad sequence was replaced by U+FFFD",
                self.lines_not_utf8,
            )
