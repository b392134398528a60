"""Loading definitions says when a deployment spreads work over machines but keeps this
package's files and state on one (`check_deployment`, run by `definitions_from_config`).

Two things must reach every machine once steps run elsewhere: the output (an object store) and
the shared state (PostgreSQL). Each missing one is one `DistributedSetupWarning` that says what
to set. The check reads the executor, the environment and `$DAGSTER_HOME/dagster.yaml` only.
"""

from __future__ import annotations

import shutil
import socket
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import dagster_celery
import pytest
import yaml

from extract_assets.build import definitions_from_config
from extract_assets.config import DEMO_CONFIG
from extract_assets.core.paths import OUTPUT_ENV
from extract_assets.core.state import STATE_URL_ENV
from extract_assets.deployment import DistributedSetupWarning, check_deployment
from extract_assets_tests.production.dagster_home import DAGSTER_POSTGRES_YAML, DAGSTER_YAML

SHARED_OUTPUT = "s3://lake/extract-assets"
SHARED_STATE = "postgresql://dagster:pw-SECRET-5e6f@db.internal:5432/dagster"


@pytest.fixture(autouse=True)
def single_machine_setup(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Nothing set: output to ./data, no state URL, no DAGSTER_HOME (and a working dir of the
    test's own, so ./data is nobody else's)."""
    for name in (OUTPUT_ENV, STATE_URL_ENV, "DAGSTER_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def load(executor: dg.ExecutorDefinition | None = None) -> list[str]:
    """Load the demo's definitions; the messages of the DistributedSetupWarnings it gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        definitions_from_config(DEMO_CONFIG, executor=executor)
    return [str(w.message) for w in caught if issubclass(w.category, DistributedSetupWarning)]


def dagster_home(folder: Path, settings: dict[str, Any], base: Path | None = None) -> Path:
    """A DAGSTER_HOME whose dagster.yaml is `base` (a repo file) with `settings` added."""
    folder.mkdir(parents=True, exist_ok=True)
    loaded = yaml.safe_load(base.read_text()) if base else {}
    (folder / "dagster.yaml").write_text(yaml.safe_dump({**loaded, **settings}))
    return folder


DOCKER_LAUNCHER = {"run_launcher": {"module": "dagster_docker", "class": "DockerRunLauncher"}}


# --- Steps on other machines, files and state on this one -----------------------------------


def test_the_celery_executor_with_local_output_and_state_warns_twice() -> None:
    warned = load(dagster_celery.celery_executor)
    assert len(warned) == 2


def test_the_output_warning_says_to_set_an_object_store() -> None:
    output, _ = load(dagster_celery.celery_executor)
    assert OUTPUT_ENV in output
    assert "s3://" in output
    assert "celery" in output


def test_the_state_warning_says_to_use_postgresql() -> None:
    _, state = load(dagster_celery.celery_executor)
    assert STATE_URL_ENV in state
    assert "postgresql://" in state
    assert "dagster-postgres.yaml" in state


def test_a_local_output_folder_set_explicitly_is_still_local(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(OUTPUT_ENV, f"file://{tmp_path}/lake")
    monkeypatch.setenv(STATE_URL_ENV, SHARED_STATE)
    (output,) = load(dagster_celery.celery_executor)
    assert OUTPUT_ENV in output


def test_a_sqlite_state_url_is_still_one_machines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(OUTPUT_ENV, SHARED_OUTPUT)
    monkeypatch.setenv(STATE_URL_ENV, "sqlite:////var/lib/extract-assets/state.sqlite3")
    (state,) = load(dagster_celery.celery_executor)
    assert STATE_URL_ENV in state


@pytest.mark.parametrize(
    "name",
    [
        "celery",  # dagster_celery.celery_executor
        "celery-k8s",  # dagster_celery_k8s.celery_k8s_job_executor
        "celery-docker",  # dagster_celery_docker.celery_docker_executor
        "k8s",  # dagster_k8s.k8s_job_executor
        "docker",  # dagster_docker.docker_executor
        "ecs",  # dagster_aws.ecs.ecs_executor: each step an ECS task
    ],
)
def test_every_executor_that_runs_steps_elsewhere_is_recognised(name: str) -> None:
    """Named as Dagster's executors name themselves (their packages need not be installed)."""

    @dg.executor(name=name)
    def elsewhere(_context: dg.InitExecutorContext) -> Any:
        raise NotImplementedError

    assert len(load(elsewhere)) == 2


# --- A shared setup --------------------------------------------------------------------------


def test_an_object_store_and_a_postgresql_state_url_warn_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(OUTPUT_ENV, SHARED_OUTPUT)
    monkeypatch.setenv(STATE_URL_ENV, SHARED_STATE)
    assert load(dagster_celery.celery_executor) == []


def test_an_instance_on_postgresql_shares_the_state_without_a_url(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """dagster-postgres.yaml is enough: the state lives in the instance's database."""
    home = dagster_home(tmp_path / "home", {}, base=DAGSTER_POSTGRES_YAML)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv(OUTPUT_ENV, SHARED_OUTPUT)
    assert load(dagster_celery.celery_executor) == []


def test_an_instance_on_postgresql_still_needs_an_object_store(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    home = dagster_home(tmp_path / "home", {}, base=DAGSTER_POSTGRES_YAML)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    (output,) = load(dagster_celery.celery_executor)
    assert OUTPUT_ENV in output


# --- Run launchers ----------------------------------------------------------------------------


def test_a_run_launcher_that_starts_runs_in_containers_warns(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Read from dagster.yaml only: dagster_docker is not installed, nor needed."""
    monkeypatch.setenv("DAGSTER_HOME", str(dagster_home(tmp_path / "home", DOCKER_LAUNCHER)))
    warned = load()
    assert len(warned) == 2
    assert all("DockerRunLauncher" in message for message in warned)


@pytest.mark.parametrize(
    "launcher", ["K8sRunLauncher", "EcsRunLauncher", "DockerRunLauncher", "CeleryK8sRunLauncher"]
)
def test_every_run_launcher_that_starts_runs_elsewhere_is_recognised(
    launcher: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = {"run_launcher": {"module": "somewhere", "class": launcher}}
    monkeypatch.setenv("DAGSTER_HOME", str(dagster_home(tmp_path / "home", settings)))
    assert len(load()) == 2


def test_a_container_launcher_with_a_shared_setup_warns_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    home = dagster_home(tmp_path / "home", DOCKER_LAUNCHER, base=DAGSTER_POSTGRES_YAML)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv(OUTPUT_ENV, SHARED_OUTPUT)
    assert load() == []


def test_an_explicit_dagster_home_is_read(tmp_path: Path) -> None:
    home = dagster_home(tmp_path / "home", DOCKER_LAUNCHER)
    defs = dg.Definitions()
    with pytest.warns(DistributedSetupWarning):
        problems = check_deployment(defs, dagster_home=home)
    assert len(problems) == 2


# --- One machine ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "executor",
    [None, dg.multiprocess_executor, dg.in_process_executor],
    ids=["default", "multiprocess", "in_process"],
)
def test_executors_that_keep_steps_on_this_machine_warn_nothing(
    executor: dg.ExecutorDefinition | None,
) -> None:
    assert load(executor) == []


def test_the_repos_own_instance_settings_warn_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The default run launcher and the multiprocess executor: one machine."""
    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(DAGSTER_YAML, home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    assert load() == []


def test_a_dagster_home_without_dagster_yaml_warns_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "empty"))
    assert load() == []


# --- What the check does not do ----------------------------------------------------------------


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A port on 127.0.0.1 that notes connections without answering: where the state's and
    the instance's PostgreSQL are said to be (libpq connects without Python's sockets)."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.setblocking(False)
        yield server


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every attempt of Python code to resolve a name or open a connection fails, and is
    noted."""
    attempts: list[str] = []

    def refuse(what: str) -> Any:
        def refused(*args: Any, **kwargs: Any) -> Any:
            attempts.append(f"{what}{args!r}")
            raise OSError(f"no network in this test ({what})")

        return refused

    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    monkeypatch.setattr(socket.socket, "connect", refuse("connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", refuse("connect_ex"))
    return attempts


def test_loading_reads_files_only_and_makes_no_network_call(
    listener: socket.socket,
    no_network: list[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """Neither the object store, nor the PostgreSQL of the state URL or of the instance, is
    contacted to decide: a load while they are down still says what it would say."""
    port = listener.getsockname()[1]
    home = dagster_home(tmp_path / "home", DOCKER_LAUNCHER, base=DAGSTER_POSTGRES_YAML)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    for name, value in {"HOST": "127.0.0.1", "PORT": str(port), "USER": "dagster"}.items():
        monkeypatch.setenv(f"DAGSTER_PG_{name}", value)
    monkeypatch.setenv("DAGSTER_PG_PASSWORD", "pw")
    monkeypatch.setenv("DAGSTER_PG_DB", "dagster")
    monkeypatch.setenv(OUTPUT_ENV, SHARED_OUTPUT)
    monkeypatch.setenv(STATE_URL_ENV, f"postgresql://dagster:pw@127.0.0.1:{port}/dagster")
    assert load(dagster_celery.celery_executor) == []
    monkeypatch.setenv(STATE_URL_ENV, "sqlite:////var/lib/state.sqlite3")
    monkeypatch.delenv(OUTPUT_ENV)
    assert len(load(dagster_celery.celery_executor)) == 2
    assert no_network == []
    with pytest.raises(BlockingIOError):
        listener.accept()  # nobody connected


def test_the_state_url_password_is_not_in_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    """A state URL the package cannot use is warned about without being quoted."""
    monkeypatch.setenv(STATE_URL_ENV, "mysql://dagster:pw-SECRET-5e6f@db.internal/dagster")
    warned = load(dagster_celery.celery_executor)
    assert len(warned) == 2
    assert all("pw-SECRET-5e6f" not in message for message in warned)
