"""A Linkup result line that is JSON but no object (a list, a number, a text) fails the write
with the task, the row and what to do, and leaves nothing behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from extract_assets.core.errors import UnreadableRowError
from extract_assets.core.table import TableWriter
from extract_assets.linkup.client import LinkupClient
from extract_assets_tests.linkup.test_result_lines import FileHost, completed_task, host, host_url

__all__ = ["host", "host_url"]  # the file host's fixtures, used here too


@pytest.mark.parametrize(
    ("line", "said"),
    [
        (b"[1, 2]", "row 2 is a list, not an object: [1,2]"),
        (b"12", "row 2 is a number, not an object: 12"),
        (b'"Ada Lovelace"', 'row 2 is a text, not an object: "Ada Lovelace"'),
    ],
)
@pytest.mark.parametrize("into", ["file", "table"])
def test_a_result_row_that_is_no_object_fails_naming_the_task_and_row_and_writes_nothing(
    host: FileHost, host_url: str, tmp_path: Path, line: bytes, said: str, into: str
) -> None:
    host.bodies["r.ndjson"] = b'{"name": "Ada"}\n' + line + b'\n{"name": "Grace"}\n'
    task = completed_task(f"{host_url}/files/r.ndjson", 3)
    folder = tmp_path / "team"
    with (
        LinkupClient(api_key="lk-lines", base_url="http://127.0.0.1:9") as client,
        pytest.raises(UnreadableRowError) as raised,
    ):
        if into == "table":
            with TableWriter(folder) as table:
                client.write_result(task, folder / "part-0.parquet", table=table)
        else:
            client.write_result(task, folder / "part-0.parquet")

    message = str(raised.value)
    assert message.startswith(f"Linkup task t-lines: result {said}. ")
    assert "give it an object schema" in message
    assert (raised.value.row, raised.value.excerpt) == (2, said.split(": ", 1)[1])
    assert list(tmp_path.rglob("*.parquet")) == []
    assert [path.name for path in tmp_path.rglob("*") if path.is_file()] == []
