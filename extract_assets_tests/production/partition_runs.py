"""Runs of one partition each, in processes of their own, against one persistent instance.

Processes come from a fork server that has imported Dagster once, so a run costs a fork, not a
fresh interpreter; each still opens the instance itself and claims its pool slot through it, as
a run launched by `dagster asset materialize`, a backfill or the daemon does.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import dagster as dg

from extract_assets.extractto.assets import build_extractto_assets
from extract_assets.extractto.resource import ExtractToResource
from extract_assets.extractto.spec import ExtractToExtractSpec

ASSET = "ads"
_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload([__name__])


@dataclass(frozen=True)
class PartitionRun:
    """One run of the Extract.to asset `ads` for one day."""

    home: str
    extractto_url: str
    api_key: str
    extract_id: str
    output: str
    partition: str
    # The fork server keeps the environment it started with: what the instance's config reads.
    environment: Mapping[str, str] = field(default_factory=dict)


def materialize_partition(run: PartitionRun) -> None:
    """Materialize the day in a run of its own on the instance in `run.home`; raise if it fails."""
    os.environ.update(run.environment)
    spec = ExtractToExtractSpec(name=ASSET, extract_id=run.extract_id, start_date="2026-11-01")
    resource = ExtractToResource(
        api_key=run.api_key,
        base_url=run.extractto_url,
        poll_initial_seconds=0.2,
        poll_max_seconds=0.5,
        requests_per_minute=None,
    )
    with dg.DagsterInstance.from_config(run.home) as instance:
        result = dg.materialize(
            build_extractto_assets([spec], output_dir=run.output),
            resources={"extractto": resource},
            instance=instance,
            partition_key=run.partition,
            raise_on_error=False,
        )
    if not result.success:
        raise RuntimeError(f"the run of {ASSET}[{run.partition}] failed: {result.run_id}")


def run_all_at_once(runs: Sequence[PartitionRun]) -> list[int]:
    """Start every run in its own process at the same time; their exit codes (0 = success)."""
    processes = [
        _CONTEXT.Process(target=materialize_partition, args=(run,), name=run.partition)
        for run in runs
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=240)
        if process.is_alive():
            process.kill()
            process.join()
    return [process.exitcode if process.exitcode is not None else -1 for process in processes]
