"""Payloads of dataextractor.io's control routes, and the emulator settings."""

from __future__ import annotations

import ipaddress
from datetime import date
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

PlanName = Literal["free", "pro"]
DatasetType = Literal["invoice", "purchase_order"]
EventType = Literal["extraction.completed", "extraction.failed", "matching.completed"]

PLAN_QUOTAS: dict[PlanName, int] = {"free": 10, "pro": 500}
DATASET_TYPES: tuple[DatasetType, ...] = ("invoice", "purchase_order")
EVENT_TYPES: tuple[EventType, ...] = (
    "extraction.completed",
    "extraction.failed",
    "matching.completed",
)


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DataextractorSettings(_Payload):
    """Emulator-wide dataextractor.io behaviour; durations are emulator seconds unless noted."""

    processing_seconds: float = Field(default=2.0, ge=0)
    cursor_ttl: float = Field(default=86_400, gt=0)
    read_per_minute: int = Field(default=60, ge=1, description="list and get, per API key")
    write_per_minute: int = Field(default=10, ge=1, description="extract and ground truth")
    webhook_backoff_scale: float = Field(
        default=1.0, ge=0, description="multiplies the 1, 2, 4, 8, 16 s retry delays"
    )
    webhook_timeout: float = Field(
        default=10.0, gt=0, description="real seconds a receiver may take before a retry"
    )
    duplicate_deliveries: int = Field(
        default=0, ge=0, le=10, description="extra deliveries of every event, same event_id"
    )


class SettingsUpdate(_Payload):
    """A partial update of the settings."""

    processing_seconds: float | None = Field(default=None, ge=0)
    cursor_ttl: float | None = Field(default=None, gt=0)
    read_per_minute: int | None = Field(default=None, ge=1)
    write_per_minute: int | None = Field(default=None, ge=1)
    webhook_backoff_scale: float | None = Field(default=None, ge=0)
    webhook_timeout: float | None = Field(default=None, gt=0)
    duplicate_deliveries: int | None = Field(default=None, ge=0, le=10)


class KeyPayload(_Payload):
    """An API key of `account` (null = an account of its own); `plan` sets the account's plan
    (null keeps it; a new account is on Pro)."""

    key: str = Field(min_length=1)
    plan: PlanName | None = None
    account: str | None = Field(default=None, min_length=1)


class Scenario(_Payload):
    """How uploads whose filename contains `match` behave; the first matching scenario wins."""

    match: str
    fail: str | None = Field(default=None, description="error message: the dataset ends failed")
    processing_seconds: float | None = Field(default=None, ge=0)


class SeedRequest(_Payload):
    """Datasets created at once, outside rate limits and quota, spread over `date_from`..`date_to`
    (UTC days, inclusive; default the last 7 days). Shares are of `count`."""

    count: int = Field(ge=1, le=100_000)
    date_from: date | None = None
    date_to: date | None = None
    dataset_types: list[DatasetType] = Field(default=list(DATASET_TYPES), min_length=1)
    customer_ids: list[str] = Field(default=["cust_1", "cust_2"], min_length=1)
    verified_share: float = Field(default=0.3, ge=0, le=1)
    failed_share: float = Field(default=0.0, ge=0, le=1)
    processing_share: float = Field(default=0.0, ge=0, le=1)
    processing_seconds: float | None = Field(
        default=None, ge=0, description="how long the processing share still takes"
    )
    account: str | None = None
    created_seconds_ago: float | None = Field(
        default=None,
        gt=0,
        description=(
            "instead of the dates: created this long before now, a millisecond apart, as a "
            "dataset the listing shows late, behind newer ones, has"
        ),
    )

    @model_validator(mode="after")
    def _shares_fit(self) -> SeedRequest:
        if self.verified_share + self.failed_share + self.processing_share > 1 + 1e-9:
            raise ValueError("verified_share + failed_share + processing_share must be <= 1")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError("date_from must not be after date_to")
        return self


class Subscription(_Payload):
    """A webhook of `account` (null = the demo account); loopback URLs only."""

    url: str
    secret: str = Field(min_length=1)
    events: list[EventType] = Field(default=list(EVENT_TYPES), min_length=1)
    account: str | None = None

    @field_validator("url")
    @classmethod
    def _loopback_only(cls, value: str) -> str:
        # The emulator must never send anything beyond the machine it runs on.
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("url must be an http(s) URL")
        if parts.hostname != "localhost":
            try:
                loopback = ipaddress.ip_address(parts.hostname).is_loopback
            except ValueError:
                loopback = False
            if not loopback:
                raise ValueError("webhooks are delivered to loopback URLs only")
        return value
