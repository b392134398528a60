"""What the three end-to-end journeys share: a sensor ticked as Dagster's daemon ticks it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import dagster as dg
from dagster._core.definitions.sensor_definition import SensorExecutionData


def evaluate_tick(
    sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    cursor: str | None,
    assets: Sequence[dg.AssetsDefinition],
    resources: Mapping[str, Any],
) -> SensorExecutionData:
    """One tick of `sensor` from `cursor`, with the code location's assets and resources."""
    with dg.build_sensor_context(
        instance_ref=instance.get_ref(),
        cursor=cursor,
        definitions=dg.Definitions(assets=assets, sensors=[sensor], resources=resources),
        resources=resources,
    ) as context:
        return sensor.evaluate_tick(context)
