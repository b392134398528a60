"""Which Iceberg catalog holds our tables, and opening it with pyiceberg.

Three kinds, told apart by the catalog's URI:

- none given: a SQLite file, ``{output}/iceberg_catalog.db``, beside the tables (one machine);
- ``postgresql://user:password@host/db`` (any SQLAlchemy URL): a SQL catalog in that database,
  the shared store of the distributed setup;
- ``http(s)://...``: an Iceberg REST catalog; the URI's user info is its credential:
  ``https://client_id:client_secret@host/path`` an OAuth2 client credential, exchanged for a
  token at the catalog's ``/v1/oauth/tokens``, and ``https://token@host/path`` a bearer token;
  its query parameters are catalog properties (``?warehouse=lake&scope=...``).

The URI may hold a password, so it never sits in config: the config names the environment
variable that holds it, and errors and metadata only ever show it redacted (`redact`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

from extract_assets.core.storage import Location, RemotePath, storage_options

if TYPE_CHECKING:
    from pyiceberg.catalog import Catalog

__all__ = [
    "CATALOG_ENV",
    "CATALOG_NAME",
    "CatalogSettings",
    "IcebergTarget",
    "PartitionKind",
    "open_catalog",
    "redact",
]

# The variable read when a spec names none: one catalog for every asset of a code location.
CATALOG_ENV = "EXTRACT_ASSETS_ICEBERG_CATALOG"
CATALOG_NAME = "extract_assets"
SQLITE_FILE = "iceberg_catalog.db"
PartitionKind = Literal["date", "string"]


@dataclass(frozen=True)
class CatalogSettings:
    """Where the catalog is: the variable holding its URI (none: SQLite under the output)."""

    uri_env: str = CATALOG_ENV
    name: str = CATALOG_NAME

    def uri(self) -> str | None:
        """The catalog URI from its variable, or None for the default SQLite file."""
        return os.environ.get(self.uri_env, "").strip() or None

    def describe(self, output: Location) -> str:
        """The catalog as metadata and errors show it: its kind and redacted URI."""
        uri = self.uri()
        return redact(uri) if uri else f"sqlite:///{output}/{SQLITE_FILE}"


@dataclass(frozen=True)
class IcebergTarget:
    """An asset's Iceberg table: its catalog, the output its files go under, its namespace
    (the provider's folder, e.g. ``extractto`` or ``linkup.research``), name, and partition
    column (``date``, ``task_id``, or none)."""

    catalog: CatalogSettings
    output: Location
    namespace: tuple[str, ...]
    name: str
    partition: tuple[str, PartitionKind] | None = None

    @property
    def identifier(self) -> tuple[str, ...]:
        return (*self.namespace, self.name)

    @property
    def label(self) -> str:
        return ".".join(self.identifier)


def redact(uri: str) -> str:
    """`uri` without its password, token or query (which may carry credentials).

    >>> redact("postgresql://dagster:s3cret@db:5432/lake")
    'postgresql://dagster:***@db:5432/lake'
    >>> redact("https://token@catalog.internal/api?credential=x")
    'https://***@catalog.internal/api'
    """
    parts = urlsplit(uri)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    if parts.password is not None:
        host = f"{parts.username}:***@{host}"
    elif parts.username is not None:
        host = f"***@{host}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def open_catalog(settings: CatalogSettings, output: Location) -> Catalog:
    """The catalog `settings` names, its tables' files under `output` (local or a URL)."""
    uri = settings.uri()
    if uri is None:
        if not isinstance(output, Path):
            raise ValueError(
                f"the default Iceberg catalog is a SQLite file under a local output, but the "
                f"output is {output}: set {settings.uri_env} to a postgresql:// or REST "
                "catalog URL that every machine reaches"
            )
        output.mkdir(parents=True, exist_ok=True)
        uri = f"sqlite:///{os.path.abspath(output / SQLITE_FILE)}"
    scheme = urlsplit(uri).scheme
    if not scheme.startswith(("http", "postgresql", "sqlite")):
        raise ValueError(
            f"{settings.uri_env} holds a {scheme or 'plain'} URI ({redact(uri)}); give a "
            "postgresql:// (or sqlite:///) URL for a SQL catalog, or an http(s):// REST "
            "catalog URL"
        )
    properties = {"warehouse": _warehouse(output), **_s3_properties()}
    try:
        if scheme in {"http", "https"}:
            from pyiceberg.catalog.rest import RestCatalog

            return RestCatalog(settings.name, **{**properties, **_rest_properties(uri)})
        from pyiceberg.catalog.sql import SqlCatalog

        return SqlCatalog(settings.name, **properties, uri=_with_driver(uri))
    except Exception as error:
        # The driver's message may quote the URI: only its kind and the redacted URI go on.
        raise ValueError(
            f"Cannot open the Iceberg catalog {redact(uri)} ({type(error).__name__}): "
            + _advice(error, uri, settings.uri_env)
        ) from None


# pyiceberg's errors for a credential the catalog refused (the token exchange or a request).
_REFUSED = frozenset({"OAuthError", "UnauthorizedError", "ForbiddenError"})


def _advice(error: Exception, uri: str, variable: str) -> str:
    if type(error).__name__ not in _REFUSED:
        return f"check {variable} and that the catalog is up"
    if urlsplit(uri).username is None:
        return (
            f"the catalog wants a credential: give it in {variable} as "
            "https://client_id:client_secret@host/path or https://token@host/path"
        )
    return f"the catalog refused the credential in {variable}"


def _rest_properties(uri: str) -> dict[str, str]:
    """pyiceberg's properties for a REST catalog URI: the URI without user info or query; the
    user info as the credential, an OAuth2 client credential for ``client_id:client_secret@``
    and a bearer token for ``token@`` (percent-decoded, so a secret may hold any character);
    and each query parameter as the property it names (``?warehouse=lake``)."""
    parts = urlsplit(uri)
    bare = urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))
    found = {"uri": bare}
    if parts.username is not None and parts.password is not None:
        found["credential"] = f"{unquote(parts.username)}:{unquote(parts.password)}"
        # pyiceberg's own default, named so that it does not warn that the default will go.
        found["oauth2-server-uri"] = f"{bare.rstrip('/')}/v1/oauth/tokens"
    elif parts.username is not None:
        found["token"] = unquote(parts.username)
    return {**found, **dict(parse_qsl(parts.query))}


def _with_driver(uri: str) -> str:
    """A bare ``postgresql://`` URL with the driver we install, psycopg2 (SQLAlchemy 2.1 takes
    a bare scheme for psycopg 3), as the shared state does."""
    for bare in ("postgresql://", "postgres://"):
        if uri.startswith(bare):
            return "postgresql+psycopg2://" + uri[len(bare) :]
    return uri


def _warehouse(output: Location) -> str:
    if isinstance(output, RemotePath):
        return output.url
    return Path(os.path.abspath(output)).as_uri()


def _s3_properties() -> dict[str, str]:
    """The object store's endpoint, keys and region as pyiceberg names them (``s3.endpoint``,
    ...): from `EXTRACT_ASSETS_STORAGE_OPTIONS`, else from the standard AWS variables that
    s3fs reads but pyiceberg's file IO does not (an endpoint, a region)."""
    names = {"endpoint_url": "endpoint", "key": "access-key-id", "secret": "secret-access-key"}
    options = storage_options()
    found = {f"s3.{names[k]}": str(v) for k, v in options.items() if k in names}
    client = options.get("client_kwargs")
    if isinstance(client, dict) and "region_name" in client:
        found["s3.region"] = str(client["region_name"])
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    if endpoint and "s3.endpoint" not in found:
        found["s3.endpoint"] = endpoint
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if region and "s3.region" not in found:
        found["s3.region"] = region
    return found
