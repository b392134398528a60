"""Fault injection shared by every provider: error statuses (in the provider's shape or as a
proxy, plain text, empty or cut-off body), slowness, broken and short bodies."""

from __future__ import annotations

import asyncio
import contextvars
import itertools
import logging
import random
import re
import threading
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from extract_assets.emulator.detail_errors import phrase
from extract_assets.emulator.requests_log import exchange_of

FaultKind = Literal["status", "slow", "drop", "truncate"]
FaultBody = Literal["provider", "html", "text", "empty", "truncated_json"]
ErrorResponder = Callable[[int], Response]


class FaultRule(BaseModel):
    """What to break, where, and how often."""

    model_config = ConfigDict(extra="forbid")

    kind: FaultKind
    provider: str | None = None
    path: str | None = Field(
        default=None,
        description="regex searched in the provider-relative path: /v1/... or /files/<name>",
    )
    method: str | None = None
    status: int = Field(
        default=500,
        ge=200,
        le=599,
        description="an error status, or 200 with a `body` other than the provider's: a proxy "
        "or captive portal that answers in the service's place",
    )
    retry_after: str | None = Field(
        default=None, description="Retry-After value (seconds or an HTTP date); 429 gets '1'"
    )
    delay: float = Field(default=1.0, ge=0)
    after_bytes: int = Field(default=0, ge=0)
    keep_fraction: float = Field(default=0.5, ge=0, le=1)
    probability: float = Field(default=1.0, ge=0, le=1)
    times: int | None = Field(default=None, ge=0)
    body: FaultBody = Field(
        default="provider",
        description=(
            "what a status fault answers: the provider's own error body; `html`, a proxy's "
            "page (`<html><body><h1>502 Bad Gateway</h1></body></html>`, text/html); `text`, "
            "`502 Bad Gateway` as text/plain; `empty`, no body and no content type; "
            "`truncated_json`, the provider's own error body cut off half way"
        ),
    )

    @model_validator(mode="after")
    def _body_is_for_status_faults(self) -> FaultRule:
        if self.body != "provider" and self.kind != "status":
            raise ValueError("body applies to status faults only")
        if self.status < 400 and self.body == "provider":
            raise ValueError("a status below 400 needs a body other than the provider's")
        return self

    @field_validator("path")
    @classmethod
    def _path_is_a_regex(cls, value: str | None) -> str | None:
        if value is not None:
            re.compile(value)
        return value

    @field_validator("method")
    @classmethod
    def _method_upper(cls, value: str | None) -> str | None:
        return value.upper() if value is not None else None


class _ActiveRule:
    def __init__(self, rule_id: str, rule: FaultRule, seed: int) -> None:
        self.id = rule_id
        self.rule = rule
        self.pattern = re.compile(rule.path) if rule.path is not None else None
        # One generator per rule, seeded from the server seed and the rule id: the same rules
        # break the same requests on every run, whatever other rules exist.
        self.rng = random.Random(f"{seed}:{rule_id}")
        self.injected = 0

    def applies(self, provider: str, method: str, path: str, files: bool) -> bool:
        rule = self.rule
        if rule.kind == "truncate" and not files:
            return False
        if rule.times is not None and self.injected >= rule.times:
            return False
        return (
            rule.provider in (None, provider)
            and rule.method in (None, method)
            and (self.pattern is None or self.pattern.search(path) is not None)
        )

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, **self.rule.model_dump(), "injected": self.injected}


class FaultSet:
    """The active fault rules; the first rule that matches and wins its dice roll applies."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._lock = threading.Lock()
        self._rules: list[_ActiveRule] = []
        self._ids = itertools.count(1)

    def add(self, rule: FaultRule) -> str:
        """Activate a rule; returns its id."""
        with self._lock:
            active = _ActiveRule(f"fault-{next(self._ids)}", rule, self._seed)
            self._rules.append(active)
            return active.id

    def clear(self) -> None:
        """Remove every rule and restart the ids, so a reset run repeats the same dice rolls."""
        with self._lock:
            self._rules.clear()
            self._ids = itertools.count(1)

    def rules(self) -> list[dict[str, Any]]:
        """The rules with how often each was injected."""
        with self._lock:
            return [rule.as_json() for rule in self._rules]

    def pick(self, provider: str, method: str, path: str, *, files: bool) -> FaultRule | None:
        """The rule to inject into this request, if any; counts the injection."""
        with self._lock:
            for active in self._rules:
                if not active.applies(provider, method, path, files):
                    continue
                if active.rule.probability < 1.0 and active.rng.random() >= active.rule.probability:
                    continue
                active.injected += 1
                return active.rule
        return None


def _shaped(response: Response, body: FaultBody) -> Response:
    """The provider's error answer, or another body with the same status and extra headers
    (a request id, for one)."""
    if body == "provider":
        return response
    status = response.status_code
    kept = {
        name: value
        for name, value in response.headers.items()
        if name.lower() not in ("content-type", "content-length")
    }
    text = f"{status} {phrase(status)}"
    if body == "html":
        return HTMLResponse(f"<html><body><h1>{text}</h1></body></html>", status, kept)
    if body == "text":
        return PlainTextResponse(text, status, kept)
    if body == "empty":
        return Response(b"", status, kept)
    whole = bytes(response.body)
    media_type = response.headers.get("content-type", "application/json")
    return Response(whole[: max(1, len(whole) // 2)], status, kept, media_type=media_type)


class _ConnectionDropped(Exception):
    pass


# Set in the request's task when a drop fault cuts a response short, so that the one error line
# uvicorn logs for an incomplete response is silenced for injected drops only.
_dropping: contextvars.ContextVar[bool] = contextvars.ContextVar("emulator_dropping", default=False)


class InjectedDropLogFilter(logging.Filter):
    """Hides uvicorn's "returned without completing response" error for injected drops."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (_dropping.get() and "without completing response" in record.getMessage())


class FaultMiddleware:
    """Applies the fault rules to one provider app (its API or its file host)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        provider: str,
        faults: FaultSet,
        error_response: ErrorResponder,
        files: bool,
    ) -> None:
        self.app = app
        self.provider = provider
        self.faults = faults
        self.error_response = error_response
        self.files = files

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        exchange = exchange_of(scope)
        if scope["type"] != "http" or exchange is None:
            await self.app(scope, receive, send)
            return
        rule = self.faults.pick(self.provider, exchange.method, exchange.path, files=self.files)
        if rule is None:
            await self.app(scope, receive, send)
            return
        exchange.fault = rule.kind
        if rule.kind == "status":
            await self._error(rule)(scope, receive, send)
        elif rule.kind == "slow":
            await asyncio.sleep(rule.delay)
            await self.app(scope, receive, send)
        elif rule.kind == "truncate":
            exchange.keep_fraction = rule.keep_fraction
            await self.app(scope, receive, send)
        else:
            await self._drop(rule.after_bytes, scope, receive, send)

    def _error(self, rule: FaultRule) -> Response:
        response = _shaped(self.error_response(rule.status), rule.body)
        retry_after = rule.retry_after or ("1" if rule.status == 429 else None)
        if retry_after is not None:
            response.headers["Retry-After"] = retry_after
        return response

    async def _drop(self, after_bytes: int, scope: Scope, receive: Receive, send: Send) -> None:
        sent = 0

        async def send_until_cut(message: Message) -> None:
            nonlocal sent
            if message["type"] != "http.response.body":
                await send(message)
                return
            body: bytes = message.get("body", b"")
            allowance = after_bytes - sent
            if not message.get("more_body", False):
                # Hold back at least one byte, or a short body would arrive whole.
                allowance = min(allowance, len(body) - 1)
            if allowance >= len(body):
                sent += len(body)
                await send(message)
                return
            if allowance > 0:
                await send(
                    {"type": "http.response.body", "body": body[:allowance], "more_body": True}
                )
            raise _ConnectionDropped

        try:
            await self.app(scope, receive, send_until_cut)
        except* _ConnectionDropped:
            # Returning with the response unfinished makes the server close the connection.
            _dropping.set(True)
