"""A PostgreSQL server for the production tests, and instances on fresh databases of it."""

import itertools
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from extract_assets_tests.production.dagster_home import DAGSTER_POSTGRES_YAML, new_home
from extract_assets_tests.production.postgres import (
    PostgresServer,
    PostgresUnavailable,
    postgres_server,
)

TEMPLATE = "dagster_template"
_databases = itertools.count(1)


@pytest.fixture(scope="package")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    """The server, with a template database that already holds Dagster's tables (creating
    them takes seconds; copying the template does not)."""
    try:
        with postgres_server() as server:
            server.create_database(TEMPLATE)
            with pytest.MonkeyPatch.context() as monkeypatch:
                _point_at(monkeypatch, server.dagster_environment(TEMPLATE))
                home = new_home(
                    tmp_path_factory.mktemp("template") / "dagster_home", DAGSTER_POSTGRES_YAML
                )
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
    _point_at(monkeypatch, postgres.dagster_environment(database))
    return new_home(tmp_path / "dagster_home", DAGSTER_POSTGRES_YAML)


def _point_at(monkeypatch: pytest.MonkeyPatch, environment: dict[str, str]) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
