import json
import logging
import re
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pyarrow.parquet as pq
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route

from extract_assets.core.errors import (
    ApiError,
    AuthenticationError,
    BadRequestError,
    ExtractAssetsError,
    IncompleteResultError,
    NotConnectedError,
    NotFoundError,
    PaymentRequiredError,
    PermissionDeniedError,
)
from extract_assets.core.retry import RetryPolicy
from extract_assets.emulator import EmulatorServer
from extract_assets.linkup.client import LinkupClient, LinkupTaskFailedError
from extract_assets.linkup.models import Task
from extract_assets_tests.security.servers import Seen, proxy_app, serving

from .conftest import SECRET_KEY

SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "role": {"type": "string"},
        "profileUrl": {"type": "string", "format": "uri"},
        "startedAt": {"type": "string", "format": "date-time"},
        "seats": {"type": "integer"},
    },
    "required": ["name", "profileUrl"],
}


def served_rows(task_result_url: str) -> list[dict[str, object]]:
    """The rows exactly as the emulator serves them, read without our client."""
    body = httpx.get(task_result_url).text
    return [json.loads(line) for line in body.splitlines() if line.strip()]


def calls(emulator: EmulatorServer, method: str, path_part: str) -> list[dict[str, object]]:
    return [
        r
        for r in emulator.control.requests(provider="linkup")
        if r["method"] == method and path_part in str(r["path"])
    ]


def test_create_returns_a_pending_task(client: LinkupClient) -> None:
    task = client.create("Team members", "https://example.com/team")
    assert task.status == "pending"
    assert task.output is None


def test_wait_returns_the_completed_task(client: LinkupClient) -> None:
    task = client.wait(client.create("Team members", "https://example.com/team").id)
    assert task.status == "completed"
    assert task.output is not None and task.output.rows_returned > 0


def test_a_failed_task_raises_with_linkups_error(
    emulator: EmulatorServer, client: LinkupClient
) -> None:
    emulator.control.add_linkup_scenario(match="broken page", fail="Seed URL returned HTTP 500")
    task = client.create("broken page rows", "https://example.com/x")
    with pytest.raises(LinkupTaskFailedError, match="Seed URL returned HTTP 500"):
        client.wait(task.id)


def test_iter_tasks_reads_every_page(client: LinkupClient) -> None:
    created = {client.create(f"query {i}", "https://example.com").id for i in range(23)}
    seen = [task.id for task in client.iter_tasks(page_size=10)]
    assert len(seen) == len(set(seen))
    assert created <= set(seen)


def test_result_parquet_equals_the_rows_served(client: LinkupClient, tmp_path: Path) -> None:
    task = client.wait(client.create("Team", "https://example.com/team", schema=SCHEMA).id)
    assert task.output is not None
    written = client.write_result(task, tmp_path / "team.parquet")
    expected = served_rows(task.output.result_url)
    table = pq.read_table(written.path)
    assert written.rows == len(expected) == table.num_rows
    assert table.column("name").to_pylist() == [row.get("name") for row in expected]
    assert table.column("seats").to_pylist() == [row.get("seats") for row in expected]


def test_the_download_never_carries_the_api_key(
    emulator: EmulatorServer, client: LinkupClient, tmp_path: Path
) -> None:
    task = client.wait(client.create("Team", "https://example.com/team").id)
    client.write_result(task, tmp_path / "team.parquet")
    downloads = [r for r in emulator.control.requests() if "/files/" in str(r["path"])]
    assert downloads and not any(r["authorization"] for r in downloads)


def test_an_expired_result_url_is_refreshed(
    emulator: EmulatorServer, client: LinkupClient, tmp_path: Path
) -> None:
    emulator.control.linkup_settings(result_url_ttl=60)
    task = client.wait(client.create("Team", "https://example.com/team").id)
    emulator.control.advance_clock(120)
    written = client.write_result(task, tmp_path / "team.parquet")
    assert task.output is not None and written.rows == task.output.rows_returned
    statuses = [r["status"] for r in emulator.control.requests() if "/files/" in str(r["path"])]
    assert statuses[0] == 403 and statuses[-1] == 200


def test_a_dropped_download_resumes_without_losing_rows(
    emulator: EmulatorServer, client: LinkupClient, tmp_path: Path
) -> None:
    emulator.control.add_linkup_scenario(match="many rows", rows=20_000)
    task = client.wait(client.create("many rows", "https://example.com/list").id)
    emulator.control.add_fault(kind="drop", path="^/files/", after_bytes=100_000, times=2)
    written = client.write_result(task, tmp_path / "many.parquet")
    assert written.rows == 20_000


def progress_lines(caplog: pytest.LogCaptureFixture, task_id: str) -> list[str]:
    return [m for m in caplog.messages if m.startswith(f"Linkup task {task_id} result: ")]


def test_a_download_logs_rows_bytes_and_rates_as_it_goes(
    emulator: EmulatorServer,
    client: LinkupClient,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    emulator.control.add_linkup_scenario(match="many rows", rows=20_000)
    task = client.wait(client.create("many rows", "https://example.com/list").id)
    client.progress_every = 0.0  # a line for every chunk, instead of waiting seconds
    caplog.set_level(logging.INFO, logger="extract_assets.linkup")
    client.write_result(task, tmp_path / "many.parquet")
    during = progress_lines(caplog, task.id)[:-1]
    assert len(during) >= 2
    for line in during:
        # The transport reads pieces of up to 1 MiB, so a line may count kB or MB.
        assert re.search(
            r"[\d,]+ rows, [\d.]+ [kM]B in [\d.]+ s \([\d,]+ rows/s, [\d.]+ MB/s\)", line
        )
        assert re.search(r"; \d+% of [\d.]+ MB", line)


def test_the_final_progress_line_totals_the_whole_file(
    emulator: EmulatorServer,
    client: LinkupClient,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    emulator.control.add_linkup_scenario(match="many rows", rows=20_000)
    task = client.wait(client.create("many rows", "https://example.com/list").id)
    assert task.output is not None
    served = httpx.get(task.output.result_url).content
    emulator.control.add_fault(kind="drop", path="^/files/", after_bytes=100_000, times=2)
    caplog.set_level(logging.INFO, logger="extract_assets.linkup")
    client.write_result(task, tmp_path / "many.parquet")
    final = progress_lines(caplog, task.id)[-1]
    rows = len(served.splitlines())
    assert f": done, {rows:,} rows, " in final
    assert f"({len(served):,} bytes)" in final


def test_a_truncated_download_fails_and_leaves_no_file(
    emulator: EmulatorServer, client: LinkupClient, tmp_path: Path
) -> None:
    task = client.wait(client.create("Team", "https://example.com/team").id)
    emulator.control.add_fault(kind="truncate", keep_fraction=0.5)
    with pytest.raises(IncompleteResultError, match="rows") as raised:
        client.write_result(task, tmp_path / "team.parquet")
    assert list(tmp_path.iterdir()) == []
    assert "re-execute the run later (it re-attaches to this task" in str(raised.value)


def test_a_body_cut_mid_line_is_downloaded_again_not_refused_as_a_bad_row(
    tmp_path: Path,
) -> None:
    lines = b"".join(json.dumps({"n": n, "text": "x" * 40}).encode() + b"\n" for n in range(50))
    served: list[int] = []

    async def result(request: Request) -> StreamingResponse:
        first = not served
        served.append(1)

        async def body() -> AsyncIterator[bytes]:
            yield lines[: len(lines) // 2 + 7] if first else lines

        return StreamingResponse(body(), media_type="application/x-ndjson")

    with serving(Starlette(routes=[Route("/result", result)])) as files:
        task = Task.model_validate(
            {
                "id": "t-cut",
                "status": "completed",
                "createdAt": "2026-12-07T10:00:00Z",
                "updatedAt": "2026-12-07T10:01:00Z",
                "output": {"resultUrl": f"{files}/result", "rowsReturned": 50, "creditsUsed": 1},
            }
        )
        with LinkupClient("key", base_url=files) as linkup:
            written = linkup.write_result(task, tmp_path / "t" / "part-0.parquet")
    assert (written.rows, len(served)) == (50, 2)


def test_an_unknown_key_fails_at_once_without_showing_the_key(
    emulator: EmulatorServer, linkup_url: str
) -> None:
    with LinkupClient("lk-not-a-real-key-000111", base_url=linkup_url) as bad:
        with pytest.raises(AuthenticationError) as failure:
            bad.create("Team", "https://example.com/team")
    text = str(failure.value) + repr(failure.value)
    assert "LINKUP_API_KEY" in text
    assert "lk-not-a-real-key-000111" not in text
    assert len(calls(emulator, "POST", "/v1/extract")) == 1


def test_the_closed_beta_gate_says_to_ask_for_access(
    emulator: EmulatorServer, linkup_url: str
) -> None:
    emulator.control.add_linkup_key(key="lk-no-beta", extract_enabled=False)
    with LinkupClient("lk-no-beta", base_url=linkup_url) as gated:
        with pytest.raises(PermissionDeniedError, match="closed beta"):
            gated.create("Team", "https://example.com/team")


def test_no_credits_fails_at_once(emulator: EmulatorServer, linkup_url: str) -> None:
    emulator.control.add_linkup_key(key="lk-broke", credits=0)
    with LinkupClient("lk-broke", base_url=linkup_url) as broke:
        with pytest.raises(PaymentRequiredError, match="out of credits"):
            broke.create("Team", "https://example.com/team")
    assert len(calls(emulator, "POST", "/v1/extract")) == 1


def test_a_spent_budget_fails_at_once(emulator: EmulatorServer, linkup_url: str) -> None:
    emulator.control.add_linkup_key(key="lk-budget", budget_limit=0)
    with LinkupClient("lk-budget", base_url=linkup_url) as capped:
        with pytest.raises(PaymentRequiredError, match="budget"):
            capped.create("Team", "https://example.com/team")
    assert len(calls(emulator, "POST", "/v1/extract")) == 1


def test_an_invalid_request_names_the_field(client: LinkupClient) -> None:
    with pytest.raises(BadRequestError, match="url"):
        client.create("Team", "not a url")


def test_an_unknown_task_is_not_found(client: LinkupClient) -> None:
    with pytest.raises(NotFoundError, match="not found"):
        client.get("00000000-0000-0000-0000-000000000000")


def test_a_full_queue_waits_for_a_slot(emulator: EmulatorServer, client: LinkupClient) -> None:
    emulator.control.linkup_settings(max_in_flight=1)
    first = client.create("first", "https://example.com/a")
    second = client.create("second", "https://example.com/b")
    assert first.id != second.id
    refused = [r for r in calls(emulator, "POST", "/v1/extract") if r["status"] == 429]
    assert refused


def test_server_errors_and_throttling_are_ridden_out(
    emulator: EmulatorServer, client: LinkupClient
) -> None:
    emulator.control.add_fault(kind="status", status=503, method="GET", times=3)
    emulator.control.add_fault(kind="status", status=429, retry_after="1", method="GET", times=2)
    task = client.wait(client.create("Team", "https://example.com/team").id)
    assert task.status == "completed"


def test_a_create_whose_answer_is_lost_is_not_paid_twice(
    emulator: EmulatorServer, client: LinkupClient
) -> None:
    emulator.control.add_fault(kind="drop", method="POST", path="^/v1/extract$", times=1)
    task = client.create("Team", "https://example.com/team")
    assert [t["id"] for t in emulator.control.linkup_tasks()] == [task.id]


def test_a_create_refused_with_a_server_error_is_tried_again(
    emulator: EmulatorServer, client: LinkupClient
) -> None:
    emulator.control.add_fault(kind="status", status=500, method="POST", times=1)
    task = client.create("Team", "https://example.com/team")
    assert [t["id"] for t in emulator.control.linkup_tasks()] == [task.id]


def test_the_client_repr_hides_the_key(client: LinkupClient) -> None:
    assert SECRET_KEY not in repr(client)


def closed_port() -> str:
    """A loopback address where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def test_a_refused_connection_names_the_base_url_variable_and_looks_nothing_up(
    caplog: pytest.LogCaptureFixture,
) -> None:
    retry = RetryPolicy(max_attempts=2, backoff_base_seconds=0.01)
    with LinkupClient(api_key="lk-test", base_url=closed_port(), retry=retry) as unreachable:
        with pytest.raises(NotConnectedError) as raised:
            unreachable.create("Team", "https://example.com/team")
    assert "LINKUP_BASE_URL" in str(raised.value)
    assert "no request reached Linkup" in str(raised.value)
    assert not [r for r in caplog.records if "GET" in r.getMessage()], "a look-up was tried"


def test_a_result_link_refused_again_and_again_ends_with_what_to_do(
    emulator: EmulatorServer, client: LinkupClient, tmp_path: Path
) -> None:
    task = client.wait(client.create("Team", "https://example.com/team").id)
    emulator.control.add_fault("status", status=403, path="^/files/")
    with pytest.raises(ApiError) as raised:
        client.write_result(task, tmp_path / "team.parquet")
    assert "refused (HTTP 403) after 3 fresh links" in str(raised.value)
    assert "re-execute the run later" in str(raised.value)
    downloads = [r for r in emulator.control.requests() if "/files/" in str(r["path"])]
    assert len(downloads) == 4
    assert not (tmp_path / "team.parquet").exists()


def test_a_completed_task_without_its_row_count_says_so_and_writes_nothing(
    emulator: EmulatorServer, secret_key: str, tmp_path: Path
) -> None:
    no_count = ('"rowsReturned":', '"rowsCounted":')
    with serving(proxy_app(Seen(), emulator.url, no_count)) as api:
        with LinkupClient(secret_key, base_url=f"{api}/linkup") as client:
            task = client.wait(client.create("Team members", "https://example.com/team").id)
            with pytest.raises(ExtractAssetsError, match="completed but its output lacks"):
                client.write_result(task, tmp_path / "team.parquet")
    assert list(tmp_path.iterdir()) == []
