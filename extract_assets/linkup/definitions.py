"""A `linkup` section as Dagster definitions: its assets, tasks sensor and resource."""

from __future__ import annotations

import dagster as dg

from extract_assets.accounts import Account
from extract_assets.linkup.assets import build_linkup_assets
from extract_assets.linkup.contract import API_KEY_ENV
from extract_assets.linkup.resource import LinkupResource
from extract_assets.linkup.section import LinkupSection
from extract_assets.linkup.sensors import build_linkup_sensor, build_linkup_task_outputs_asset
from extract_assets.translator import Translator


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
        default_status=section.sensor.default_status(),
    )
    return dg.Definitions(
        assets=[
            *build_linkup_assets(section.extracts, account=account.name, translator=translator),
            outputs,
        ],
        sensors=[sensor],
        resources={
            account.resource_key: LinkupResource(
                api_key=section.api.key(API_KEY_ENV), base_url=section.api.base_url
            )
        },
    )
