"""`extract-assets webhooks`: receive dataextractor.io webhooks into the deployment's store."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import dagster as dg

from extract_assets.core.errors import ConfigError
from extract_assets.core.state import STATE_URL_ENV, SharedState, StateError
from extract_assets.dataextractor.section import WEBHOOK_STORE_ENV
from extract_assets.instance_state import state_for


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `webhooks` to the `extract-assets` command."""
    # The receiver's web server (Starlette, uvicorn) loads for the command line only, not with
    # every code location that lists the providers.
    from extract_assets.dataextractor.webhooks import DEFAULT_PORT

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
    webhooks.set_defaults(run=_webhooks)


def _webhooks(args: argparse.Namespace) -> int:
    from extract_assets.dataextractor.webhooks import DEFAULT_STORE_PATH, serve

    try:
        store = _deployment_state() or (
            args.store or os.environ.get(WEBHOOK_STORE_ENV) or str(DEFAULT_STORE_PATH)
        )
        where = store.description if isinstance(store, SharedState) else store
        print(f"extract-assets webhooks: storing events in {where}")
        serve(args.host, args.port, store, allow_remote=args.allow_remote)
    except (ValueError, ConfigError, StateError) as exc:
        print(f"extract-assets webhooks: {exc}", file=sys.stderr)
        return 2
    return 0


def _deployment_state() -> SharedState | None:
    """The shared state the sensors of this deployment read: the URL setting, else the
    PostgreSQL storage of the $DAGSTER_HOME instance."""
    home = os.environ.get("DAGSTER_HOME")
    # Without a dagster.yaml the instance keeps everything in SQLite files: no PostgreSQL.
    if os.environ.get(STATE_URL_ENV) or not home or not (Path(home) / "dagster.yaml").is_file():
        return state_for(None)
    with dg.DagsterInstance.get() as instance:
        return state_for(instance)
