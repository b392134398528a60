"""The `extract-assets` command: the offline emulator and the demo."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import get_args

import dagster as dg

from extract_assets.config import load_config
from extract_assets.core.errors import ConfigError
from extract_assets.emulator import EmulatorServer, serve
from extract_assets.emulator.client import ProfileName
from extract_assets.headless import materialize_all
from extract_assets.pools import apply_pool_limits, pool_limits
from extract_assets.providers import providers


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
    _profile_arguments(emulate)
    emulate.set_defaults(run=_emulate)

    for provider in providers():
        provider.commands(commands)

    pools = commands.add_parser(
        "pools", help="set the providers' concurrency pool limits on the $DAGSTER_HOME instance"
    )
    pools.add_argument(
        "--overwrite", action="store_true", help="also replace limits that are already set"
    )
    pools.set_defaults(run=lambda args: _pools(overwrite=args.overwrite))

    demo = commands.add_parser("demo", help="the emulator and `dagster dev` on 127.0.0.1")
    demo.add_argument(
        "--headless",
        action="store_true",
        help="instead of the UI, materialize every asset once, print where it landed, exit",
    )
    demo.add_argument("--port", type=int, default=3000, help="port of the Dagster UI")
    demo.add_argument("--emulator-port", type=int, default=0, help="0 picks a free port")
    _profile_arguments(demo)
    demo.set_defaults(
        run=lambda args: _demo(
            headless=args.headless,
            ui_port=args.port,
            emulator_port=args.emulator_port,
            profile=(args.profile, args.profile_seed),
        )
    )

    args = parser.parse_args(argv)
    try:
        code: int = args.run(args)
    except ConfigError as exc:
        # A mistake in the config file (or a variable) is the user's to fix: say it, no trace.
        print(f"extract-assets {args.command}: {exc}", file=sys.stderr)
        return 2
    return code


def _profile_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--profile",
        choices=get_args(ProfileName),
        default="default",
        help="answer as the contracts show (default) or as real services do (real-world)",
    )
    command.add_argument(
        "--profile-seed", type=int, default=0, help="seed of the real-world profile's choices"
    )


def _emulate(args: argparse.Namespace) -> int:
    try:
        serve(
            host=args.host,
            port=args.port,
            seed=args.seed,
            allow_remote=args.allow_remote,
            profile=(args.profile, args.profile_seed),
        )
    except ValueError as exc:
        print(f"extract-assets emulate: {exc}", file=sys.stderr)
        return 2
    return 0


def _demo(
    *, headless: bool, ui_port: int, emulator_port: int, profile: tuple[ProfileName, int]
) -> int:
    project = Path.cwd()
    if not (project / "workspace.yaml").exists() or not (project / "dagster.yaml").exists():
        print("Run the demo from the project folder (with workspace.yaml and dagster.yaml).")
        return 2
    home = _prepare_dagster_home(project)
    with EmulatorServer(port=emulator_port) as emulator, ExitStack() as extras:
        name, seed = profile
        emulator.control.set_profile(name, seed=seed)
        environment = {"DAGSTER_HOME": str(home)}
        for provider in providers():
            environment |= provider.demo_environment(emulator)
            environment |= extras.enter_context(provider.demo(emulator, home))
        environment["EXTRACT_ASSETS_OUTPUT"] = os.environ.get("EXTRACT_ASSETS_OUTPUT") or str(
            project / "data"
        )
        os.environ.update(environment)
        shown = "" if name == "default" else f" ({name} profile, seed {seed})"
        print(f"Emulator serving on {emulator.url}{shown}")
        if headless:
            return materialize_all()
        return _dagster_dev(project, ui_port)


def _pools(*, overwrite: bool) -> int:
    if not os.environ.get("DAGSTER_HOME"):
        print("extract-assets pools: set DAGSTER_HOME to the instance's folder", file=sys.stderr)
        return 2
    # The accounts of EXTRACT_ASSETS_CONFIG (else the demo's) have pools of their own.
    limits = pool_limits(load_config())
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
