"""What the providers' components share: a provider section of the config file IS the
attributes."""

from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, Self, TypeVar, cast, get_args

import dagster as dg
from pydantic import (
    BaseModel,
    ConfigDict,
    ModelWrapValidatorHandler,
    PrivateAttr,
    ValidationError,
    create_model,
    model_validator,
)
from pydantic_core import ErrorDetails, InitErrorDetails, PydanticCustomError
from pydantic_core.core_schema import ErrorType

from extract_assets.config import check_no_repeated_keys, component_hint
from extract_assets.core.errors import ConfigError
from extract_assets.deployment import check_deployment
from extract_assets.provider import Provider
from extract_assets.sections import Section
from extract_assets.translator import DEFAULT_TRANSLATOR, AssetProps, ExtractAssetsTranslator

T = TypeVar("T")


class SectionComponent(dg.Component, Section):
    """A component that is also one provider section of the config file, with its validators.

    Subclasses derive from their provider's section too and build with the provider's
    definitions, as a config file does, so YAML in a `dg` project and YAML in
    `EXTRACT_ASSETS_CONFIG` are checked and built alike.
    """

    model_config = ConfigDict(extra="forbid")

    provider: ClassVar[Provider[Any]]
    _folder: Path | None = PrivateAttr(default=None)

    @classmethod
    def get_model_cls(cls) -> type[BaseModel]:
        # The section's own validators check `attributes`, and dg reports a bad one with the
        # file, line and field path; only the value refused is left out of the report.
        return _values_not_shown(cls.provider.section, cls.provider.name)

    @classmethod
    def load(cls, attributes: BaseModel | None, context: dg.ComponentLoadContext) -> Self:
        # dg reads a key given twice as its last alone: the first one's extracts would vanish.
        if (context.path / "defs.yaml").is_file():
            check_no_repeated_keys(context.path / "defs.yaml")
        component = cls.model_validate(dict(attributes) if attributes is not None else {})
        component = component.relative_to(context.path)
        component._folder = context.path
        return component

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        self._refuse_a_shared_account(context)
        self._refuse_shared_asset_names(context)
        defs = self.provider.definitions(self, self.translator())
        # A project of components takes its run launcher from the instance: warn at load when
        # it spreads work over machines that this setup cannot reach.
        check_deployment(defs)
        return defs

    def _refuse_a_shared_account(self, context: dg.ComponentLoadContext) -> None:
        """Two components of one provider and one account would both own its resource, pool
        and sensors: say which, and what to set, before Dagster refuses the merged result."""
        if self._folder is None:
            return  # built by hand (dg.build_defs_for_component), not from a project's tree
        same = [
            other
            for other in context.component_tree.get_all_components(of_type=SectionComponent)
            if other.provider.name == self.provider.name and other.account == self.account
        ]
        if len(same) > 1:
            account = "no `account`" if self.account is None else f"`account: {self.account}`"
            folders = ", ".join(sorted(str(other._folder) for other in same))
            raise ConfigError(
                f"{len(same)} {self.provider.name} components have {account}: {folders}. Each "
                "component of one provider reads its own account: give each its own `account:` "
                "(for example `account: research`), or declare everything of one account in "
                "one component."
            )

    def _refuse_shared_asset_names(self, context: dg.ComponentLoadContext) -> None:
        """An asset name declared by two components (of two providers) would end in Dagster's
        bare 'Duplicate asset key': say which names, and in which folders."""
        if self._folder is None:
            return
        mine = set(self.asset_names())
        for other in context.component_tree.get_all_components(of_type=SectionComponent):
            shared = sorted(mine & set(other.asset_names())) if other is not self else []
            if shared:
                raise ConfigError(
                    f"asset names must be unique; {', '.join(shared)} declared in both "
                    f"{self._folder} and {other._folder}: rename one in either defs.yaml."
                )

    def get_asset_spec(self, props: AssetProps) -> dg.AssetSpec:
        """The `AssetSpec` of each of the component's assets; override in a subclass to change
        keys, groups, tags, owners, kinds, metadata or automation."""
        return DEFAULT_TRANSLATOR.get_asset_spec(props)

    def execute(self, context: dg.AssetExecutionContext, materialize: Callable[[], T]) -> T:
        """Run one of the component's materializations; override to wrap it."""
        return materialize()

    def translator(self) -> ExtractAssetsTranslator:
        """The component's `get_asset_spec` and `execute`, as the asset builders call them."""
        return _ComponentTranslator(self)


def _values_not_shown(section: type[Section], provider: str) -> type[BaseModel]:
    """`section`, whose refusals do not quote the value refused, and say where a setting not
    permitted belongs: dg prints each error's input, and a key written where its variable's
    name belongs (`key_env`, or an `api_key:` that is no setting) would be shown in the
    terminal, the UI and CI logs."""

    def hide_values(
        cls: type[BaseModel], data: Any, handler: ModelWrapValidatorHandler[Any]
    ) -> Any:
        try:
            return handler(data)
        except ValidationError as exc:
            errors = [_without_value(error, provider) for error in exc.errors()]
            raise ValidationError.from_exception_data(exc.title, errors) from None

    if section not in _NOT_SHOWN:
        _NOT_SHOWN[section] = create_model(
            section.__name__,
            __base__=section,
            __validators__={
                "_values_not_shown": cast(
                    Callable[..., Any], model_validator(mode="wrap")(hide_values)
                )
            },
        )
    return _NOT_SHOWN[section]


_NOT_SHOWN: dict[type[Section], type[BaseModel]] = {}


def _without_value(error: ErrorDetails, provider: str) -> InitErrorDetails:
    # A pydantic error type keeps its message from its context (dg renders each error again
    # from its type and context); any other keeps its text.
    kind = error["type"] if error["type"] in get_args(ErrorType) else None
    hidden: InitErrorDetails = {
        "type": kind or PydanticCustomError(error["type"], error["msg"]),
        "loc": error["loc"],
        "input": "(not shown)",
    }
    if kind == "extra_forbidden":
        hint = error["msg"] + component_hint(provider, error["loc"])
        hidden |= {"type": "value_error", "ctx": {"error": ValueError(hint)}}
    elif kind and "ctx" in error:
        hidden["ctx"] = error["ctx"]
    return hidden


class _ComponentTranslator(ExtractAssetsTranslator):
    def __init__(self, component: SectionComponent) -> None:
        self.component = component

    def get_asset_spec(self, props: AssetProps) -> dg.AssetSpec:
        return self.component.get_asset_spec(props)

    def execute(self, context: dg.AssetExecutionContext, materialize: Callable[[], T]) -> T:
        return self.component.execute(context, materialize)
