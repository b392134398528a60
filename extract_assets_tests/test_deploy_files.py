"""deploy/Dockerfile and deploy/values.yaml agree with each other and with the package: the module
they serve exists, the port is one, every variable they name is one the package reads, and no
secret is in either file. (Neither is built or deployed here: no Docker daemon, no cluster.)"""

from __future__ import annotations

import importlib.util
import json
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from extract_assets.config import CONFIG_ENV
from extract_assets.core.paths import OUTPUT_ENV
from extract_assets.core.state import STATE_URL_ENV
from extract_assets.core.storage import STORAGE_OPTIONS_ENV
from extract_assets.dataextractor import contract as dataextractor
from extract_assets.extractto import contract as extractto
from extract_assets.linkup import contract as linkup

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
VALUES = ROOT / "deploy" / "values.yaml"
MODULE = "extract_assets.definitions"

PROVIDER_SECRETS = {
    linkup.API_KEY_ENV,
    extractto.API_KEY_ENV,
    dataextractor.API_KEY_ENV,
    dataextractor.WEBHOOK_SECRET_ENV,
}
AWS_SECRETS = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
PACKAGE_SETTINGS = {OUTPUT_ENV, STORAGE_OPTIONS_ENV, STATE_URL_ENV, CONFIG_ENV}
AWS_SETTINGS = {"AWS_DEFAULT_REGION", "AWS_REGION"}


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (KEYWORD, arguments), continuation lines joined."""
    joined: list[str] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        joined.append(pending + line)
        pending = ""
    assert not pending, "the Dockerfile ends in a continuation line"
    found = []
    for line in joined:
        keyword, _, arguments = line.partition(" ")
        found.append((keyword.upper(), arguments.strip()))
    return found


def one(keyword: str) -> str:
    matches = [arguments for name, arguments in instructions() if name == keyword]
    assert len(matches) == 1, f"{len(matches)} {keyword} instructions"
    return matches[0]


def every(keyword: str) -> list[str]:
    return [arguments for name, arguments in instructions() if name == keyword]


def env_settings() -> dict[str, str]:
    """The Dockerfile's ENV settings (the KEY=VALUE form)."""
    settings: dict[str, str] = {}
    for arguments in every("ENV"):
        for pair in shlex.split(arguments):
            key, _, value = pair.partition("=")
            settings[key] = value
    return settings


@pytest.fixture(scope="module")
def values() -> dict[str, Any]:
    parsed = yaml.safe_load(VALUES.read_text(encoding="utf-8"))
    assert isinstance(parsed, dict)
    return parsed


@pytest.fixture(scope="module")
def deployment(values: dict[str, Any]) -> dict[str, Any]:
    user = values["dagster-user-deployments"]
    assert user["enabled"] is True
    (only,) = user["deployments"]
    assert isinstance(only, dict)
    return only


def test_the_image_is_python_3_11_slim_and_serves_the_definitions_module() -> None:
    assert one("FROM") == "python:3.11-slim"
    command = json.loads(one("CMD"))
    assert command[:3] == ["dagster", "code-server", "start"]
    assert command[command.index("-m") + 1] == MODULE
    assert command[command.index("-h") + 1] == "0.0.0.0"
    assert importlib.util.find_spec(MODULE) is not None


def test_the_command_listens_on_the_exposed_port_the_values_name(
    deployment: dict[str, Any],
) -> None:
    (exposed,) = [int(port) for port in one("EXPOSE").split()]
    command = json.loads(one("CMD"))
    assert int(command[command.index("-p") + 1]) == exposed
    assert deployment["port"] == exposed


def test_the_chart_serves_the_same_module(deployment: dict[str, Any]) -> None:
    arguments = deployment["dagsterApiGrpcArgs"]
    assert arguments[arguments.index("-m") + 1] == MODULE


def test_the_image_installs_from_the_lock_with_a_matching_dagster_k8s() -> None:
    runs = " ".join(every("RUN"))
    assert "--constraint requirements.lock" in runs
    copied = " ".join(every("COPY"))
    assert "requirements.lock" in copied
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    (dagster,) = re.findall(r"^dagster==(\d+)\.(\d+)\.(\d+)", lock, re.MULTILINE)
    major, minor, patch = (int(part) for part in dagster)
    # Dagster 1.M.P ships its libraries as 0.(M+16).P.
    assert major == 1
    assert f'"dagster-k8s==0.{minor + 16}.{patch}"' in runs


def test_every_file_the_image_copies_is_in_the_project() -> None:
    config_dir = next(
        arguments.partition("=")[2]
        for arguments in every("ARG")
        if arguments.startswith("CONFIG_DIR=")
    )
    for arguments in every("COPY"):
        *sources, _target = shlex.split(arguments.replace("${CONFIG_DIR}", config_dir))
        for source in sources:
            assert (ROOT / source).exists(), source
    config = env_settings()[CONFIG_ENV]
    assert (ROOT / config_dir / Path(config).name).is_file()


def test_the_image_holds_no_secret() -> None:
    named = set(env_settings()) | {arguments.partition("=")[0] for arguments in every("ARG")}
    assert not named & (PROVIDER_SECRETS | AWS_SECRETS)
    assert not re.search(r"(KEY|SECRET|PASSWORD|TOKEN)\w*=", DOCKERFILE.read_text())


def test_the_secrets_hold_exactly_the_keys_the_package_reads(
    values: dict[str, Any], deployment: dict[str, Any]
) -> None:
    text = VALUES.read_text(encoding="utf-8")
    created: dict[str, set[str]] = {}
    for block in re.findall(r"create secret generic [^\n]*(?:\n#\s+--from-literal[^\n]*)+", text):
        name = block.split()[3]
        created[name] = set(re.findall(r"--from-literal=([A-Z0-9_]+)=", block))
    assert set().union(*created.values()) == PROVIDER_SECRETS | AWS_SECRETS
    referenced = [secret["name"] for secret in deployment["envSecrets"]]
    assert sorted(referenced) == sorted(created)
    launcher = values["runLauncher"]
    assert launcher["type"] == "K8sRunLauncher"
    run_secrets = [s["name"] for s in launcher["config"]["k8sRunLauncher"]["envSecrets"]]
    assert sorted(run_secrets) == sorted(created)


def test_every_plain_variable_is_a_package_or_aws_setting(
    values: dict[str, Any], deployment: dict[str, Any]
) -> None:
    env = {entry["name"]: entry["value"] for entry in deployment["env"]}
    assert set(env) <= PACKAGE_SETTINGS | AWS_SETTINGS
    assert env[OUTPUT_ENV].startswith("s3://")
    run_env = dict(
        entry.partition("=")[::2]
        for entry in values["runLauncher"]["config"]["k8sRunLauncher"]["envVars"]
    )
    assert run_env == env
    assert not set(env) & (PROVIDER_SECRETS | AWS_SECRETS)


def test_the_instance_database_is_postgresql_through_psycopg2(values: dict[str, Any]) -> None:
    postgresql = values["postgresql"]
    assert postgresql["postgresqlScheme"] == "postgresql+psycopg2"
    assert isinstance(postgresql["enabled"], bool)


def test_step_logs_go_to_the_output_bucket_through_a_library_the_image_installs(
    values: dict[str, Any],
) -> None:
    """Run pods' disks end with them: the UI's step logs are uploaded to the output's bucket, by
    dagster-aws, which the image's s3 extra installs."""
    manager = values["computeLogManager"]
    assert manager["type"] == "S3ComputeLogManager"
    bucket = manager["config"]["s3ComputeLogManager"]["bucket"]
    output = dict(
        e.split("=", 1) for e in values["runLauncher"]["config"]["k8sRunLauncher"]["envVars"]
    )
    assert output[OUTPUT_ENV].startswith(f"s3://{bucket}/")
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert any(requirement.startswith("dagster-aws") for requirement in extras["s3"])
    assert "--extra s3" in " ".join(every("RUN"))
