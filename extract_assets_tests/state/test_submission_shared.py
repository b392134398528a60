"""The dataextractor.io submission asset on an instance with PostgreSQL storage: its ledger is
the instance's database, so no machine and no fresh container pays for a document twice.

Each materialization runs in a process of its own, as a run worker on another machine would:
a Python script given the DAGSTER_HOME (the repo's dagster-postgres.yaml), the folder, an
output folder and a working directory of its own. Uploads are counted at the emulator.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from extract_assets.core.paths import OUTPUT_ENV
from extract_assets.core.state import STATE_URL_ENV, SharedState
from extract_assets.dataextractor.assets import build_dataextractor_assets
from extract_assets.dataextractor.ledger import SubmissionLedger
from extract_assets.dataextractor.resource import DataExtractorResource
from extract_assets.dataextractor.spec import DataExtractorSubmissionSpec
from extract_assets.emulator import EmulatorServer
from extract_assets.instance_state import instance_postgres_url
from extract_assets_tests.production.dagster_home import DAGSTER_POSTGRES_YAML
from extract_assets_tests.production.postgres import PostgresServer

pytestmark = pytest.mark.slow

KEY = "dx-SHARED-LEDGER-5a4b3c2d1e"
ACCOUNT = "acct_shared_ledger"
ASSET = "invoices_inbox"
SPEED = 30
PDF = b"%PDF-1.7\n" + b"4" * 1_000
# Six contents; one of them twice, under another name.
DOCUMENTS = {f"invoice-{n:02d}.pdf": PDF + str(n).encode() for n in range(6)}
DOCUMENTS["copy-of-invoice-00.pdf"] = DOCUMENTS["invoice-00.pdf"]
CONTENTS = {hashlib.sha256(content).hexdigest() for content in DOCUMENTS.values()}

MATERIALIZE = """
import json
import sys

import dagster as dg

from extract_assets.dataextractor.assets import build_dataextractor_assets
from extract_assets.dataextractor.resource import DataExtractorResource
from extract_assets.dataextractor.spec import DataExtractorSubmissionSpec

home, folder, output, base_url, key, asset, speed = sys.argv[1:]
spec = DataExtractorSubmissionSpec(name=asset, folder=folder, dataset_type="invoice")
resource = DataExtractorResource(
    api_key=key,
    base_url=base_url,
    reads_per_minute=60 * int(speed),
    writes_per_minute=10 * int(speed),
    poll_initial_seconds=0.1,
    poll_max_seconds=0.3,
)
assets = build_dataextractor_assets(submissions=[spec], output_dir=output)
with dg.DagsterInstance.from_config(home) as instance:
    print("ready", flush=True)
    sys.stdin.readline()  # go
    result = dg.materialize(
        assets, resources={"dataextractor": resource}, instance=instance, raise_on_error=False
    )
    done = result.asset_materializations_for_node(asset)
    metadata = {k: v.value for k, v in done[0].metadata.items()} if done else {}
    outcomes = {
        kind: metadata.get(f"dataextractor/{kind}")
        for kind in ("extracted", "skipped", "refused", "uncertain", "failed")
    }
    print(json.dumps({"success": result.success, "run_id": result.run_id, **outcomes}))
"""


def uploads(emulator: EmulatorServer) -> int:
    """Documents the emulated dataextractor.io received (each upload counts, retries too)."""
    return sum(
        1
        for r in emulator.control.requests("dataextractor")
        if r["method"] == "POST" and r["path"] == "/api/v1/extract"
    )


@dataclass(frozen=True)
class Machine:
    """Where one run worker runs: its working directory and its output folder."""

    workdir: Path
    output: Path

    @classmethod
    def new(cls, root: Path) -> Machine:
        (root / "workdir").mkdir(parents=True)
        return cls(workdir=root / "workdir", output=root / "output")

    def ledger_files(self) -> list[Path]:
        """SQLite files it wrote, beside its output or in its working directory."""
        return [path for folder in (self.workdir, self.output) for path in folder.rglob("*.sql*")]


@dataclass(frozen=True)
class Deployment:
    """The instance every worker shares (its DAGSTER_HOME and the environment its
    dagster.yaml reads), the folder of documents, and the emulated provider."""

    home: Path
    env: dict[str, str]
    inbox: Path
    emulator: EmulatorServer

    def start(self, machine: Machine) -> Worker:
        """A run worker on `machine`, imported and connected, waiting for `go`."""
        arguments = [str(self.home), str(self.inbox), str(machine.output)]
        arguments += [self.emulator.base_url("dataextractor"), KEY, ASSET, str(SPEED)]
        log = machine.workdir.parent / "worker.log"
        # Its log goes to a file: a pipe nobody reads while it runs could fill and stop it.
        with log.open("w") as stderr:
            process = subprocess.Popen(
                [sys.executable, "-c", MATERIALIZE, *arguments],
                cwd=machine.workdir,
                env=self.env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
            )
        return Worker(process, log)

    def uploads(self) -> int:
        return uploads(self.emulator)


class Worker:
    """One materialization in a process of its own."""

    def __init__(self, process: subprocess.Popen[str], log: Path) -> None:
        self.process = process
        self.log = log

    def ready(self) -> None:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line.strip() == "ready", self._log_tail()

    def go(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("go\n")
        self.process.stdin.flush()

    def result(self) -> dict[str, Any]:
        out, _ = self.process.communicate(timeout=120)
        assert self.process.returncode == 0, self._log_tail()
        answer: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
        return answer

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def _log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


@dataclass(frozen=True)
class Outcome:
    """What happened: two machines at once on a new instance, then a fresh container."""

    instance: dg.DagsterInstance
    machines: list[Machine]
    runs: list[dict[str, Any]]
    uploads: int
    fresh: Machine
    fresh_run: dict[str, Any]
    uploads_after_fresh: int


@pytest.fixture(scope="module")
def deployment(
    postgres: PostgresServer,
    dagster_template: str,
    emulator: EmulatorServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Deployment:
    database = "dagster_submissions_shared"
    postgres.create_database(database, template=dagster_template)
    root = tmp_path_factory.mktemp("submission")
    home = root / "dagster_home"
    home.mkdir()
    shutil.copyfile(DAGSTER_POSTGRES_YAML, home / "dagster.yaml")
    inbox = root / "inbox"
    inbox.mkdir()
    for name, content in DOCUMENTS.items():
        (inbox / name).write_bytes(content)
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {STATE_URL_ENV, OUTPUT_ENV, "DAGSTER_HOME"}
    }
    env |= {
        "DAGSTER_HOME": str(home),
        "DAGSTER_PG_HOST": postgres.host,
        "DAGSTER_PG_PORT": str(postgres.port),
        "DAGSTER_PG_USER": postgres.user,
        "DAGSTER_PG_PASSWORD": postgres.password,
        "DAGSTER_PG_DB": database,
    }
    return Deployment(home=home, env=env, inbox=inbox, emulator=emulator)


@pytest.fixture(scope="module")
def outcome(deployment: Deployment, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outcome]:
    control = deployment.emulator.control
    control.add_dataextractor_key(KEY, account=ACCOUNT)
    control.set_speed(SPEED)
    control.dataextractor_settings(processing_seconds=0.5)
    with pytest.MonkeyPatch.context() as monkeypatch:
        # dagster.yaml reads its connection from the environment when the instance starts.
        for name, value in deployment.env.items():
            if name.startswith("DAGSTER_PG_"):
                monkeypatch.setenv(name, value)
        instance = dg.DagsterInstance.from_config(str(deployment.home))
    with instance:
        # Two submission steps may run at once: the repo's default pool limit of 1 would
        # queue the second behind the first, and the race would never happen.
        instance.event_log_storage.set_concurrency_slots("dataextractor", 2)
        root = tmp_path_factory.mktemp("machines")
        machines = [Machine.new(root / "machine-a"), Machine.new(root / "machine-b")]
        fresh = Machine.new(root / "fresh-container")
        # All three start now (starting takes seconds); the fresh one goes once both are done.
        workers = [deployment.start(m) for m in [*machines, fresh]]
        try:
            for worker in workers:
                worker.ready()
            for worker in workers[:2]:
                worker.go()
            runs = [worker.result() for worker in workers[:2]]
            uploaded = deployment.uploads()
            workers[2].go()
            fresh_run = workers[2].result()
        finally:
            for worker in workers:
                worker.stop()
        yield Outcome(
            instance=instance,
            machines=machines,
            runs=runs,
            uploads=uploaded,
            fresh=fresh,
            fresh_run=fresh_run,
            uploads_after_fresh=deployment.uploads(),
        )


def step_window(instance: dg.DagsterInstance, run_id: str) -> tuple[float, float]:
    (step,) = instance.get_run_step_stats(run_id)
    assert step.start_time is not None and step.end_time is not None
    return step.start_time, step.end_time


def test_two_machines_submitting_at_once_both_succeed(outcome: Outcome) -> None:
    assert [run["success"] for run in outcome.runs] == [True, True]
    for run in outcome.runs:
        assert run["refused"] == run["uncertain"] == run["failed"] == 0


def test_the_two_submission_steps_ran_at_the_same_time(outcome: Outcome) -> None:
    """Else the test below would prove nothing about a race."""
    (start_a, end_a), (start_b, end_b) = (
        step_window(outcome.instance, run["run_id"]) for run in outcome.runs
    )
    assert start_a < end_b and start_b < end_a


def test_two_machines_submitting_at_once_upload_each_document_once(outcome: Outcome) -> None:
    assert outcome.uploads == len(CONTENTS)
    # Every file is accounted for by one run or the other: uploaded there, skipped here.
    assert sum(run["extracted"] for run in outcome.runs) == len(CONTENTS)
    for run in outcome.runs:
        assert run["extracted"] + run["skipped"] == len(DOCUMENTS)


def test_no_ledger_file_is_written_beside_the_output(outcome: Outcome) -> None:
    for machine in [*outcome.machines, outcome.fresh]:
        assert machine.ledger_files() == []


def test_the_ledger_is_in_the_instances_database(outcome: Outcome) -> None:
    url = instance_postgres_url(outcome.instance)
    assert url is not None
    state = SharedState(url)
    try:
        ledger = SubmissionLedger(state, ASSET)
        recorded = [ledger.get(digest) for digest in CONTENTS]
    finally:
        state.engine.dispose()
    assert all(r is not None and r.state == "submitted" and r.dataset_id for r in recorded)


def test_a_fresh_container_uploads_nothing_again(outcome: Outcome) -> None:
    """A new working directory and a new output folder: only the instance is the same."""
    assert outcome.fresh_run["success"]
    assert outcome.fresh_run["skipped"] == len(DOCUMENTS)
    assert outcome.fresh_run["extracted"] == 0
    assert outcome.uploads_after_fresh == outcome.uploads


# --- Moving a single-machine deployment to PostgreSQL ----------------------------------------


def test_documents_an_earlier_single_machine_ledger_recorded_are_not_uploaded_again(
    emulator: EmulatorServer, postgres_home: Path, tmp_path: Path
) -> None:
    """A deployment that ran on one machine (its ledger a SQLite file beside the output, as
    earlier versions kept it) moves its instance to PostgreSQL: what that file says was paid
    for is not uploaded again."""
    emulator.control.add_dataextractor_key(KEY, account=ACCOUNT)
    emulator.control.set_speed(SPEED)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name, content in DOCUMENTS.items():
        (inbox / name).write_bytes(content)
    output = tmp_path / "output"
    earlier = output / "dataextractor" / ASSET / "submissions.sqlite"
    earlier.parent.mkdir(parents=True)
    with sqlite3.connect(earlier) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(
            "CREATE TABLE submissions (sha256 TEXT PRIMARY KEY, filename TEXT NOT NULL, "
            "dataset_id TEXT, state TEXT NOT NULL, recorded_at TEXT NOT NULL)"
        )
        connection.executemany(
            "INSERT INTO submissions VALUES (?, ?, ?, 'submitted', '2026-01-05T10:00:00+00:00')",
            [(digest, f"{digest[:8]}.pdf", f"ds_old_{n}") for n, digest in enumerate(CONTENTS)],
        )
    connection.close()
    spec = DataExtractorSubmissionSpec(name=ASSET, folder=inbox, dataset_type="invoice")
    resource = DataExtractorResource(
        api_key=KEY,
        base_url=emulator.base_url("dataextractor"),
        reads_per_minute=60 * SPEED,
        writes_per_minute=10 * SPEED,
        poll_initial_seconds=0.1,
        poll_max_seconds=0.3,
    )
    with dg.DagsterInstance.from_config(str(postgres_home)) as instance:
        result = dg.materialize(
            build_dataextractor_assets(submissions=[spec], output_dir=str(output)),
            resources={"dataextractor": resource},
            instance=instance,
        )
    assert uploads(emulator) == 0
    metadata = result.asset_materializations_for_node(ASSET)[0].metadata
    assert metadata["dataextractor/skipped"].value == len(DOCUMENTS)
