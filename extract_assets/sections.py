"""What every provider's section of the config file has, whichever the provider.

A provider's package declares its section (extracts, datasets, ...) on top of `Section`; a
config file gives each provider one section, or a list of them, one per account.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Self, TypeVar
from urllib.parse import urlparse

import dagster as dg
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from extract_assets.core.names import AssetName

_VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class ApiSettings(BaseModel):
    """How to reach a provider: which variable holds the key, and where the API is.

    The key itself never goes in YAML: the resource reads it from the variable when it runs.

    >>> ApiSettings(base_url="http://127.0.0.1:8000/linkup").key_env is None
    True
    """

    model_config = ConfigDict(extra="forbid")

    key_env: str | None = Field(
        default=None,
        description="Environment variable holding the API key; default: the provider's own "
        "(LINKUP_API_KEY, EXTRACTTO_API_KEY, DATAEXTRACTOR_API_KEY).",
    )
    base_url: str | None = Field(
        default=None,
        description="API base URL; default: the provider's *_BASE_URL variable, else the real API.",
    )

    @field_validator("key_env")
    @classmethod
    def _variable_name(cls, value: str | None) -> str | None:
        if value is not None and not _VARIABLE_NAME.match(value):
            raise ValueError(
                "must be the name of the environment variable that holds the key, "
                "such as LINKUP_API_KEY, never the key itself"
            )
        return value

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        parsed = urlparse(value or "http://default")
        if parsed.scheme not in {"http", "https"} or not parsed.netloc:
            raise ValueError(
                "must be an http(s) URL such as http://127.0.0.1:8000/linkup; leave it out "
                "to use the provider's *_BASE_URL variable"
            )
        return value

    def key(self, default_env: str) -> dg.EnvVar:
        """The key, read from its variable when the resource is used, never at load."""
        return dg.EnvVar(self.key_env or default_env)


class SensorSettings(BaseModel):
    """Whether a provider's sensor starts running, and how often it ticks."""

    model_config = ConfigDict(extra="forbid")

    running: bool = False
    minimum_interval_seconds: int = Field(default=30, ge=5)

    def default_status(self) -> dg.DefaultSensorStatus:
        return dg.DefaultSensorStatus.RUNNING if self.running else dg.DefaultSensorStatus.STOPPED


class Section(BaseModel):
    """What every provider section has: the account it reads, and how to reach it."""

    model_config = ConfigDict(extra="forbid")

    account: AssetName | None = Field(
        default=None,
        description="Names this account when a code location has several of one provider: "
        "its asset keys start with it, its resource key and pool end with it (linkup_<account>), "
        "its sensors start with it, its files go under <provider>/<account>/.",
    )
    api: ApiSettings = Field(default_factory=ApiSettings)

    @model_validator(mode="before")
    @classmethod
    def _no_variables_to_expand(cls, data: Any) -> Any:
        found = next(_variables_in(data, ""), None)
        if found is not None:
            where, name = found
            raise ValueError(
                f"{where}: '${{{name}}}' is not expanded: values are read as written. A key "
                f"is named by api.key_env (key_env: {name}) and read when a run starts; a base "
                "URL comes from the provider's *_BASE_URL variable when base_url is left out"
            )
        return data

    @model_validator(mode="after")
    def _names_are_unique(self) -> Self:
        repeated = sorted(name for name, count in Counter(self.names()).items() if count > 1)
        if repeated:
            raise ValueError(
                f"asset names must be unique; repeated: {', '.join(repeated)}: rename one"
            )
        return self

    def names(self) -> list[str]:
        """The names of the assets the section declares, in file order."""
        return []

    def asset_names(self) -> list[str]:
        """Every asset key the section declares: `account/name` for a named account."""
        prefix = "" if self.account is None else f"{self.account}/"
        return [prefix + name for name in self.names()]

    def relative_to(self, folder: Path) -> Self:
        """This section with the relative paths it holds read from `folder` (the YAML's)."""
        return self


_TO_EXPAND = re.compile(r"\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}")


def _variables_in(data: Any, where: str) -> Iterator[tuple[str, str]]:
    """Each `${NAME}` written in a section, with where: `api.key_env`, `extracts[0].q`."""
    if isinstance(data, str):
        for match in _TO_EXPAND.finditer(data):
            yield where, match.group(1)
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _variables_in(value, f"{where}.{key}".lstrip("."))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _variables_in(value, f"{where}[{index}]")


S = TypeVar("S", bound=Section)


def _one_or_many(value: Any) -> str:
    return "accounts" if isinstance(value, list) else "section"


def one_or_many(section: type[Section]) -> Any:
    """The type of a provider's entry in a config file: one section (a mapping), or several
    accounts of it (a list of sections)."""
    return Annotated[
        Annotated[section, Tag("section")] | Annotated[list[section], Tag("accounts")],  # type: ignore[valid-type]
        Discriminator(_one_or_many),
    ]


def accounts(sections: S | list[S]) -> list[S]:
    """A provider's sections, one per account.

    >>> [section.account for section in accounts([Section(account="sales"), Section()])]
    ['sales', None]
    >>> accounts(Section())
    [Section(account=None, api=ApiSettings(key_env=None, base_url=None))]
    """
    return sections if isinstance(sections, list) else [sections]
