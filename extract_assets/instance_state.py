"""Which `SharedState` a Dagster deployment uses: the one URL setting, else the PostgreSQL
database of the Dagster instance, else none (each kind of state keeps its single-machine
SQLite file)."""

from __future__ import annotations

import os

import dagster as dg

from extract_assets.core.state import STATE_URL_ENV, SharedState, shared_state


def state_for(instance: dg.DagsterInstance | None) -> SharedState | None:
    """`EXTRACT_ASSETS_STATE_URL`, else the instance's PostgreSQL storage, else None.

    >>> with dg.DagsterInstance.ephemeral() as instance:
    ...     state_for(instance) is None
    True
    """
    url = os.environ.get(STATE_URL_ENV) or instance_postgres_url(instance)
    return shared_state(url) if url else None


def instance_postgres_url(instance: dg.DagsterInstance | None) -> str | None:
    """The URL of the instance's PostgreSQL run storage (dagster-postgres.yaml), if it has one."""
    if instance is None:
        return None
    url = getattr(instance.run_storage, "postgres_url", None)
    return url if isinstance(url, str) else None


def sensor_state(context: dg.SensorEvaluationContext) -> SharedState | None:
    """`state_for` the instance of a sensor's tick; a context built without one (a unit
    test's) has only the URL setting."""
    try:
        instance = context.instance
    except dg.DagsterInvariantViolationError:
        instance = None
    return state_for(instance)
