"""An S3-compatible server on loopback (moto), and the Extract.to and Linkup resources."""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import dagster as dg
import pytest
from moto.server import ThreadedMotoServer

from extract_assets.dataextractor.resource import DataExtractorResource
from extract_assets.emulator import EmulatorServer
from extract_assets.extractto.resource import ExtractToResource
from extract_assets.linkup.resource import LinkupResource

EXTRACTTO_KEY = "xt-storage-tests-key"
LINKUP_KEY = "lk-storage-tests-key"
DATAEXTRACTOR_KEY = "dx-storage-tests-key"
DATAEXTRACTOR_ACCOUNT = "acct_storage"


@dataclass(frozen=True)
class Bucket:
    """A fresh bucket on the loopback S3 server, and a boto3 client that sees it directly."""

    name: str
    client: Any

    def url(self, path: str = "") -> str:
        return f"s3://{self.name}/{path}".rstrip("/")

    def keys(self) -> list[str]:
        listed = self.client.list_objects_v2(Bucket=self.name)
        return sorted(item["Key"] for item in listed.get("Contents", []))

    def uploads_in_progress(self) -> list[str]:
        listed = self.client.list_multipart_uploads(Bucket=self.name)
        return sorted(item["Key"] for item in listed.get("Uploads", []))


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def bucket(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Bucket:
    """Dummy credentials and the endpoint in the standard AWS variables, as a user sets them."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_endpoint)
    monkeypatch.delenv("EXTRACT_ASSETS_STORAGE_OPTIONS", raising=False)
    client = boto3.client("s3", endpoint_url=s3_endpoint)
    name = f"lake-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name)
    return Bucket(name=name, client=client)


@pytest.fixture
def extractto(emulator: EmulatorServer) -> ExtractToResource:
    emulator.control.extractto_settings(
        sync_seconds=0.05, run_queued_seconds=0.0, run_running_seconds=0.05
    )
    emulator.control.add_extractto_key(key=EXTRACTTO_KEY, role="admin", billing=True)
    return ExtractToResource(
        api_key=EXTRACTTO_KEY,
        base_url=emulator.base_url("extractto"),
        poll_initial_seconds=0.1,
        poll_max_seconds=0.3,
        poll_timeout_seconds=60,
        retry_deadline_seconds=30,
        requests_per_minute=None,
    )


@pytest.fixture
def extract_id(emulator: EmulatorServer) -> str:
    """The seeded demo extract: ad campaign rows by day."""
    return emulator.control.extractto_demo()["extract_id"]


@pytest.fixture
def linkup(emulator: EmulatorServer) -> LinkupResource:
    emulator.control.add_linkup_key(key=LINKUP_KEY)
    return LinkupResource(
        api_key=LINKUP_KEY,
        base_url=emulator.base_url("linkup"),
        poll_initial_seconds=0.1,
        poll_max_seconds=0.3,
        poll_timeout_seconds=60,
        retry_deadline_seconds=30,
        requests_per_minute=None,
    )


@pytest.fixture
def dataextractor(emulator: EmulatorServer) -> DataExtractorResource:
    """A key on an account holding documents from 2026-11-09 to 2026-11-11."""
    emulator.control.add_dataextractor_key(DATAEXTRACTOR_KEY, account=DATAEXTRACTOR_ACCOUNT)
    emulator.control.set_speed(30)
    emulator.control.seed_dataextractor_datasets(
        40, account=DATAEXTRACTOR_ACCOUNT, date_from="2026-11-09", date_to="2026-11-11"
    )
    return DataExtractorResource(
        api_key=DATAEXTRACTOR_KEY,
        base_url=emulator.base_url("dataextractor"),
        reads_per_minute=60 * 30,
        writes_per_minute=10 * 30,
        poll_initial_seconds=0.1,
        poll_max_seconds=0.3,
    )


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    """An in-memory instance, shared by the runs of one test."""
    with dg.DagsterInstance.ephemeral() as ephemeral:
        yield ephemeral
