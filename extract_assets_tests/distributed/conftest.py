"""The services a distributed deployment shares, each started here on 127.0.0.1: PostgreSQL
(the Dagster instance, dagster-postgres.yaml), an S3-compatible object store (moto), Redis (the
Celery broker) and the providers (the session's emulator, sped up). The Celery workers are
prepared here and started by the test module, which owns their lifetime."""

from __future__ import annotations

import uuid
from collections.abc import Generator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import boto3
import dagster as dg
import pytest
import yaml
from moto.server import ThreadedMotoServer

from extract_assets.config import DEMO_CONFIG
from extract_assets.core.paths import OUTPUT_ENV
from extract_assets.dataextractor.contract import API_KEY_ENV as DATAEXTRACTOR_KEY_ENV
from extract_assets.dataextractor.contract import BASE_URL_ENV as DATAEXTRACTOR_URL_ENV
from extract_assets.emulator import EmulatorServer
from extract_assets.extractto.contract import API_KEY_ENV as EXTRACTTO_KEY_ENV
from extract_assets.extractto.contract import BASE_URL_ENV as EXTRACTTO_URL_ENV
from extract_assets.linkup.contract import API_KEY_ENV as LINKUP_KEY_ENV
from extract_assets.linkup.contract import BASE_URL_ENV as LINKUP_URL_ENV
from extract_assets.pools import apply_pool_limits
from extract_assets_tests.distributed.celery_workers import (
    CeleryWorker,
    prepare_worker,
    worker_environment,
)
from extract_assets_tests.distributed.code_location import BACKEND_ENV, BROKER_ENV, SPEED
from extract_assets_tests.distributed.redis_server import (
    RedisServer,
    RedisUnavailable,
    redis_server,
)
from extract_assets_tests.distributed.services import (
    DATABASE,
    DATAEXTRACTOR_ACCOUNT,
    DATAEXTRACTOR_KEY,
    DATAEXTRACTOR_POOL_LIMIT,
    EXTRACTTO_KEY,
    GENERATED_DOCUMENTS,
    LINKUP_KEY,
    SEEDED_DATASETS,
    STEP_LOGS,
    WORKERS,
    Bucket,
    Days,
    Services,
)
from extract_assets_tests.production.dagster_home import DAGSTER_POSTGRES_YAML
from extract_assets_tests.production.postgres import PostgresUnavailable, postgres_server


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failed test's report ends with the tail of each Celery worker's log."""
    report: pytest.TestReport = yield
    observed = getattr(item, "funcargs", {}).get("observed")
    workers: list[CeleryWorker] = getattr(observed, "workers", [])
    if report.failed and workers:
        report.sections.append(
            ("Celery workers' logs", "\n".join(worker.log_tail() for worker in workers))
        )
    return report


@pytest.fixture(scope="module")
def redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    try:
        with redis_server(tmp_path_factory.mktemp("redis")) as server:
            yield server
    except RedisUnavailable as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="module")
def postgres_environment() -> Iterator[dict[str, str]]:
    """A PostgreSQL server with an empty database, as the DAGSTER_PG_* variables name it."""
    try:
        with postgres_server() as server:
            server.create_database(DATABASE)
            yield server.dagster_environment(DATABASE)
    except PostgresUnavailable as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="module")
def bucket() -> Iterator[Bucket]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        client = boto3.client(
            "s3",
            endpoint_url=f"http://{host}:{port}",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="us-east-1",
        )
        name = f"lake-{uuid.uuid4().hex[:12]}"
        client.create_bucket(Bucket=name)
        yield Bucket(name=name, client=client)
    finally:
        server.stop()


@pytest.fixture(scope="module")
def days() -> Days:
    """The scenario's days, from the UTC day its fixtures start on."""
    return Days.before(datetime.now(UTC).date())


@pytest.fixture(scope="module")
def providers(emulator: EmulatorServer, days: Days) -> dict[str, str]:
    """Keys of our own on the emulator, datasets on three days, its clock at SPEED x; the
    variables that point the resources at it."""
    control = emulator.control
    control.add_linkup_key(LINKUP_KEY)
    control.add_extractto_key(EXTRACTTO_KEY, role="admin", billing=True)
    control.add_dataextractor_key(DATAEXTRACTOR_KEY, account=DATAEXTRACTOR_ACCOUNT)
    control.seed_dataextractor_datasets(
        SEEDED_DATASETS,
        account=DATAEXTRACTOR_ACCOUNT,
        date_from=days.seeded[0],
        date_to=days.seeded[-1],
        processing_share=0.0,
    )
    control.extractto_settings(sync_seconds=0.5, run_queued_seconds=0.0, run_running_seconds=0.5)
    control.set_speed(SPEED)
    return {
        LINKUP_URL_ENV: emulator.base_url("linkup"),
        LINKUP_KEY_ENV: LINKUP_KEY,
        EXTRACTTO_URL_ENV: emulator.base_url("extractto"),
        EXTRACTTO_KEY_ENV: EXTRACTTO_KEY,
        DATAEXTRACTOR_URL_ENV: emulator.base_url("dataextractor"),
        DATAEXTRACTOR_KEY_ENV: DATAEXTRACTOR_KEY,
    }


@pytest.fixture(scope="module")
def services(
    tmp_path_factory: pytest.TempPathFactory,
    redis: RedisServer,
    postgres_environment: dict[str, str],
    bucket: Bucket,
    emulator: EmulatorServer,
    providers: dict[str, str],
) -> Iterator[Services]:
    """Every service up; the test process's environment pointing at them (it launches the
    runs and ticks the sensor), and its instance's pool limits set: the documented ones, with
    dataextractor raised so two submission steps run at once."""
    endpoint = bucket.client.meta.endpoint_url
    environment = {
        **postgres_environment,
        **providers,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": endpoint,
        OUTPUT_ENV: f"s3://{bucket.name}/lake",
        BROKER_ENV: redis.url(0),
        BACKEND_ENV: redis.url(1),
    }
    home = tmp_path_factory.mktemp("orchestrator") / "dagster_home"
    home.mkdir()
    settings = yaml.safe_load(DAGSTER_POSTGRES_YAML.read_text())
    # As deploy/values.yaml sets it: steps' stdout and stderr go to the bucket, not to the
    # disk of the worker that ran them.
    settings["compute_logs"] = {
        "module": "dagster_aws.s3.compute_log_manager",
        "class": "S3ComputeLogManager",
        "config": {"bucket": bucket.name, "prefix": STEP_LOGS, "endpoint_url": endpoint},
    }
    (home / "dagster.yaml").write_text(yaml.safe_dump(settings))
    with pytest.MonkeyPatch.context() as monkeypatch:
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("DAGSTER_HOME", str(home))
        monkeypatch.delenv("EXTRACT_ASSETS_STORAGE_OPTIONS", raising=False)
        monkeypatch.delenv("EXTRACT_ASSETS_STATE_URL", raising=False)
        with dg.DagsterInstance.from_config(str(home)) as instance:
            apply_pool_limits(instance, overwrite=True)
            instance.event_log_storage.set_concurrency_slots(
                "dataextractor", DATAEXTRACTOR_POOL_LIMIT
            )
        yield Services(
            home=home, redis=redis, bucket=bucket, emulator=emulator, environment=environment
        )


def documents_image(folder: Path) -> Path:
    """The `documents` folder of the workers' image: the demo's documents and generated
    invoices (distinct contents, valid PDF headers)."""
    folder.mkdir(parents=True)
    for source in sorted((DEMO_CONFIG.parent / "documents").iterdir()):
        (folder / source.name).write_bytes(source.read_bytes())
    for number in range(1, GENERATED_DOCUMENTS + 1):
        body = f"%PDF-1.4\n% invoice DIST-{number:03d} of the distributed test\n%%EOF\n"
        (folder / f"invoice-dist-{number:03d}.pdf").write_bytes(body.encode())
    return folder


@pytest.fixture(scope="module")
def workers(
    tmp_path_factory: pytest.TempPathFactory, services: Services
) -> tuple[list[CeleryWorker], dict[str, dict[str, str]]]:
    """The workers' folders (not yet started) and each one's whole environment."""
    root = tmp_path_factory.mktemp("workers")
    documents = documents_image(tmp_path_factory.mktemp("image") / "documents")
    prepared = [
        prepare_worker(
            spec,
            root,
            image={"documents": documents},
            broker_url=services.redis.url(0),
            backend_url=services.redis.url(1),
        )
        for spec in WORKERS
    ]
    environments = {
        worker.spec.name: worker_environment(worker, services.environment) for worker in prepared
    }
    return prepared, environments
