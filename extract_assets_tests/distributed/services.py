"""What the distributed test's fixtures set up, named once for the fixtures and the tests: the
days, keys and amounts of the scenario, the workers, and where the shared services listen."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from extract_assets.emulator import EmulatorServer
from extract_assets_tests.distributed.celery_workers import WorkerSpec
from extract_assets_tests.distributed.redis_server import RedisServer

DATABASE = "dagster_distributed"
LINKUP_KEY = "lk-distributed-key"
EXTRACTTO_KEY = "xt-distributed-key"
DATAEXTRACTOR_KEY = "dx-distributed-key"
DATAEXTRACTOR_ACCOUNT = "acct_distributed"
# How many dataextractor.io steps may run at once: the two submissions, then the two table
# runs, each pair at the same moment (the documented limit, 1, would make them take turns).
DATAEXTRACTOR_POOL_LIMIT = 4
TODAY = datetime.now(UTC).date()
# Datasets already at dataextractor.io, on days the tables' runs read: enough that listing
# them takes several dozen reads, so runs reading at once would exceed 60 a minute together.
SEEDED_DAYS = [(TODAY - timedelta(days=n)).isoformat() for n in (12, 11, 10)]
SEEDED_DATASETS = 4_000
# The documents baked into each worker's image: the demo's, plus generated invoices, so that
# two runs uploading them at once would exceed 10 writes a minute together.
GENERATED_DOCUMENTS = 9
# Where in the bucket the instance's S3ComputeLogManager keeps the steps' stdout and stderr.
STEP_LOGS = "dagster-logs"
WORKERS = (
    WorkerSpec("worker-a", queues=("dagster", "a"), concurrency=2),
    WorkerSpec("worker-b", queues=("dagster", "b"), concurrency=2),
)


@dataclass(frozen=True)
class Bucket:
    """The output bucket on the loopback S3 server, and a client that sees it directly."""

    name: str
    client: Any

    def keys(self) -> list[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        return sorted(
            item["Key"]
            for page in paginator.paginate(Bucket=self.name)
            for item in page.get("Contents", [])
        )


@dataclass(frozen=True)
class Services:
    """Where the shared services listen, as the environment every process reads."""

    home: Path
    redis: RedisServer
    bucket: Bucket
    emulator: EmulatorServer
    environment: dict[str, str]
