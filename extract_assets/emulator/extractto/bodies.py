"""Request bodies of the Extract.to API, and reading them into a 400 `{"detail"}` when wrong."""

from __future__ import annotations

import json
from datetime import date
from typing import Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from extract_assets.emulator.extractto.dates import IsoDate
from extract_assets.emulator.extractto.errors import ExtracttoError

BodyT = TypeVar("BodyT", bound=BaseModel)

# Columns every row has; an extract field may not shadow them.
RESERVED_COLUMNS = frozenset({"date", "account_id", "account_name", "__insert_date"})
Schedule = Literal["hourly", "daily", "cron"]
TriggerType = Literal["cron", "webhook"]


class _Body(BaseModel):
    # Unknown names are refused: a client typo must not pass silently against the emulator.
    model_config = ConfigDict(extra="forbid")


class _NoNulls(_Body):
    """A partial update: a name sent with null is refused, except the nullable ones."""

    _nullable: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _sent_values_are_not_null(self) -> _NoNulls:
        for name in self.model_fields_set - self._nullable:
            if getattr(self, name) is None:
                raise ValueError(f"{name} may not be null")
        return self


class _ExtractSettings(_Body):
    """The updatable attributes of an extract."""

    fields: list[str] | None = None
    additional_params: dict[str, Any] | None = None
    sync_historical_data: IsoDate | None = None
    schedules: list[Any] | None = None

    @field_validator("fields")
    @classmethod
    def _fields_are_columns(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        if not value:
            raise ValueError("at least one field is required")
        if len(set(value)) != len(value):
            raise ValueError("fields must be unique")
        clashing = sorted(RESERVED_COLUMNS.intersection(value))
        if clashing:
            raise ValueError(f"reserved column names: {', '.join(clashing)}")
        if any(not name.strip() for name in value):
            raise ValueError("field names must not be empty")
        return value


class AccountRef(_Body):
    """One account of a connection, as an extract names it."""

    connection_id: str
    account_id: str


class ExtractCreate(_ExtractSettings):
    """POST /extracts."""

    data_table_title: str = Field(min_length=1)
    template_id: str = Field(min_length=1)
    accounts: list[AccountRef] = Field(min_length=1)


class ExtractPut(_ExtractSettings):
    """PUT /extracts/{id}: every updatable attribute; an omitted one goes back to its default."""


class ExtractPatch(_ExtractSettings, _NoNulls):
    """PATCH /extracts/{id}: only what is sent changes."""

    _nullable: ClassVar[frozenset[str]] = frozenset({"sync_historical_data"})


class RunRange(_Body):
    """POST /extracts/{id}/run: an optional date range."""

    date_from: IsoDate | None = None
    date_to: IsoDate | None = None

    def resolve(self, default_day: date) -> tuple[date, date]:
        """Both ends: `date_to` defaults to the later of `default_day` and `date_from`,
        `date_from` to `date_to`."""
        date_to = self.date_to or max(default_day, self.date_from or default_day)
        date_from = self.date_from or date_to
        if date_from > date_to:
            raise ExtracttoError(400, "date_from must not be after date_to")
        return date_from, date_to


class AccountSpec(_Body):
    """An account reachable through a source, e.g. one Google Ads customer."""

    id: str = Field(min_length=1)
    name: str = Field(min_length=1)


class SourceCreate(_Body):
    """POST /sources."""

    name: str = Field(min_length=1)
    connector_id: str
    config: dict[str, Any] = Field(default_factory=dict)
    accounts: list[AccountSpec] | None = None


class SourcePatch(_NoNulls):
    """PATCH /sources/{id}."""

    name: str | None = Field(default=None, min_length=1)
    config: dict[str, Any] | None = None
    accounts: list[AccountSpec] | None = None


class DestinationCreate(_Body):
    """POST /destinations."""

    name: str = Field(min_length=1)
    connector_id: str
    config: dict[str, Any] = Field(default_factory=dict)


class DestinationPatch(_NoNulls):
    """PATCH /destinations/{id}."""

    name: str | None = Field(default=None, min_length=1)
    config: dict[str, Any] | None = None


class ConnectionCreate(_Body):
    """POST /connections (designed: the documented list endpoint plus a create)."""

    name: str = Field(min_length=1)
    source_id: str
    destination_id: str
    schedule: Schedule = "daily"
    cron: str | None = None
    backfill_days: int = Field(default=30, ge=0, le=3650)
    streams: list[str] | None = None


class ConnectionPatch(_NoNulls):
    """PATCH /connections/{id}."""

    _nullable: ClassVar[frozenset[str]] = frozenset({"cron"})

    name: str | None = Field(default=None, min_length=1)
    schedule: Schedule | None = None
    cron: str | None = None
    backfill_days: int | None = Field(default=None, ge=0, le=3650)
    streams: list[str] | None = None


class TriggerCreate(_Body):
    """POST /triggers: start runs of a connection on a cron or from a webhook."""

    name: str = Field(min_length=1)
    connection_id: str
    type: TriggerType = "cron"
    cron: str | None = None
    enabled: bool = True


class TriggerPatch(_NoNulls):
    """PATCH /triggers/{id}."""

    _nullable: ClassVar[frozenset[str]] = frozenset({"cron"})

    name: str | None = Field(default=None, min_length=1)
    type: TriggerType | None = None
    cron: str | None = None
    enabled: bool | None = None


def check_cron(schedule: str, cron: str | None) -> None:
    """A cron expression (five fields) exactly when the schedule is `cron`, else 400."""
    if schedule != "cron":
        if cron is not None:
            raise ExtracttoError(400, f"cron is only allowed with a cron schedule, not {schedule}")
        return
    if cron is None or len(cron.split()) != 5:
        raise ExtracttoError(400, "cron must be a cron expression of five fields")


def parse_body(raw: bytes, model: type[BodyT]) -> BodyT:
    """The JSON body as `model` (an empty body is `{}`), or 400 naming every bad field."""
    try:
        data = json.loads(raw) if raw.strip() else {}
    except ValueError as exc:
        raise ExtracttoError(400, "Request body is not valid JSON") from exc
    if not isinstance(data, dict):
        raise ExtracttoError(400, "Request body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ExtracttoError(400, describe(exc)) from exc


def describe(exc: ValidationError) -> str:
    """One line per problem: `where: what`."""
    problems = []
    for error in exc.errors(include_url=False, include_input=False):
        where = ".".join(str(part) for part in error["loc"]) or "body"
        message = str(error["msg"]).removeprefix("Value error, ")
        problems.append(f"{where}: {message}")
    return "Invalid request body: " + "; ".join(problems)
