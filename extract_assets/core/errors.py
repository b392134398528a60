"""Typed errors shared by every provider.

Each error says what happened, what to do about it, and where (provider, method, URL, status,
provider code, request id). None of them ever holds an API key: the HTTP layer strips credentials
from URLs before an error is built, and headers are never copied into an error.
"""

from __future__ import annotations


class ExtractAssetsError(Exception):
    """Base of every error raised by extract-assets.

    Its attributes survive pickling (Dagster ships errors between processes), whatever the
    subclass's constructor takes.
    """

    def __reduce__(self) -> tuple[object, ...]:
        return (_restore, (type(self), self.args, self.__dict__.copy()))


def _restore(
    cls: type[ExtractAssetsError], args: tuple[object, ...], state: dict[str, object]
) -> ExtractAssetsError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class ConfigError(ExtractAssetsError):
    """A spec, YAML file or resource setting is invalid; raised before any request is made."""


class InvalidArgumentError(ExtractAssetsError, ValueError):
    """An argument is wrong (a malformed date, an inverted range); raised before any request."""


class OutputError(ExtractAssetsError):
    """The output location cannot take the files: not a folder, not writable, or full."""


class IncompleteResultError(ExtractAssetsError):
    """A download ended early: fewer rows arrived than the provider said it returned."""


class UnreadableRowError(ExtractAssetsError, ValueError):
    """A row of a result is no JSON object (a line that is not JSON, a list, a number, a text):
    nothing was written. `row` is its number among the rows, `excerpt` the start of its text."""

    def __init__(self, message: str, *, row: int, excerpt: str) -> None:
        super().__init__(message)
        self.row = row
        self.excerpt = excerpt


class DeadlineExceededError(ExtractAssetsError):
    """Waiting (for a task, a sync, a retry) ran past its deadline."""


_GAVE_UP_HINT = (
    "the service kept failing and nothing was written; re-execute the run later (it\n"
    "  re-attaches to what it already paid for; a new materialization pays again), or give the\n"
    "  resource more patience with max_attempts and retry_deadline_seconds"
)


class ApiError(ExtractAssetsError):
    """An HTTP call to a provider failed; `retryable` says whether trying again may help."""

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        method: str | None = None,
        url: str | None = None,
        hint: str | None = None,
        retry_after: float | None = None,
        attempts: int | None = None,
    ) -> None:
        self.message = message
        self.provider = provider
        self.status = status
        self.code = code
        self.request_id = request_id
        self.method = method
        self.url = url
        self.hint = hint
        self.retry_after = retry_after
        self.attempts = attempts
        super().__init__(self._render())

    def after_attempts(self, attempts: int) -> ApiError:
        """The same error, saying how many attempts were made before giving up.

        >>> error = ServerError("Service Unavailable", provider="Linkup", status=503)
        >>> print(error.after_attempts(6))
        Linkup: Service Unavailable (HTTP 503, gave up after 6 attempts)
          What to do: the service kept failing and nothing was written; re-execute the run later (it
          re-attaches to what it already paid for; a new materialization pays again), or give the
          resource more patience with max_attempts and retry_deadline_seconds
        """
        self.attempts = attempts
        if self.retryable and attempts > 1 and not self.hint:
            self.hint = _GAVE_UP_HINT
        self.args = (self._render(),)
        return self

    def without(self, secret: str) -> ApiError:
        """The same error with every occurrence of `secret` in its texts masked.

        >>> error = ApiError("Invalid API key: Bearer lk-123", provider="Linkup", status=401)
        >>> str(error.without("lk-123"))
        'Linkup: Invalid API key: Bearer *** (HTTP 401)'
        >>> ApiError("key: lk-1", provider="Linkup").without("lk-123").message
        'key: ***'
        """
        if secret:
            for name in ("message", "code", "hint"):
                text = getattr(self, name)
                if text:
                    setattr(self, name, _masked(text, secret))
        self.args = (self._render(),)
        return self

    def retold(self, message: str, *, hint: str | None = None) -> ApiError:
        """The same error with another message (and hint, if given), e.g. with what a caller
        knows of the context added."""
        self.message = message
        if hint is not None:
            self.hint = hint
        self.args = (self._render(),)
        return self

    def for_next_tick(self) -> ApiError:
        """The same error with advice for a sensor tick: the client's is for a run (to
        re-execute it), while a sensor's next tick tries again by itself."""
        return self.retold(
            self.message, hint="nothing is lost: the next tick tries again where this one stopped"
        )

    def _render(self) -> str:
        where = " ".join(part for part in (self.method, self.url) if part)
        facts = [f"HTTP {self.status}" if self.status is not None else None, self.code]
        if self.request_id:
            facts.append(f"request id {self.request_id}")
        if self.attempts and self.attempts > 1:
            facts.append(f"gave up after {self.attempts} attempts")
        head = f"{self.provider}: {self.message}"
        detail = ", ".join(fact for fact in facts if fact)
        text = f"{head} ({detail})" if detail else head
        if where:
            text += f" [{where}]"
        if self.hint:
            text += f"\n  What to do: {self.hint}"
        return text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(provider={self.provider!r}, status={self.status!r}, "
            f"code={self.code!r}, message={self.message!r}, request_id={self.request_id!r}, "
            f"method={self.method!r}, url={self.url!r})"
        )


def _masked(text: str, secret: str) -> str:
    text = text.replace(secret, "***")
    # A body quoted up to a length can end inside the key (before an ellipsis that says it was
    # cut): mask a start of it left at the end.
    cut = "…" if text.endswith("…") else ""
    body = text[: len(text) - len(cut)]
    for size in range(len(secret) - 1, 3, -1):
        if body.endswith(secret[:size]):
            return body[:-size] + "***" + cut
    return text


class BadRequestError(ApiError):
    """400 or 422: the request was wrong; fix the input, do not retry."""


class AuthenticationError(ApiError):
    """401: the API key is missing, invalid, revoked or expired."""


class PermissionDeniedError(ApiError):
    """403: the key is valid but not allowed to do this."""


class NotFoundError(ApiError):
    """404: no such object for this key."""


class ConflictError(ApiError):
    """409, or an operation refused because another one is under way."""


class PaymentRequiredError(ApiError):
    """Out of credits, budget or plan quota: never retried, it costs money to try again."""


class RateLimitedError(ApiError):
    """429 throttling: retried after `retry_after` seconds."""

    retryable = True


class QueueFullError(ApiError):
    """Too many tasks in flight at the provider: the client waits for a slot, then tries again.

    Not `retryable` at the HTTP layer: a slot frees up in minutes, not seconds, so the provider
    client waits for it under its own, longer deadline.
    """


class ServerError(ApiError):
    """5xx: the provider failed; retried with backoff."""

    retryable = True


class TransportError(ApiError):
    """Timeout, refused or dropped connection: retried with backoff."""

    retryable = True


class NotConnectedError(TransportError):
    """No connection could be made: the request never reached the service."""


class UnreadableAnswerError(ApiError):
    """A successful answer whose body is not the JSON the API documents (a proxy's page, a
    body cut short): nothing in it was used."""
