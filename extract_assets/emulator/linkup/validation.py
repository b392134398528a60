"""Validation of Linkup requests, with one `details` entry per offending field."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal, cast
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from extract_assets.emulator.linkup.errors import LinkupError

SortBy = Literal["createdAt", "updatedAt"]
SortDirection = Literal["asc", "desc"]


@dataclass(frozen=True)
class ExtractRequest:
    """A valid POST /v1/extract body; `schema` always as an object."""

    q: str
    url: str
    schema: dict[str, Any] | None
    verify_urls: bool


@dataclass(frozen=True)
class ListQuery:
    """Valid GET /v1/extract query parameters."""

    page: int
    page_size: int
    sort_by: SortBy
    sort_direction: SortDirection


def parse_extract_request(raw: bytes) -> ExtractRequest:
    """The POST body, or a 400 VALIDATION_ERROR listing every bad field."""
    try:
        body = json.loads(raw) if raw.strip() else None
    except ValueError as exc:
        raise _invalid([_detail("body", f"body is not valid JSON: {exc}")]) from exc
    if not isinstance(body, dict):
        raise _invalid([_detail("body", "body must be a JSON object")])
    details: list[dict[str, str]] = []
    q = body.get("q")
    if q is None:
        details.append(_detail("q", "q is required"))
    elif not isinstance(q, str):
        details.append(_detail("q", "q must be a string"))
    elif not q.strip():
        details.append(_detail("q", "q should not be empty"))
    url = body.get("url")
    if url is None:
        details.append(_detail("url", "url is required"))
    elif not _is_http_url(url):
        details.append(_detail("url", "url must be a URL address with an http or https scheme"))
    schema, schema_problem = _parse_schema(body.get("schema"))
    if schema_problem:
        details.append(_detail("schema", schema_problem))
    verify_urls = body.get("verifyUrls")
    if verify_urls is not None and not isinstance(verify_urls, bool):
        details.append(_detail("verifyUrls", "verifyUrls must be a boolean value"))
    if details:
        raise _invalid(details)
    assert isinstance(q, str) and isinstance(url, str)
    return ExtractRequest(q=q, url=url, schema=schema, verify_urls=bool(verify_urls))


def parse_list_query(params: dict[str, str]) -> ListQuery:
    """The list parameters with their defaults, or a 400 VALIDATION_ERROR."""
    details: list[dict[str, str]] = []
    page = _integer(params, "page", 1, 1, None, details)
    page_size = _integer(params, "pageSize", 10, 1, 100, details)
    sort_by = params.get("sortBy", "createdAt")
    if sort_by not in ("createdAt", "updatedAt"):
        details.append(
            _detail("sortBy", "sortBy must be one of the following values: createdAt, updatedAt")
        )
    direction = params.get("sortDirection", "desc")
    if direction not in ("asc", "desc"):
        details.append(
            _detail("sortDirection", "sortDirection must be one of the following values: asc, desc")
        )
    if details:
        raise _invalid(details)
    return ListQuery(page, page_size, cast(SortBy, sort_by), cast(SortDirection, direction))


def _parse_schema(value: Any) -> tuple[dict[str, Any] | None, str | None]:
    if value is None:
        return None, None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None, "schema must be a JSON object or a JSON-encoded string of an object"
    if not isinstance(value, dict):
        return None, "schema must be a JSON object or a JSON-encoded string of an object"
    try:
        Draft202012Validator.check_schema(value)
    except SchemaError as exc:
        return None, f"schema is not a valid JSON Schema: {exc.message}"
    return value, None


def _integer(
    params: dict[str, str],
    name: str,
    default: int,
    low: int,
    high: int | None,
    details: list[dict[str, str]],
) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        details.append(_detail(name, f"{name} must be an integer number"))
        return default
    if value < low:
        details.append(_detail(name, f"{name} must not be less than {low}"))
    elif high is not None and value > high:
        details.append(_detail(name, f"{name} must not be greater than {high}"))
    return value


def _is_http_url(value: Any) -> bool:
    if not isinstance(value, str) or any(c.isspace() for c in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _detail(field: str, message: str) -> dict[str, str]:
    return {"field": field, "message": message}


def _invalid(details: list[dict[str, str]]) -> LinkupError:
    return LinkupError(400, "VALIDATION_ERROR", "Validation failed", details)
