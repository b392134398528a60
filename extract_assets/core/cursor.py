"""Sensor cursors: a dataclass saved as JSON with a version; another version starts afresh."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any, ClassVar, Self


@dataclass
class SensorCursor:
    """Base of the sensors' cursors. Bump `VERSION` when the fields change meaning.

    >>> from dataclasses import dataclass
    >>> @dataclass
    ... class Seen(SensorCursor):
    ...     count: int = 0
    >>> Seen.parse(Seen(count=3).dump()).count
    3
    >>> Seen.parse('{"version": 0, "count": 9}').count
    0
    """

    VERSION: ClassVar[int] = 1

    @classmethod
    def parse(cls, text: str | None) -> Self:
        data = json.loads(text) if text else {}
        if data.pop("version", None) != cls.VERSION:
            return cls()
        return cls.from_json(data)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        """Build from the saved fields; override when fields hold nested dataclasses."""
        return cls(**data)

    def dump(self) -> str:
        return json.dumps({"version": self.VERSION, **asdict(self)}, sort_keys=True)
