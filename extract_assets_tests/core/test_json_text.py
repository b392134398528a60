"""JSON read without a number changing: a number beyond the doubles is kept as its text, in
the sink's exact reader and in every API answer."""

from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from extract_assets.core.http import ApiClient
from extract_assets.core.json_text import loads
from extract_assets_tests.security.servers import serving


def test_loads_keeps_a_number_beyond_the_doubles_as_its_text() -> None:
    assert loads(b"[1e400, -1E+999, 1.5e308, 2]") == ["1e400", "-1E+999", 1.5e308, 2]


@pytest.fixture
def api_answering_a_number_beyond_the_doubles() -> Iterator[str]:
    async def answer(request: Request) -> Response:
        return Response(b'{"data": [{"cost": 1e400, "ctr": 0.5}]}', media_type="application/json")

    with serving(Starlette(routes=[Route("/rows", answer)])) as url:
        yield url


def test_an_api_answer_keeps_a_number_beyond_the_doubles_as_its_text(
    api_answering_a_number_beyond_the_doubles: str,
) -> None:
    url = api_answering_a_number_beyond_the_doubles
    with ApiClient(provider="Example", base_url=url, api_key="key") as api:
        answer = api.decode(api.request("GET", "/rows"), "GET")
    assert answer == {"data": [{"cost": "1e400", "ctr": 0.5}]}
