"""A throwaway Redis server on 127.0.0.1: Debian's `redis-server`, nothing saved to disk.

It is the Celery broker and result backend of the distributed test: the only thing, besides
PostgreSQL and the object store, that the workers share.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import redis

from extract_assets_tests.ports import free_port

REDIS_SERVER = "/usr/bin/redis-server"
INSTALL_HINT = (
    f"Redis was not found at {REDIS_SERVER}: the distributed test uses it as the Celery broker. "
    "Install it with `apt-get install redis-server` (scripts/system-packages does this)."
)
_START_TIMEOUT_SECONDS = 20.0
_STOP_TIMEOUT_SECONDS = 10.0


class RedisUnavailable(RuntimeError):
    """The server cannot be started here; the message says what to install or fix."""


@dataclass(frozen=True)
class RedisServer:
    """A running server and where it listens."""

    port: int
    host: str = "127.0.0.1"

    def url(self, database: int = 0) -> str:
        """`redis://127.0.0.1:<port>/<database>`."""
        return f"redis://{self.host}:{self.port}/{database}"

    def ping(self) -> bool:
        """Whether the server answers PING."""
        client = redis.Redis(host=self.host, port=self.port, socket_timeout=1)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()


@contextmanager
def redis_server(folder: Path) -> Iterator[RedisServer]:
    """Start a server on a free loopback port, its working folder and log in `folder`; stop
    it afterwards. `RedisUnavailable` when Debian's redis-server is not installed."""
    if shutil.which(REDIS_SERVER) is None:
        raise RedisUnavailable(INSTALL_HINT)
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "redis.log"
    server = RedisServer(port=free_port())
    command = [REDIS_SERVER, "--port", str(server.port), "--bind", server.host]
    command += ["--save", "", "--appendonly", "no", "--dir", str(folder)]
    command += ["--logfile", str(log), "--protected-mode", "yes"]
    with log.open("ab") as output:
        # A session of its own: a Ctrl-C meant for pytest must not stop it before the workers.
        process = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        _wait_until_answering(server, process, log)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=_STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_answering(server: RedisServer, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + _START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RedisUnavailable(
                f"redis-server exited with {process.returncode} at start: {_tail(log)}"
            )
        if server.ping():
            return
        time.sleep(0.05)
    raise RedisUnavailable(
        f"redis-server did not answer PING within {_START_TIMEOUT_SECONDS:.0f} s: {_tail(log)}"
    )


def _tail(log: Path, lines: int = 20) -> str:
    if not log.exists():
        return "(no log)"
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
