"""The fault mix every provider suite injects, and how runs are compared file by file."""

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from extract_assets.emulator import EmulatorControl

# Faults a suite expects to have been injected at least once each: every kind the mix holds.
FAULT_KINDS = ("status", "slow", "drop")
RATE_LIMIT_BURST = 3


def inject_mix(
    control: EmulatorControl,
    provider: str,
    *,
    paid_method: str,
    paid_path: str,
    busy_path: str,
    files: bool = False,
) -> None:
    """The seeded mix of the issue: ~10% 5xx, a burst of 429s with `Retry-After`, ~2% dropped
    connections mid-body, slow answers, and on a file host a truncated and a broken download.

    The first rule that matches a request and wins its dice roll applies, so the rules that must
    happen (the paid request lost both ways, the burst, the broken files) come first and fire a
    fixed number of times; the random ones follow. The emulator seeds each rule's dice, so a run
    meets the same faults every time it sends the same requests.
    """
    # The paid request: first refused before it reaches the provider, then processed with its
    # answer lost mid-body: the client must neither give up nor pay twice.
    control.add_fault(
        "status", provider=provider, method=paid_method, path=paid_path, status=503, times=1
    )
    control.add_fault(
        "drop", provider=provider, method=paid_method, path=paid_path, after_bytes=20, times=1
    )
    control.add_fault(
        "status",
        provider=provider,
        method="GET",
        path=busy_path,
        status=429,
        retry_after="1",
        times=RATE_LIMIT_BURST,
    )
    # A read whose answer breaks off mid-body, once it is no longer throttled.
    control.add_fault(
        "drop", provider=provider, method="GET", path=busy_path, after_bytes=40, times=1
    )
    if files:
        control.add_fault("truncate", provider=provider, keep_fraction=0.5, times=1)
        control.add_fault("drop", provider=provider, path="^/files/", after_bytes=4096, times=1)
        control.add_fault("status", provider=provider, path="^/files/", status=503, times=1)
    for status, probability in ((500, 0.04), (502, 0.03), (503, 0.03)):
        control.add_fault("status", provider=provider, status=status, probability=probability)
    control.add_fault("drop", provider=provider, after_bytes=40, probability=0.02)
    control.add_fault("slow", provider=provider, delay=0.3, probability=0.05)
    # Makes sure a slow answer happens even in a short run.
    control.add_fault("slow", provider=provider, method="GET", delay=0.3, times=1)


def injected_kinds(control: EmulatorControl) -> dict[str, int]:
    """How many faults of each kind the emulator injected."""
    counts: dict[str, int] = {}
    for rule in control.faults():
        counts[rule["kind"]] = counts.get(rule["kind"], 0) + int(rule["injected"])
    return counts


def parquet_tables(folder: Path) -> dict[str, pa.Table]:
    """Every Parquet file under `folder`, read whole, by its path relative to `folder`."""
    return {
        path.relative_to(folder).as_posix(): pq.read_table(path)
        for path in sorted(folder.rglob("*.parquet"))
    }


def assert_same_tables(faulted: dict[str, pa.Table], clean: dict[str, pa.Table]) -> None:
    """The same files, each with the same schema and the same rows in the same order."""
    assert sorted(faulted) == sorted(clean)
    for name, table in clean.items():
        assert faulted[name].schema.equals(table.schema, check_metadata=True), name
        assert faulted[name].equals(table), name


def stray_files(folder: Path) -> list[str]:
    """Files under `folder` that are neither Parquet nor a table's schema document or lock:
    temp files a run left behind."""
    return sorted(
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*")
        if path.is_file()
        and path.suffix != ".parquet"
        and not path.name.endswith(".schema.json")
        and not (path.name.startswith(".") and path.suffix == ".lock")
    )


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    """A throwaway instance under a temp DAGSTER_HOME."""
    with dg.instance_for_test() as test_instance:
        yield test_instance
