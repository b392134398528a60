"""Bodies whose `Content-Type` declares a charset other than UTF-8, through the public Linkup
client: a result file lands with its text as written, in every reader, and an API answer is
read by the charset it names."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from extract_assets.core.charset import in_utf8
from extract_assets.core.content_encoding import body_decoder
from extract_assets.core.errors import BadRequestError, IncompleteResultError
from extract_assets.linkup.client import LinkupClient
from extract_assets.linkup.models import Task
from extract_assets_tests.readers import Row, read_with_all
from extract_assets_tests.security.servers import serving

KEY = "lk-CHARSET-77aa66bb55cc"
ROWS = [{"name": "José Müller", "city": "Zürich"}, {"name": "Renée", "city": "Besançon"}]
NDJSON = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in ROWS)


class Host:
    """Serves one body with the headers a test gives it, as a result file and as a task."""

    def __init__(self) -> None:
        self.body = b""
        self.headers: dict[str, str] = {}
        self.status = 200

    async def answer(self, request: Request) -> Response:
        return Response(self.body, self.status, self.headers)


@pytest.fixture
def host() -> Host:
    return Host()


@pytest.fixture
def url(host: Host) -> Iterator[str]:
    routes = [Route("/files/result", host.answer), Route("/v1/extract/{id}", host.answer)]
    with serving(Starlette(routes=routes)) as root:
        yield root


def completed(result_url: str, rows: int) -> Task:
    return Task.model_validate(
        {
            "id": "t-charset",
            "status": "completed",
            "createdAt": "2026-11-01T00:00:00Z",
            "updatedAt": "2026-11-01T00:00:00Z",
            "output": {"creditsUsed": 1, "resultUrl": result_url, "rowsReturned": rows},
        }
    )


def landed(folder: Path) -> list[Row]:
    """The table's rows, once each of DuckDB, pyarrow, Polars and pandas has read the same."""
    rows, *others = read_with_all(folder, None, ("pyarrow", "duckdb", "polars", "pandas")).values()
    assert all(other == rows for other in others)
    return rows


@pytest.mark.parametrize(
    "content_type",
    [
        "application/x-ndjson; charset=iso-8859-1",
        "text/plain; charset=windows-1252",
        "application/x-ndjson; charset=UTF-16",
        'text/plain; charset="utf-16le"',
    ],
)
def test_a_result_in_a_declared_charset_lands_with_its_text_as_written(
    host: Host, url: str, tmp_path: Path, content_type: str
) -> None:
    host.body = NDJSON.encode(content_type.rpartition("=")[2].strip('"'))
    host.headers = {"content-type": content_type}
    with LinkupClient(api_key=KEY, base_url=url) as client:
        client.write_result(completed(f"{url}/files/result", 2), tmp_path / "t" / "r.parquet")
    assert landed(tmp_path / "t") == sorted(ROWS, key=lambda row: row["city"])


@pytest.mark.parametrize(
    "content_type", ["text/plain; charset=ISO-8859-1", "application/x-ndjson; charset=cp1252"]
)
def test_a_utf8_result_labelled_with_an_old_charset_lands_as_written(
    host: Host, url: str, tmp_path: Path, content_type: str
) -> None:
    host.body = NDJSON.encode()
    host.headers = {"content-type": content_type}
    with LinkupClient(api_key=KEY, base_url=url) as client:
        client.write_result(completed(f"{url}/files/result", 2), tmp_path / "t" / "r.parquet")
    assert landed(tmp_path / "t") == sorted(ROWS, key=lambda row: row["city"])


def test_a_utf8_answer_labelled_iso_8859_1_is_read_as_written(host: Host, url: str) -> None:
    task = {
        "id": "t1",
        "status": "failed",
        "createdAt": "2026-11-01T00:00:00Z",
        "updatedAt": "2026-11-01T00:00:00Z",
        "error": "Page introuvable: café fermé",
    }
    host.body = json.dumps(task, ensure_ascii=False).encode()
    host.headers = {"content-type": "application/json; charset=iso-8859-1"}
    with LinkupClient(api_key=KEY, base_url=url) as client:
        assert client.get("t1").error == "Page introuvable: café fermé"


# Text as latin-1 files hold it: ASCII and accented letters (À to ÿ). Symbols of U+0080 to
# U+00BF after such a letter can form UTF-8 ("Ã©"), read as such: the limit the charset module
# states.
LATIN1_TEXT = st.text(
    st.characters(codec="ascii") | st.characters(min_codepoint=0xC0, max_codepoint=0xFF),
    max_size=60,
)


@settings(max_examples=40, deadline=None)
@given(text=LATIN1_TEXT, cuts=st.lists(st.integers(0, 240), max_size=4))
def test_latin1_split_anywhere_arrives_as_the_same_text_in_utf8(text: str, cuts: list[int]) -> None:
    encoded = ("{" + text).encode("latin-1")  # begun as JSON is, not as gzip is
    bounds = [0, *sorted(min(cut, len(encoded)) for cut in cuts), len(encoded)]
    decoder = in_utf8(body_decoder("identity"), "iso-8859-1")
    pieces = [b"".join(decoder.feed(encoded[start:end])) for start, end in pairwise(bounds)]
    assert b"".join(pieces) + decoder.finish() == encoded.decode("latin-1").encode()


def test_a_compressed_result_in_a_declared_charset_is_decompressed_then_decoded(
    host: Host, url: str, tmp_path: Path
) -> None:
    host.body = gzip.compress(NDJSON.encode("latin-1"))
    host.headers = {"content-type": "text/plain; charset=latin-1", "content-encoding": "gzip"}
    with LinkupClient(api_key=KEY, base_url=url) as client:
        client.write_result(completed(f"{url}/files/result", 2), tmp_path / "t" / "r.parquet")
    assert landed(tmp_path / "t") == sorted(ROWS, key=lambda row: row["city"])


def test_a_result_in_utf16_that_stops_inside_a_character_is_incomplete_and_writes_nothing(
    host: Host, url: str, tmp_path: Path
) -> None:
    host.body = NDJSON.encode("utf-16-le")[:-1]
    host.headers = {"content-type": "application/x-ndjson; charset=utf-16le"}
    with LinkupClient(api_key=KEY, base_url=url) as client, pytest.raises(IncompleteResultError):
        client.write_result(completed(f"{url}/files/result", 2), tmp_path / "t" / "r.parquet")
    assert not (tmp_path / "t" / "r.parquet").exists()


def test_an_api_answer_in_a_declared_charset_is_read_by_it(host: Host, url: str) -> None:
    task = {
        "id": "t1",
        "status": "failed",
        "createdAt": "2026-11-01T00:00:00Z",
        "updatedAt": "2026-11-01T00:00:00Z",
        "error": "Page introuvable: café fermé",
    }
    host.body = json.dumps(task, ensure_ascii=False).encode("iso-8859-1")
    host.headers = {"content-type": "application/json; charset=iso-8859-1"}
    with LinkupClient(api_key=KEY, base_url=url) as client:
        assert client.get("t1").error == "Page introuvable: café fermé"


@settings(max_examples=40, deadline=None)
@given(text=st.text(max_size=60), cuts=st.lists(st.integers(0, 240), max_size=4))
def test_utf16_split_anywhere_arrives_as_the_same_text_in_utf8(text: str, cuts: list[int]) -> None:
    encoded = text.encode("utf-16")
    bounds = [0, *sorted(min(cut, len(encoded)) for cut in cuts), len(encoded)]
    decoder = in_utf8(body_decoder("identity"), "utf-16")
    pieces = [b"".join(decoder.feed(encoded[start:end])) for start, end in pairwise(bounds)]
    assert b"".join(pieces) + decoder.finish() == text.encode()


def test_an_error_in_utf8_labelled_iso_8859_1_carries_its_message_as_written(
    host: Host, url: str
) -> None:
    host.body = json.dumps({"error": {"message": "Clé d'API refusée"}}, ensure_ascii=False).encode()
    host.headers = {"content-type": "application/json; charset=iso-8859-1"}
    host.status = 400
    with (
        LinkupClient(api_key=KEY, base_url=url) as client,
        pytest.raises(BadRequestError) as raised,
    ):
        client.get("t1")
    assert raised.value.message == "Clé d'API refusée"


def test_an_error_in_latin1_labelled_so_carries_its_message_as_written(
    host: Host, url: str
) -> None:
    host.body = json.dumps({"error": {"message": "Clé refusée"}}, ensure_ascii=False).encode(
        "latin-1"
    )
    host.headers = {"content-type": "application/json; charset=iso-8859-1"}
    host.status = 400
    with (
        LinkupClient(api_key=KEY, base_url=url) as client,
        pytest.raises(BadRequestError) as raised,
    ):
        client.get("t1")
    assert raised.value.message == "Clé refusée"
