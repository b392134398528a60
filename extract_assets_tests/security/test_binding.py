"""Every server the package starts listens on loopback unless told otherwise: the emulator, the
webhook receiver and the demo's `dagster dev`, from Python and from the `extract-assets` CLI."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest

from extract_assets.dataextractor.contract import WEBHOOK_SECRET_ENV
from extract_assets.dataextractor.provider import DEMO_WEBHOOK_SECRET
from extract_assets.dataextractor.receiver import WebhookReceiver
from extract_assets.dataextractor.webhooks import WebhookStore
from extract_assets.dataextractor.webhooks import serve as serve_webhooks
from extract_assets.emulator import EmulatorServer, serve
from extract_assets.providers import providers
from extract_assets_tests.ports import free_port

PROJECT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "extract_assets.cli"]
PUBLIC = "0.0.0.0"


def listening(process: psutil.Process) -> set[tuple[str, int]]:
    """(address, port) of every TCP socket the process and its children listen on."""
    found: set[tuple[str, int]] = set()
    for member in [process, *process.children(recursive=True)]:
        try:
            connections = member.net_connections(kind="inet")
        except psutil.Error:
            continue
        found |= {(c.laddr.ip, c.laddr.port) for c in connections if c.status == psutil.CONN_LISTEN}
    return found


@contextmanager
def started(
    command: list[str], env: dict[str, str], cwd: Path = PROJECT
) -> Iterator[psutil.Process]:
    """`command` running in its own process group; stopped (the group, by its id) afterwards."""
    popen = subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        yield psutil.Process(popen.pid)
    finally:
        popen.send_signal(signal.SIGTERM)
        try:
            popen.wait(timeout=45)
        except subprocess.TimeoutExpired:
            os.killpg(popen.pid, signal.SIGKILL)
            popen.wait()


def wait_for_port(process: psutil.Process, port: int, what: str, within: float = 120) -> None:
    """Wait (generously: the CLI imports Dagster first) until something listens on `port`."""
    deadline = time.monotonic() + within
    while port not in {p for _, p in listening(process)}:
        assert process.is_running() and time.monotonic() < deadline, f"{what} never listened"
        time.sleep(0.2)


def test_the_emulator_server_binds_loopback_by_default(emulator: EmulatorServer) -> None:
    # The session's emulator is `EmulatorServer()` with every default.
    assert emulator.host == "127.0.0.1"
    assert emulator.url.startswith("http://127.0.0.1:")


def test_the_emulator_refuses_a_public_address_without_allow_remote() -> None:
    with pytest.raises(ValueError, match="allow_remote"):
        EmulatorServer(host=PUBLIC)
    with pytest.raises(ValueError, match="allow_remote"):
        serve(host=PUBLIC)
    assert EmulatorServer(host=PUBLIC, allow_remote=True).host == PUBLIC


def test_the_webhook_receiver_binds_loopback_by_default(tmp_path: Path) -> None:
    store = WebhookStore(tmp_path / "events.sqlite3")
    with WebhookReceiver(store, "whsec-binding") as receiver:
        assert receiver.url.startswith("http://127.0.0.1:")


def test_the_webhook_receiver_refuses_a_public_address_without_allow_remote(
    tmp_path: Path,
) -> None:
    store = WebhookStore(tmp_path / "events.sqlite3")
    with pytest.raises(ValueError, match="loopback only"):
        WebhookReceiver(store, "whsec-binding", host=PUBLIC)
    with pytest.raises(ValueError, match="allow_remote"):
        serve_webhooks(host=PUBLIC, db_path=tmp_path / "events.sqlite3", secret="whsec-binding")


def cli_env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DAGSTER_HOME": str(tmp_path / "home"),
        "EXTRACT_ASSETS_OUTPUT": str(tmp_path / "data"),
        WEBHOOK_SECRET_ENV: "whsec-binding",
    }


@pytest.mark.parametrize("command", ["emulate", "webhooks"])
def test_the_cli_server_listens_on_loopback_only_by_default(command: str, tmp_path: Path) -> None:
    port = free_port()
    arguments = [command, "--port", str(port)]
    if command == "webhooks":
        arguments += ["--store", str(tmp_path / "events.sqlite3")]
    with started(CLI + arguments, cli_env(tmp_path)) as process:
        wait_for_port(process, port, f"extract-assets {command}")
        assert listening(process) == {("127.0.0.1", port)}


@pytest.mark.parametrize("command", ["emulate", "webhooks"])
def test_the_cli_refuses_a_public_address_without_allow_remote(
    command: str, tmp_path: Path
) -> None:
    done = subprocess.run(
        [*CLI, command, "--host", PUBLIC, "--port", str(free_port())],
        cwd=PROJECT,
        env=cli_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "loopback only" in done.stderr and "allow" in done.stderr


@pytest.mark.slow
def test_every_server_of_the_demo_listens_on_loopback_only(tmp_path: Path) -> None:
    ui_port = free_port()
    with started([*CLI, "demo", "--port", str(ui_port)], cli_env(tmp_path)) as process:
        # `dagster dev` is ready in seconds on an idle machine, minutes on a loaded one.
        wait_for_port(process, ui_port, "the demo's Dagster UI", within=200)
        # The emulator and the receiver started before the UI; code servers use Unix sockets.
        addresses = listening(process)
        command_lines = [" ".join(p.cmdline()) for p in [process, *process.children(True)]]
    assert len(addresses) >= 3
    assert {address for address, _ in addresses} == {"127.0.0.1"}
    # Keys reach the servers through the environment, never the command line `ps` shows.
    keys = [*(provider.demo_key for provider in providers()), DEMO_WEBHOOK_SECRET]
    assert [key for key in keys if any(key in line for line in command_lines)] == []
