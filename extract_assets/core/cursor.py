"""Sensor cursors: a dataclass saved as JSON with a version; another version starts afresh."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any, ClassVar, Self

from extract_assets.core.errors import ConfigError


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
        """The cursor saved as `text`; a text this sensor did not save (set by hand in the UI,
        or left by another sensor of the same name) is a `ConfigError` saying how to clear it."""
        try:
            data = json.loads(text) if text else {}
            version = data.pop("version", None)
            if version != cls.VERSION:
                return cls.upgrade(version, data)
            return cls.from_json(data)
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            raise ConfigError(
                f"the sensor's cursor {_excerpt(text)} is not one it saved. Clear it in the "
                "Dagster UI (the sensor's page, Cursor) or with `dagster sensor cursor <sensor "
                "name> --delete`: the sensor then starts as on its first tick."
            ) from error

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


def _excerpt(text: str | None, limit: int = 60) -> str:
    shown = repr(text)
    return shown if len(shown) <= limit else f"{shown[:limit]}…"
