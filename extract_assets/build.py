"""A config file as a Dagster `Definitions`: the assets, sensors and resources it declares."""

from __future__ import annotations

import os

import dagster as dg

from extract_assets.config import load_config
from extract_assets.deployment import check_deployment
from extract_assets.providers import providers
from extract_assets.translator import Translator


def definitions_from_config(
    path: str | os.PathLike[str] | None = None,
    *,
    executor: dg.ExecutorDefinition | None = None,
    translator: Translator | None = None,
) -> dg.Definitions:
    """Everything a config file declares, with resources reading keys from the environment.

    Loading makes no request to any provider: specs come from the file alone. An `executor`
    (Dagster's celery_executor, say) runs the assets' steps; with one that spreads steps over
    machines, or a run launcher that does, a setup that keeps to one machine (local output, no
    shared state) is warned about (`check_deployment`). A `translator` changes the `AssetSpec`
    of every asset (keys, groups, tags, owners, kinds, metadata, automation, freshness).

    >>> from extract_assets.config import DEMO_CONFIG
    >>> defs = definitions_from_config(DEMO_CONFIG)
    >>> sorted(key.to_user_string() for key in defs.resolve_all_asset_keys())[:2]
    ['documents_accuracy', 'documents_datasets']
    """
    config = load_config(path)
    defs = dg.Definitions.merge(
        *(
            provider.definitions(section, translator)
            for provider in providers()
            for section in config.sections(provider.name)
        ),
        dg.Definitions(executor=executor),
    )
    check_deployment(defs)
    return defs
