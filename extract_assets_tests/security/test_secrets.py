"""A recognisable fake key goes through every provider's happy and failure paths, through
`dg.materialize` and sensor ticks, and appears nowhere: not on stdout or stderr, not in a Python
log line, not in the run record, the event log, any metadata, error or stack trace, nor in any
file the Dagster instance or the output folder holds."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from .evidence import Evidence
from .providers import FAILED_TASK_REASON, ProviderCase
from .servers import Seen, echoing_app, serving


@dataclass(frozen=True)
class Failure:
    """One way a provider call goes wrong, set up at the emulator."""

    name: str
    # What the event log must then say: proof the scanned evidence holds the failure itself.
    expect: str
    fault: dict[str, Any] | None = None
    key_registered: bool = True
    failed_task: bool = False
    settings: dict[str, Any] = field(default_factory=dict)


FAILURES = [
    Failure("401-unknown-key", "HTTP 401", key_registered=False),
    Failure("402-payment", "HTTP 402", fault={"kind": "status", "status": 402}),
    Failure("403-forbidden", "HTTP 403", fault={"kind": "status", "status": 403}),
    Failure("404-not-found", "HTTP 404", fault={"kind": "status", "status": 404}),
    Failure("422-invalid", "HTTP 422", fault={"kind": "status", "status": 422}),
    Failure(
        "429-exhausted", "HTTP 429", fault={"kind": "status", "status": 429, "retry_after": "0"}
    ),
    Failure("5xx-exhausted", "HTTP 503", fault={"kind": "status", "status": 503}),
    Failure("dropped-connection", "connection failed", fault={"kind": "drop"}),
    Failure(
        "timeout",
        "timed out",
        fault={"kind": "slow", "delay": 1.0},
        settings={"read_timeout_seconds": 0.2, "connect_timeout_seconds": 0.2},
    ),
    Failure("failed-task", FAILED_TASK_REASON, failed_task=True),
]


def set_up(case: ProviderCase, failure: Failure | None) -> None:
    if failure is None or failure.key_registered:
        case.register_key()
    if failure is not None and failure.failed_task:
        case.fail_next_task()
    if failure is not None and failure.fault is not None:
        case.control.add_fault(provider=case.name, **failure.fault)


def run_evidence(
    case: ProviderCase,
    instance: dg.DagsterInstance,
    result: dg.ExecuteInProcessResult,
    capfd: pytest.CaptureFixture[str],
    debug_logs: pytest.LogCaptureFixture,
) -> Evidence:
    evidence = Evidence()
    evidence.add_output(capfd, debug_logs)
    evidence.add_run(instance, result.run_id)
    for event in result.all_events:
        evidence.add("in-process events", dg.serialize_value(event))
    if case.output.exists():
        evidence.add_files("output folder", case.output)
    return evidence


def went_wrong(result: dg.ExecuteInProcessResult) -> bool:
    """The run failed, or it reported a failed check (a document that failed extraction)."""
    checks = result.get_asset_check_evaluations()
    return not result.success or any(not check.passed for check in checks)


def test_a_good_materialization_never_shows_the_key(
    case: ProviderCase,
    instance: dg.DagsterInstance,
    capfd: pytest.CaptureFixture[str],
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    set_up(case, None)
    result = case.materialize(case.resource(), instance)
    assert result.success
    evidence = run_evidence(case, instance, result, capfd, debug_logs)
    assert evidence.leaking(case.key) == []


@pytest.mark.parametrize("failure", FAILURES, ids=[failure.name for failure in FAILURES])
def test_a_failed_materialization_never_shows_the_key(
    case: ProviderCase,
    failure: Failure,
    instance: dg.DagsterInstance,
    capfd: pytest.CaptureFixture[str],
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    set_up(case, failure)
    result = case.materialize(case.resource(**failure.settings), instance)
    assert went_wrong(result), f"{failure.name} did not make {case.name} fail"
    evidence = run_evidence(case, instance, result, capfd, debug_logs)
    assert failure.expect in "".join(evidence.channels["event log"])
    assert evidence.leaking(case.key) == []


TICKS = ["good-key", "unknown-key", "api-quoting-the-key"]


@pytest.mark.parametrize("tick", TICKS)
def test_a_sensor_tick_never_shows_the_key(
    case: ProviderCase,
    tick: str,
    instance: dg.DagsterInstance,
    capfd: pytest.CaptureFixture[str],
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    if tick == "good-key":
        case.register_key()
    seen = Seen()
    evidence = Evidence()
    with serving(echoing_app(seen)) as echoing:
        api = f"{echoing}/{case.name}" if tick == "api-quoting-the-key" else None
        resource = case.resource(**({"base_url": api} if api else {}))
        sensor, assets = case.sensor()
        defs = dg.Definitions(assets=assets, sensors=[sensor], resources={case.name: resource})
        with dg.build_sensor_context(
            instance_ref=instance.get_ref(), definitions=defs, resources={case.name: resource}
        ) as context:
            try:
                evidence.add("tick result", dg.serialize_value(sensor.evaluate_tick(context)))
            except Exception as error:
                assert tick != "good-key", f"a good tick failed: {error}"
                evidence.add_error(error)
    # A bad tick's error, with the provider's answer in it, is among the evidence scanned.
    errors = "".join(evidence.channels.get("raised error", []))
    assert ("HTTP 401" in errors) == (tick != "good-key")
    evidence.add_output(capfd, debug_logs)
    evidence.add_files("instance storage", Path(instance.root_directory))
    assert evidence.leaking(case.key) == []


@pytest.mark.parametrize("padding", [None, 180], ids=["json-error", "long-text-error"])
def test_an_error_body_quoting_the_key_never_shows_it(
    case: ProviderCase,
    padding: int | None,
    instance: dg.DagsterInstance,
    capfd: pytest.CaptureFixture[str],
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    seen = Seen()
    with serving(echoing_app(seen, padding=padding)) as api:
        result = case.materialize(case.resource(base_url=f"{api}/{case.name}"), instance)
    assert not result.success
    assert seen.with_authorization(), "the key must have been sent, for the API to quote it"
    evidence = run_evidence(case, instance, result, capfd, debug_logs)
    assert "Invalid API key" in "".join(evidence.channels["event log"])
    assert evidence.leaking(case.key) == []
