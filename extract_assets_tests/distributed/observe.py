"""What the distributed runs left behind, read back from where it is recorded: the instance's
event log (which worker ran each step, what each step materialized), the emulator's request
log (what each provider was asked, on the emulator's clock) and the folders of each worker."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import dagster as dg

EXECUTING_IN_WORKER = "Executing steps"
WORKER_METADATA = "Celery worker"


@dataclass(frozen=True)
class StepExecution:
    """One step of a run and the Celery worker (node name) that executed it."""

    run_id: str
    step_key: str
    worker: str


@dataclass(frozen=True)
class StepSpan:
    """When a step started and succeeded, on the instance's clock (epoch seconds)."""

    run_id: str
    step_key: str
    started: float
    succeeded: float | None

    def overlaps(self, other: StepSpan) -> bool:
        end = self.succeeded if self.succeeded is not None else float("inf")
        other_end = other.succeeded if other.succeeded is not None else float("inf")
        return self.started < other_end and other.started < end


def step_executions(instance: dg.DagsterInstance, run_id: str) -> list[StepExecution]:
    """The steps of a run that a Celery worker executed, from the engine event each worker
    records before it executes one ("Executing steps ... in celery worker")."""
    found = []
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT):
        event = entry.dagster_event
        if event is None or EXECUTING_IN_WORKER not in (entry.message or ""):
            continue
        worker = event.engine_event_data.metadata[WORKER_METADATA].value
        found.append(StepExecution(run_id, str(entry.step_key), str(worker)))
    return found


def step_spans(instance: dg.DagsterInstance, run_id: str) -> list[StepSpan]:
    """Each step's start and success times."""
    started: dict[str, float] = {}
    succeeded: dict[str, float] = {}
    kinds = {dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_SUCCESS}
    for entry in instance.all_logs(run_id, of_type=kinds):
        event = entry.dagster_event
        if event is None or entry.step_key is None:
            continue
        target = started if event.event_type == dg.DagsterEventType.STEP_START else succeeded
        target[entry.step_key] = entry.timestamp
    return [
        StepSpan(run_id, key, when, succeeded.get(key)) for key, when in sorted(started.items())
    ]


def materializations(instance: dg.DagsterInstance, asset: str) -> list[dg.EventLogRecord]:
    """Every materialization of the asset, oldest first."""
    result = instance.fetch_materializations(dg.AssetKey(asset), limit=10_000, ascending=True)
    return list(result.records)


def materialization_metadata(record: dg.EventLogRecord) -> dict[str, Any]:
    materialization = record.asset_materialization
    assert materialization is not None
    return {key: value.value for key, value in materialization.metadata.items()}


def peak_in_window(times: Iterable[datetime], seconds: float = 60.0) -> int:
    """The most times within any window of `seconds` (a time leaves the window `seconds`
    after it, as in the emulator's sliding-window limiter).

    >>> from datetime import UTC
    >>> t0 = datetime(2026, 11, 1, tzinfo=UTC)
    >>> peak_in_window([t0, t0 + timedelta(seconds=30), t0 + timedelta(seconds=60)])
    2
    """
    ordered = sorted(times)
    width = timedelta(seconds=seconds)
    peak = 0
    first = 0
    for last, moment in enumerate(ordered):
        while ordered[first] <= moment - width:
            first += 1
        peak = max(peak, last - first + 1)
    return peak


def request_time(entry: dict[str, Any]) -> datetime:
    """When the emulator received a logged request, on its own clock."""
    return datetime.fromisoformat(str(entry["time"]).replace("Z", "+00:00"))


def files_under(folder: Path) -> set[str]:
    """Every file and folder below `folder`, as paths relative to it."""
    return {str(path.relative_to(folder)) for path in folder.rglob("*")}


def distinct_contents(folder: Path) -> set[str]:
    """The SHA-256 of each file in `folder`: what a ledger of contents counts as one document."""
    return {hashlib.sha256(path.read_bytes()).hexdigest() for path in _files(folder)}


def _files(folder: Path) -> Sequence[Path]:
    return sorted(path for path in folder.iterdir() if path.is_file())
