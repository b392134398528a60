"""An error answer of any shape is read into a message; reading it never raises."""

import json

import httpx
from hypothesis import given
from hypothesis import strategies as st

from extract_assets.core.error_body import read_error_body


def answer(status: int, body: bytes, kind: str = "application/json") -> httpx.Response:
    return httpx.Response(status, content=body, headers={"content-type": kind})


def test_linkups_documented_shape_gives_code_message_and_details() -> None:
    body = {
        "statusCode": 400,
        "error": {
            "code": "VALIDATION_ERROR",
            "message": "Invalid request",
            "details": [{"field": "url", "message": "must be a URL"}],
        },
    }
    said = read_error_body(answer(400, json.dumps(body).encode()))
    assert (said.code, said.message, said.details) == (
        "VALIDATION_ERROR",
        "Invalid request",
        ["url: must be a URL"],
    )


def test_an_error_that_is_a_string_is_the_message() -> None:
    assert read_error_body(answer(502, b'{"error": "Bad Gateway"}')).message == "Bad Gateway"


def test_the_nestjs_shape_gives_its_message() -> None:
    body = b'{"statusCode": 404, "message": "Cannot GET /v1/extract/x", "error": "Not Found"}'
    assert read_error_body(answer(404, body)).message == "Cannot GET /v1/extract/x"


def test_fastapi_validation_details_name_their_fields() -> None:
    body = b'{"detail": [{"loc": ["body", "url"], "msg": "field required"}]}'
    assert read_error_body(answer(422, body)).message == "body.url: field required"


def test_an_html_page_from_a_proxy_gives_its_heading() -> None:
    page = b"<html><head><title>Oops</title></head><body><h1>502 Bad Gateway</h1></body></html>"
    assert read_error_body(answer(502, page, "text/html")).message == "502 Bad Gateway"


def test_an_empty_body_gives_the_status() -> None:
    assert read_error_body(answer(503, b"")).message == "HTTP 503 Service Unavailable"


def test_a_cut_off_json_body_gives_its_start() -> None:
    assert read_error_body(answer(500, b'{"error": "Ser')).message == '{"error": "Ser'


def test_a_long_body_is_cut_to_an_excerpt() -> None:
    assert len(read_error_body(answer(500, b"x" * 5_000, "text/plain")).message) == 200


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)


@given(body=json_values, status=st.sampled_from([400, 401, 404, 422, 429, 500, 502, 503]))
def test_any_json_body_gives_a_message(body: object, status: int) -> None:
    said = read_error_body(answer(status, json.dumps(body).encode()))
    assert said.message and len(said.message) <= 200


@given(raw=st.binary(max_size=300))
def test_any_bytes_give_a_message(raw: bytes) -> None:
    assert read_error_body(answer(502, raw, "text/plain")).message
