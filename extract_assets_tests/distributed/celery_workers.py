"""Celery workers as separate machines would run them: one process tree each, started with
`celery -A dagster_celery.app worker`, each with its own working directory, HOME, TMPDIR and
DAGSTER_HOME, and an environment holding only what the worker needs.

What a worker shares with the others is what it reaches over the network: PostgreSQL (the
Dagster instance), the object store, the providers (the emulator) and Redis (the broker).
Its Celery settings come from a `dagster_celery_config` module on its PYTHONPATH, the way
`dagster-celery worker start` configures a worker.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from celery import Celery

from extract_assets_tests.production.dagster_home import DAGSTER_POSTGRES_YAML

CELERY = Path(sys.executable).with_name("celery")
_READY_TIMEOUT_SECONDS = 60.0
_STOP_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class WorkerSpec:
    """One worker: its node name (`worker-a`), the queues it listens on, its pool size."""

    name: str
    queues: Sequence[str]
    concurrency: int = 2


@dataclass
class CeleryWorker:
    """A worker's folders and process. `cwd`, `home` and `tmp` are its own; `log` is outside
    them all (the test reads it, the worker only appends to its stdout)."""

    spec: WorkerSpec
    root: Path
    cwd: Path
    home: Path
    tmp: Path
    dagster_home: Path
    config: Path
    log: Path
    process: subprocess.Popen[bytes] | None = None
    exit_code: int | None = field(default=None)

    @property
    def hostname(self) -> str:
        """The node name Celery reports (`worker-a@<host>`), as in Dagster's engine events."""
        return f"{self.spec.name}@{socket.gethostname()}"

    def log_tail(self, lines: int = 60) -> str:
        if not self.log.exists():
            return f"{self.spec.name}: no log"
        tail = self.log.read_text(errors="replace").splitlines()[-lines:]
        return f"--- last {len(tail)} lines of {self.log} ---\n" + "\n".join(tail)


def prepare_worker(
    spec: WorkerSpec,
    root: Path,
    *,
    image: Mapping[str, Path],
    broker_url: str,
    backend_url: str,
) -> CeleryWorker:
    """The worker's folders: an empty HOME and TMPDIR, a working directory holding only the
    `image` entries (name -> file or folder to copy), a DAGSTER_HOME with a copy of the repo's
    dagster-postgres.yaml, and the Celery config module."""
    folder = root / spec.name
    worker = CeleryWorker(
        spec=spec,
        root=folder,
        cwd=folder / "cwd",
        home=folder / "home",
        tmp=folder / "tmp",
        dagster_home=folder / "dagster_home",
        config=folder / "celery_config",
        log=folder / "worker.log",
    )
    for path in (worker.cwd, worker.home, worker.tmp, worker.dagster_home, worker.config):
        path.mkdir(parents=True)
    for name, source in image.items():
        if source.is_dir():
            shutil.copytree(source, worker.cwd / name)
        else:
            shutil.copyfile(source, worker.cwd / name)
    shutil.copyfile(DAGSTER_POSTGRES_YAML, worker.dagster_home / "dagster.yaml")
    (worker.config / "dagster_celery_config.py").write_text(
        f"broker_url = {broker_url!r}\n"
        f"result_backend = {backend_url!r}\n"
        "worker_prefetch_multiplier = 1\n"
        "broker_connection_retry_on_startup = True\n"
    )
    return worker


def worker_environment(worker: CeleryWorker, shared: Mapping[str, str]) -> dict[str, str]:
    """Only what a worker needs: `shared` (the services' addresses and keys) and its own
    folders. Nothing of the test process's environment leaks in."""
    return {
        "PATH": f"{CELERY.parent}:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "HOME": str(worker.home),
        "TMPDIR": str(worker.tmp),
        "DAGSTER_HOME": str(worker.dagster_home),
        "PYTHONPATH": str(worker.config),
        # Imported modules must not leave caches in the source tree an image would hold.
        "PYTHONDONTWRITEBYTECODE": "1",
        **shared,
    }


def start_worker(worker: CeleryWorker, environment: Mapping[str, str]) -> None:
    """`celery -A dagster_celery.app worker` in the worker's working directory, in a session
    of its own (so it and its pool's children can be stopped together), logging to a file."""
    command = [str(CELERY), "-A", "dagster_celery.app", "worker"]
    command += ["-n", f"{worker.spec.name}@%h", "-Q", ",".join(worker.spec.queues)]
    command += ["-c", str(worker.spec.concurrency), "--prefetch-multiplier", "1"]
    command += ["-l", "INFO", "--without-gossip", "--without-mingle"]
    with worker.log.open("ab") as output:
        worker.process = subprocess.Popen(
            command,
            cwd=worker.cwd,
            env=dict(environment),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_until_ready(workers: Sequence[CeleryWorker], broker_url: str) -> None:
    """Until every worker answers a ping over the broker; fails with their logs if one exits
    or none answers in time."""
    app = Celery("readiness", broker=broker_url)
    expected = {worker.hostname for worker in workers}
    deadline = time.monotonic() + _READY_TIMEOUT_SECONDS
    try:
        while time.monotonic() < deadline:
            for worker in workers:
                if worker.process is not None and worker.process.poll() is not None:
                    raise RuntimeError(
                        f"Celery worker {worker.spec.name} exited with "
                        f"{worker.process.returncode} at start:\n{worker.log_tail()}"
                    )
            replies = app.control.ping(destination=sorted(expected), timeout=1.0)
            answered = {name for reply in replies for name in reply}
            if expected <= answered:
                return
        raise RuntimeError(
            f"Celery workers did not answer within {_READY_TIMEOUT_SECONDS:.0f} s:\n"
            + "\n".join(worker.log_tail() for worker in workers)
        )
    finally:
        app.close()


def stop_worker(worker: CeleryWorker, *, kill: bool = False) -> None:
    """A warm shutdown (SIGTERM: running tasks finish, then it exits); the whole session is
    killed if it does not exit in time, or at once with `kill`."""
    process = worker.process
    if process is None or process.poll() is not None:
        worker.exit_code = None if process is None else process.returncode
        return
    if not kill:
        process.send_signal(signal.SIGTERM)
        try:
            worker.exit_code = process.wait(timeout=_STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            kill = True
    if kill:
        # The session is the worker's own (start_new_session): its id is the worker's pid.
        os.killpg(process.pid, signal.SIGKILL)
        worker.exit_code = process.wait()
    # A pool child that outlived its parent belongs to the same session.
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


@contextmanager
def running_workers(
    workers: Sequence[CeleryWorker], environments: Mapping[str, Mapping[str, str]], broker_url: str
) -> Iterator[Sequence[CeleryWorker]]:
    """Start every worker and wait until all answer; stop them cleanly afterwards, or kill
    them (after printing their logs' tails) when the block fails."""
    failed = False
    try:
        for worker in workers:
            start_worker(worker, environments[worker.spec.name])
        wait_until_ready(workers, broker_url)
        yield workers
    except BaseException:
        failed = True
        for worker in workers:
            print(worker.log_tail())
        raise
    finally:
        for worker in workers:
            stop_worker(worker, kill=failed)
