"""Iceberg tables through a REST catalog: the catalog URI's user info is its credential (an
OAuth2 client credential or a bearer token) and no message ever shows it; its query parameters
are catalog properties."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from extract_assets.core.day_folders import write_day_folders
from extract_assets.core.iceberg_catalog import CatalogSettings, IcebergTarget, open_catalog
from extract_assets_tests.iceberg_rest_server import IcebergRestServer

CLIENT_ID = "lake-writer"
# Characters a URI must percent-encode: the catalog receives the secret as written.
SECRET = "s3cret/9f8e:7d@+"
VARIABLE = "LAKE_CATALOG_URI"
SETTINGS = CatalogSettings(uri_env=VARIABLE)


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IcebergRestServer]:
    """A REST catalog that hands a token to one client and refuses requests without it."""
    root = tmp_path_factory.mktemp("guarded-catalog")
    with IcebergRestServer(root, client=(CLIENT_ID, SECRET)) as server:
        yield server


def with_userinfo(url: str, userinfo: str) -> str:
    return url.replace("http://", f"http://{userinfo}@", 1)


def write(output: Path) -> Any:
    return write_day_folders(
        [[{"n": 1, "date": "2026-11-01"}, {"n": 2, "date": "2026-11-01"}]],
        output / "extractto" / "ads",
        [date(2026, 11, 1)],
        iceberg=IcebergTarget(SETTINGS, output, ("extractto",), "ads", ("date", "date")),
    )


def test_a_client_credential_in_the_uri_is_exchanged_for_a_token_and_the_table_lands(
    guarded: IcebergRestServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    credential = f"{CLIENT_ID}:{quote(SECRET, safe='')}"
    monkeypatch.setenv(VARIABLE, with_userinfo(guarded.url, credential))

    commit = write(tmp_path).table.iceberg

    assert commit.catalog == with_userinfo(guarded.url, f"{CLIENT_ID}:***")
    table = open_catalog(SETTINGS, tmp_path).load_table("extractto.ads")
    assert table.scan().to_arrow().column("n").to_pylist() == [1, 2]


def test_a_bearer_token_in_the_uri_is_sent_as_the_token(
    guarded: IcebergRestServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert guarded.token is not None
    monkeypatch.setenv(VARIABLE, with_userinfo(guarded.url, guarded.token))

    commit = write(tmp_path).table.iceberg

    assert commit.catalog == with_userinfo(guarded.url, "***")
    assert open_catalog(SETTINGS, tmp_path).table_exists("extractto.ads")


@pytest.mark.parametrize(
    "refused",
    [f"{CLIENT_ID}:not-the-secret-51d3", "not-the-token-51d3"],
    ids=["a wrong client secret", "a wrong token"],
)
def test_a_refused_credential_fails_naming_the_variable_and_never_showing_the_secret(
    guarded: IcebergRestServer, refused: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(VARIABLE, with_userinfo(guarded.url, refused))

    with pytest.raises(ValueError, match=f"refused the credential in {VARIABLE}") as raised:
        write(tmp_path)

    assert "51d3" not in str(raised.value)
    assert not (tmp_path / "extractto" / "ads" / "metadata").exists()


def test_a_catalog_that_wants_a_credential_and_got_none_says_how_to_give_one(
    guarded: IcebergRestServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(VARIABLE, guarded.url)

    with pytest.raises(ValueError, match=f"wants a credential: give it in {VARIABLE} as https://"):
        write(tmp_path)


def test_an_unreachable_rest_catalog_fails_with_its_redacted_uri(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:  # a port nothing listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv(
        VARIABLE, f"http://{CLIENT_ID}:{quote(SECRET, safe='')}@127.0.0.1:{port}/cat"
    )

    with pytest.raises(ValueError) as raised:
        write(tmp_path)

    message = str(raised.value)
    assert f"Cannot open the Iceberg catalog http://{CLIENT_ID}:***@127.0.0.1:{port}/cat" in message
    assert f"check {VARIABLE} and that the catalog is up" in message
    assert "s3cret" not in message and quote(SECRET, safe="") not in message


def test_a_url_that_is_not_a_rest_catalog_fails_naming_the_variable(
    iceberg_rest: IcebergRestServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(VARIABLE, f"{iceberg_rest.url}/not-a-catalog")

    with pytest.raises(ValueError, match=f"check {VARIABLE} and that the catalog is up"):
        write(tmp_path)


def test_a_warehouse_named_in_the_uri_query_is_the_catalog_every_output_shares(
    iceberg_rest: IcebergRestServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Polaris, Lakekeeper and Tabular name a warehouse; by default it is the output location.
    monkeypatch.setenv(VARIABLE, f"{iceberg_rest.url}?warehouse=shared-lake")

    write(tmp_path / "first")

    assert open_catalog(SETTINGS, tmp_path / "second").table_exists("extractto.ads")
    monkeypatch.setenv(VARIABLE, iceberg_rest.url)
    assert not open_catalog(SETTINGS, tmp_path / "second").table_exists("extractto.ads")
