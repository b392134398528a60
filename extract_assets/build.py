"""A config file as a Dagster `Definitions`: the assets, sensors and resources it declares."""

from __future__ import annotations

import os

import dagster as dg

from extract_assets.config import load_config
from extract_assets.linkup.assets import build_linkup_assets
from extract_assets.linkup.contract import API_KEY_ENV
from extract_assets.linkup.resource import LinkupResource
from extract_assets.linkup.sensors import build_linkup_sensor, build_linkup_task_outputs_asset


def definitions_from_config(path: str | os.PathLike[str] | None = None) -> dg.Definitions:
    """Everything a config file declares, with resources reading keys from the environment.

    Loading makes no request to any provider: specs come from the file alone.

    >>> from extract_assets.config import DEMO_CONFIG
    >>> defs = definitions_from_config(DEMO_CONFIG)
    >>> sorted(key.to_user_string() for key in defs.resolve_all_asset_keys())[:2]
    ['job_postings', 'linkup_task_outputs']
    """
    config = load_config(path)
    linkup = config.linkup
    outputs = build_linkup_task_outputs_asset()
    sensor = build_linkup_sensor(
        linkup.extracts,
        outputs,
        minimum_interval_seconds=linkup.sensor.minimum_interval_seconds,
        default_status=(
            dg.DefaultSensorStatus.RUNNING
            if linkup.sensor.running
            else dg.DefaultSensorStatus.STOPPED
        ),
    )
    return dg.Definitions(
        assets=[*build_linkup_assets(linkup.extracts), outputs],
        sensors=[sensor],
        resources={"linkup": LinkupResource(api_key=dg.EnvVar(API_KEY_ENV))},
    )
