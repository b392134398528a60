"""Payloads of Extract.to's control routes, and the account plan and emulator settings."""

from __future__ import annotations

from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from extract_assets.emulator.extractto.auth import Role
from extract_assets.emulator.extractto.bodies import AccountSpec, RunRange, Schedule
from extract_assets.emulator.extractto.dates import IsoDate
from extract_assets.emulator.extractto.resources import RunOutcome

# The `messy` profile builds its rows when a sync starts: more rows a day would hold it up.
MESSY_MAX_ROWS_PER_DAY = 10_000

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

    `profile` says what its syncs write. `generated` (the default): tidy rows of its `fields`.
    `messy`: a real-world data table whose values drift from its declared columns, built when
    a sync starts for the range it covers (same `profile_seed`, range and accounts, same rows).
    Its fields (whatever `fields` says) and declared columns are `campaign_id`,
    `campaign_name` (strings), `impressions`, `clicks` (integers), `cost` (number) and
    `notes` (string). Each account has `rows_per_day` rows a day (20 to 30 by default, at most
    10,000), rows carry `date`, `account_id` and `account_name` like generated ones, and

    - `impressions` is a string such as `"3185"` on a few (up to 3) rows of two days;
    - `cost` is an integer on the first day of the range, a float with cents (`12.57`) on
      every later day;
    - `notes` is null on the first half of the range's rows (its first pages), text after;
    - `label`, which the table does not declare, is a key of only the last 3 rows of the last
      day of the range: every other row lacks it;
    - about a third (at least one) of the days after the second and before the last have no
      rows; the first two and the last day always have some.

    So a range of at least four days shows all five traits; a shorter one those that fit (a
    single day: no float cost and one day of string impressions).
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
    profile: Literal["generated", "messy"] = "generated"
    profile_seed: int = 0

    @model_validator(mode="after")
    def _messy_stays_small(self) -> Self:
        if self.profile == "messy" and (self.rows_per_day or 0) > MESSY_MAX_ROWS_PER_DAY:
            raise ValueError(f"the messy profile holds at most {MESSY_MAX_ROWS_PER_DAY} rows a day")
        return self


class ServedColumn(_Payload):
    """A column of a data table as `GET /data-tables/{id}` describes it; any type name."""

    name: str = Field(min_length=1)
    type: str = Field(min_length=1)


class ServedRows(_Payload):
    """The rows an extract's data table serves from its next sync, chosen by a test.

    `days` maps ISO dates to their rows: JSON objects of any values, served as they are (only
    `date`, first, and `__insert_date`, last, are added to a row that lacks them). A date the
    next syncs cover that is absent here holds no rows. `columns`, when given, become the field
    columns of the table at once (`date`, `account_id`, `account_name` before them and
    `__insert_date` after them unless named among them); null keeps the columns as they are.
    """

    columns: list[ServedColumn] | None = None
    days: dict[IsoDate, list[dict[str, Any]]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _unique_columns(self) -> Self:
        names = [column.name for column in self.columns or ()]
        if len(set(names)) != len(names):
            raise ValueError("column names must be unique")
        return self


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
