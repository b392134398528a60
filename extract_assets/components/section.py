"""What the three components share: a provider section of the config file IS the attributes."""

from collections.abc import Callable
from pathlib import Path
from typing import ClassVar, Self, TypeVar

import dagster as dg
from pydantic import BaseModel, ConfigDict

from extract_assets.translator import DEFAULT_TRANSLATOR, AssetProps, ExtractAssetsTranslator

T = TypeVar("T")


class SectionComponent(dg.Component, BaseModel):
    """A component that is also one provider section of the config file, with its validators.

    Subclasses derive from their section model too and build with the function `build.py` uses,
    so YAML in a `dg` project and YAML in `EXTRACT_ASSETS_CONFIG` are checked and built alike.
    """

    model_config = ConfigDict(extra="forbid")

    section: ClassVar[type[BaseModel]]

    @classmethod
    def get_model_cls(cls) -> type[BaseModel]:
        # The section itself, not a model derived from it: dg validates `attributes` with the
        # section's own validators and reports a bad one with the file, line and field path.
        return cls.section

    @classmethod
    def load(cls, attributes: BaseModel | None, context: dg.ComponentLoadContext) -> Self:
        component = cls.model_validate(dict(attributes) if attributes is not None else {})
        return component.beside(context.path)

    def beside(self, folder: Path) -> Self:
        """This component with the relative paths of its attributes read from `folder`."""
        return self

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


class _ComponentTranslator(ExtractAssetsTranslator):
    def __init__(self, component: SectionComponent) -> None:
        self.component = component

    def get_asset_spec(self, props: AssetProps) -> dg.AssetSpec:
        return self.component.get_asset_spec(props)

    def execute(self, context: dg.AssetExecutionContext, materialize: Callable[[], T]) -> T:
        return self.component.execute(context, materialize)
