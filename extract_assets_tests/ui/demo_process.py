"""`extract-assets demo` as a subprocess tree that is always stopped, whatever the test did."""

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from extract_assets_tests.ports import free_port

PROJECT = Path(__file__).resolve().parents[2]
# `dagster dev` answers after ~30 s on an idle 2-core machine; much later when it is busy.
READY_TIMEOUT_SECONDS = 180.0
# The CLI forwards SIGTERM to `dagster dev`, which stops its webserver, daemon and code servers.
STOP_GRACE_SECONDS = 30.0


@dataclass(frozen=True)
class Demo:
    """A running demo: where its UI answers and where its Parquet lands."""

    url: str
    output: Path
    log: Path
    process: subprocess.Popen[bytes]

    def terminate(self) -> bool:
        """SIGTERM to the demo; whether its whole process group was gone within the grace."""
        self.process.terminate()
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        while time.monotonic() < deadline:
            try:
                os.killpg(self.process.pid, 0)
            except ProcessLookupError:
                self.process.wait()
                return True
            self.process.poll()  # reap the leader, so only live members keep the group
            time.sleep(0.5)
        return False


@contextlib.contextmanager
def running_demo(
    workdir: Path,
    log: Path,
    *,
    config: Path | None = None,
    environment: Mapping[str, str] | None = None,
) -> Iterator[Demo]:
    """The demo with its own DAGSTER_HOME and output under `workdir`, its output in `log`; with
    `config`, the code location declares that file's assets (as EXTRACT_ASSETS_CONFIG)."""
    command = Path(sys.executable).with_name("extract-assets")
    if not command.exists():
        raise RuntimeError(f"{command} is missing; run `make install` to install the package")
    ui_port = free_port()
    emulator_port = free_port()
    while emulator_port == ui_port:
        emulator_port = free_port()
    url, output = f"http://127.0.0.1:{ui_port}", workdir / "data"
    env = {
        **os.environ,
        "DAGSTER_HOME": str(workdir / "dagster_home"),
        "EXTRACT_ASSETS_OUTPUT": str(output),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("EXTRACT_ASSETS_CONFIG", None)
    if config is not None:
        env["EXTRACT_ASSETS_CONFIG"] = str(config)
    env.update(environment or {})
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(command), "demo", "--port", str(ui_port), "--emulator-port", str(emulator_port)],
            cwd=PROJECT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            # Its own process group, so the whole tree can be killed if SIGTERM is not enough.
            start_new_session=True,
            # As a shell starts a background job (`make demo &`): with SIGINT ignored.
            preexec_fn=_ignore_sigint,
        )
        demo = Demo(url=url, output=output, log=log, process=process)
        try:
            _wait_until_ready(process, demo)
            yield demo
        finally:
            stop_tree(process)


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def stop_tree(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the demo, then SIGKILL to whatever is left of its process group."""
    if process.poll() is None:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=STOP_GRACE_SECONDS)
    # Run workers or servers that outlived the graceful stop.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _wait_until_ready(process: subprocess.Popen[bytes], demo: Demo) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"`extract-assets demo` exited with {process.returncode} before its UI answered; "
                f"see {demo.log}:\n{_tail(demo.log)}"
            )
        with contextlib.suppress(urllib.error.URLError, ConnectionError, TimeoutError):
            with urllib.request.urlopen(f"{demo.url}/server_info", timeout=5) as answer:
                if answer.status == 200:
                    return
        time.sleep(1)
    raise RuntimeError(
        f"The demo's UI did not answer {demo.url}/server_info within "
        f"{READY_TIMEOUT_SECONDS:.0f} s; see {demo.log}:\n{_tail(demo.log)}"
    )


def _tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
