"""Result files whose lines are written as real services write them, through
`LinkupClient.write_result` from a file host on loopback: every row lands, in every reader, or
the write fails saying why, leaving nothing behind."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from extract_assets.linkup.client import LinkupClient
from extract_assets.linkup.models import Task
from extract_assets_tests.readers import Row, read_with_all
from extract_assets_tests.security.servers import serving


class FileHost:
    """Serves whatever body a test puts at a name, under `/files/{name}`."""

    def __init__(self) -> None:
        self.bodies: dict[str, bytes] = {}

    async def file(self, request: Request) -> Response:
        return Response(self.bodies[request.path_params["name"]], media_type="text/plain")


@pytest.fixture
def host() -> FileHost:
    return FileHost()


@pytest.fixture
def host_url(host: FileHost) -> Iterator[str]:
    with serving(Starlette(routes=[Route("/files/{name}", host.file)])) as url:
        yield url


def landed(folder: Path) -> list[Row]:
    """The table's rows, once each of DuckDB, pyarrow, Polars and pandas has read the same."""
    (rows, *others) = read_with_all(
        folder, None, ("pyarrow", "duckdb", "polars", "pandas")
    ).values()
    assert all(other == rows for other in others)
    return rows


def completed_task(result_url: str, rows: int) -> Task:
    return Task.model_validate(
        {
            "id": "t-lines",
            "status": "completed",
            "createdAt": "2026-11-01T00:00:00Z",
            "updatedAt": "2026-11-01T00:00:00Z",
            "output": {"creditsUsed": 1, "resultUrl": result_url, "rowsReturned": rows},
        }
    )


def write(result_url: str, rows: int, target: str) -> None:
    """`write_result` as a user calls it (run in a child process by the tests below)."""
    with LinkupClient(api_key="lk-lines", base_url="http://127.0.0.1:9") as client:
        client.write_result(completed_task(result_url, rows), target)


def write_in_a_child(result_url: str, rows: int, target: Path) -> subprocess.CompletedProcess[str]:
    """`write` in a process of its own: a reader that crashes the process fails one test."""
    code = (
        "from extract_assets_tests.linkup.test_result_lines import write; "
        f"write({result_url!r}, {rows}, {str(target)!r})"
    )
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize(
    "body",
    [
        b'null\n{"name": "Ada"}\n',
        b'\r\n  \r\nnull\r\n{"name": "Ada"}\r\n',
        b'\xef\xbb\xbfnull\n{"name": "Ada"}\n',
    ],
    ids=["first-line", "after-blank-lines", "after-a-bom"],
)
def test_a_result_whose_first_row_is_null_lands_as_a_row_of_nulls(
    host: FileHost, host_url: str, tmp_path: Path, body: bytes
) -> None:
    host.bodies["r.ndjson"] = body
    target = tmp_path / "team" / "part-0.parquet"
    written = write_in_a_child(f"{host_url}/files/r.ndjson", 2, target)
    assert written.returncode == 0, written.stderr[-2000:]
    assert landed(target.parent) == [{"name": "Ada"}, {"name": None}]


# Each body holds the rows {"n": 1, "s": "é"} and {"n": 2, "s": "x"}; "n" sent as text in a third
# row ("mixed") makes the standard library read the block instead of pyarrow.
LINE_SHAPES = {
    "a-bom": b'\xef\xbb\xbf{"n": 1, "s": "\xc3\xa9"}\n{"n": 2, "s": "x"}\n',
    "crlf": b'{"n": 1, "s": "\xc3\xa9"}\r\n{"n": 2, "s": "x"}\r\n',
    "blank-lines": b'\n \t\n{"n": 1, "s": "\xc3\xa9"}\n\r\n   \n{"n": 2, "s": "x"}\n\n',
    "no-last-newline": b'{"n": 1, "s": "\xc3\xa9"}\n{"n": 2, "s": "x"}',
    "a-key-twice": b'{"n": 0, "s": "\xc3\xa9", "n": 1}\n{"n": 2, "s": "y", "s": "x"}\n',
}


@pytest.mark.parametrize("reader", ["pyarrow", "mixed"])
@pytest.mark.parametrize("shape", list(LINE_SHAPES))
def test_lines_as_services_write_them_land_as_the_rows_they_hold(
    host: FileHost, host_url: str, tmp_path: Path, shape: str, reader: str
) -> None:
    body = LINE_SHAPES[shape]
    extra = b'\n{"n": "3", "s": "z"}\n' if reader == "mixed" else b""
    host.bodies["r.ndjson"] = body + extra
    rows = 3 if extra else 2
    target = tmp_path / "team" / "part-0.parquet"
    with LinkupClient(api_key="lk-lines", base_url="http://127.0.0.1:9") as client:
        client.write_result(completed_task(f"{host_url}/files/r.ndjson", rows), target)
    landed_rows = [{"n": str(row["n"]), "s": row["s"]} for row in landed(target.parent)]
    expected = [{"n": "1", "s": "é"}, {"n": "2", "s": "x"}, {"n": "3", "s": "z"}][:rows]
    assert sorted(landed_rows, key=lambda row: row["n"]) == expected
