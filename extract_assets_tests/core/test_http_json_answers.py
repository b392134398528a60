"""JSON answers the way real services send them, read through `ApiClient.json`: with a UTF-8
byte order mark, without a `Content-Type` or as `text/plain`, with a key given twice (the last
wins, as every JSON reader takes it), with bytes of another encoding pasted into its UTF-8
(each bad sequence becomes U+FFFD, as in a download's lines); and an empty answer is an error
that says it is empty."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from extract_assets.core.errors import UnreadableAnswerError
from extract_assets.core.http import ApiClient
from extract_assets.core.retry import RetryPolicy

TASK = b'{"id": "t1", "status": "completed"}'
ANSWERS = {
    "bom": Response(b"\xef\xbb\xbf" + TASK, media_type="application/json"),
    "no-type": Response(TASK),
    "text-plain": Response(TASK, media_type="text/plain"),
    "twice": Response(b'{"id": "t0", "status": "completed", "id": "t1"}'),
    "empty": Response(b"", media_type="application/json"),
    "no-content": Response(status_code=204),
    "latin-1-inside": Response(b'{"id": "t1", "title": "Caf\xe9 cr\xe8me"}'),
}


async def answer(request: Request) -> Response:
    return ANSWERS[request.path_params["name"]]


app = Starlette(routes=[Route("/answers/{name}", answer)])


@pytest.fixture
def api(host: str) -> Iterator[ApiClient]:
    retry = RetryPolicy(max_attempts=2, backoff_base_seconds=0.01)
    with ApiClient(provider="Example", base_url=host, api_key="k-json", retry=retry) as client:
        yield client


@pytest.mark.parametrize("name", ["bom", "no-type", "text-plain", "twice"])
def test_json_sent_as_real_services_send_it_is_read(api: ApiClient, name: str) -> None:
    assert api.json("GET", f"/answers/{name}") == {"id": "t1", "status": "completed"}


@pytest.mark.parametrize(("name", "status"), [("empty", 200), ("no-content", 204)])
def test_an_empty_answer_where_json_is_expected_says_it_is_empty(
    api: ApiClient, name: str, status: int
) -> None:
    with pytest.raises(UnreadableAnswerError) as raised:
        api.json("GET", f"/answers/{name}")
    assert f"answered {status} with a body that is not JSON: it is empty" in str(raised.value)


def test_bytes_that_are_not_utf8_in_an_answer_become_replacement_characters(
    api: ApiClient, caplog: pytest.LogCaptureFixture
) -> None:
    answer = api.json("GET", "/answers/latin-1-inside")
    assert answer == {"id": "t1", "title": "Caf\ufffd cr\ufffdme"}
    assert "held bytes that are not UTF-8" in caplog.text
