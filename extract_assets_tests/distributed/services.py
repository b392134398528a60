"""What the distributed test's fixtures set up, named once for the fixtures and the tests: the
days, keys and amounts of the scenario, the workers, and where the shared services listen."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
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
# Datasets already at dataextractor.io, on the days the tables' runs read (`Days.seeded`):
# enough that listing them takes several dozen reads, so runs reading at once would exceed 60
# a minute together.
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
class Days:
    """The scenario's days: those of the seeded datasets and those of the extract's backfill,
    counted back once from the UTC day the scenario starts on, so that the fixtures seeding
    them and the runs reading them name the same days at any hour."""

    seeded: list[str]
    backfill: list[str]

    @classmethod
    def before(cls, today: date) -> Days:
        def back(counts: Iterable[int]) -> list[str]:
            return [(today - timedelta(days=n)).isoformat() for n in counts]

        return cls(seeded=back((12, 11, 10)), backfill=back(range(9, 2, -1)))


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
