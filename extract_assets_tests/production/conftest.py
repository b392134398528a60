"""A PostgreSQL server for the production tests, and instances on fresh databases of it."""

import itertools
import shutil
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from extract_assets_tests.production.dagster_home import DAGSTER_POSTGRES_YAML
from extract_assets_tests.production.postgres import (
    PostgresServer,
    PostgresUnavailable,
    postgres_server,
)

TEMPLATE = "dagster_template"
_databases = itertools.count(1)


def _point_at(monkeypatch: pytest.MonkeyPatch, server: PostgresServer, database: str) -> None:
    """The environment dagster-postgres.yaml reads its connection from."""
    monkeypatch.setenv("DAGSTER_PG_HOST", server.host)
    monkeypatch.setenv("DAGSTER_PG_PORT", str(server.port))
    monkeypatch.setenv("DAGSTER_PG_USER", server.user)
    monkeypatch.setenv("DAGSTER_PG_PASSWORD", server.password)
    monkeypatch.setenv("DAGSTER_PG_DB", database)


def _home(folder: Path) -> Path:
    """A DAGSTER_HOME whose dagster.yaml is the repo's dagster-postgres.yaml."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(DAGSTER_POSTGRES_YAML, folder / "dagster.yaml")
    return folder


@pytest.fixture(scope="package")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    """The server, with a template database that already holds Dagster's tables (creating
    them takes seconds; copying the template does not)."""
    try:
        with postgres_server() as server:
            server.create_database(TEMPLATE)
            with pytest.MonkeyPatch.context() as monkeypatch:
                _point_at(monkeypatch, server, TEMPLATE)
                home = _home(tmp_path_factory.mktemp("template") / "dagster_home")
                with dg.DagsterInstance.from_config(str(home)):
                    pass
            yield server
    except PostgresUnavailable as exc:
        pytest.fail(str(exc))


@pytest.fixture
def postgres_home(
    postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Path:
    """A DAGSTER_HOME with dagster-postgres.yaml, on a fresh database of its own (its
    connection in this test's environment)."""
    database = f"dagster_{next(_databases)}"
    postgres.create_database(database, template=TEMPLATE)
    _point_at(monkeypatch, postgres, database)
    return _home(tmp_path / "dagster_home")
