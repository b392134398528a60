"""The demo's code location on Dagster's Celery executor, with two workers that share nothing
but PostgreSQL, the object store and Redis (and the providers they call).

One scenario runs once for the module, with every run launched from this process against the
PostgreSQL instance and every step executed by a worker:

- a 7-day backfill of the Extract.to extract `google_ads_campaigns`, one run per day, at once;
- the submission asset `documents_inbox`, from two runs at the same moment;
- the five dataextractor.io tables `documents_*` for three days, in two runs at once;
- the Linkup extract `team_members`, then two readers of it pinned one to each worker's queue;
- meanwhile, ticks of `documents_polling_sensor`, evaluated here as the daemon would.

The tests below each check one property of what the scenario left behind.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from extract_assets.deployment import check_deployment
from extract_assets.emulator import EmulatorServer
from extract_assets_tests.distributed.celery_workers import CeleryWorker, running_workers
from extract_assets_tests.distributed.code_location import (
    DATASETS,
    EXTRACT,
    EXTRACT_JOB,
    LINKUP_JOB,
    READERS,
    SPEED,
    SUBMISSION,
    SUBMISSION_JOB,
    TABLES_JOB,
    UPSTREAM,
    definitions,
)
from extract_assets_tests.distributed.observe import (
    StepExecution,
    StepSpan,
    distinct_contents,
    files_under,
    materialization_metadata,
    materializations,
    peak_in_window,
    request_time,
    step_executions,
    step_spans,
)
from extract_assets_tests.distributed.runs import (
    Finished,
    Launch,
    RunPool,
    SensorTicks,
    partition_tags,
    wait_until_steps_execute,
    while_running,
)
from extract_assets_tests.distributed.services import STEP_LOGS, Days, Services

pytestmark = pytest.mark.slow

POLLING_SENSOR = f"{DATASETS}_polling_sensor"
SENSOR_TICKS = 4
DOCUMENTED_READS_PER_MINUTE = 60
DOCUMENTED_WRITES_PER_MINUTE = 10
RUNS_TIMEOUT_SECONDS = 180.0
TABLES = (f"{DATASETS}_datasets", f"{DATASETS}_fields")

# Launched in three waves, each once the steps of the one before execute in the workers, so
# that the two submissions run at the same moment (contending for the write budget), then the
# two table runs (contending for the read budget, with the sensor), then the rest.
SUBMISSIONS = [Launch(f"submission-{n}", SUBMISSION_JOB) for n in (1, 2)]


def table_runs(days: Days) -> list[Launch]:
    return [
        Launch("tables-first-day", TABLES_JOB, partition_tags(days.seeded[:1])),
        Launch("tables-later-days", TABLES_JOB, partition_tags(days.seeded[1:])),
    ]


def other_runs(days: Days) -> list[Launch]:
    return [
        *(Launch(f"extract-{day}", EXTRACT_JOB, partition_tags([day])) for day in days.backfill),
        Launch("linkup", LINKUP_JOB),
    ]


def all_runs(days: Days) -> list[Launch]:
    return [*SUBMISSIONS, *table_runs(days), *other_runs(days)]


@dataclass(frozen=True)
class Observed:
    """Everything the scenario left behind, read once (the emulator is reset after a test)."""

    finished: list[Finished]
    steps: list[StepExecution]
    spans: dict[str, list[StepSpan]]
    materializations: dict[str, list[dg.EventLogRecord]]
    requests: dict[str, list[dict[str, Any]]]
    dataextractor_usage: list[dict[str, Any]]
    linkup_tasks: list[dict[str, Any]]
    sensor: SensorTicks
    workers: list[CeleryWorker]
    files_before: dict[str, set[str]]
    files_after: dict[str, set[str]]
    instance_home_files: set[str]
    documents: set[str]
    bucket_keys: list[str]

    def summary(self) -> str:
        """What the scenario did, in a few lines (printed; shown when a test fails)."""
        requests = self.requests["dataextractor"]
        reads = [request_time(r) for r in requests if r["method"] == "GET"]
        writes = [request_time(r) for r in requests if r["method"] != "GET"]
        workers = Counter(step.worker for step in self.steps)
        return "\n".join(
            [
                f"runs: {Counter(f.success for f in self.finished)}",
                f"steps per worker: {dict(workers)}",
                f"dataextractor.io: {len(reads)} reads (peak {peak_in_window(reads)} in 60 s), "
                f"{len(writes)} writes (peak {peak_in_window(writes)} in 60 s), emulator clock "
                f"{SPEED}x",
                f"sensor: {self.sensor.count} ticks, requested {self.sensor.run_requests}, "
                f"errors {len(self.sensor.errors)}",
                f"bucket: {len(self.bucket_keys)} objects",
            ]
        )

    def overlapping(self, launches: list[Launch]) -> bool:
        """Whether the (single) steps of these runs executed at the same time."""
        first, second = (span for launch in launches for span in self.spans[launch.label])
        return first.overlaps(second)

    def run_id(self, label: str) -> str:
        [run_id] = [f.run_id for f in self.finished if f.launch.label == label and f.run_id]
        return run_id

    def worker_of(self, run_id: str, step_key: str) -> str:
        [worker] = [s.worker for s in self.steps if s.run_id == run_id and s.step_key == step_key]
        return worker


def _worker_folders(workers: list[CeleryWorker]) -> dict[str, set[str]]:
    return {
        f"{worker.spec.name}:{kind}": files_under(folder)
        for worker in workers
        for kind, folder in (("cwd", worker.cwd), ("home", worker.home), ("tmp", worker.tmp))
    }


def _requests(emulator: EmulatorServer) -> dict[str, list[dict[str, Any]]]:
    return {
        provider: emulator.control.requests(provider)
        for provider in ("linkup", "extractto", "dataextractor")
    }


@pytest.fixture(scope="module")
def observed(
    services: Services,
    workers: tuple[list[CeleryWorker], dict[str, dict[str, str]]],
    days: Days,
) -> Iterator[Observed]:
    """The scenario: workers up, every run launched and finished, workers stopped; then what
    the instance, the emulator, the bucket and the workers' folders hold."""
    prepared, environments = workers
    files_before = _worker_folders(prepared)
    sensor = SensorTicks(POLLING_SENSOR, services.home)
    with (
        running_workers(prepared, environments, services.redis.url(0)),
        RunPool(services.home, services.environment) as pool,
        dg.DagsterInstance.from_config(str(services.home)) as instance,
    ):
        for wave in (SUBMISSIONS, table_runs(days)):
            pool.start(wave)
            wait_until_steps_execute(instance, [launch.label for launch in wave], 60)
        pool.start(other_runs(days))
        while_running(pool, sensor.tick, every=1.0, times=SENSOR_TICKS)
        finished = pool.wait(timeout=RUNS_TIMEOUT_SECONDS)
    # Stopped (warm shutdown) when the block ended: their folders are final.
    with dg.DagsterInstance.from_config(str(services.home)) as instance:
        run_ids = [f.run_id for f in finished if f.run_id]
        found = Observed(
            finished=finished,
            steps=[step for run_id in run_ids for step in step_executions(instance, run_id)],
            spans={f.launch.label: step_spans(instance, f.run_id) for f in finished if f.run_id},
            materializations={
                asset: materializations(instance, asset)
                for asset in (EXTRACT, SUBMISSION, UPSTREAM, *READERS.values(), *TABLES)
            },
            requests=_requests(services.emulator),
            dataextractor_usage=services.emulator.control.dataextractor_usage(),
            linkup_tasks=services.emulator.control.linkup_tasks(),
            sensor=sensor,
            workers=prepared,
            files_before=files_before,
            files_after=_worker_folders(prepared),
            instance_home_files=files_under(services.home),
            documents=distinct_contents(prepared[0].cwd / "documents"),
            bucket_keys=services.bucket.keys(),
        )
    print(found.summary())
    yield found


def test_every_run_succeeds_and_each_backfill_day_is_materialized_once(
    observed: Observed, days: Days
) -> None:
    """All 12 runs succeed; the 7-day backfill materialized each day exactly once, and the
    tables each of their three days once."""
    failed = [(f.launch.label, f.run_id, f.error) for f in observed.finished if not f.success]
    assert failed == []
    assert len(observed.finished) == len(all_runs(days))
    extract_days = Counter(record.partition_key for record in observed.materializations[EXTRACT])
    assert extract_days == dict.fromkeys(days.backfill, 1)
    for table in TABLES:
        tables_days = Counter(r.partition_key for r in observed.materializations[table])
        assert tables_days == dict.fromkeys(days.seeded, 1)


def test_steps_execute_in_both_workers_and_a_reader_reads_the_table_another_worker_wrote(
    observed: Observed, days: Days
) -> None:
    """Every step ran in a Celery worker, both workers ran steps, and the readers pinned to
    queues `a` and `b` read the rows of `team_members` wherever it was written: one of them on
    the other worker, through the object store."""
    hostnames = {worker.spec.name: worker.hostname for worker in observed.workers}
    assert {step.worker for step in observed.steps} == set(hostnames.values())
    executed = Counter((step.run_id, step.step_key) for step in observed.steps)
    assert set(executed.values()) == {1}
    expected_steps = (
        len(days.backfill) + len(table_runs(days)) + len(SUBMISSIONS) + 1 + len(READERS)
    )
    assert len(executed) == expected_steps

    linkup = observed.run_id("linkup")
    writer = observed.worker_of(linkup, UPSTREAM)
    readers = {queue: observed.worker_of(linkup, name) for queue, name in READERS.items()}
    assert readers == {"a": hostnames["worker-a"], "b": hostnames["worker-b"]}
    assert writer in readers.values()
    [upstream] = observed.materializations[UPSTREAM]
    rows = materialization_metadata(upstream)["dagster/row_count"]
    assert rows > 0
    for name in READERS.values():
        [read] = observed.materializations[name]
        assert materialization_metadata(read)["dagster/row_count"] == rows


def test_each_linkup_materialization_creates_exactly_one_task(observed: Observed) -> None:
    """One Linkup materialization, one paid task: created once, seen once by the emulator."""
    created = [
        r
        for r in observed.requests["linkup"]
        if r["method"] == "POST" and r["path"] == "/v1/extract"
    ]
    assert len(created) == len(observed.materializations[UPSTREAM]) == 1
    assert len(observed.linkup_tasks) == 1


def test_each_backfill_day_runs_the_extract_exactly_once(observed: Observed, days: Days) -> None:
    """Seven runs of one day each, on two workers: seven Extract.to runs of the extract."""
    extract_runs = [
        r
        for r in observed.requests["extractto"]
        if r["method"] == "POST" and str(r["path"]).endswith("/run")
    ]
    assert len(extract_runs) == len(days.backfill)


def test_two_runs_submitting_the_folder_at_once_upload_each_document_once(
    observed: Observed,
) -> None:
    """Both submission steps executed at the same time, on workers with separate disks, and
    each distinct document was uploaded once between them."""
    assert observed.overlapping(SUBMISSIONS), "the submission steps did not run at once"
    uploads = [
        r
        for r in observed.requests["dataextractor"]
        if r["method"] == "POST" and r["path"] == "/api/v1/extract"
    ]
    assert len(uploads) == len(observed.documents)


def test_dataextractor_requests_stay_within_the_documented_rates_across_workers_and_sensor(
    observed: Observed, days: Days
) -> None:
    """All runs and the sensor ticks together never sent more than 60 reads or 10 writes in
    any 60 s of the emulator's clock (which ran SPEED x real time), and were never answered
    429: while two submissions wrote at once and two table runs (and the sensor) read at once,
    each process able to use the whole per-key budget on its own."""
    assert observed.overlapping(SUBMISSIONS), "the submission steps did not run at once"
    assert observed.overlapping(table_runs(days)), "the table runs' steps did not run at once"
    assert observed.sensor.errors == []
    assert observed.sensor.count >= 2, "the sensor did not tick while the runs went"
    requests = observed.requests["dataextractor"]
    reads = [request_time(r) for r in requests if r["method"] == "GET"]
    writes = [request_time(r) for r in requests if r["method"] != "GET"]
    peaks = {"reads": peak_in_window(reads), "writes": peak_in_window(writes)}
    limits = {"reads": DOCUMENTED_READS_PER_MINUTE, "writes": DOCUMENTED_WRITES_PER_MINUTE}
    assert all(peaks[kind] <= limits[kind] for kind in limits), (peaks, limits, SPEED)
    rate_limited = [
        (usage["key"], bucket, counts["rate_limited"])
        for usage in observed.dataextractor_usage
        for bucket, counts in usage["buckets"].items()
        if counts["rate_limited"]
    ]
    assert rate_limited == []
    assert [r for r in requests if r["status"] == 429] == []


def test_nothing_is_written_outside_the_object_store(observed: Observed) -> None:
    """After the runs, each worker's working directory holds only its documents, its HOME and
    TMPDIR nothing; the tables are Parquet in the bucket."""
    assert observed.files_after == observed.files_before
    parquet = [key for key in observed.bucket_keys if key.endswith(".parquet")]
    for folder in (
        f"extractto/{EXTRACT}/",
        f"linkup/{UPSTREAM}/",
        f"dataextractor/{DATASETS}_datasets/",
    ):
        assert any(f"/{folder}" in key for key in parquet), (folder, observed.bucket_keys)
    tables = [key for key in observed.bucket_keys if not key.startswith(f"{STEP_LOGS}/")]
    assert all(key.endswith((".parquet", ".schema.json")) for key in tables)


def test_workers_keep_no_step_logs_on_a_local_disk(observed: Observed) -> None:
    """The instance every worker opens (the run's instance ref) sends the steps' stdout and
    stderr to the bucket: the launching process's DAGSTER_HOME, whose path each worker would
    otherwise write logs under on its own disk, holds only its dagster.yaml after the runs."""
    assert observed.instance_home_files == {"dagster.yaml"}
    logs = [key for key in observed.bucket_keys if key.startswith(f"{STEP_LOGS}/")]
    assert any(key.endswith(".err") for key in logs), observed.bucket_keys


def test_workers_stop_cleanly(observed: Observed) -> None:
    """Each worker exits 0 on a warm shutdown once the runs are done."""
    assert {w.spec.name: w.exit_code for w in observed.workers} == {
        w.spec.name: 0 for w in observed.workers
    }


def test_the_code_location_warns_of_nothing_in_this_deployment(services: Services) -> None:
    """Output on the object store and state in PostgreSQL: loading warns of nothing."""
    assert check_deployment(definitions(), dagster_home=Path(services.home)) == []
