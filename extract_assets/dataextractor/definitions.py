"""A `dataextractor` section as Dagster definitions: its tables, submissions, sensors and
resource."""

from __future__ import annotations

import dagster as dg

from extract_assets.accounts import Account
from extract_assets.dataextractor.assets import build_dataextractor_assets
from extract_assets.dataextractor.contract import API_KEY_ENV
from extract_assets.dataextractor.resource import DataExtractorResource
from extract_assets.dataextractor.section import DataExtractorSection
from extract_assets.dataextractor.sensors import (
    build_dataextractor_polling_sensor,
    build_dataextractor_webhook_sensor,
)
from extract_assets.translator import Translator


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
            default_status=polling.default_status(),
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
                api_key=section.api.key(API_KEY_ENV), base_url=section.api.base_url
            )
        },
    )
