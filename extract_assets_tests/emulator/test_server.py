"""Starting, addressing and stopping the emulator server."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import httpx
import pytest

from extract_assets.emulator import EmulatorServer, create_app
from extract_assets_tests.emulator.helpers import create_task


def test_url_is_a_loopback_port(emulator: EmulatorServer) -> None:
    url = httpx.URL(emulator.url)
    assert (url.scheme, url.host) == ("http", "127.0.0.1") and url.port


def test_base_url_is_the_url_plus_the_provider(emulator: EmulatorServer) -> None:
    assert emulator.base_url("linkup") == f"{emulator.url}/linkup"


def test_health_lists_the_providers(emulator: EmulatorServer) -> None:
    health = emulator.control.health()
    assert (health["status"], health["seed"]) == ("ok", 0)
    assert {"linkup", "extractto"} <= set(health["providers"])


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com"])
def test_non_loopback_host_is_refused(host: str) -> None:
    with pytest.raises(ValueError, match="allow_remote=True"):
        EmulatorServer(host=host)


def test_url_needs_a_running_server() -> None:
    with pytest.raises(RuntimeError, match="not running"):
        _ = EmulatorServer().url


def test_temporary_data_dir_is_removed_on_stop() -> None:
    with EmulatorServer() as server:
        data_dir = server.data_dir
        server.control.add_linkup_scenario("", rows=3, pending_seconds=0, processing_seconds=0)
        headers = {"Authorization": "Bearer demo-linkup-key"}
        with httpx.Client(base_url=server.base_url("linkup"), headers=headers) as linkup:
            task = create_task(linkup)
            server.control.advance_clock(0.01)
            url = linkup.get(f"/v1/extract/{task['id']}").json()["output"]["resultUrl"]
        assert httpx.get(url).status_code == 200
        assert any(data_dir.rglob("*.ndjson"))
    assert not data_dir.exists()


def test_given_data_dir_is_kept(tmp_path: Path) -> None:
    with EmulatorServer(data_dir=tmp_path) as server:
        assert server.data_dir == tmp_path
    assert tmp_path.exists()


def test_server_can_start_again_after_stop() -> None:
    server = EmulatorServer()
    for _ in range(2):
        with server:
            assert server.control.health()["status"] == "ok"


def test_create_app_exposes_its_emulator() -> None:
    app = create_app(seed=3)
    try:
        assert app.state.emulator.seed == 3
    finally:
        app.state.emulator.close()


def test_a_connection_idle_past_httpxs_keep_alive_expiry_is_still_open(
    emulator: EmulatorServer,
) -> None:
    # httpx drops a connection idle for 5 s; were the server to close it at 5 s as well, a
    # request sent on it at that moment would fail. The server keeps it longer.
    port = httpx.URL(emulator.url).port
    assert port is not None
    request = f"GET /_emulator/health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        time.sleep(6)
        sock.sendall(request)
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
