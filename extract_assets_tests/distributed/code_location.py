"""The code location the Celery workers load: the demo's assets on Dagster's Celery executor.

It is what an image of the demo would hold: the demo config's assets, sensors and schedules
(`extract_assets/demo/extract-assets.yaml`), with the submission folder `documents` relative to
the working directory (each worker has a copy there, as if baked into its image), resources
that read keys and URLs from the environment, and the Celery executor on the Redis broker named
by `BROKER_ENV`. Two small downstream assets read the upstream table `team_members` through the
package's IO manager, one pinned to the Celery queue `a`, the other to `b`.

Definitions are built on first use, not at import (pytest imports every module to look for
doctests, without the environment the workers have).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
import pandas as pd
from dagster_celery import celery_executor

from extract_assets.config import DEMO_CONFIG, load_config
from extract_assets.dataextractor.contract import API_KEY_ENV as DATAEXTRACTOR_KEY_ENV
from extract_assets.dataextractor.contract import READS_PER_MINUTE, WRITES_PER_MINUTE
from extract_assets.dataextractor.definitions import dataextractor_definitions
from extract_assets.dataextractor.resource import DataExtractorResource
from extract_assets.dataextractor.section import DataExtractorSection
from extract_assets.deployment import check_deployment
from extract_assets.extractto.contract import API_KEY_ENV as EXTRACTTO_KEY_ENV
from extract_assets.extractto.definitions import extractto_definitions
from extract_assets.extractto.resource import ExtractToResource
from extract_assets.linkup.contract import API_KEY_ENV as LINKUP_KEY_ENV
from extract_assets.linkup.definitions import linkup_definitions
from extract_assets.linkup.resource import LinkupResource

if TYPE_CHECKING:
    from dagster._core.definitions.reconstruct import ReconstructableJob

REPO = Path(__file__).resolve().parents[2]
# The emulator's clock runs this many times real time; dataextractor.io's per-minute limits are
# per minute of emulator time, so the clients' budgets per real minute are scaled by it. Slow
# enough that the budgets, not this machine's CPU, set the pace of a listing (5 reads a second
# of real time), so that runs reading at once would exceed them without a shared budget.
SPEED = 5
BROKER_ENV = "EXTRACT_ASSETS_TEST_CELERY_BROKER"
BACKEND_ENV = "EXTRACT_ASSETS_TEST_CELERY_BACKEND"
QUEUE_TAG = "dagster-celery/queue"
DOCUMENTS = Path("documents")

UPSTREAM = "team_members"
EXTRACT = "google_ads_campaigns"
SUBMISSION = "documents_inbox"
DATASETS = "documents"
READERS = {"a": "team_members_read_on_a", "b": "team_members_read_on_b"}

# One job per kind of run the test launches (a job's assets share one partitioning).
EXTRACT_JOB = "extractto_extract"
TABLES_JOB = "dataextractor_tables"
SUBMISSION_JOB = "dataextractor_submission"
LINKUP_JOB = "linkup_extract_and_readers"

# Read where the run's steps are planned: the test process and every worker.
EXECUTOR = celery_executor.configured(
    {"broker": {"env": BROKER_ENV}, "backend": {"env": BACKEND_ENV}}
)

# Polls a little faster than the defaults, for a short test: the emulator's work is sped up.
POLL_INITIAL_SECONDS = 0.2
POLL_MAX_SECONDS = 1.0
POLL_TIMEOUT_SECONDS = 120.0


def _reader(queue: str) -> dg.AssetsDefinition:
    @dg.asset(
        name=READERS[queue],
        group_name="downstream",
        ins={"team": dg.AssetIn(UPSTREAM)},
        op_tags={QUEUE_TAG: queue},
        description=f"Counts the rows of {UPSTREAM}; runs only on workers of queue {queue!r}.",
    )
    def _read(team: pd.DataFrame) -> dg.MaterializeResult:
        return dg.MaterializeResult(metadata={"dagster/row_count": len(team)})

    return _read


def _documents_in_working_directory(section: DataExtractorSection) -> DataExtractorSection:
    """The submissions read `documents` in the process's working directory, as an image's
    entrypoint would (the config loader makes the folder absolute, relative to the file)."""
    submissions = [spec.model_copy(update={"folder": DOCUMENTS}) for spec in section.submissions]
    return section.model_copy(update={"submissions": submissions})


@functools.cache
def definitions() -> dg.Definitions:
    """The demo's definitions on the Celery executor, with the two readers and the jobs."""
    config = load_config(DEMO_CONFIG)
    demo = dg.Definitions.merge(
        linkup_definitions(config.linkup),
        extractto_definitions(config.extractto),
        dataextractor_definitions(_documents_in_working_directory(config.dataextractor)),
    )
    datasets = next(spec for spec in config.dataextractor.datasets if spec.name == DATASETS)
    jobs = [
        dg.define_asset_job(EXTRACT_JOB, selection=[EXTRACT]),
        dg.define_asset_job(TABLES_JOB, selection=datasets.asset_keys()),
        dg.define_asset_job(SUBMISSION_JOB, selection=[SUBMISSION]),
        dg.define_asset_job(LINKUP_JOB, selection=[UPSTREAM, *READERS.values()]),
    ]
    # The YAML names only each provider's key variable and base URL; the pace and the polling
    # are resource settings, so they are set here (keys and URLs still come from the environment).
    resources = {
        **(demo.resources or {}),
        "linkup": LinkupResource(
            api_key=dg.EnvVar(LINKUP_KEY_ENV),
            poll_initial_seconds=POLL_INITIAL_SECONDS,
            poll_max_seconds=POLL_MAX_SECONDS,
            poll_timeout_seconds=POLL_TIMEOUT_SECONDS,
        ),
        "extractto": ExtractToResource(
            api_key=dg.EnvVar(EXTRACTTO_KEY_ENV),
            poll_initial_seconds=POLL_INITIAL_SECONDS,
            poll_max_seconds=POLL_MAX_SECONDS,
            poll_timeout_seconds=POLL_TIMEOUT_SECONDS,
        ),
        "dataextractor": DataExtractorResource(
            api_key=dg.EnvVar(DATAEXTRACTOR_KEY_ENV),
            reads_per_minute=READS_PER_MINUTE * SPEED,
            writes_per_minute=WRITES_PER_MINUTE * SPEED,
            poll_initial_seconds=POLL_INITIAL_SECONDS,
            poll_max_seconds=POLL_MAX_SECONDS,
            poll_timeout_seconds=POLL_TIMEOUT_SECONDS,
        ),
    }
    defs = dg.Definitions(
        assets=[*(demo.assets or []), *(_reader(queue) for queue in READERS)],
        schedules=demo.schedules,
        sensors=demo.sensors,
        jobs=jobs,
        resources=resources,
        executor=EXECUTOR,
    )
    check_deployment(defs)
    return defs


def job(name: str) -> dg.JobDefinition:
    """One of the jobs, as a worker reconstructs it for each step."""
    return definitions().resolve_job_def(name)


def reconstructable_job(name: str) -> ReconstructableJob:
    """A job every process can rebuild: this module's `job(name)`, imported from the repo."""
    return dg.build_reconstructable_job(
        __name__, job.__name__, (name,), reconstructor_working_directory=str(REPO)
    )
