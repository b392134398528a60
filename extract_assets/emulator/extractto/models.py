"""Payloads of Extract.to's control routes, and the account plan and emulator settings."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from extract_assets.emulator.extractto.auth import Role
from extract_assets.emulator.extractto.bodies import AccountSpec, RunRange, Schedule
from extract_assets.emulator.extractto.resources import RunOutcome

ListStyle = Literal["envelope", "array"]


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")


class KeyPayload(_Payload):
    """An API key; `age_days` backdates its issue time, to test the 90-day expiry."""

    key: str = Field(min_length=1)
    role: Role = "admin"
    billing: bool = False
    age_days: float = Field(default=0, ge=0)


class Plan(_Payload):
    """The account's plan and its limits."""

    name: str = "Growth"
    max_extracts: int = Field(default=100, ge=0)
    max_runs_per_month: int = Field(default=10_000, ge=0)
    schedules_limit: int = Field(default=5, ge=0)


class PlanUpdate(_Payload):
    """A partial update of the plan."""

    name: str | None = None
    max_extracts: int | None = Field(default=None, ge=0)
    max_runs_per_month: int | None = Field(default=None, ge=0)
    schedules_limit: int | None = Field(default=None, ge=0)


class ExtracttoSettings(_Payload):
    """Emulator-wide Extract.to behaviour."""

    list_style: ListStyle = "envelope"
    cursor_ttl: float = Field(default=86_400, gt=0)
    sync_seconds: float = Field(default=1.0, ge=0)
    run_queued_seconds: float = Field(default=0.5, ge=0)
    run_running_seconds: float = Field(default=2.0, ge=0)


class SettingsUpdate(_Payload):
    """A partial update of the settings."""

    list_style: ListStyle | None = None
    cursor_ttl: float | None = Field(default=None, gt=0)
    sync_seconds: float | None = Field(default=None, ge=0)
    run_queued_seconds: float | None = Field(default=None, ge=0)
    run_running_seconds: float | None = Field(default=None, ge=0)


class ExtractSeed(_Payload):
    """A ready extract for a test, outside the plan limits.

    Without `connection_id` it uses the demo Google Ads connection; an `account_id` the
    connection's source lacks is added to it.
    """

    title: str = Field(min_length=1)
    data_table_title: str | None = None
    connection_id: str | None = None
    account_id: str | None = None
    account_name: str | None = None
    fields: list[str] | None = None
    rows_per_day: int | None = Field(default=None, ge=0, le=1_000_000)
    sync_seconds: float | None = Field(default=None, ge=0)
    fail: str | None = None
    schedules_limit: int | None = Field(default=None, ge=0)


class ExtractScenario(_Payload):
    """How the next syncs of an extract behave; only the names sent change (null = default)."""

    fail: str | None = None
    sync_seconds: float | None = Field(default=None, ge=0)
    rows_per_day: int | None = Field(default=None, ge=0, le=1_000_000)


class OutsideSync(RunRange):
    """A sync the service starts on its own schedule; same dates and defaults as a run."""


class ConnectionSeed(_Payload):
    """A ready connection for a test, with a new source and destination of the given services."""

    name: str = Field(min_length=1)
    source_service: str = "google_ads"
    destination_service: str = "bigquery"
    schedule: Schedule = "daily"
    cron: str | None = None
    backfill_days: int = Field(default=30, ge=0)
    accounts: list[AccountSpec] | None = None


class ConnectionScenario(_Payload):
    """How the next runs of a connection behave; only the names sent change."""

    outcome: RunOutcome | None = None
    error: str | None = None
    queued_seconds: float | None = Field(default=None, ge=0)
    running_seconds: float | None = Field(default=None, ge=0)
    rows_synced: int | None = Field(default=None, ge=0)
