"""The concurrency pool limits of the providers, applied to a Dagster instance.

Dagster 1.13 reads only a default pool limit from `dagster.yaml`; a pool's own limit lives in the
instance's storage. `extract-assets pools` (and the demo) write the documented limits there, so
one command configures a new instance. Why each number: the comments in `dagster.yaml`.

>>> POOL_LIMITS["dataextractor"]
1
"""

import dagster as dg

from extract_assets.accounts import Account
from extract_assets.config import ExtractAssetsConfig
from extract_assets.providers import providers

POOL_LIMITS: dict[str, int] = {provider.name: provider.pool_limit for provider in providers()}


def pool_limits(config: ExtractAssetsConfig | None = None) -> dict[str, int]:
    """The limit of every pool: each provider's, and each named account's (its provider's
    limit: the documented limits are per organization, user or key).

    >>> config = ExtractAssetsConfig.model_validate({"linkup": [{"account": "research"}]})
    >>> pool_limits(config)["linkup_research"]
    8
    """
    limits = dict(POOL_LIMITS)
    if config is None:
        return limits
    for provider in providers():
        for section in config.sections(provider.name):
            if section.account is not None:
                limits[Account(provider.name, section.account).pool] = provider.pool_limit
    return limits


def apply_pool_limits(
    instance: dg.DagsterInstance, *, overwrite: bool = False, limits: dict[str, int] = POOL_LIMITS
) -> dict[str, int]:
    """Set each pool's limit on `instance` and return what changed.

    A limit already set (by an operator, in the UI or with `dagster instance concurrency set`) is
    kept unless `overwrite`.

    >>> with dg.instance_for_test() as instance:
    ...     apply_pool_limits(instance)
    {'linkup': 8, 'extractto': 2, 'dataextractor': 1}
    """
    storage = instance.event_log_storage
    already = set() if overwrite else set(storage.get_concurrency_keys())
    changed = {pool: limit for pool, limit in limits.items() if pool not in already}
    for pool, limit in changed.items():
        storage.set_concurrency_slots(pool, limit)
    return changed
