"""Whether a deployment can spread this package's work over machines, said at load.

A run launcher or executor that runs steps in other containers or pods (Kubernetes, ECS,
Docker, Celery) needs two things a single machine does not: an output every machine reaches
(an object store) and a shared state (PostgreSQL). Without them a downstream step cannot read
its upstream table, and a fresh container pays for every document again. The multiprocess
executor keeps every step on one machine, so it needs neither.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import dagster as dg
import yaml

from extract_assets.core.paths import OUTPUT_ENV, output_base
from extract_assets.core.state import STATE_URL_ENV
from extract_assets.core.storage import RemotePath

__all__ = ["DistributedSetupWarning", "check_deployment"]

# Run launchers and executors (by class and by executor name) that start steps elsewhere.
DISTRIBUTING_LAUNCHERS = frozenset(
    {"K8sRunLauncher", "EcsRunLauncher", "DockerRunLauncher", "CeleryK8sRunLauncher"}
)
DISTRIBUTING_EXECUTORS = frozenset(
    {"celery", "celery-k8s", "celery-docker", "k8s", "docker", "ecs"}
)


class DistributedSetupWarning(UserWarning):
    """The deployment spreads work over machines, but this package's setup keeps to one."""


def check_deployment(
    defs: dg.Definitions, *, dagster_home: str | os.PathLike[str] | None = None
) -> list[str]:
    """Warn (`DistributedSetupWarning`) for each part of the setup that cannot work across
    machines, given the executor of `defs` and the run launcher and storage of the instance
    in `dagster_home` (default `$DAGSTER_HOME`); returns the messages. Reads files only.

    >>> check_deployment(dg.Definitions())
    []
    """
    instance = _instance_settings(dagster_home or os.environ.get("DAGSTER_HOME"))
    spreaders = _spreaders(defs, instance)
    if not spreaders:
        return []
    spread = " and ".join(spreaders)
    problems: list[str] = []
    base = output_base()
    if not isinstance(base, RemotePath):
        problems.append(
            f"extract-assets writes its tables to the local folder {base}, but {spread} runs "
            "steps on other machines, where a downstream step cannot read them. Set "
            f"{OUTPUT_ENV} to an object store URL every machine reaches, such as "
            "s3://bucket/prefix."
        )
    if not _state_is_shared(instance):
        problems.append(
            "extract-assets keeps its submission ledgers, webhook events, rate budgets and "
            f"locks in SQLite files on each machine, but {spread} runs steps on other machines: "
            "a fresh container would upload every document again and runs would exceed the "
            "providers' rate limits together. Give the Dagster instance PostgreSQL storage "
            f"(dagster-postgres.yaml), or set {STATE_URL_ENV} to a postgresql:// URL."
        )
    for problem in problems:
        warnings.warn(problem, DistributedSetupWarning, stacklevel=2)
    return problems


def _instance_settings(dagster_home: str | os.PathLike[str] | None) -> dict[str, Any]:
    if not dagster_home:
        return {}
    path = Path(dagster_home) / "dagster.yaml"
    if not path.is_file():
        return {}
    settings = yaml.safe_load(path.read_text())
    return settings if isinstance(settings, dict) else {}


def _spreaders(defs: dg.Definitions, instance: dict[str, Any]) -> list[str]:
    found: list[str] = []
    launcher = instance.get("run_launcher")
    if isinstance(launcher, dict) and launcher.get("class") in DISTRIBUTING_LAUNCHERS:
        found.append(f"the run launcher {launcher['class']}")
    executor = defs.executor
    if isinstance(executor, dg.ExecutorDefinition) and executor.name in DISTRIBUTING_EXECUTORS:
        found.append(f"the {executor.name} executor")
    return found


def _state_is_shared(instance: dict[str, Any]) -> bool:
    url = os.environ.get(STATE_URL_ENV, "")
    if url:
        return url.startswith(("postgresql", "postgres:"))
    storage = instance.get("storage")
    if isinstance(storage, dict) and "postgres" in storage:
        return True
    run_storage = instance.get("run_storage")
    return isinstance(run_storage, dict) and "Postgres" in str(run_storage.get("class", ""))
