"""The two backends of the shared state, each test on a fresh database of its own: a SQLite file
in the test's folder, or a database of one PostgreSQL server on 127.0.0.1 started for this
package. Tests that need a Dagster instance on PostgreSQL get a DAGSTER_HOME with the repo's
dagster-postgres.yaml."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import dagster as dg
import pytest

from extract_assets.core.state import STATE_URL_ENV, SharedState, sqlite_url
from extract_assets_tests.production.dagster_home import DAGSTER_POSTGRES_YAML, new_home
from extract_assets_tests.production.postgres import (
    PostgresServer,
    PostgresUnavailable,
    postgres_server,
)

BACKENDS = ("sqlite", "postgresql")
DAGSTER_TEMPLATE = "dagster_template"
_databases = itertools.count(1)


def database_url(server: PostgresServer, database: str) -> str:
    """The plain URL a user sets: `postgresql://user:password@127.0.0.1:port/database`."""
    return f"postgresql://{server.user}:{server.password}@{server.host}:{server.port}/{database}"


def new_database(server: PostgresServer) -> str:
    """The URL of a new, empty database on `server`."""
    name = f"state_{next(_databases)}"
    server.create_database(name)
    return database_url(server, name)


@pytest.fixture(autouse=True)
def _no_state_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the tests choose is what they get: not a state URL from the environment."""
    monkeypatch.delenv(STATE_URL_ENV, raising=False)


@pytest.fixture(scope="package")
def postgres() -> Iterator[PostgresServer]:
    """One server for the package, started by the first test that needs it."""
    try:
        with postgres_server() as server:
            yield server
    except PostgresUnavailable as exc:
        pytest.fail(str(exc))


@pytest.fixture(params=BACKENDS)
def new_state_url(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], str]:
    """Makes fresh states of one backend: SQLite files that do not exist yet, or empty
    PostgreSQL databases."""
    files = itertools.count(1)

    def new() -> str:
        if request.param == "sqlite":
            return sqlite_url(tmp_path / f"state-{next(files)}" / "state.sqlite3")
        return new_database(request.getfixturevalue("postgres"))

    return new


@pytest.fixture(scope="module", params=BACKENDS)
def module_state_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """A fresh state shared by the tests of a module that read one costly experiment."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path_factory.mktemp("state") / "state.sqlite3")
    return new_database(request.getfixturevalue("postgres"))


@pytest.fixture
def state_url(new_state_url: Callable[[], str]) -> str:
    """A fresh state: a SQLite file that does not exist yet, or an empty PostgreSQL database."""
    return new_state_url()


@pytest.fixture
def open_state() -> Iterator[Callable[[str], SharedState]]:
    """`SharedState(url)`, its connections closed after the test (a PostgreSQL server allows
    a hundred at once, and every engine keeps a few open)."""
    opened: list[SharedState] = []

    def open_(url: str) -> SharedState:
        state = SharedState(url)
        opened.append(state)
        return state

    yield open_
    for state in opened:
        state.engine.dispose()


@pytest.fixture
def state(state_url: str, open_state: Callable[[str], SharedState]) -> SharedState:
    return open_state(state_url)


@pytest.fixture(scope="package")
def dagster_template(postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database that already holds Dagster's tables: copying it takes a moment, creating
    them takes seconds."""
    postgres.create_database(DAGSTER_TEMPLATE)
    with pytest.MonkeyPatch.context() as monkeypatch:
        _point_at(monkeypatch, postgres.dagster_environment(DAGSTER_TEMPLATE))
        home = new_home(tmp_path_factory.mktemp("template") / "dagster_home", DAGSTER_POSTGRES_YAML)
        with dg.DagsterInstance.from_config(str(home)):
            pass
    return DAGSTER_TEMPLATE


@pytest.fixture
def postgres_home(
    postgres: PostgresServer,
    dagster_template: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Path:
    """A DAGSTER_HOME with the repo's dagster-postgres.yaml on a new database, its connection
    in this test's environment (and so in that of the processes it starts)."""
    database = f"dagster_{next(_databases)}"
    postgres.create_database(database, template=dagster_template)
    _point_at(monkeypatch, postgres.dagster_environment(database))
    home = new_home(tmp_path / "dagster_home", DAGSTER_POSTGRES_YAML)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return home


def _point_at(monkeypatch: pytest.MonkeyPatch, environment: dict[str, str]) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
