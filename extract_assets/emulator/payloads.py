"""Reading control-API request bodies into pydantic models."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

ModelT = TypeVar("ModelT", bound=BaseModel)


class PayloadError(Exception):
    """A control request whose body does not fit its model."""

    def __init__(self, problems: list[dict[str, Any]]) -> None:
        super().__init__("invalid payload")
        self.problems = problems


async def read_payload(request: Request, model: type[ModelT]) -> ModelT:
    """The JSON body as `model`, or PayloadError saying which field is wrong."""
    try:
        return model.model_validate_json(await request.body() or b"{}")
    except ValidationError as exc:
        raise PayloadError(json.loads(exc.json(include_url=False, include_input=False))) from exc


async def read_exact_payload(request: Request, model: type[ModelT]) -> ModelT:
    """The JSON body as `model`, its free-form values exactly as the standard `json` module
    reads them (key order, big integers, floats that print back the same); NaN, Infinity and
    lone surrogates, which no JSON answer can carry, are refused."""
    raw = await request.body() or b"{}"
    try:
        data = json.loads(raw, parse_constant=_refuse_constant)
        json.dumps(data, ensure_ascii=False).encode()
    except (ValueError, UnicodeError) as exc:
        raise PayloadError([{"type": "json_invalid", "loc": [], "msg": str(exc)}]) from exc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise PayloadError(json.loads(exc.json(include_url=False, include_input=False))) from exc


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


async def handle_payload_error(request: Request, exc: Exception) -> Response:
    """Starlette handler: a 400 listing the problems."""
    assert isinstance(exc, PayloadError)
    return JSONResponse({"error": "invalid payload", "problems": exc.problems}, status_code=400)
