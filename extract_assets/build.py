"""A config file as a Dagster `Definitions`: the assets, sensors and resources it declares."""

from __future__ import annotations

import os

import dagster as dg

from extract_assets.accounts import Account
from extract_assets.config import (
    ApiSettings,
    DataExtractorSection,
    ExtractToSection,
    LinkupSection,
    SensorSettings,
    accounts,
    load_config,
)
from extract_assets.dataextractor.assets import build_dataextractor_assets
from extract_assets.dataextractor.contract import API_KEY_ENV as DATAEXTRACTOR_KEY_ENV
from extract_assets.dataextractor.resource import DataExtractorResource
from extract_assets.dataextractor.sensors import (
    build_dataextractor_polling_sensor,
    build_dataextractor_webhook_sensor,
)
from extract_assets.deployment import check_deployment
from extract_assets.extractto.assets import build_extractto_assets
from extract_assets.extractto.contract import API_KEY_ENV as EXTRACTTO_KEY_ENV
from extract_assets.extractto.resource import ExtractToResource
from extract_assets.extractto.schedules import build_extractto_schedule
from extract_assets.extractto.sensors import build_extractto_sensor
from extract_assets.linkup.assets import build_linkup_assets
from extract_assets.linkup.contract import API_KEY_ENV as LINKUP_KEY_ENV
from extract_assets.linkup.resource import LinkupResource
from extract_assets.linkup.sensors import build_linkup_sensor, build_linkup_task_outputs_asset
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
        *(linkup_definitions(section, translator) for section in accounts(config.linkup)),
        *(extractto_definitions(section, translator) for section in accounts(config.extractto)),
        *(
            dataextractor_definitions(section, translator)
            for section in accounts(config.dataextractor)
        ),
        dg.Definitions(executor=executor),
    )
    check_deployment(defs)
    return defs


def _status(settings: SensorSettings) -> dg.DefaultSensorStatus:
    return dg.DefaultSensorStatus.RUNNING if settings.running else dg.DefaultSensorStatus.STOPPED


def _key(api: ApiSettings, default_env: str) -> dg.EnvVar:
    return dg.EnvVar(api.key_env or default_env)


def linkup_definitions(
    section: LinkupSection, translator: Translator | None = None
) -> dg.Definitions:
    """The Linkup assets, sensor and resource of a config section or a `LinkupComponent`."""
    # Tasks started outside Dagster belong to whoever owns the Linkup extracts.
    owners = sorted({owner for spec in section.extracts for owner in spec.owners})
    account = Account("linkup", section.account)
    outputs = build_linkup_task_outputs_asset(
        account=account.name, owners=owners, translator=translator
    )
    sensor = build_linkup_sensor(
        section.extracts,
        outputs,
        account=account.name,
        minimum_interval_seconds=section.sensor.minimum_interval_seconds,
        default_status=_status(section.sensor),
    )
    return dg.Definitions(
        assets=[
            *build_linkup_assets(section.extracts, account=account.name, translator=translator),
            outputs,
        ],
        sensors=[sensor],
        resources={
            account.resource_key: LinkupResource(
                api_key=_key(section.api, LINKUP_KEY_ENV), base_url=section.api.base_url
            )
        },
    )


def extractto_definitions(
    section: ExtractToSection, translator: Translator | None = None
) -> dg.Definitions:
    """The Extract.to assets, schedules, sensor and resource of a section or a component."""
    if not section.extracts and not section.connections:
        return dg.Definitions()
    account = Account("extractto", section.account)
    assets = build_extractto_assets(
        section.extracts, section.connections, account=account.name, translator=translator
    )
    # The builder returns the extracts' assets first, in order.
    by_name = {spec.name: asset for spec, asset in zip(section.extracts, assets, strict=False)}
    schedules = [
        build_extractto_schedule(by_name[spec.name], hour=spec.schedule_hour)
        for spec in section.extracts
        if spec.schedule_hour is not None
    ]
    sensors = (
        [
            build_extractto_sensor(
                section.extracts,
                account=account.name,
                minimum_interval_seconds=section.sensor.minimum_interval_seconds,
                default_status=_status(section.sensor),
                asset_keys={name: asset.key for name, asset in by_name.items()},
            )
        ]
        if section.extracts
        else []
    )
    return dg.Definitions(
        assets=assets,
        schedules=schedules,
        sensors=sensors,
        resources={
            account.resource_key: ExtractToResource(
                api_key=_key(section.api, EXTRACTTO_KEY_ENV), base_url=section.api.base_url
            )
        },
    )


def dataextractor_definitions(
    section: DataExtractorSection, translator: Translator | None = None
) -> dg.Definitions:
    """The dataextractor.io tables, submissions, sensors and resource of a section or component."""
    if not section.datasets and not section.submissions:
        return dg.Definitions()
    account = Account("dataextractor", section.account)
    assets = build_dataextractor_assets(
        section.datasets, section.submissions, account=account.name, translator=translator
    )
    # The builder returns the datasets' multi-assets first, in order.
    tables = {
        spec.name: list(asset.keys) for spec, asset in zip(section.datasets, assets, strict=False)
    }
    # With webhooks on, polling would only repeat what the events already asked for.
    polling = section.sensor.model_copy(
        update={"running": section.sensor.running and not section.webhooks.enabled}
    )
    sensors = [
        build_dataextractor_polling_sensor(
            spec,
            account=account.name,
            minimum_interval_seconds=polling.minimum_interval_seconds,
            default_status=_status(polling),
            asset_keys=tables[spec.name],
        )
        for spec in section.datasets
    ]
    if section.webhooks.enabled:
        sensors += [
            build_dataextractor_webhook_sensor(
                spec,
                section.webhooks.store_path(),
                account=account.name,
                default_status=dg.DefaultSensorStatus.RUNNING,
                asset_keys=tables[spec.name],
            )
            for spec in section.datasets
        ]
    return dg.Definitions(
        assets=assets,
        sensors=sensors,
        resources={
            account.resource_key: DataExtractorResource(
                api_key=_key(section.api, DATAEXTRACTOR_KEY_ENV), base_url=section.api.base_url
            )
        },
    )
