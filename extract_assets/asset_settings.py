"""What every spec may say about its assets in Dagster, beyond what to extract.

Group, tags, owners and description; when Dagster's automation materializes the asset; how
fresh its data must be; whether its checks block downstream assets. Declared once here for the
specs of every provider, in YAML, components and Python alike:

```yaml
- name: google_ads_campaigns
  automation: {on_cron: "0 6 * * *"}        # or: eager, on_missing
  freshness: {fail_after: 26h, warn_after: 25h}
  checks: {blocking: true}
```
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dagster as dg
from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_validator,
)

__all__ = [
    "Automation",
    "CheckSettings",
    "CronFreshness",
    "Day",
    "Freshness",
    "OnCron",
    "SentText",
    "SpecSettings",
    "TimeWindowFreshness",
    "automation_condition",
    "freshness_policy",
]

_MINUTE = timedelta(minutes=1)
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def _duration(value: Any) -> Any:
    """`90m`, `26h`, `2d`, `1d12h`, or anything pydantic reads as a timedelta (seconds, ISO)."""
    if not isinstance(value, str) or value.strip().startswith("P") or value.strip().isdigit():
        return value
    match = _DURATION.match(value.strip())
    if not value.strip() or match is None:
        raise ValueError(f"{value!r} is not a duration such as 90m, 26h, 2d or 1d12h")
    days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


Duration = Annotated[timedelta, BeforeValidator(_duration)]


def _cron(value: str) -> str:
    try:
        dg.AutomationCondition.on_cron(value)
    except Exception:
        raise ValueError(
            f"{value!r} is not a cron schedule: give five fields, such as '0 6 * * *' "
            "(06:00 every day)"
        ) from None
    return value


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not a time zone such as UTC or Europe/Paris") from None
    return value


def _day(value: Any) -> Any:
    """A date written `YYYY-MM-DD` (a `date` from Python): YAML gives `2026-11-01` as text and
    `20261101` as a number, which pydantic would read as seconds since 1970."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _DAY.match(value.strip()):
        raise ValueError(
            f"{value!r} is not a date written as YYYY-MM-DD: write it so, such as '2026-11-01'"
        )
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a date: {exc}") from None


def _sent_text(value: str) -> str:
    """An id or filter value, sent as given: a space copied around it would match nothing,
    and an empty one nothing either."""
    if not value.strip():
        raise ValueError("is empty: give the value, or leave the setting out")
    return value.strip()


def _group(value: str) -> str:
    _dagster_accepts(group_name=value)
    return value


def _owner(value: str) -> str:
    try:
        dg.AssetSpec("_", owners=[value])
    except dg.DagsterInvalidDefinitionError:
        raise ValueError(
            f"{value!r} is not an owner: give an email address or a team name after 'team:', "
            "such as team:data-platform"
        ) from None
    return value


def _tags(value: dict[str, str]) -> dict[str, str]:
    _dagster_accepts(tags=value)
    return value


def _dagster_accepts(**attributes: Any) -> None:
    """Refuse in the file, with Dagster's reason, what Dagster would refuse when the
    definitions are built, where the error could not say which entry of which file."""
    try:
        dg.AssetSpec("_", **attributes)
    except dg.DagsterInvalidDefinitionError as exc:
        raise ValueError(str(exc)) from None


Day = Annotated[date, BeforeValidator(_day)]
SentText = Annotated[str, AfterValidator(_sent_text)]
Cron = Annotated[str, AfterValidator(_cron)]
TimeZone = Annotated[str, AfterValidator(_timezone)]
GroupName = Annotated[str, AfterValidator(_group)]
Owner = Annotated[str, AfterValidator(_owner)]
Tags = Annotated[dict[str, str], AfterValidator(_tags)]


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OnCron(_Settings):
    """Materialize the latest partition (or the asset) once per cron tick, after its
    dependencies have updated: Dagster's `AutomationCondition.on_cron`."""

    on_cron: Cron = Field(description="Cron schedule, e.g. '0 6 * * *'.")
    timezone: TimeZone = Field(default="UTC", description="Time zone of the schedule.")


def _automation_form(value: Any) -> str:
    return "on_cron" if isinstance(value, dict | OnCron) else "named"


Automation = Annotated[
    Annotated[Literal["eager", "on_missing"], Tag("named")] | Annotated[OnCron, Tag("on_cron")],
    Discriminator(_automation_form),
]


class TimeWindowFreshness(_Settings):
    """Fresh while the last materialization is younger than `fail_after` (warn after
    `warn_after`): Dagster's `FreshnessPolicy.time_window`."""

    # Dagster's own names (fail_window, warn_window) are read too.
    fail_after: Duration = Field(
        validation_alias=AliasChoices("fail_after", "fail_window"),
        description="Stale after this long, e.g. 26h.",
    )
    warn_after: Duration | None = Field(
        default=None,
        validation_alias=AliasChoices("warn_after", "warn_window"),
        description="Warn after this long.",
    )

    @model_validator(mode="after")
    def _dagster_accepts(self) -> Self:
        if min(self.fail_after, self.warn_after or self.fail_after) < _MINUTE:
            raise ValueError("fail_after and warn_after must be at least 1 minute")
        if self.warn_after is not None and self.warn_after >= self.fail_after:
            raise ValueError("warn_after must be shorter than fail_after")
        return self


class CronFreshness(_Settings):
    """Fresh when materialized within `lower_bound` before each cron deadline: Dagster's
    `FreshnessPolicy.cron`."""

    deadline_cron: Cron = Field(description="When the data must be in, e.g. '0 9 * * *'.")
    lower_bound: Duration = Field(
        validation_alias=AliasChoices("lower_bound", "lower_bound_delta"),
        description="How long before the deadline counts, e.g. 24h.",
    )
    timezone: TimeZone = Field(default="UTC", description="Time zone of the deadline.")

    @model_validator(mode="after")
    def _dagster_accepts(self) -> Self:
        try:
            freshness_policy(self)
        except Exception:
            raise ValueError(
                "lower_bound must be at least 1 minute and at most the time between two "
                f"deadlines of {self.deadline_cron!r}"
            ) from None
        return self


def _freshness_form(value: Any) -> str:
    if isinstance(value, dict):
        return "cron" if "deadline_cron" in value else "time_window"
    return "cron" if isinstance(value, CronFreshness) else "time_window"


Freshness = Annotated[
    Annotated[TimeWindowFreshness, Tag("time_window")] | Annotated[CronFreshness, Tag("cron")],
    Discriminator(_freshness_form),
]


class CheckSettings(_Settings):
    """How the asset's checks (row count, rows against the schema, schema change) act."""

    blocking: bool = Field(
        default=False,
        description="A failed check is an ERROR and stops downstream assets in the same run.",
    )


class SpecSettings(_Settings):
    """The Dagster side of a spec, shared by the specs of every provider.

    >>> settings = SpecSettings(automation="eager", freshness={"fail_after": "26h"})
    >>> settings.freshness.fail_after
    datetime.timedelta(days=1, seconds=7200)
    """

    group: GroupName | None = Field(
        default=None, description="Dagster asset group; default: the provider's name."
    )
    tags: Tags = Field(default_factory=dict, description="Dagster asset tags.")
    owners: list[Owner] = Field(default_factory=list, description="Dagster asset owners.")
    description: str | None = Field(default=None, description="Shown in the Dagster UI.")
    automation: Automation | None = Field(
        default=None,
        description="When Dagster materializes it: eager, on_missing or {on_cron: '0 6 * * *'}.",
    )
    freshness: Freshness | None = Field(
        default=None,
        description="How fresh it must be: {fail_after: 26h} or {deadline_cron: ..., "
        "lower_bound: 24h}.",
    )
    checks: CheckSettings = Field(default_factory=CheckSettings)


def automation_condition(automation: Automation | None) -> dg.AutomationCondition[Any] | None:
    """The Dagster automation condition a spec's `automation` names.

    >>> automation_condition(OnCron(on_cron="0 6 * * *")).get_label()
    'on_cron(0 6 * * *, UTC)'
    """
    if automation is None:
        return None
    if automation == "eager":
        return dg.AutomationCondition.eager()
    if automation == "on_missing":
        return dg.AutomationCondition.on_missing()
    return dg.AutomationCondition.on_cron(automation.on_cron, cron_timezone=automation.timezone)


def freshness_policy(freshness: Freshness | None) -> dg.FreshnessPolicy | None:
    """The Dagster freshness policy a spec's `freshness` names."""
    if freshness is None:
        return None
    if isinstance(freshness, TimeWindowFreshness):
        return dg.FreshnessPolicy.time_window(
            fail_window=freshness.fail_after, warn_window=freshness.warn_after
        )
    return dg.FreshnessPolicy.cron(
        deadline_cron=freshness.deadline_cron,
        lower_bound_delta=freshness.lower_bound,
        timezone=freshness.timezone,
    )
