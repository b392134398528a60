"""The HTTP client every provider client is built on.

Bearer auth sent only to the API's own base URL, connect/read timeouts, retries of throttling,
server errors and broken connections (capped exponential backoff with jitter that honours
`Retry-After`, bounded by attempts and a deadline), typed errors, client-side rate limits, and
resumable streaming downloads that never carry the API key.
"""

from __future__ import annotations

import functools
import logging
import random
import re
import ssl
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Generator, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import httpx

from extract_assets.core.charset import in_utf8, other_charset
from extract_assets.core.content_encoding import (
    BodyDecoder,
    UnreadableEncodingError,
    body_decoder,
    coding_of,
)
from extract_assets.core.error_body import read_error_body, said_in
from extract_assets.core.errors import (
    ApiError,
    AuthenticationError,
    BadRequestError,
    ConfigError,
    ConflictError,
    IncompleteResultError,
    NotConnectedError,
    NotFoundError,
    PaymentRequiredError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    TransportError,
    UnreadableAnswerError,
)
from extract_assets.core.file_transport import FileTransport
from extract_assets.core.json_text import loads
from extract_assets.core.progress import Progress
from extract_assets.core.ratelimit import Pacer
from extract_assets.core.retry import RetryPolicy, parse_retry_after

logger = logging.getLogger("extract_assets.http")
_NEWLINE = ord("\n")
# A 403 from the file host means the signed link expired; a fresh one is asked for.
_LINK_REFRESHES = 3
# Redirects followed in a row under the base URL (a path moved, a trailing slash added).
_REDIRECTS = 5
# The start of an error answer that is read (its message is an excerpt of it).
_ERROR_BYTES = 1 << 20

_SENSITIVE_PARAM = re.compile(r"key|token|sig|secret|auth|credential|password", re.IGNORECASE)
# The API's own, then those of the gateways and object stores that may answer in its place.
_REQUEST_ID_HEADERS = (
    "x-request-id",
    "request-id",
    "x-correlation-id",
    "x-amzn-requestid",
    "x-amz-request-id",
    "x-ms-request-id",
    "x-guploader-uploadid",
    "cf-ray",
)


def _user_agent() -> str:
    try:
        return f"extract-assets/{version('extract-assets')}"
    except PackageNotFoundError:
        return "extract-assets"


def redact_url(url: httpx.URL | str) -> str:
    """The URL without credentials: no user info, and secret-looking query values masked.

    >>> redact_url("https://u:p@h.example/x?page=2&sig=abc&api_key=k")
    'https://h.example/x?page=2&sig=***&api_key=***'
    """
    parsed = httpx.URL(str(url))
    params = [
        (name, "***" if _SENSITIVE_PARAM.search(name) else value)
        for name, value in parsed.params.multi_items()
    ]
    clean = parsed.copy_with(username=None, password=None, query=None)
    if not params:
        return str(clean)
    query = "&".join(f"{name}={value}" for name, value in params)
    return f"{clean}?{query}"


@dataclass(frozen=True)
class Timeouts:
    """Seconds to wait for a connection, and between bytes of a response."""

    connect: float = 10.0
    read: float = 60.0

    def to_httpx(self) -> httpx.Timeout:
        return httpx.Timeout(self.read, connect=self.connect)


@dataclass(frozen=True)
class ErrorContext:
    """Where a failed response came from, for building a typed error."""

    provider: str
    method: str
    url: str
    request_id: str | None
    retry_after: float | None
    # The variable the key was read from, for the errors that say which one to fix.
    api_key_env: str | None = None

    def error(
        self,
        cls: type[ApiError],
        message: str,
        *,
        status: int,
        code: str | None = None,
        hint: str | None = None,
    ) -> ApiError:
        """A `cls` error carrying what the context knows: provider, request id, method, URL,
        Retry-After."""
        return cls(
            message,
            provider=self.provider,
            status=status,
            code=code,
            request_id=self.request_id,
            method=self.method,
            url=self.url,
            hint=hint,
            retry_after=self.retry_after,
        )


ErrorFactory = Callable[[httpx.Response, ErrorContext], ApiError]

_STATUS_CLASSES: dict[int, type[ApiError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    402: PaymentRequiredError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: BadRequestError,
    429: RateLimitedError,
}


def error_class_for(status: int) -> type[ApiError]:
    """The error type for an HTTP status when the provider's body says nothing more specific."""
    if status >= 500:
        return ServerError
    return _STATUS_CLASSES.get(status, ApiError)


def generic_error(response: httpx.Response, ctx: ErrorContext) -> ApiError:
    """An error built from the status and the start of the body, for non-API responses."""
    status = f"HTTP {response.status_code} {response.reason_phrase}"
    said = read_error_body(response).message
    message = status if said == status else f"{status}: {said}"
    return error_class_for(response.status_code)(
        message,
        provider=ctx.provider,
        status=response.status_code,
        request_id=ctx.request_id,
        method=ctx.method,
        url=ctx.url,
        retry_after=ctx.retry_after,
    )


def detail_message(response: httpx.Response) -> str:
    """The message of an error answer of any shape (see `error_body`)."""
    return read_error_body(response).message


def refuses_cursor(response: httpx.Response, detail: str) -> bool:
    """Whether a 400 refuses the page cursor its request carried. The contracts fix the status,
    not the words ("Invalid or expired cursor", "Cursor expired", "invalid cursor"), so any
    message about the cursor, or about something expired, is taken as that.

    >>> request = httpx.Request("GET", "http://127.0.0.1/rows?cursor=c2")
    >>> refuses_cursor(httpx.Response(400, request=request), "Cursor expired")
    True
    """
    if response.status_code != 400 or "cursor" not in response.request.url.params:
        return False
    lowered = detail.lower()
    return "cursor" in lowered or "expired" in lowered


class _BearerAuth(httpx.Auth):
    """Adds the key only to requests under the API base URL, never to any other host."""

    def __init__(self, token: str, base_url: httpx.URL) -> None:
        self._token = token
        self._base = base_url

    def __repr__(self) -> str:
        return "_BearerAuth(token='***')"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if _is_under(request.url, self._base):
            request.headers["Authorization"] = f"Bearer {self._token}"
        yield request


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """httpx's default TLS context, made once: each one reads the CA bundle (about 20 ms), and
    every client would otherwise make its own even for plain-HTTP links."""
    return httpx.create_ssl_context()


def _proxied() -> bool:
    """Whether the environment names a proxy for HTTP or HTTPS (read as httpx reads it)."""
    return bool({"http", "https", "all"} & set(urllib.request.getproxies()))


def _may_follow(status: int, method: str, following: httpx.Request, base: httpx.URL) -> bool:
    """Whether a redirect is followed: one under the base URL that keeps what was asked. A 307
    or 308 repeats the request, a GET may follow any redirect, a 303 points at what a POST made;
    a POST answered 301 or 302 would become a GET of another thing, so it is not followed."""
    keeps_the_ask = status in (303, 307, 308) or method in ("GET", "HEAD")
    return keeps_the_ask and _is_under(following.url, base)


def _is_under(url: httpx.URL, base: httpx.URL) -> bool:
    base_path = base.path if base.path.endswith("/") else base.path + "/"
    return (
        url.scheme == base.scheme
        and url.host == base.host
        and url.port == base.port
        and (url.path + "/").startswith(base_path)
    )


def _no_key(provider: str, api_key_env: str | None) -> str:
    """Why there is no key to send, naming the variable it was read from, and what to do."""
    if api_key_env is None:
        return f"{provider}: no API key was given: pass the key as api_key."
    return (
        f"{provider}: {api_key_env} is set but holds no API key (it is empty or only spaces): "
        f"set {api_key_env} to your {provider} API key where the code location runs."
    )


class ApiClient:
    """One provider's HTTP API: auth, retries, typed errors, rate limits and downloads.

    >>> client = ApiClient(provider="example", base_url="http://127.0.0.1:9", api_key="k")
    >>> "k" in repr(client)
    False
    """

    def __init__(
        self,
        *,
        provider: str,
        base_url: str,
        api_key: str,
        error_factory: ErrorFactory = generic_error,
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
        limiters: Mapping[str, Pacer] | None = None,
        seed: int | None = None,
        sleep: Callable[[float], None] = time.sleep,
        base_url_env: str | None = None,
        api_key_env: str | None = None,
    ) -> None:
        if not api_key or not api_key.strip():
            raise ConfigError(_no_key(provider, api_key_env))
        self.provider = provider
        self._key = api_key.strip()
        self.base_url = httpx.URL(base_url.rstrip("/") + "/")
        self.retry = retry or RetryPolicy()
        self.timeouts = timeouts or Timeouts()
        self._error_factory = error_factory
        self._base_url_env = base_url_env
        self._api_key_env = api_key_env
        self._limiters = dict(limiters or {})
        self._rng = random.Random(seed)
        self._sleep = sleep
        headers = {"User-Agent": _user_agent(), "Accept": "application/json"}
        self._http = httpx.Client(
            base_url=self.base_url,
            auth=_BearerAuth(self._key, self.base_url),
            timeout=self.timeouts.to_httpx(),
            headers=headers,
            follow_redirects=False,
            verify=_tls_context(),
        )
        # Downloads go to other hosts (pre-signed object-store links): a client with no auth,
        # whose transport reads large bodies in large pieces. httpx honours the proxies named
        # in the environment only on its own transport, so a proxied machine keeps that one.
        self._files = httpx.Client(
            transport=None if _proxied() else FileTransport(ssl_context=_tls_context()),
            timeout=self.timeouts.to_httpx(),
            headers={"User-Agent": headers["User-Agent"]},
            follow_redirects=True,
            verify=_tls_context(),
        )

    def __repr__(self) -> str:
        return f"ApiClient(provider={self.provider!r}, base_url={str(self.base_url)!r})"

    def close(self) -> None:
        self._http.close()
        self._files.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
        bucket: str | None = None,
        idempotent: bool = True,
    ) -> httpx.Response:
        """Send a request, retrying what may succeed later; returns a 2xx response, read whole.

        With `idempotent=False` (a POST that costs money), only failures that prove the request
        was not processed are retried (throttling, a connection never made); a 5xx or a broken
        connection after sending is raised, for the caller to check what happened first.
        """
        with self._send(
            method,
            path,
            params=params,
            json=json,
            data=data,
            files=files,
            bucket=bucket,
            idempotent=idempotent,
            read_body=True,
        ) as response:
            return response

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        """`request` and decode the JSON body; a body that is not JSON is a typed error."""
        return self.decode(self.request(method, path, **kwargs), method)

    def decode(self, response: httpx.Response, method: str) -> Any:
        """The JSON body of `response` (a number beyond the doubles kept as its text, see
        `json_text.loads`); a body that is not JSON is an `UnreadableAnswerError`."""
        try:
            return _json_of(response)
        except ValueError:
            # An empty body's message would be its status line, as if that were its text.
            empty = not response.content.strip()
            said = "it is empty" if empty else read_error_body(response).message
            raise UnreadableAnswerError(
                f"answered {response.status_code} with a body that is not JSON: {said}",
                provider=self.provider,
                status=response.status_code,
                request_id=self._context(response, method, "").request_id,
                method=method,
                url=redact_url(response.request.url),
                hint="a proxy or gateway may stand between you and the service: check the "
                "base URL and any proxy settings, then try again",
            ).without(self._key) from None

    def misfit(self, error: ApiError, payload: Any) -> ApiError:
        """`error`, raised for an answer that is not the object asked for, saying what the
        answer says when it holds an error instead (a 200 whose body is `{"error": ...}`),
        with the key masked (some services quote the key they refuse)."""
        said = said_in(payload)
        if said:
            error = error.retold(f"{error.message}; the answer says: {said}")
        return error.without(self._key)

    @contextmanager
    def _send(
        self,
        method: str,
        path: str,
        *,
        bucket: str | None = None,
        idempotent: bool = True,
        read_body: bool = False,
        **kwargs: Any,
    ) -> Iterator[httpx.Response]:
        request_url = self._http.build_request(method, path.lstrip("/")).url
        shown_url = redact_url(request_url)
        deadline = time.monotonic() + self.retry.deadline_seconds
        attempt = 0
        while True:
            attempt += 1
            self._wait_for_slot(bucket)
            error: ApiError
            maybe_processed = True
            try:
                request = self._http.build_request(method, path.lstrip("/"), **kwargs)
                response = self._send_once(request, read_body)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                maybe_processed = False
                error = self._not_connected(exc, method, shown_url)
            except httpx.TimeoutException as exc:
                error = self._transport_error(exc, method, shown_url, "timed out")
            except httpx.TransportError as exc:
                error = self._transport_error(exc, method, shown_url, "connection failed")
            except httpx.DecodingError as exc:
                # Mangled on the way (a proxy, a cache), as a broken body is: tried again.
                what = "answered with a body that is not in the coding its Content-Encoding names"
                error = self._transport_error(exc, method, shown_url, what)
            else:
                if response.is_success:
                    try:
                        yield response
                    finally:
                        response.close()
                    return
                # `_send_once` read the start of the error answer (`_error_answer`).
                error = self._error_factory(response, self._context(response, method, shown_url))
                if response.is_redirect:
                    error = self._not_followed(error, response)
                # Some APIs quote the key they refuse ("Invalid API key: ..."): never pass it on.
                error = error.without(self._key)
                maybe_processed = not isinstance(error, RateLimitedError)
            if not idempotent and maybe_processed:
                raise error.after_attempts(attempt)
            self._pause_or_raise(error, attempt, deadline)

    def _send_once(self, request: httpx.Request, read_body: bool) -> httpx.Response:
        response = self._followed(request)
        if not response.is_success:
            return _error_answer(response)
        if read_body:
            # A body cut short is a transport failure like any other: read it here, in the loop.
            try:
                # Named with others, `identity` too makes httpx stack its decoders.
                if "," in response.headers.get("content-encoding", ""):
                    return _stacked_read(response)
                response.read()
            except BaseException:
                response.close()
                raise
        return response

    def _followed(self, request: httpx.Request) -> httpx.Response:
        """The answer to `request`, after the redirects that stay under the base URL: services
        and their gateways move paths (a trailing slash added, a version renamed). A redirect
        not followed is answered as it came, for `_send` to refuse (`_not_followed`)."""
        response = self._http.send(request, stream=True)
        for _ in range(_REDIRECTS):
            following = response.next_request
            if following is None or not _may_follow(
                response.status_code, request.method, following, self.base_url
            ):
                return response
            response.close()
            request = following
            response = self._http.send(request, stream=True)
        return response

    def _not_followed(self, error: ApiError, response: httpx.Response) -> ApiError:
        """`error` for a redirect `_followed` did not follow, saying why and what to do."""
        target = response.url.join(response.headers["location"])
        answered = f"answered HTTP {response.status_code}, a redirect to {redact_url(target)}"
        if not _is_under(target, self.base_url):
            setting = self._base_url_env or "the base URL"
            return error.retold(
                f"{answered}, outside the base URL {redact_url(self.base_url)}: not followed",
                hint="the API key is sent only under the base URL, so nothing was sent there; "
                f"if the service now answers at that address, set {setting} to it",
            )
        if response.request.method not in ("GET", "HEAD") and response.status_code in (301, 302):
            return error.retold(
                f"{answered}: not followed, as that would ask for something else with a GET",
                hint=f"report it to {self.provider} with the request id",
            )
        return error.retold(f"{answered}, the {_REDIRECTS + 1}th in a row: not followed")

    def _wait_for_slot(self, bucket: str | None) -> None:
        limiter = self._limiters.get(bucket or "default")
        if limiter is not None:
            waited = limiter.acquire()
            if waited > 1:
                logger.info(
                    "%s: paced %.1f s by the client-side rate limit",
                    self.provider,
                    waited,
                )

    def _context(self, response: httpx.Response, method: str, url: str) -> ErrorContext:
        request_id = next(
            (response.headers[h] for h in _REQUEST_ID_HEADERS if h in response.headers),
            None,
        )
        return ErrorContext(
            provider=self.provider,
            method=method,
            url=url,
            request_id=request_id,
            retry_after=parse_retry_after(response.headers.get("retry-after")),
            api_key_env=self._api_key_env,
        )

    def _expired_link(self, response: httpx.Response, url: str, refreshes: int) -> ApiError:
        error = generic_error(response, self._context(response, "GET", url))
        return error.retold(
            f"the result link was refused (HTTP 403) after {refreshes} fresh links",
            hint="the file host keeps refusing fresh links: re-execute the run later (it reuses "
            "the task, so nothing is paid again); if it persists, check that the run can reach "
            "the result host directly (no proxy rewriting the signed URL)",
        )

    def _not_connected(self, exc: httpx.HTTPError, method: str, url: str) -> NotConnectedError:
        setting = f"the {self._base_url_env} variable or the resource's base_url"
        return NotConnectedError(
            f"could not connect to {redact_url(self.base_url)} ({type(exc).__name__})",
            provider=self.provider,
            method=method,
            url=url,
            hint=f"nothing answered there, so no request reached {self.provider}: check "
            f"{setting if self._base_url_env else 'the base URL'}, and that the host is "
            "reachable from where the run executes",
        )

    def _transport_error(
        self, exc: httpx.HTTPError, method: str, url: str, what: str
    ) -> TransportError:
        return TransportError(
            f"{what} ({type(exc).__name__})",
            provider=self.provider,
            method=method,
            url=url,
        )

    def _decoder(self, coding: str, response: httpx.Response, url: str) -> BodyDecoder:
        """What turns the bytes received into the file's bytes: undoes the `Content-Encoding`,
        then the charset the `Content-Type` declares, if not UTF-8."""
        try:
            return in_utf8(body_decoder(coding), response.charset_encoding)
        except UnreadableEncodingError as error:
            raise self._unreadable(response, url, str(error)) from error

    def _decoded(
        self, decoder: BodyDecoder, chunk: bytes, response: httpx.Response, url: str
    ) -> Iterator[bytes]:
        try:
            yield from decoder.feed(chunk)
        except UnreadableEncodingError as error:
            raise self._unreadable(response, url, str(error)) from error

    def _unreadable(self, response: httpx.Response, url: str, why: str) -> UnreadableAnswerError:
        return UnreadableAnswerError(
            f"the downloaded file cannot be read: {why}",
            provider=self.provider,
            status=response.status_code,
            request_id=self._context(response, "GET", url).request_id,
            method="GET",
            url=url,
            hint="nothing was written; materialize again later, and if this persists, report "
            f"it to {self.provider} with the request id",
        )

    def _file_link(self, link: str) -> str:
        """`link` as an absolute HTTP(S) URL. One relative to the API (`/files/r.ndjson`) is
        resolved against the base URL, as a browser resolves a link in a page (still fetched
        without the key); one of another scheme (`s3://`) is an `UnreadableAnswerError`, where
        retrying it would only wait out the retry deadline."""
        try:
            url = self.base_url.join(link.strip())
        except httpx.InvalidURL:
            url = None
        if url is not None and url.scheme in ("http", "https") and url.host:
            return str(url)
        shown = redact_url(url) if url is not None else "given"
        raise UnreadableAnswerError(
            f"the file link {shown} is not an HTTP(S) link, so it cannot be downloaded",
            provider=self.provider,
            hint=f"nothing was written; report it to {self.provider}, with the task or run id",
        ).without(self._key)

    def _web_page(self, response: httpx.Response, url: str) -> ApiError:
        """The error for a file link answered by a web page: what the page says, from its
        first piece (up to 1 MiB: a sign-in or portal page is small; a large one is not read
        whole)."""
        first = next(_pieces(response), b"")
        page = httpx.Response(response.status_code, headers=_as_decoded(response), content=first)
        return UnreadableAnswerError(
            f"the file link answered {response.status_code} with a web page "
            f"({response.headers['content-type']}), not the file: {read_error_body(page).message}",
            provider=self.provider,
            status=response.status_code,
            request_id=self._context(response, "GET", url).request_id,
            method="GET",
            url=url,
            hint="nothing was written: a proxy, captive portal or sign-in page answered in the "
            "file host's place; check that the run reaches the file host directly, then "
            "re-execute the run (it re-attaches to what it already paid for)",
        ).without(self._key)

    def _pause_or_raise(self, error: ApiError, attempt: int, deadline: float) -> None:
        if not error.retryable or attempt >= self.retry.max_attempts:
            raise error.after_attempts(attempt)
        wait = self.retry.wait_before_next(attempt, error.retry_after, self._rng)
        if time.monotonic() + wait > deadline:
            if error.retry_after is not None and error.retry_after >= wait:
                error = _asked_to_wait_too_long(error)
            raise error.after_attempts(attempt)
        logger.warning(
            "%s: %s %s failed (%s); retry %d/%d in %.1f s",
            self.provider,
            error.method,
            error.url,
            error.message if error.status is None else f"HTTP {error.status}",
            attempt,
            self.retry.max_attempts - 1,
            wait,
        )
        self._sleep(wait)

    def download(
        self,
        url: str,
        *,
        refresh_url: Callable[[], str] | None = None,
        progress: Progress | None = None,
        count_lines: bool = False,
    ) -> Iterator[bytes]:
        """Yield the bytes at `url` (an unauthenticated link; one relative to the API is resolved
        against its base URL), resuming after broken connections.

        A dropped connection resumes where it stopped (with a `Range` request, or by skipping
        what already arrived when the server ignores ranges), so the consumer sees one unbroken
        stream. A 403 means the link expired: `refresh_url` is asked for a fresh one.
        `progress` counts the bytes (and with `count_lines` the lines, as rows, of a
        line-delimited file) against the size the server announces, and is finished at the end.
        Chunks are yielded as the transport reads them (`FileTransport`: up to 1 MiB each).
        A body the host sent compressed anyway (`Content-Encoding` gzip, deflate, br, zstd or
        several in a row, as object stores and CDNs send them) is decoded, and resumed by its
        compressed bytes; one that stops inside its compressed stream raises
        `IncompleteResultError`. A whole body sent again (a host that ignores ranges, or asked
        again because a range came in another coding, as from a CDN that compresses as it
        sends) is decoded anew and the bytes already handed out skipped: compressed twice, the
        same file need not give the same bytes.
        """
        url = self._file_link(url)
        delivered = 0  # of the body being received, as sent: where a `Range` resumes it
        handed = 0  # bytes of the file handed out
        skip = 0  # of those, the ones the body being received has yet to pass
        whole = False  # ask for the whole body again, not a range of it
        last_byte = b""
        attempt = 0
        refreshes = 0
        decoder: BodyDecoder | None = None
        first_coding = "identity"
        deadline = time.monotonic() + self.retry.deadline_seconds
        while True:
            headers = {"Accept-Encoding": "identity"}
            if delivered and not whole:
                headers["Range"] = f"bytes={delivered}-"
            shown_url = redact_url(url)
            try:
                with self._files.stream("GET", url, headers=headers) as response:
                    if response.status_code == 403 and refresh_url:
                        response = _error_answer(response)
                        refreshes += 1
                        if refreshes > _LINK_REFRESHES:
                            raise self._expired_link(response, shown_url, refreshes - 1)
                        if refreshes > 1:
                            # A fresh link refused at once: the host may lag; back off first.
                            self._sleep(self.retry.backoff(refreshes - 1, self._rng))
                        logger.info(
                            "%s: result link expired; asking for a fresh one",
                            self.provider,
                        )
                        url = self._file_link(refresh_url())
                        continue
                    if response.status_code == 416 and "Range" in headers:
                        # Our range starts where the connection broke: the file may end there.
                        _error_answer(response)
                        _check_ends_at(response, delivered)
                        break
                    if not response.is_success:
                        response = _error_answer(response)
                        context = self._context(response, "GET", shown_url)
                        failed = _without_link_secrets(generic_error(response, context), url)
                        # A file host throttles and fails like an API: 429 and 5xx pass.
                        attempt += 1
                        self._pause_or_raise(failed, attempt, deadline)
                        continue
                    if _is_web_page(response):
                        raise _without_link_secrets(self._web_page(response, shown_url), url)
                    coding = coding_of(response.headers.get("content-encoding"))
                    resumed = response.status_code == 206 and delivered > 0
                    if resumed and coding != first_coding:
                        if whole:
                            raise self._unreadable(
                                response,
                                shown_url,
                                f"asked for the whole file again, the host answered a part of "
                                f"it with Content-Encoding {coding!r}, where it began with "
                                f"{first_coding!r}",
                            )
                        logger.warning(
                            "%s: the resumed download came with Content-Encoding %r, where it "
                            "began with %r; asking for the whole file again",
                            self.provider,
                            coding,
                            first_coding,
                        )
                        whole = True
                        continue
                    if resumed:
                        _check_resumed_range(response, delivered)
                    else:
                        decoder, first_coding = self._decoder(coding, response, shown_url), coding
                        delivered, skip, whole = 0, handed, False
                    assert decoder is not None  # a range is asked for only once a body began
                    if progress is not None and progress.total_bytes is None:
                        progress.total_bytes = _announced_size(response)
                    counting = progress is not None and count_lines
                    for chunk in response.iter_raw():
                        delivered += len(chunk)
                        rows = 0
                        for piece in self._decoded(decoder, chunk, response, shown_url):
                            if skip:
                                dropped = min(skip, len(piece))
                                piece, skip = piece[dropped:], skip - dropped
                                if not piece:
                                    continue
                            yield piece
                            handed += len(piece)
                            # Counted once the consumer has the piece, so a line logged
                            # here never shows bytes ahead of what was processed.
                            rows += _newlines(piece) if counting else 0
                            last_byte = piece[-1:]
                        if progress is not None:
                            progress.add(rows=rows, nbytes=len(chunk))
                    break
            except httpx.TooManyRedirects as exc:
                raise ApiError(
                    "the file link redirected again and again, never to the file",
                    provider=self.provider,
                    method="GET",
                    url=shown_url,
                    hint="nothing was written; the file host's redirects loop: re-execute the "
                    "run later (it re-attaches to what it already paid for), and report it to "
                    f"{self.provider} with the task or run id if it persists",
                ) from exc
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                attempt += 1
                error = self._transport_error(exc, "GET", shown_url, "download broke")
                self._pause_or_raise(error, attempt, deadline)
                logger.warning(
                    "%s: download broke after %d bytes; resuming",
                    self.provider,
                    delivered,
                )
        assert decoder is not None  # a range is asked for only once a body has begun
        try:
            last = decoder.finish()
        except EOFError as ended:
            raise IncompleteResultError(
                f"{ended} after {delivered:,} bytes (Content-Encoding {first_coding})"
            ) from ended
        dropped = min(skip, len(last))
        last, skip = last[dropped:], skip - dropped
        if skip:
            raise IncompleteResultError(
                f"the file sent again is shorter than the {handed:,} bytes of it that had "
                "arrived: it changed while it was downloaded"
            )
        if last:
            yield last
            last_byte = last[-1:]
        if progress is not None:
            if count_lines and last_byte not in (b"", b"\n"):
                progress.rows += 1  # a last line without its newline is a row too
            progress.finish()


def _without_link_secrets(error: ApiError, link: str) -> ApiError:
    """`error` with the secret values of the link's query (a signature, a token: what
    `redact_url` masks) masked as written and as URL-encoded, as a host's error may quote the
    link it refused or the signature it did not accept. Values too short to be secrets stay."""
    for name, value in httpx.URL(link).params.multi_items():
        if _SENSITIVE_PARAM.search(name) and len(value) >= 8:
            for form in {value, urllib.parse.quote(value, safe=""), urllib.parse.quote(value)}:
                error = error.without(form)
    return error


def _json_of(response: httpx.Response) -> Any:
    """The JSON an answer holds. JSON is UTF-8 (json reads UTF-16 and UTF-32 by their first
    bytes), whatever charset the answer declares, as servers label UTF-8 otherwise; a body that
    is not UTF-8 is read by the charset its `Content-Type` declares, if any, else with each bad
    sequence as U+FFFD (text of another encoding pasted in), as lines of a download are (see
    `text_repair`), and a warning."""
    try:
        return loads(response.content)
    except UnicodeDecodeError:
        if other_charset(response.charset_encoding) is not None:
            return loads(response.text)
    value = loads(response.content.decode("utf-8", "replace"))
    logger.warning(
        "the answer to %s %s held bytes that are not UTF-8; each bad sequence was replaced by "
        "U+FFFD",
        response.request.method,
        redact_url(response.request.url),
    )
    return value


def _stacked_read(response: httpx.Response) -> httpx.Response:
    """A successful `response` read whole and decoded, for a body in several codings in a row
    (`zstd, br`, `zstd, identity`): httpx's decoder of stacked codings feeds its zstd decoder
    again once the frame ended, which fails every such answer where zstd was not the last
    applied. Downloads' decoders undo them; a body they cannot read raises
    `httpx.DecodingError`, as httpx would."""
    try:
        decoder = body_decoder(coding_of(response.headers["content-encoding"]))
        pieces = [piece for chunk in response.iter_raw() for piece in decoder.feed(chunk)]
        body = b"".join(pieces) + decoder.finish()
    except (UnreadableEncodingError, EOFError) as error:
        raise httpx.DecodingError(str(error), request=response.request) from error
    finally:
        response.close()
    return httpx.Response(
        response.status_code,
        headers=_as_decoded(response),
        content=body,
        request=response.request,
        extensions=response.extensions,
    )


def _as_decoded(response: httpx.Response) -> list[tuple[str, str]]:
    """The headers of `response` for a copy holding its body already decoded: without its
    `Content-Encoding` (else the copy decodes it again) and `Content-Length`."""
    return [
        (name, value)
        for name, value in response.headers.multi_items()
        if name.lower() not in ("content-encoding", "content-length")
    ]


def _is_web_page(response: httpx.Response) -> bool:
    """Whether an answer is a web page by its `Content-Type`, which no data file is."""
    media = response.headers.get("content-type", "").partition(";")[0].strip().lower()
    return media in ("text/html", "application/xhtml+xml")


def _pieces(response: httpx.Response) -> Iterator[bytes]:
    """The decoded pieces of a body; ones that are not in their coding end it."""
    try:
        yield from response.iter_bytes()
    except httpx.DecodingError:
        return


def _error_answer(response: httpx.Response) -> httpx.Response:
    """An error answer closed, as a copy holding the start of its body, decoded: the message
    is an excerpt of it (`error_body`), so a page of megabytes or a body that never ends is
    read no further than `_ERROR_BYTES`. Where the body stops being readable (bytes not in its
    `Content-Encoding`, a dropped connection), what was read is kept, and the status still
    says what happened."""
    kept = bytearray()
    try:
        coding = coding_of(response.headers.get("content-encoding"))
        decoder = body_decoder(coding, piece_bytes=_ERROR_BYTES)
        for chunk in response.iter_raw():
            for piece in decoder.feed(chunk):
                kept += piece
            if len(kept) >= _ERROR_BYTES:
                break
    except (UnreadableEncodingError, httpx.StreamError, httpx.TransportError):
        pass
    finally:
        response.close()
    return httpx.Response(
        response.status_code,
        headers=_as_decoded(response),
        content=bytes(kept[:_ERROR_BYTES]),
        request=response.request,
        extensions=response.extensions,
    )


def _asked_to_wait_too_long(error: ApiError) -> ApiError:
    """`error`, saying that its `Retry-After` asks for a wait past the retry deadline, which
    is why it was not tried again (a quota reset an hour away, a gateway's long pause)."""
    return error.retold(
        f"{error.message}; the service asked to wait {error.retry_after:,.0f} s before trying "
        "again (Retry-After), past the retry deadline, so it was not tried again",
        hint="re-execute the run once that time has passed (it re-attaches to what it already "
        "paid for), or give the resource a longer retry_deadline_seconds to wait it out",
    )


def _newlines(chunk: bytes) -> int:
    """The newline bytes in `chunk`: numpy counts them three times as fast as `bytes.count`
    (0.06 against 0.19 CPU-seconds for a 345 MB download), on the thread that receives."""
    import numpy as np  # loaded with the first download, not with the definitions

    return int(np.count_nonzero(np.frombuffer(chunk, dtype=np.uint8) == _NEWLINE))


def _check_ends_at(refused: httpx.Response, delivered: int) -> None:
    """After a 416 to `Range: bytes={delivered}-`: return if the file is `delivered` bytes
    long (its end arrived, the connection broke before the host said so), else raise
    `IncompleteResultError`, so the file is downloaded again from its start.

    Object stores answer a range that starts at the end with 416, and should say the length
    (`Content-Range: bytes */N`); without it, the bytes that arrived may not be the whole file.
    """
    length = refused.headers.get("content-range", "").removeprefix("bytes */")
    if not length.isdigit():
        raise IncompleteResultError(
            f"the host refused to resume at byte {delivered:,} (HTTP 416) and did not say how "
            "long the file is"
        )
    if int(length) != delivered:
        raise IncompleteResultError(
            f"the file is {int(length):,} bytes long now, but {delivered:,} had arrived: it "
            "changed while it was downloaded"
        )


def _announced_size(response: httpx.Response) -> int | None:
    """The whole file's size: from `Content-Range` on a resumed download, else `Content-Length`."""
    total = response.headers.get("content-range", "").rpartition("/")[2]
    if response.status_code == 206 and total.isdigit():
        return int(total)
    length = response.headers.get("content-length", "")
    return int(length) if response.status_code == 200 and length.isdigit() else None


def _check_resumed_range(response: httpx.Response, delivered: int) -> None:
    """Raise unless a 206 answers the range asked for, from byte `delivered` on."""
    content_range = response.headers.get("content-range", "")
    if not content_range.startswith(f"bytes {delivered}-"):
        raise TransportError(
            f"resumed download answered the wrong range ({content_range!r})",
            provider="download",
            url=redact_url(response.url),
        )
