"""The YAML way to declare assets: one file, parsed into the same models as the Python way.

```yaml
linkup:
  extracts:
    - name: team_members
      q: Every team member with name, role and profile page
      url: https://example.com/team
```
"""

from __future__ import annotations

import difflib
import functools
import os
import re
from collections import Counter
from pathlib import Path
from typing import Annotated, Any, Self, TypeVar, get_args
from urllib.parse import urlparse

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from extract_assets.core.errors import ConfigError
from extract_assets.core.names import AssetName
from extract_assets.dataextractor.spec import DataExtractorDatasetsSpec, DataExtractorSubmissionSpec
from extract_assets.extractto.spec import ExtractToConnectionSpec, ExtractToExtractSpec
from extract_assets.linkup.spec import LinkupExtractSpec

CONFIG_ENV = "EXTRACT_ASSETS_CONFIG"
DEMO_CONFIG = Path(__file__).parent / "demo" / "extract-assets.yaml"
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


class SensorSettings(BaseModel):
    """Whether a provider's sensor starts running, and how often it ticks."""

    model_config = ConfigDict(extra="forbid")

    running: bool = False
    minimum_interval_seconds: int = Field(default=30, ge=5)


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


class LinkupSection(Section):
    """Linkup extracts: the `linkup` section of a config file, or a `LinkupComponent`."""

    extracts: list[LinkupExtractSpec] = Field(default_factory=list)
    sensor: SensorSettings = Field(default_factory=SensorSettings)


class ExtractToSection(Section):
    """Extract.to extracts and connections: the `extractto` section, or an `ExtractToComponent`."""

    extracts: list[ExtractToExtractSpec] = Field(default_factory=list)
    connections: list[ExtractToConnectionSpec] = Field(default_factory=list)
    sensor: SensorSettings = Field(default_factory=SensorSettings)


WEBHOOK_STORE_ENV = "DATAEXTRACTOR_WEBHOOK_STORE"


class WebhookSettings(BaseModel):
    """Where `extract-assets webhooks` stores events, for the webhook sensor to read."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    store: str = Field(
        default="dataextractor-webhooks.sqlite3",
        description=f"The receiver's SQLite file; {WEBHOOK_STORE_ENV} overrides it.",
    )

    def store_path(self) -> str:
        return os.environ.get(WEBHOOK_STORE_ENV) or self.store


class DataExtractorSection(Section):
    """dataextractor.io tables and submissions: the `dataextractor` section, or a component."""

    datasets: list[DataExtractorDatasetsSpec] = Field(default_factory=list)
    submissions: list[DataExtractorSubmissionSpec] = Field(default_factory=list)
    sensor: SensorSettings = Field(default_factory=SensorSettings)
    webhooks: WebhookSettings = Field(default_factory=WebhookSettings)

    def relative_to(self, folder: Path) -> Self:
        """Relative document folders read from `folder` (the YAML's), wherever Dagster runs."""
        submissions = [
            spec
            if spec.folder.is_absolute()
            else spec.model_copy(update={"folder": folder / spec.folder})
            for spec in self.submissions
        ]
        return self.model_copy(update={"submissions": submissions})


S = TypeVar("S", bound=Section)


def _one_or_many(value: Any) -> str:
    return "accounts" if isinstance(value, list) else "section"


# Each provider: one section (a mapping), or several accounts of it (a list of sections).
LinkupSections = Annotated[
    Annotated[LinkupSection, Tag("section")] | Annotated[list[LinkupSection], Tag("accounts")],
    Discriminator(_one_or_many),
]
ExtractToSections = Annotated[
    Annotated[ExtractToSection, Tag("section")]
    | Annotated[list[ExtractToSection], Tag("accounts")],
    Discriminator(_one_or_many),
]
DataExtractorSections = Annotated[
    Annotated[DataExtractorSection, Tag("section")]
    | Annotated[list[DataExtractorSection], Tag("accounts")],
    Discriminator(_one_or_many),
]


def accounts(sections: S | list[S]) -> list[S]:
    """A provider's sections, one per account.

    >>> config = ExtractAssetsConfig.model_validate(
    ...     {"linkup": [{"account": "sales"}, {"account": "research"}]}
    ... )
    >>> [section.account for section in accounts(config.linkup)]
    ['sales', 'research']
    """
    return sections if isinstance(sections, list) else [sections]


class ExtractAssetsConfig(BaseModel):
    """Everything a config file declares, per provider: one section, or a list of accounts."""

    model_config = ConfigDict(extra="forbid")

    linkup: LinkupSections = Field(default_factory=LinkupSection)
    extractto: ExtractToSections = Field(default_factory=ExtractToSection)
    dataextractor: DataExtractorSections = Field(default_factory=DataExtractorSection)

    @model_validator(mode="after")
    def _accounts_are_named(self) -> Self:
        for provider in ("linkup", "extractto", "dataextractor"):
            sections = getattr(self, provider)
            if not isinstance(sections, list):
                continue
            names = [section.account for section in sections]
            if None in names:
                raise ValueError(
                    f"{provider}: each account in a list needs its own `account` name, "
                    "such as `account: research`"
                )
            repeated = sorted(str(name) for name, n in Counter(names).items() if n > 1)
            if repeated:
                raise ValueError(f"{provider}: account names repeated: {', '.join(repeated)}")
        return self

    def asset_names(self) -> list[str]:
        """Every asset key declared (`account/name` for a named account), in file order; keys
        must be unique across providers."""

        def key(section: Section, name: str) -> str:
            return name if section.account is None else f"{section.account}/{name}"

        linkup, extractto = accounts(self.linkup), accounts(self.extractto)
        dataextractor = accounts(self.dataextractor)
        return [
            *(key(s, spec.name) for s in linkup for spec in s.extracts),
            *(key(s, spec.name) for s in extractto for spec in s.extracts),
            *(key(s, spec.name) for s in extractto for spec in s.connections),
            *(
                key(s, name)
                for s in dataextractor
                for spec in s.datasets
                for name in spec.asset_names()
            ),
            *(key(s, spec.name) for s in dataextractor for spec in s.submissions),
        ]


class _Loader(yaml.SafeLoader):
    """Safe YAML that leaves dates as text, so the models check them and name the field."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def config_path() -> Path:
    """`EXTRACT_ASSETS_CONFIG` when set, else the bundled demo file."""
    return Path(os.environ.get(CONFIG_ENV) or DEMO_CONFIG)


def load_config(path: str | os.PathLike[str] | None = None) -> ExtractAssetsConfig:
    """Read and check a config file; any mistake raises `ConfigError` naming file, entry, field.

    >>> load_config(DEMO_CONFIG).linkup.extracts[0].name
    'team_members'
    """
    file = Path(path) if path is not None else config_path()
    try:
        raw = yaml.load(file.read_text(encoding="utf-8"), Loader=_Loader)
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read the config file ({exc.strerror}).") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{file}: not valid YAML: {exc}") from exc
    try:
        config = ExtractAssetsConfig.model_validate(raw or {})
    except ValidationError as exc:
        raise ConfigError(_describe(file, raw, exc)) from None
    _check_unique_names(file, config)
    sections = config.dataextractor
    beside = [section.relative_to(file.parent) for section in accounts(sections)]
    return config.model_copy(
        update={"dataextractor": beside if isinstance(sections, list) else beside[0]}
    )


def _describe(file: Path, raw: Any, exc: ValidationError) -> str:
    lines = [f"{file}: {exc.error_count()} problem(s) in the extract-assets config:"]
    for error in exc.errors():
        # The tag of the one-or-many union is not a place in the file.
        loc = tuple(step for step in error["loc"] if step not in {"section", "accounts"})
        message = error["msg"]
        if error["type"] == "extra_forbidden" and loc and isinstance(loc[-1], str):
            close = difflib.get_close_matches(loc[-1], _field_names(), n=1, cutoff=0.6)
            if close:
                message += f" (did you mean {close[0]!r}?)"
        lines.append(f"  - {_where(raw, loc)}: {message}")
    return "\n".join(lines)


@functools.cache
def _field_names() -> frozenset[str]:
    """Every field name (and alias) a config file may use, at any depth."""
    names: set[str] = set()
    pending: list[type[BaseModel]] = [ExtractAssetsConfig]
    seen: set[type[BaseModel]] = set()
    while pending:
        model = pending.pop()
        if model in seen:
            continue
        seen.add(model)
        for name, info in model.model_fields.items():
            names.add(info.alias or name)
            names.add(name)
            pending.extend(_models_in(info.annotation))
    return frozenset(names)


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in get_args(annotation) for model in _models_in(arg)]


def _where(raw: Any, loc: tuple[int | str, ...]) -> str:
    """`linkup.extracts[1] (name 'team'), field 'url'` from a pydantic error location."""
    parts: list[str] = []
    node = raw
    entry_name: str | None = None
    consumed = 0
    for step in loc:
        if isinstance(step, int) and isinstance(node, list) and step < len(node):
            parts[-1] += f"[{step}]"
            node = node[step]
            consumed += 1
            if isinstance(node, dict) and isinstance(node.get("name"), str):
                entry_name = node["name"]
            if entry_name is not None:
                break
        elif isinstance(step, str) and isinstance(node, dict):
            parts.append(step)
            node = node.get(step)
            consumed += 1
        else:
            break
    where = ".".join(parts) or "top level"
    if entry_name is not None:
        where += f" (name {entry_name!r})"
    field = ".".join(str(step) for step in loc[consumed:])
    return f"{where}, field {field!r}" if field else where


def _check_unique_names(file: Path, config: ExtractAssetsConfig) -> None:
    names = Counter(config.asset_names())
    repeated = sorted(name for name, count in names.items() if count > 1)
    if repeated:
        raise ConfigError(f"{file}: asset names must be unique; repeated: {', '.join(repeated)}")
