"""An Iceberg REST catalog on a loopback port, for tests.

It answers the part of the Iceberg REST catalog specification that pyiceberg's `RestCatalog`
uses for our tables (config; namespaces created, listed, loaded, checked; tables created,
loaded, checked, listed, dropped; commits) with a pyiceberg `SqlCatalog` in SQLite underneath,
and speaks in pyiceberg's own request and response models. Errors follow the specification's
ErrorModel, so the client raises pyiceberg's typed exceptions: a commit whose requirements no
longer hold is a 409, `CommitFailedException`, which our optimistic retry relies on.

Each warehouse a client names gets its own SQLite catalog behind its own URL prefix, the way
Polaris and Lakekeeper map a warehouse to a prefix, so tests sharing one server (each with its
own output folder, the warehouse) never see each other's tables.

Started with a client credential, the server hands out a bearer token at `/v1/oauth/tokens` for
that credential only and refuses every other request that does not carry the token.
"""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path
from types import TracebackType
from urllib.parse import parse_qsl

from pydantic import ValidationError
from pyiceberg.catalog import Catalog
from pyiceberg.catalog.rest import (
    DEFAULT_ENDPOINTS,
    Capability,
    CreateTableRequest,
    ListNamespaceResponse,
    ListTableResponseEntry,
    ListTablesResponse,
    NamespaceResponse,
    TableResponse,
)
from pyiceberg.catalog.rest.response import (
    ErrorResponse,
    ErrorResponseMessage,
    OAuthErrorResponse,
    TokenResponse,
)
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.exceptions import (
    BadRequestError,
    CommitFailedException,
    NamespaceAlreadyExistsError,
    NamespaceNotEmptyError,
    NoSuchNamespaceError,
    NoSuchTableError,
    TableAlreadyExistsError,
)
from pyiceberg.partitioning import UNPARTITIONED_PARTITION_SPEC
from pyiceberg.table import CommitTableRequest
from pyiceberg.table.sorting import UNSORTED_SORT_ORDER
from pyiceberg.typedef import IcebergBaseModel, Identifier
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from extract_assets.emulator.server import ThreadedServer

__all__ = ["IcebergRestServer"]

TOKENS_PATH = "/v1/oauth/tokens"
# pyiceberg's default; the spec's separator of a namespace's levels in a URL path (%1F).
_SEPARATOR = "\x1f"
# What the spec names each failure (ErrorModel.type) and its status; pyiceberg picks its
# exception by the status.
_ERRORS: dict[type[Exception], tuple[int, str]] = {
    BadRequestError: (400, "BadRequestException"),
    ValidationError: (400, "BadRequestException"),
    NoSuchNamespaceError: (404, "NoSuchNamespaceException"),
    NoSuchTableError: (404, "NoSuchTableException"),
    NamespaceAlreadyExistsError: (409, "AlreadyExistsException"),
    TableAlreadyExistsError: (409, "AlreadyExistsException"),
    NamespaceNotEmptyError: (409, "NamespaceNotEmptyException"),
    CommitFailedException: (409, "CommitFailedException"),
}
_ENDPOINTS = sorted(
    str(endpoint)
    for endpoint in (*DEFAULT_ENDPOINTS, Capability.V1_NAMESPACE_EXISTS, Capability.V1_TABLE_EXISTS)
)


class IcebergRestServer:
    """A REST catalog on 127.0.0.1, its SQLite catalogs under `root`.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as root, IcebergRestServer(Path(root)) as server:
    ...     server.url.startswith("http://127.0.0.1:")
    True
    """

    def __init__(self, root: Path, *, client: tuple[str, str] | None = None) -> None:
        self.root = root
        self.client = client
        # Fresh per server: only a client that exchanged the credential knows it.
        self.token = f"tok-{secrets.token_hex(12)}" if client is not None else None
        self._catalogs: dict[str, SqlCatalog] = {}
        self._running: ThreadedServer | None = None

    @property
    def url(self) -> str:
        if self._running is None:
            raise RuntimeError("the REST catalog is not running; use `with`")
        return f"http://127.0.0.1:{self._running.port}"

    def __enter__(self) -> IcebergRestServer:
        self.root.mkdir(parents=True, exist_ok=True)
        self._running = ThreadedServer.start(
            "127.0.0.1", 0, self._app(), "warning", name="iceberg-rest"
        )
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._running is not None:
            self._running.stop()
            self._running = None
        for catalog in self._catalogs.values():
            catalog.close()

    # --- the app ---------------------------------------------------------------------------

    def _app(self) -> Starlette:
        # Handlers are async and call the catalog directly: the event loop serves one request
        # at a time, so the SQLite catalog has one writer, as a real catalog's database
        # serialises commits.
        table = "/v1/{prefix}/namespaces/{namespace}/tables/{table}"
        routes = [
            Route("/v1/config", self._config, methods=["GET"]),
            Route(TOKENS_PATH, self._tokens, methods=["POST"]),
            Route("/v1/{prefix}/namespaces", self._list_namespaces, methods=["GET"]),
            Route("/v1/{prefix}/namespaces", self._create_namespace, methods=["POST"]),
            Route("/v1/{prefix}/namespaces/{namespace}", self._load_namespace, methods=["GET"]),
            Route("/v1/{prefix}/namespaces/{namespace}/tables", self._list_tables, methods=["GET"]),
            Route(
                "/v1/{prefix}/namespaces/{namespace}/tables", self._create_table, methods=["POST"]
            ),
            Route(table, self._load_table, methods=["GET"]),  # HEAD too: table_exists
            Route(table, self._commit_table, methods=["POST"]),
            Route(table, self._drop_table, methods=["DELETE"]),
        ]
        handlers = {kind: _error_response for kind in _ERRORS}
        app = Starlette(routes=routes, exception_handlers=handlers)  # type: ignore[arg-type]
        if self.token is not None:
            app.add_middleware(_BearerOnly, token=self.token)  # type: ignore[arg-type]
        return app

    async def _config(self, request: Request) -> Response:
        warehouse = request.query_params.get("warehouse")
        if not warehouse:
            raise BadRequestError("this catalog needs a warehouse (the output location)")
        prefix = hashlib.sha256(warehouse.encode()).hexdigest()[:16]
        if prefix not in self._catalogs:
            self._catalogs[prefix] = SqlCatalog(
                "rest", uri=f"sqlite:///{self.root / prefix}.db", warehouse=warehouse
            )
        return JSONResponse(
            {"defaults": {}, "overrides": {"prefix": prefix}, "endpoints": _ENDPOINTS}
        )

    async def _tokens(self, request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode()))
        given = (form.get("client_id", ""), form.get("client_secret", ""))
        if self.client is None or form.get("grant_type") != "client_credentials":
            error = OAuthErrorResponse(error="unsupported_grant_type")
            return _model(error, 400)
        if not secrets.compare_digest("\0".join(given), "\0".join(self.client)):
            error = OAuthErrorResponse(error="invalid_client", error_description="bad credential")
            return _model(error, 401)
        assert self.token is not None
        return _model(TokenResponse(access_token=self.token, token_type="bearer"))

    async def _list_namespaces(self, request: Request) -> Response:
        parent = request.query_params.get("parent", "")
        found = self._catalog(request).list_namespaces(_namespace(parent) if parent else ())
        return _model(ListNamespaceResponse(namespaces=found))

    async def _create_namespace(self, request: Request) -> Response:
        body = NamespaceResponse.model_validate_json(await request.body())
        self._catalog(request).create_namespace(tuple(body.namespace), body.properties)
        return _model(body)

    async def _load_namespace(self, request: Request) -> Response:
        namespace = _namespace(request.path_params["namespace"])
        properties = self._catalog(request).load_namespace_properties(namespace)
        return _model(NamespaceResponse(namespace=namespace, properties=properties))

    async def _list_tables(self, request: Request) -> Response:
        names = self._catalog(request).list_tables(_namespace(request.path_params["namespace"]))
        entries = [ListTableResponseEntry(name=n[-1], namespace=n[:-1]) for n in names]
        return _model(ListTablesResponse(identifiers=entries))

    async def _create_table(self, request: Request) -> Response:
        body = CreateTableRequest.model_validate_json(await request.body())
        if body.stage_create:
            raise BadRequestError("staged creation is not supported by this test catalog")
        created = self._catalog(request).create_table(
            (*_namespace(request.path_params["namespace"]), body.name),
            schema=body.table_schema,
            location=body.location,
            partition_spec=body.partition_spec or UNPARTITIONED_PARTITION_SPEC,
            sort_order=body.write_order or UNSORTED_SORT_ORDER,
            properties=body.properties,
        )
        return _model(
            TableResponse(metadata_location=created.metadata_location, metadata=created.metadata)
        )

    async def _load_table(self, request: Request) -> Response:
        loaded = self._catalog(request).load_table(_identifier(request))
        return _model(
            TableResponse(metadata_location=loaded.metadata_location, metadata=loaded.metadata)
        )

    async def _commit_table(self, request: Request) -> Response:
        body = CommitTableRequest.model_validate_json(await request.body())
        catalog = self._catalog(request)
        current = catalog.load_table(_identifier(request))
        # The SQL catalog checks the requirements against the current metadata, and that no
        # other commit replaced it meanwhile: either failure is CommitFailedException.
        committed = catalog.commit_table(current, body.requirements, body.updates)
        return _model(committed)

    async def _drop_table(self, request: Request) -> Response:
        self._catalog(request).drop_table(_identifier(request))
        return Response(status_code=204)

    def _catalog(self, request: Request) -> Catalog:
        catalog = self._catalogs.get(request.path_params["prefix"])
        if catalog is None:
            raise BadRequestError("unknown prefix: fetch /v1/config with the warehouse first")
        return catalog


class _BearerOnly:
    """Refuse every request but the token endpoint's that lacks the bearer token."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] != TOKENS_PATH:
            given = dict(scope["headers"]).get(b"authorization", b"")
            if not secrets.compare_digest(given, self.expected):
                reply = _spec_error(
                    401, "NotAuthorizedException", "a valid bearer token is required"
                )
                await reply(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _namespace(text: str) -> Identifier:
    return tuple(text.split(_SEPARATOR))


def _identifier(request: Request) -> Identifier:
    return (*_namespace(request.path_params["namespace"]), request.path_params["table"])


async def _error_response(request: Request, error: Exception) -> Response:
    status, kind = next(v for k, v in _ERRORS.items() if isinstance(error, k))
    return _spec_error(status, kind, str(error))


def _spec_error(status: int, kind: str, message: str) -> Response:
    return _model(
        ErrorResponse(error=ErrorResponseMessage(message=message, type=kind, code=status)), status
    )


def _model(model: IcebergBaseModel, status: int = 200) -> Response:
    return Response(model.model_dump_json(), status_code=status, media_type="application/json")
