"""Linkup `/v1/extract` payloads, parsed once at the edge."""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import BeforeValidator, ConfigDict, Field, field_validator

from extract_assets.core.instants import UtcDateTime
from extract_assets.core.payload import Items, Message, Payload, Status
from extract_assets.linkup.contract import FINAL_STATUSES


class _Model(Payload):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")


class TaskInput(_Model):
    """The echo of what the task was asked to do; clients tolerate missing keys."""

    q: str | None = None
    url: str | None = None
    row_schema: dict[str, Any] | None = Field(default=None, alias="schema")
    verify_urls: bool | None = Field(default=None, alias="verifyUrls")

    @field_validator("row_schema", mode="before")
    @classmethod
    def _decode_schema(cls, value: Any) -> Any:
        # The API documents `schema` as string<json> but sends objects; accept both.
        if isinstance(value, str) and value.strip():
            return json.loads(value)
        return value or None


class TaskOutput(_Model):
    """Present once a task is `completed`."""

    credits_used: float = Field(alias="creditsUsed")
    result_url: str = Field(alias="resultUrl")
    rows_returned: int = Field(alias="rowsReturned")


class Task(_Model):
    """One extract task."""

    # The id names a URL path segment and a partition folder (`task_id=<id>`): an id shaped like
    # a path, from a compromised or spoofed API, must never get that far.
    id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,128}$")
    type: str = "extract"
    status: Status
    created_at: UtcDateTime = Field(alias="createdAt")
    updated_at: UtcDateTime = Field(alias="updatedAt")
    error: Message | None = None
    input: TaskInput = TaskInput()
    output: TaskOutput | None = None

    @field_validator("input", mode="before")
    @classmethod
    def _no_input_echoed(cls, value: Any) -> Any:
        return {} if value is None else value

    @field_validator("output", mode="before")
    @classmethod
    def _whole_output_only(cls, value: Any) -> Any:
        # A pending or failed task may carry a partial output ({"creditsUsed": 0}): it has no
        # result yet, which is what None says.
        if isinstance(value, dict) and not {"resultUrl", "rowsReturned"} <= value.keys():
            return None
        return value

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


def _count_or_none(value: Any) -> int | None:
    try:
        return None if value is None else int(float(value))
    except (TypeError, ValueError, OverflowError):
        return None


Count = Annotated[int | None, BeforeValidator(_count_or_none)]
"""A count of a listing, None when it is missing or not a number: a reader then pages on
until an empty page, rather than failing on counts it only uses as a hint."""


class PageMetadata(_Model):
    page: Count = None
    page_size: Count = Field(default=None, alias="pageSize")
    total: Count = None
    total_pages: Count = Field(default=None, alias="totalPages")


class TaskPage(_Model):
    """One page of `GET /v1/extract`."""

    metadata: PageMetadata = PageMetadata()
    data: Items[Task]

    @field_validator("metadata", mode="before")
    @classmethod
    def _no_counts(cls, value: Any) -> Any:
        return {} if value is None else value
