"""A throwaway PostgreSQL server on 127.0.0.1: Debian's binaries, a cluster in a temp folder.

PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres` system user
that Debian's package creates, and every server command runs through `runuser`.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from extract_assets_tests.ports import free_port

BINARIES = "/usr/lib/postgresql/*/bin"
INSTALL_HINT = (
    "PostgreSQL's server binaries were not found in /usr/lib/postgresql/*/bin; install them "
    "with `apt-get install postgresql` (.ci/run does this)."
)
USER = "dagster"
PASSWORD = "pg-SECRET-3c1d9e7a"


class PostgresUnavailable(RuntimeError):
    """The server cannot be started here; the message says what to install or fix."""


@dataclass(frozen=True)
class PostgresServer:
    """A running server: where it listens and the superuser (password auth) to reach it."""

    bin_dir: Path
    socket_dir: Path
    port: int
    host: str = "127.0.0.1"
    user: str = USER
    password: str = field(default=PASSWORD, repr=False)

    def create_database(self, name: str, *, template: str | None = None) -> None:
        """A new database owned by the superuser: empty, or a copy of `template` (which must
        have no open connection)."""
        self._client("createdb", *(["--template", template] if template else []), name)

    def dagster_environment(self, database: str) -> dict[str, str]:
        """The variables dagster-postgres.yaml reads its connection from, naming `database`."""
        return {
            "DAGSTER_PG_HOST": self.host,
            "DAGSTER_PG_PORT": str(self.port),
            "DAGSTER_PG_USER": self.user,
            "DAGSTER_PG_PASSWORD": self.password,
            "DAGSTER_PG_DB": database,
        }

    def _client(self, program: str, *args: str) -> None:
        command = [str(self.bin_dir / program), "-h", self.host, "-p", str(self.port)]
        command += ["-U", self.user, *args]
        env = os.environ | {"PGPASSWORD": self.password}
        _run(command, env=env)


def find_binaries() -> Path:
    """The newest installed PostgreSQL's bin folder; `PostgresUnavailable` if there is none."""
    found = sorted(Path("/").glob(BINARIES.lstrip("/")), key=_major_version)
    usable = [folder for folder in found if (folder / "initdb").is_file()]
    if not usable:
        raise PostgresUnavailable(INSTALL_HINT)
    return usable[-1]


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """Start a fresh cluster on a free loopback port; stop it and delete it afterwards."""
    bin_dir = find_binaries()
    owner = _server_user()
    root = Path(tempfile.mkdtemp(prefix="extract-assets-pg-"))
    try:
        data, sockets, log = root / "data", root / "sockets", root / "server.log"
        sockets.mkdir()
        password_file = root / "password"
        password_file.write_text(PASSWORD + "\n")
        if owner is not None:
            for path in (root, sockets, password_file):
                os.chown(path, owner.pw_uid, owner.pw_gid)
        as_owner = ["runuser", "-u", owner.pw_name, "--"] if owner is not None else []
        initdb = [*as_owner, str(bin_dir / "initdb"), "-D", str(data), "-U", USER]
        initdb += ["--pwfile", str(password_file), "-A", "scram-sha-256", "--no-sync"]
        initdb += ["-E", "UTF8", "--locale", "C"]
        _run(initdb)
        port = free_port()
        options = f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={sockets}"
        options += " -c fsync=off -c full_page_writes=off"
        pg_ctl = [*as_owner, str(bin_dir / "pg_ctl"), "-D", str(data)]
        try:
            _run([*pg_ctl, "-l", str(log), "-o", options, "-w", "-t", "60", "start"], log=log)
            yield PostgresServer(bin_dir=bin_dir, socket_dir=sockets, port=port)
        finally:
            # Also after a failed or timed-out start: a server that came up late must not stay.
            if (data / "postmaster.pid").exists():
                _run([*pg_ctl, "-m", "fast", "-w", "-t", "60", "stop"], log=log)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _server_user() -> pwd.struct_passwd | None:
    """Who runs the server: `postgres` when we are root, else ourselves (None)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        raise PostgresUnavailable(
            "PostgreSQL will not run as root and there is no `postgres` user to run it as; "
            "`apt-get install postgresql` creates one."
        ) from None


def _major_version(folder: Path) -> tuple[int, str]:
    version = folder.parent.name
    return (int(version), version) if version.isdigit() else (0, version)


def _run(
    command: Sequence[str], *, env: dict[str, str] | None = None, log: Path | None = None
) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        server_log = log.read_text(errors="replace") if log is not None and log.exists() else ""
        raise PostgresUnavailable(
            f"`{' '.join(command)}` failed ({done.returncode}): {done.stderr or done.stdout}"
            f"{server_log}"
        )
