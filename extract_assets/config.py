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
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, model_validator

from extract_assets.core.errors import ConfigError
from extract_assets.providers import providers
from extract_assets.sections import Section, accounts, one_or_many

CONFIG_ENV = "EXTRACT_ASSETS_CONFIG"
DEMO_CONFIG = Path(__file__).parent / "demo" / "extract-assets.yaml"


class _Config(BaseModel):
    """What a config file holds whichever the providers: the checks across their sections."""

    model_config = ConfigDict(extra="forbid")

    def sections(self, provider: str) -> list[Section]:
        """The sections of one provider, one per account; none for a provider the file leaves
        out, so a file of Extract.to extracts asks for no Linkup key and builds no Linkup
        sensor."""
        if provider not in self.model_fields_set:
            return []
        return accounts(getattr(self, provider))

    @model_validator(mode="after")
    def _accounts_are_named(self) -> Self:
        for provider in providers():
            sections = getattr(self, provider.name)
            if not isinstance(sections, list):
                continue
            names = [section.account for section in sections]
            if None in names:
                raise ValueError(
                    f"{provider.name}: each account in a list needs its own `account` name, "
                    "such as `account: research`"
                )
            repeated = sorted(str(name) for name, n in Counter(names).items() if n > 1)
            if repeated:
                raise ValueError(f"{provider.name}: account names repeated: {', '.join(repeated)}")
        return self

    def asset_names(self) -> list[str]:
        """Every asset key declared (`account/name` for a named account), in file order; keys
        must be unique across providers."""
        return [
            name
            for provider in providers()
            for section in self.sections(provider.name)
            for name in section.asset_names()
        ]


# One field per provider, from the registry. Type checkers see the base: its fields are the
# registry's, known only when it runs.
if TYPE_CHECKING:
    ExtractAssetsConfig = _Config
else:
    ExtractAssetsConfig = create_model(
        "ExtractAssetsConfig",
        __base__=_Config,
        __doc__="Everything a config file declares, per provider: one section, or a list of "
        "accounts.",
        **{
            provider.name: (
                one_or_many(provider.section),
                Field(default_factory=provider.section),
            )
            for provider in providers()
        },
    )


# libyaml parses a large file several times faster; the resolvers below stay Python's.
class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
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
    # Relative paths in a section are read from beside the file, wherever Dagster runs: from
    # its absolute folder, so a run or sensor in another working directory reads the same.
    folder = file.absolute().parent
    beside = {
        name: [section.relative_to(folder) for section in sections]
        if isinstance(sections, list)
        else sections.relative_to(folder)
        for name, sections in config
        if name in config.model_fields_set
    }
    return config.model_copy(update=beside)


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
