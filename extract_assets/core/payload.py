"""The base of every provider payload, and the field types that read a field sent in another way
real services use: an id sent as a JSON number, `null` for an empty list, an error as an object.

A payload that still does not fit becomes an `UnreadableAnswerError` naming the field, never a
pydantic trace with the values in it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from extract_assets.core.errors import UnreadableAnswerError
from extract_assets.core.json_text import json_text

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


class Payload(BaseModel):
    """A provider payload, parsed once at the edge: frozen, and a JSON number where the API
    documents text is read as its text (an account id sent as ``1234567890``).

    >>> class Account(Payload):
    ...     id: str
    >>> Account.model_validate({"id": 1234567890}).id
    '1234567890'
    """

    model_config = ConfigDict(frozen=True, coerce_numbers_to_str=True)


def _text(value: Any) -> Any:
    return value if value is None else json_text(value)


def _empty_if_null(value: Any) -> Any:
    return [] if value is None else value


Message = Annotated[str, BeforeValidator(_text)]
"""Text such as an error, also when sent as an object or a list: then kept as its JSON text."""

Items = Annotated[list[T], BeforeValidator(_empty_if_null)]
"""A list, also when sent as `null` (as services often send an empty one)."""


def _lower_case(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


Status = Annotated[str, BeforeValidator(_lower_case)]
"""A status word, read in lower case as the contracts spell them (``COMPLETED``, ``Completed``
and ``completed`` are one status), so no status is missed for its case.

>>> class Run(Payload):
...     status: Status
>>> Run.model_validate({"status": "COMPLETED"}).status
'completed'
"""


class CursorPage(Payload):
    """One page of a listing paged by `next_cursor`: its items as sent, each to be read on its
    own (see `parse_each`), and the cursor of the next page (None on the last). A body without
    `data` (an error answered 200) does not fit: read as no items, it would end the listing."""

    model_config = ConfigDict(extra="allow")

    data: Items[Any]
    next_cursor: str | None = None


def first_problem(error: ValidationError, whole: str = "the payload") -> str:
    """The first field of `error` and what is wrong with it, without the value sent."""
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or whole
    return f"{where}: {first['msg']}"


def parse_payload(model: type[M], payload: Any, *, provider: str, what: str) -> M:
    """`payload` read as `model`; a payload that does not fit is an `UnreadableAnswerError`
    saying which field, and how, without its value.

    >>> class Account(Payload):
    ...     id: str
    >>> try:
    ...     parse_payload(Account, {}, provider="Extract.to", what="the account")
    ... except UnreadableAnswerError as error:
    ...     print(error.message)
    the account is not in the shape the API documents: id: Field required
    """
    try:
        return model.model_validate(payload)
    except ValidationError as error:
        raise UnreadableAnswerError(
            f"{what} is not in the shape the API documents: {first_problem(error, what)}",
            provider=provider,
            hint="nothing was written; if a newer version of extract-assets does not read it, "
            f"report it to {provider} and to extract-assets with this message",
        ) from None


@dataclass(frozen=True)
class Misfit:
    """An item of a listing that could not be read at all: its id (if it has one) and why."""

    id: str
    reason: str


def parse_each(model: type[M], items: Iterable[Any]) -> tuple[list[M], list[Misfit]]:
    """Each item read as `model`; an item that does not fit is set aside as a `Misfit`, so one
    odd item neither hides the others nor stops a sensor.

    >>> class Account(Payload):
    ...     id: str
    >>> parse_each(Account, [{"id": "a"}, {"id": None}])
    ([Account(id='a')], [Misfit(id='?', reason='id: Input should be a valid string')])
    """
    parsed: list[M] = []
    misfits: list[Misfit] = []
    for item in items:
        try:
            parsed.append(model.model_validate(item))
        except ValidationError as error:
            known = item.get("id") if isinstance(item, dict) else None
            misfits.append(Misfit(str(known or "?"), first_problem(error, "the item")[:200]))
    return parsed, misfits
