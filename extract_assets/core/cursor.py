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
        version = data.pop("version", None)
        if version != cls.VERSION:
            return cls.upgrade(version, data)
        return cls.from_json(data)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        """Build from the saved fields; override (with `to_json`) when fields hold nested
        dataclasses or are saved in another shape."""
        return cls(**data)

    @classmethod
    def upgrade(cls, version: object, data: dict[str, Any]) -> Self:
        """Build from a cursor of another `version` (None: nothing saved). Starts afresh;
        override to carry an older version's fields over."""
        return cls()

    def to_json(self) -> dict[str, Any]:
        """The fields to save, as JSON values."""
        return asdict(self)

    def dump(self) -> str:
        return json.dumps({"version": self.VERSION, **self.to_json()}, sort_keys=True)
