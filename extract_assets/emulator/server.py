"""Running the emulator: in a background thread for tests, or in the foreground for a CLI."""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import uvicorn
from starlette.applications import Starlette

from extract_assets.emulator.app import create_app
from extract_assets.emulator.client import EmulatorControl, ProfileName
from extract_assets.emulator.faults import InjectedDropLogFilter
from extract_assets.emulator.instance import Emulator

# Longer than httpx's keep-alive expiry (5 s), so a client drops an idle connection before the
# server closes it. With both at 5 s, a request sent on a connection just as the server closes
# it fails with a read error: a stall of the machine at the wrong moment is enough.
KEEP_ALIVE_SECONDS = 30
_STARTUP_TIMEOUT = 10.0
_drop_filter = InjectedDropLogFilter()


class EmulatorServer:
    """The emulator on a real loopback port, served by uvicorn in a daemon thread.

    >>> with EmulatorServer() as server:
    ...     server.base_url("linkup").startswith("http://127.0.0.1:")
    True
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 0,
        data_dir: str | Path | None = None,
        *,
        allow_remote: bool = False,
        log_level: str = "warning",
    ) -> None:
        check_host(host, allow_remote)
        self.host = host
        self.port = port
        self.seed = seed
        self._data_dir = data_dir
        self._log_level = log_level
        self._running: ThreadedServer | None = None
        self._control: EmulatorControl | None = None

    @property
    def url(self) -> str:
        """The root URL, e.g. `http://127.0.0.1:43123`."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self._started().port}"

    def base_url(self, provider: str) -> str:
        """Where a client of `provider` should point, e.g. `http://127.0.0.1:43123/linkup`."""
        return f"{self.url}/{provider}"

    @property
    def data_dir(self) -> Path:
        """The folder holding the result files."""
        emulator: Emulator = self._started().app.state.emulator
        return emulator.data_dir

    @property
    def control(self) -> EmulatorControl:
        """A client of the control API."""
        if self._control is None:
            self._control = EmulatorControl(self.url)
        return self._control

    def start(self) -> EmulatorServer:
        """Bind the port and return once the server accepts connections."""
        if self._running is None:
            _install_drop_filter()
            app = create_app(seed=self.seed, data_dir=self._data_dir)
            try:
                self._running = ThreadedServer.start(
                    self.host, self.port, app, self._log_level, name="emulator"
                )
            except RuntimeError:
                app.state.emulator.close()
                raise
        return self

    def stop(self) -> None:
        """Stop serving, stop file writers and remove the temporary data folder."""
        if self._control is not None:
            self._control.close()
            self._control = None
        if self._running is not None:
            self._running.stop()
            # The app's lifespan closed the emulator already, unless the server never started.
            self._running.app.state.emulator.close()
            self._running = None

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _started(self) -> ThreadedServer:
        if self._running is None:
            raise RuntimeError("the emulator is not running; call start() or use `with`")
        return self._running


@dataclass
class ThreadedServer:
    """An ASGI app served by uvicorn on a bound socket in a daemon thread (the emulator, and
    test servers that need a real port)."""

    app: Starlette
    server: uvicorn.Server
    thread: threading.Thread
    sock: socket.socket
    port: int

    @classmethod
    def start(
        cls, host: str, port: int, app: Starlette, log_level: str, *, name: str
    ) -> ThreadedServer:
        # Binding here, not in uvicorn, gives the port of `port=0` before the thread starts.
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        config = uvicorn.Config(
            app,
            log_config=None,
            log_level=log_level,
            access_log=False,
            timeout_graceful_shutdown=1,
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=name, daemon=True
        )
        running = cls(app, server, thread, sock, sock.getsockname()[1])
        thread.start()
        deadline = time.monotonic() + _STARTUP_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                running.stop()
                raise RuntimeError(f"the {name} server did not start; see the uvicorn log above")
            time.sleep(0.01)
        return running

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


def serve(
    host: str = "127.0.0.1",
    port: int = 8765,
    *,
    seed: int = 0,
    data_dir: str | Path | None = None,
    allow_remote: bool = False,
    log_level: str = "info",
    access_log: bool = False,
    profile: tuple[ProfileName, int] = ("default", 0),
) -> None:
    """Serve the emulator in the foreground until interrupted (Ctrl-C), answering with
    `profile` (its name and seed; see `realworld`) until the control API says otherwise."""
    check_host(host, allow_remote)
    _install_drop_filter()
    app = create_app(seed=seed, data_dir=data_dir)
    app.state.emulator.profile.set(*profile)
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=access_log,
        timeout_graceful_shutdown=1,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )


def check_host(host: str, allow_remote: bool) -> None:
    """Refuse to listen beyond loopback unless asked to: the emulator has no real security."""
    if allow_remote or host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(
            f"the emulator listens on loopback only (127.0.0.1, ::1, localhost); got host "
            f"{host!r}. Its keys and control API are open to anyone who can reach it: pass "
            f"allow_remote=True only on a trusted network."
        )


def _install_drop_filter() -> None:
    logger = logging.getLogger("uvicorn.error")
    if _drop_filter not in logger.filters:
        logger.addFilter(_drop_filter)
