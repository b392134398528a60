"""The scan finds a key wherever a run could put it: a suite that cannot fail proves nothing."""

import logging
import sys
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import pytest

from .evidence import Evidence

PLANTED = "pk-PLANTED-71d3c9e0a4b25f86"

Leak = Callable[[dg.AssetExecutionContext], dg.MaterializeResult]


def print_it(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    print(f"key={PLANTED}")
    return dg.MaterializeResult()


def print_it_to_stderr(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    print(f"key={PLANTED}", file=sys.stderr)
    return dg.MaterializeResult()


def log_it_with_python(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    logging.getLogger("extract_assets.planted").debug("sending %s", f"Bearer {PLANTED}")
    return dg.MaterializeResult()


def log_it_to_dagster(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    context.log.info(f"using key {PLANTED}")
    return dg.MaterializeResult()


def put_it_in_metadata(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"url": dg.MetadataValue.url(f"http://h/?k={PLANTED}")})


def raise_it(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    raise RuntimeError(f"request failed with headers {{'Authorization': 'Bearer {PLANTED}'}}")


def tag_the_run_with_it(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    context.instance.add_run_tags(context.run_id, {"key": PLANTED})
    return dg.MaterializeResult()


def cut_it_short(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    # An error body quoted to 200 characters could end in the middle of the key.
    context.log.warning(("x" * 184 + PLANTED)[:200])
    return dg.MaterializeResult()


LEAKS: list[tuple[Leak, str]] = [
    (print_it, "stdout"),
    (print_it_to_stderr, "stderr"),
    (log_it_with_python, "python log"),
    (log_it_to_dagster, "event log"),
    (put_it_in_metadata, "event log"),
    (raise_it, "event log"),
    (tag_the_run_with_it, "run record"),
    (cut_it_short, "event log"),
]


@pytest.mark.parametrize(("leak", "channel"), LEAKS, ids=[leak.__name__ for leak, _ in LEAKS])
def test_the_scan_finds_a_planted_key(
    leak: Leak,
    channel: str,
    instance: dg.DagsterInstance,
    capfd: pytest.CaptureFixture[str],
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    result = dg.materialize(
        [dg.asset(name=leak.__name__)(leak)], instance=instance, raise_on_error=False
    )
    evidence = Evidence()
    evidence.add_output(capfd, debug_logs)
    evidence.add_run(instance, result.run_id)
    assert channel in evidence.leaking(PLANTED)


def test_the_scan_reads_files_on_disk(tmp_path: Path) -> None:
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "events.db").write_bytes(b"\x00\x01" + PLANTED.encode() + b"\xff")
    evidence = Evidence()
    evidence.add_files("files", tmp_path)
    assert evidence.leaking(PLANTED) == ["files"]


def test_a_scan_of_clean_evidence_finds_nothing() -> None:
    evidence = Evidence()
    evidence.add("stdout", "key=pk-PLANTED-(redacted) Bearer ***")
    assert evidence.leaking(PLANTED) == []
