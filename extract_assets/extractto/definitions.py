"""An `extractto` section as Dagster definitions: its assets, schedules, sensor and resource."""

from __future__ import annotations

import dagster as dg

from extract_assets.accounts import Account
from extract_assets.extractto.assets import build_extractto_assets
from extract_assets.extractto.contract import API_KEY_ENV
from extract_assets.extractto.resource import ExtractToResource
from extract_assets.extractto.schedules import build_extractto_schedule
from extract_assets.extractto.section import ExtractToSection
from extract_assets.extractto.sensors import build_extractto_sensor
from extract_assets.translator import Translator


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
                default_status=section.sensor.default_status(),
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
                api_key=section.api.key(API_KEY_ENV), base_url=section.api.base_url
            )
        },
    )
