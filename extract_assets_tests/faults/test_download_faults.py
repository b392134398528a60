"""Regression: a result download answered 5xx or 429 by the file host is tried again."""

from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from extract_assets.core.errors import ServerError
from extract_assets.emulator import EmulatorServer
from extract_assets.linkup.client import LinkupClient
from extract_assets.linkup.models import Task
from extract_assets.linkup.resource import LinkupResource

FILES = "^/files/"


@pytest.fixture
def client(emulator: EmulatorServer) -> Iterator[LinkupClient]:
    resource = LinkupResource(
        api_key="demo-linkup-key",
        base_url=emulator.base_url("linkup"),
        poll_initial_seconds=0.1,
        poll_max_seconds=0.3,
        max_attempts=3,
        retry_deadline_seconds=30,
        requests_per_minute=None,
    )
    with resource.get_client() as linkup:
        yield linkup


@pytest.fixture
def task(emulator: EmulatorServer, client: LinkupClient) -> Task:
    emulator.control.add_linkup_scenario("download", rows=50)
    created = client.create("rows for the download tests", "https://example.com/d")
    return client.wait(created.id)


def downloads(emulator: EmulatorServer) -> list[int | None]:
    return [r["status"] for r in emulator.control.requests("linkup") if "/files/" in r["path"]]


def test_a_file_host_server_error_is_retried(
    emulator: EmulatorServer, client: LinkupClient, task: Task, tmp_path: Path
) -> None:
    emulator.control.add_fault("status", path=FILES, status=503, times=2)
    written = client.write_result(task, tmp_path / "rows.parquet")
    assert written.rows == 50
    assert pq.read_table(written.path).num_rows == 50
    assert downloads(emulator) == [503, 503, 200]


def test_a_throttled_download_is_retried(
    emulator: EmulatorServer, client: LinkupClient, task: Task, tmp_path: Path
) -> None:
    emulator.control.add_fault("status", path=FILES, status=429, retry_after="0", times=1)
    assert client.write_result(task, tmp_path / "rows.parquet").rows == 50
    assert downloads(emulator) == [429, 200]


def test_a_file_host_that_keeps_failing_fails_the_download_and_writes_nothing(
    emulator: EmulatorServer, client: LinkupClient, task: Task, tmp_path: Path
) -> None:
    emulator.control.add_fault("status", path=FILES, status=500)
    with pytest.raises(ServerError, match="HTTP 500"):
        client.write_result(task, tmp_path / "rows.parquet")
    assert list(tmp_path.iterdir()) == []
