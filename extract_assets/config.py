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
from typing import TYPE_CHECKING, Any, Self, get_args, get_origin

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
    """Safe YAML that leaves dates as text, so the models check them and name the field, and
    refuses a key given twice in one mapping."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        # YAML keeps the last of two equal keys: a second `extracts:` would drop the first
        # one's assets without a word.
        first: dict[str, yaml.Node] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag.endswith(":merge"):
                continue
            if key_node.value in first:
                line = first[key_node.value].start_mark.line + 1
                raise _RepeatedKey(
                    None,
                    None,
                    f"{key_node.value!r} is given twice in one mapping (first at line {line}); "
                    "YAML would keep only the last: merge the two into one",
                    key_node.start_mark,
                )
            first[key_node.value] = key_node
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping


class _RepeatedKey(yaml.constructor.ConstructorError):
    """A key given twice in one mapping."""


def check_no_repeated_keys(file: Path) -> None:
    """Refuse a YAML file with a key given twice in one mapping, which a YAML parser reads as
    the last alone; its other mistakes are left to the parser that reads it."""
    text = file.read_text(encoding="utf-8")
    try:
        for _ in yaml.load_all(text, Loader=_Loader):
            pass
    except _RepeatedKey as exc:
        raise ConfigError(f"{file}: not valid YAML{_yaml_problem(exc, text)}") from None
    except yaml.YAMLError:
        return


_Loader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def config_path() -> Path:
    """`EXTRACT_ASSETS_CONFIG` when set, else the bundled demo file."""
    named = os.environ.get(CONFIG_ENV)
    if named is None:
        return DEMO_CONFIG
    if not named.strip():
        # Set but empty (`EXTRACT_ASSETS_CONFIG=$UNSET_VARIABLE`): the demo's assets would
        # load in its place, against the real services.
        raise ConfigError(
            f"{CONFIG_ENV} is set but empty: set it to your YAML file's path, or unset it to "
            "load the demo's assets."
        )
    return Path(named)


def load_config(path: str | os.PathLike[str] | None = None) -> ExtractAssetsConfig:
    """Read and check a config file; any mistake raises `ConfigError` naming file, entry, field.

    >>> load_config(DEMO_CONFIG).linkup.extracts[0].name
    'team_members'
    """
    file = Path(path) if path is not None else config_path()
    try:
        text = file.read_text(encoding="utf-8")
        raw = yaml.load(text, Loader=_Loader)
    except OSError as exc:
        raise ConfigError(_unreadable(file, path is None, exc.strerror)) from None
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{file}: not UTF-8 text at line {line} (byte 0x{exc.object[exc.start]:02x}): save "
            "the file as UTF-8."
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{file}: not valid YAML{_yaml_problem(exc, text)}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{file}: {_not_a_mapping(raw)}")
    try:
        config = ExtractAssetsConfig.model_validate(raw)
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


def _unreadable(file: Path, from_env: bool, reason: str | None) -> str:
    """Which file could not be read, where a relative one was looked for, and who named it."""
    place = str(file) if file.is_absolute() else f"{file} (in {Path.cwd()})"
    if from_env:
        return (
            f"{place}: cannot read the config file named by {CONFIG_ENV} ({reason}): set "
            f"{CONFIG_ENV} to your file's path."
        )
    return f"{place}: cannot read the config file ({reason})."


def _yaml_problem(exc: yaml.YAMLError, text: str) -> str:
    """` at line 2, column 1: found a tab ...`: where the parser stopped, and why, in the
    file's terms (the parser calls the file "<unicode string>")."""
    if not isinstance(exc, yaml.MarkedYAMLError) or exc.problem_mark is None:
        return f": {exc}"
    mark = exc.problem_mark
    lines = text.splitlines()
    line = lines[mark.line] if mark.line < len(lines) else ""
    if "\t" in line[: mark.column + 1]:
        return (
            f" at line {mark.line + 1}, column {mark.column + 1}: a tab character. YAML "
            "indents with spaces only: replace the tabs with spaces."
        )
    context = f" ({exc.context})" if exc.context else ""
    return f" at line {mark.line + 1}, column {mark.column + 1}: {exc.problem}{context}."


def _not_a_mapping(raw: Any) -> str:
    if raw is None:
        return (
            "the config file declares nothing. Give it a section per provider (linkup:, "
            "extractto:, dataextractor:) as in extract_assets/demo/extract-assets.yaml."
        )
    return (
        f"the config file holds {_kind(raw)}, not sections: its top level must be `linkup:`, "
        "`extractto:` and `dataextractor:` with their settings indented under them."
    )


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list (lines starting with '- ')"
    if isinstance(value, dict):
        return "a mapping"
    return f"a single value ({type(value).__name__})"


def _describe(file: Path, raw: Any, exc: ValidationError) -> str:
    lines = [f"{file}: {exc.error_count()} problem(s) in the extract-assets config:"]
    for error in exc.errors():
        # The tag of the one-or-many union is not a place in the file.
        loc = tuple(step for step in error["loc"] if step not in {"section", "accounts"})
        lines.append(f"  - {_where(raw, loc)}: {_message(error['type'], error, loc)}")
    return "\n".join(lines)


def _message(kind: str, error: Any, loc: tuple[int | str, ...]) -> str:
    """Pydantic's message, said in the file's terms where pydantic speaks of its own."""
    message: str = error["msg"].removeprefix("Value error, ")
    given = error.get("input")
    if kind == "extra_forbidden" and loc and isinstance(loc[-1], str):
        return message + _misplaced_or_misspelt(loc)
    if kind in {"model_type", "model_attributes_type", "dict_type"}:
        if given is None:
            return "is empty: write {} for no settings, or indent its settings under it"
        return f"must be settings (`key: value` lines indented under it), not {_kind(given)}"
    if kind == "list_type":
        if given is None:
            return "is empty: write [] for none, or list its entries under it, each after '- '"
        return f"must be a list, each entry starting with '- ', not {_kind(given)}"
    return message


def _misplaced_or_misspelt(loc: tuple[int | str, ...]) -> str:
    """Where a setting given at the wrong level belongs, or the name a misspelt one has."""
    key = str(loc[-1])
    places = _places().get(key)
    if places:
        # Under the section it was written in, if it belongs there at all.
        near = [place for place in places if place.split(".")[0] == loc[0]] or places
        where = " or ".join(_said(place) for place in near[:3])
        return f" here: '{key}' belongs {where} (check its indentation)"
    close = difflib.get_close_matches(key, _places(), n=1, cutoff=0.6)
    if close:
        here = _place_of(loc[:-1])
        elsewhere = [_said(place) for place in _places()[close[0]] if place != here]
        if len(elsewhere) == len(_places()[close[0]]):
            return f" (did you mean {close[0]!r}? It belongs {' or '.join(elsewhere[:3])})"
        return f" (did you mean {close[0]!r}?)"
    if len(loc) == 1:
        return f": the top level takes {', '.join(sorted(ExtractAssetsConfig.model_fields))}"
    return ""


def component_hint(provider: str, loc: tuple[int | str, ...]) -> str:
    """What `_misplaced_or_misspelt` says of a setting not permitted in a component of
    `provider`, in the component's terms: its section is `attributes`."""
    key = str(loc[-1])
    own = {
        name: [f"attributes{place[len(provider) :]}" for place in found if _under(place, provider)]
        for name, found in _places().items()
    }
    if own.get(key):
        where = " or ".join(_said(place) for place in own[key][:3])
        return f" here: '{key}' belongs {where} (check its indentation)"
    close = difflib.get_close_matches(key, [name for name, found in own.items() if found], n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _under(place: str, provider: str) -> bool:
    return place == provider or place.startswith((f"{provider}.", f"{provider}["))


def _place_of(loc: tuple[int | str, ...]) -> str:
    """`linkup.extracts[]` for ('linkup', 'extracts', 1); a provider's account index is no
    place of its own (each account has the section's places)."""
    steps = [step for i, step in enumerate(loc) if not (i == 1 and isinstance(step, int))]
    return "".join("[]" if isinstance(step, int) else f".{step}" for step in steps).lstrip(".")


def _said(place: str) -> str:
    """`linkup.extracts[]` as `in each entry of linkup.extracts`."""
    if not place:
        return "at the top level"
    if place.endswith("[]"):
        return f"in each entry of {place[:-2]}"
    return f"under {place}"


@functools.cache
def _places() -> dict[str, list[str]]:
    """Every field name (and alias) a config file may use, with the places it may be used:
    `linkup.extracts[]` (in each entry), `linkup.sensor`, `` (the top level)."""
    places: dict[str, list[str]] = {}

    def walk(model: type[BaseModel], where: str, depth: int) -> None:
        for name, info in model.model_fields.items():
            for spelling in dict.fromkeys((info.alias or name, name)):
                places.setdefault(spelling, []).append(where)
            if depth < 4:
                inside = f"{where}.{info.alias or name}".lstrip(".")
                for child, many in _models_in(info.annotation).items():
                    walk(child, inside + "[]" * many, depth + 1)

    walk(ExtractAssetsConfig, "", 0)
    return {name: list(dict.fromkeys(found)) for name, found in places.items()}


def _models_in(annotation: Any, many: bool = False) -> dict[type[BaseModel], bool]:
    """The models an annotation holds, each with whether it comes as a list; a model that may
    come either way (a provider's one section or list of accounts) counts as one."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return {annotation: many}
    found: dict[type[BaseModel], bool] = {}
    inner = many or get_origin(annotation) is list
    for arg in get_args(annotation):
        for model, listed in _models_in(arg, inner).items():
            found[model] = found.get(model, listed) and listed
    return found


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
        raise ConfigError(
            f"{file}: asset names must be unique; repeated: {', '.join(repeated)}: rename one"
        )
