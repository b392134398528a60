"""Payloads of Linkup's control routes: keys, scenarios and settings."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LinkupKey(_Payload):
    """An API key and what its organization may spend."""

    key: str = Field(min_length=1)
    credits: float | None = Field(default=None, description="starting balance; null = unlimited")
    extract_enabled: bool = Field(default=True, description="False = the closed-beta gate")
    budget_limit: float | None = None
    org: str | None = Field(default=None, description="null = an organization of its own")


class LinkupScenario(_Payload):
    """How tasks whose `q` contains `match` behave; the first matching scenario wins."""

    match: str
    rows: int | None = Field(default=None, ge=0)
    fail: str | None = Field(default=None, description="error message: the task ends failed")
    pending_seconds: float | None = Field(default=None, ge=0)
    processing_seconds: float | None = Field(default=None, ge=0)
    credits: float | None = Field(default=None, ge=0)


class LinkupSettings(_Payload):
    """Emulator-wide Linkup behaviour."""

    max_in_flight: int = Field(default=100, ge=0)
    result_url_ttl: float = Field(default=86_400, gt=0)
    pending_seconds: float = Field(default=0.3, ge=0)
    processing_seconds: float = Field(default=0.7, ge=0)


class LinkupSettingsUpdate(_Payload):
    """A partial update of the settings."""

    max_in_flight: int | None = Field(default=None, ge=0)
    result_url_ttl: float | None = Field(default=None, gt=0)
    pending_seconds: float | None = Field(default=None, ge=0)
    processing_seconds: float | None = Field(default=None, ge=0)


class LinkupSeed(_Payload):
    """Tasks created at once, already finished, outside credits and the in-flight limit."""

    count: int = Field(ge=1, le=100_000)
    key: str = Field(default="demo-linkup-key", description="the key that created them")
    q: str = Field(default="seeded task", min_length=1)
    url: str = "https://example.com/seeded"
    rows: int = Field(default=10, ge=0)
    fail: str | None = Field(default=None, description="error message: every task failed")
    spacing_seconds: float = Field(
        default=1.0, gt=0, description="between finishes; the last one finished this long ago"
    )
