"""The `extract-assets` command: the offline emulator and the demo."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import dagster as dg

from extract_assets.config import WEBHOOK_STORE_ENV, load_config
from extract_assets.core.errors import ConfigError
from extract_assets.core.state import STATE_URL_ENV, SharedState, StateError
from extract_assets.dataextractor.receiver import WebhookReceiver
from extract_assets.dataextractor.webhooks import DEFAULT_PORT, DEFAULT_STORE_PATH, WebhookStore
from extract_assets.dataextractor.webhooks import serve as serve_webhooks
from extract_assets.emulator import EmulatorServer, serve
from extract_assets.headless import materialize_all
from extract_assets.instance_state import state_for
from extract_assets.pools import apply_pool_limits, pool_limits

DEMO_LINKUP_KEY = "demo-linkup-key"
DEMO_EXTRACTTO_KEY = "demo-extractto-key"
DEMO_DATAEXTRACTOR_KEY = "demo-dataextractor-key"
DEMO_WEBHOOK_SECRET = "demo-webhook-secret"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `extract-assets`; returns the process exit code."""
    parser = argparse.ArgumentParser(prog="extract-assets", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    emulate = commands.add_parser("emulate", help="serve the offline provider emulator")
    emulate.add_argument("--host", default="127.0.0.1", help="address to bind (loopback)")
    emulate.add_argument("--port", type=int, default=8900)
    emulate.add_argument("--seed", type=int, default=0, help="seed of injected faults")
    emulate.add_argument(
        "--allow-remote", action="store_true", help="allow binding a non-loopback address"
    )

    webhooks = commands.add_parser("webhooks", help="receive dataextractor.io webhooks")
    webhooks.add_argument("--host", default="127.0.0.1", help="address to bind (loopback)")
    webhooks.add_argument("--port", type=int, default=DEFAULT_PORT)
    webhooks.add_argument(
        "--store",
        default=None,
        help=f"SQLite file (default ${WEBHOOK_STORE_ENV}); the shared state when there is one "
        f"(${STATE_URL_ENV}, or the PostgreSQL storage of the $DAGSTER_HOME instance)",
    )
    webhooks.add_argument(
        "--allow-remote", action="store_true", help="allow binding a non-loopback address"
    )

    pools = commands.add_parser(
        "pools", help="set the providers' concurrency pool limits on the $DAGSTER_HOME instance"
    )
    pools.add_argument(
        "--overwrite", action="store_true", help="also replace limits that are already set"
    )

    demo = commands.add_parser("demo", help="the emulator and `dagster dev` on 127.0.0.1")
    demo.add_argument(
        "--headless",
        action="store_true",
        help="instead of the UI, materialize every asset once, print where it landed, exit",
    )
    demo.add_argument("--port", type=int, default=3000, help="port of the Dagster UI")
    demo.add_argument("--emulator-port", type=int, default=0, help="0 picks a free port")

    args = parser.parse_args(argv)
    if args.command == "webhooks":
        try:
            store = _deployment_state() or (
                args.store or os.environ.get(WEBHOOK_STORE_ENV) or str(DEFAULT_STORE_PATH)
            )
            where = store.description if isinstance(store, SharedState) else store
            print(f"extract-assets webhooks: storing events in {where}")
            serve_webhooks(args.host, args.port, store, allow_remote=args.allow_remote)
        except (ValueError, ConfigError, StateError) as exc:
            print(f"extract-assets webhooks: {exc}", file=sys.stderr)
            return 2
        return 0
    if args.command == "pools":
        return _pools(overwrite=args.overwrite)
    if args.command == "emulate":
        try:
            serve(host=args.host, port=args.port, seed=args.seed, allow_remote=args.allow_remote)
        except ValueError as exc:
            print(f"extract-assets emulate: {exc}", file=sys.stderr)
            return 2
        return 0
    return _demo(headless=args.headless, ui_port=args.port, emulator_port=args.emulator_port)


def _deployment_state() -> SharedState | None:
    """The shared state the sensors of this deployment read: the URL setting, else the
    PostgreSQL storage of the $DAGSTER_HOME instance."""
    home = os.environ.get("DAGSTER_HOME")
    # Without a dagster.yaml the instance keeps everything in SQLite files: no PostgreSQL.
    if os.environ.get(STATE_URL_ENV) or not home or not (Path(home) / "dagster.yaml").is_file():
        return state_for(None)
    with dg.DagsterInstance.get() as instance:
        return state_for(instance)


def _demo(*, headless: bool, ui_port: int, emulator_port: int) -> int:
    project = Path.cwd()
    if not (project / "workspace.yaml").exists() or not (project / "dagster.yaml").exists():
        print("Run the demo from the project folder (with workspace.yaml and dagster.yaml).")
        return 2
    home = _prepare_dagster_home(project)
    store = home / "dataextractor-webhooks.sqlite3"
    with (
        EmulatorServer(port=emulator_port) as emulator,
        WebhookReceiver(WebhookStore(store), DEMO_WEBHOOK_SECRET) as receiver,
    ):
        emulator.control.subscribe_dataextractor_webhook(receiver.url, DEMO_WEBHOOK_SECRET)
        os.environ.update(
            {
                "DAGSTER_HOME": str(home),
                "DATAEXTRACTOR_BASE_URL": emulator.base_url("dataextractor"),
                "DATAEXTRACTOR_API_KEY": DEMO_DATAEXTRACTOR_KEY,
                "DATAEXTRACTOR_WEBHOOK_SECRET": DEMO_WEBHOOK_SECRET,
                WEBHOOK_STORE_ENV: str(store),
                "LINKUP_BASE_URL": emulator.base_url("linkup"),
                "LINKUP_API_KEY": DEMO_LINKUP_KEY,
                "EXTRACTTO_BASE_URL": emulator.base_url("extractto"),
                "EXTRACTTO_API_KEY": DEMO_EXTRACTTO_KEY,
                "EXTRACT_ASSETS_OUTPUT": os.environ.get("EXTRACT_ASSETS_OUTPUT")
                or str(project / "data"),
            }
        )
        print(f"Emulator serving on {emulator.url}; webhooks received at {receiver.url}")
        if headless:
            return materialize_all()
        return _dagster_dev(project, ui_port)


def _pools(*, overwrite: bool) -> int:
    if not os.environ.get("DAGSTER_HOME"):
        print("extract-assets pools: set DAGSTER_HOME to the instance's folder", file=sys.stderr)
        return 2
    try:
        # The accounts of EXTRACT_ASSETS_CONFIG (else the demo's) have pools of their own.
        limits = pool_limits(load_config())
    except ConfigError as exc:
        print(f"extract-assets pools: {exc}", file=sys.stderr)
        return 2
    with dg.DagsterInstance.get() as instance:
        changed = apply_pool_limits(instance, overwrite=overwrite, limits=limits)
        for pool in limits:
            limit = instance.event_log_storage.get_concurrency_info(pool).slot_count
            note = "set" if pool in changed else "kept"
            print(f"pool {pool}: {limit} ({note})")
    return 0


def _prepare_dagster_home(project: Path) -> Path:
    home = Path(os.environ.get("DAGSTER_HOME") or project / ".dagster_home").resolve()
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(project / "dagster.yaml", home / "dagster.yaml")
    # A fresh instance shows a "join the community" modal over the UI; mark it seen.
    (home / ".nux").mkdir(exist_ok=True)
    (home / ".nux" / "nux.yaml").write_text("seen: 1\n")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        apply_pool_limits(instance, limits=pool_limits(load_config()))
    return home


def _dagster_dev(project: Path, ui_port: int) -> int:
    command = [
        sys.executable, "-m", "dagster", "dev",
        "-h", "127.0.0.1", "-p", str(ui_port), "-w", str(project / "workspace.yaml"),
    ]  # fmt: skip
    print(f"Dagster UI on http://127.0.0.1:{ui_port} (Ctrl-C stops both)")
    # Started as a background job (`make demo &`), we inherit SIGINT ignored, and `dagster dev`
    # would copy that and then ignore the SIGTERM we forward: give it the default back.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    # From DAGSTER_HOME, so Dagster does not warn that the project's dagster.yaml is unused.
    process = subprocess.Popen(command, cwd=os.environ["DAGSTER_HOME"])
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.send_signal(signal.SIGTERM)
        return process.wait()


def _interrupt(signum: int, frame: object) -> None:
    # SIGTERM must stop `dagster dev` too, not orphan it: handle it like Ctrl-C.
    raise KeyboardInterrupt


if __name__ == "__main__":
    raise SystemExit(main())
