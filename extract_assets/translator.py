"""The one place a spec becomes a Dagster `AssetSpec`, and the seam around each materialization.

Each asset builder describes its assets as `AssetProps` (the user's spec and what the package
would declare) and asks a translator for the `AssetSpec`. The default maps the spec's group,
tags, owners, description, automation and freshness; a subclass changes any of them for every
asset of a provider, as dagster-dlt's and dagster-fivetran's translators do. Its `execute` runs
every materialization, so a subclass may also wrap them (time them, add metadata, refuse).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import dagster as dg

from extract_assets.asset_settings import SpecSettings, automation_condition, freshness_policy

__all__ = ["AssetProps", "ExtractAssetsTranslator"]

_KIND_TAG = "dagster/kind/"
T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class AssetProps:
    """One asset as the package declares it, before the translator has its say.

    `spec` is the user's spec (a `LinkupExtractSpec`, an `ExtractToExtractSpec`, ...); `table`
    names which of a dataextractor.io datasets spec's five tables this is.
    """

    provider: str
    spec: SpecSettings
    key: dg.AssetKey
    description: str
    kinds: frozenset[str]
    metadata: Mapping[str, Any] = field(default_factory=dict)
    table: str | None = None


class ExtractAssetsTranslator:
    """Turns `AssetProps` into the asset's `AssetSpec`; override `get_asset_spec` to change it,
    and `execute` to wrap every materialization.

    >>> class Finance(ExtractAssetsTranslator):
    ...     def get_asset_spec(self, props: AssetProps) -> dg.AssetSpec:
    ...         spec = super().get_asset_spec(props)
    ...         return spec.replace_attributes(key=spec.key.with_prefix("finance"))
    """

    def get_asset_spec(self, props: AssetProps) -> dg.AssetSpec:
        spec = props.spec
        return dg.AssetSpec(
            key=props.key,
            group_name=spec.group or props.provider,
            description=spec.description or props.description,
            tags=spec.tags,
            owners=spec.owners,
            kinds=set(props.kinds),
            metadata=dict(props.metadata),
            automation_condition=automation_condition(spec.automation),
            freshness_policy=freshness_policy(spec.freshness),
        )

    def execute(self, context: dg.AssetExecutionContext, materialize: Callable[[], T]) -> T:
        """Run one materialization: `materialize()` does the package's work and returns what
        the asset returns (a `MaterializeResult`, or an iterator of them for a multi-asset)."""
        return materialize()


DEFAULT_TRANSLATOR = ExtractAssetsTranslator()
# The one function to pass instead of a subclass: the default AssetSpec and the props in, the
# asset's AssetSpec out.
TranslateFn = Callable[[dg.AssetSpec, AssetProps], dg.AssetSpec]
Translator = ExtractAssetsTranslator | TranslateFn


def as_translator(translator: Translator | None) -> ExtractAssetsTranslator:
    """The translator builders use: the default, a subclass as given, or a function wrapped.

    >>> prefixed = as_translator(lambda spec, props: spec.replace_attributes(
    ...     key=spec.key.with_prefix("lake")))
    >>> props = AssetProps("linkup", SpecSettings(), dg.AssetKey("team"), "Team", frozenset())
    >>> prefixed.get_asset_spec(props).key.to_user_string()
    'lake/team'
    """
    if translator is None:
        return DEFAULT_TRANSLATOR
    if isinstance(translator, ExtractAssetsTranslator):
        return translator
    return _FunctionTranslator(translator)


class _FunctionTranslator(ExtractAssetsTranslator):
    def __init__(self, translate: TranslateFn) -> None:
        self.translate = translate

    def get_asset_spec(self, props: AssetProps) -> dg.AssetSpec:
        return self.translate(super().get_asset_spec(props), props)


def executed_by(translator: ExtractAssetsTranslator) -> Callable[[F], F]:
    """Decorate an asset's body so that `translator.execute` runs it. The body keeps its
    signature (Dagster reads the context and config parameters from it)."""

    def decorate(body: F) -> F:
        if inspect.isgeneratorfunction(body):

            @functools.wraps(body)
            def each(context: dg.AssetExecutionContext, *args: Any, **kwargs: Any) -> Any:
                yield from translator.execute(context, lambda: body(context, *args, **kwargs))

            return cast(F, each)

        @functools.wraps(body)
        def once(context: dg.AssetExecutionContext, *args: Any, **kwargs: Any) -> Any:
            return translator.execute(context, lambda: body(context, *args, **kwargs))

        return cast(F, once)

    return decorate


def asset_arguments(spec: dg.AssetSpec) -> dict[str, Any]:
    """The arguments of `@dg.asset` that declare `spec`'s attributes."""
    return {
        "key": spec.key,
        "group_name": spec.group_name,
        "description": spec.description,
        # An AssetSpec keeps its kinds as tags too; the decorator takes them once, as kinds.
        "tags": {k: v for k, v in spec.tags.items() if not k.startswith(_KIND_TAG)},
        "owners": spec.owners,
        "kinds": spec.kinds,
        "metadata": spec.metadata,
        "automation_condition": spec.automation_condition,
        "freshness_policy": spec.freshness_policy,
    }
