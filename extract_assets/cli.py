"""The `extract-assets` command: the offline emulator and the demo."""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import dagster as dg
from tqdm import tqdm

from extract_assets.build import definitions_from_config
from extract_assets.config import WEBHOOK_STORE_ENV
from extract_assets.core.errors import ConfigError
from extract_assets.dataextractor.receiver import WebhookReceiver
from extract_assets.dataextractor.webhooks import DEFAULT_PORT, DEFAULT_STORE_PATH, WebhookStore
from extract_assets.dataextractor.webhooks import serve as serve_webhooks
from extract_assets.emulator import EmulatorServer, serve
from extract_assets.pools import POOL_LIMITS, apply_pool_limits

DEMO_LINKUP_KEY = "demo-linkup-key"
DEMO_EXTRACTTO_KEY = "demo-extractto-key"
DEMO_DATAEXTRACTOR_KEY = "demo-dataextractor-key"
DEMO_WEBHOOK_SECRET = "demo-webhook-secret"
HEADLESS_DAYS = 3


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
        "--store", default=None, help=f"SQLite file (default ${WEBHOOK_STORE_ENV})"
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
        store = args.store or os.environ.get(WEBHOOK_STORE_ENV) or str(DEFAULT_STORE_PATH)
        try:
            serve_webhooks(args.host, args.port, store, allow_remote=args.allow_remote)
        except (ValueError, ConfigError) as exc:
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
            return _materialize_all()
        return _dagster_dev(project, ui_port)


def _pools(*, overwrite: bool) -> int:
    if not os.environ.get("DAGSTER_HOME"):
        print("extract-assets pools: set DAGSTER_HOME to the instance's folder", file=sys.stderr)
        return 2
    with dg.DagsterInstance.get() as instance:
        changed = apply_pool_limits(instance, overwrite=overwrite)
        for pool in POOL_LIMITS:
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
        apply_pool_limits(instance)
    return home


@dataclass(frozen=True)
class _DemoRun:
    """One run of the headless demo: an assets definition, over a range of partitions or none."""

    assets: dg.AssetsDefinition
    partitions: Sequence[str] = ()

    @property
    def label(self) -> str:
        name = self.assets.node_def.name
        if not self.partitions:
            return name
        return f"{name}[{self.partitions[0]}..{self.partitions[-1]}]"

    @property
    def size(self) -> int:
        """How many asset partitions (or unpartitioned assets) the run materializes."""
        return len(self.assets.keys) * max(1, len(self.partitions))

    @property
    def tags(self) -> dict[str, str]:
        if not self.partitions:
            return {}
        return {
            "dagster/asset_partition_range_start": self.partitions[0],
            "dagster/asset_partition_range_end": self.partitions[-1],
        }


def _demo_runs() -> list[_DemoRun]:
    """Every unpartitioned asset once, and the last few days of each partitioned one."""
    defs = definitions_from_config()
    graph = defs.resolve_asset_graph()
    plain: dict[str, _DemoRun] = {}
    windows: dict[str, _DemoRun] = {}
    for key in graph.materializable_asset_keys:
        # Resolved assets come with their resources bound; a multi-asset once for all its keys.
        assets = defs.resolve_assets_def(key)
        partitions = graph.get(key).partitions_def
        if partitions is None:
            plain[assets.node_def.name] = _DemoRun(assets)
        elif isinstance(partitions, dg.TimeWindowPartitionsDefinition):
            last = partitions.get_partition_keys()[-HEADLESS_DAYS:]
            windows[assets.node_def.name] = _DemoRun(assets, last)
    # Unpartitioned first: they submit the documents that the partitioned tables then read.
    return [*(plain[name] for name in sorted(plain)), *(windows[name] for name in sorted(windows))]


def _materialize_all() -> int:
    """Materialize the demo's assets run by run, showing progress; print where each landed."""
    runs = _demo_runs()
    instance = dg.DagsterInstance.get()
    failed = False
    with _RunProgress(sum(run.size for run in runs), sys.stdout) as progress:
        for run in runs:
            progress.start(run)
            result = dg.materialize(
                [run.assets],
                instance=instance,
                raise_on_error=False,
                tags=run.tags,
                run_config=progress.run_config,
            )
            landed = result.get_asset_materialization_events()
            for event in landed:
                progress.print(_landed(event.step_materialization_data.materialization))
            progress.advance(run.size, landed=len(landed))
            failed = failed or not result.success
    if failed:
        print("Some assets failed; see the errors above.", file=sys.stderr)
        return 1
    return 0


class _RunProgress:
    """Progress over the asset partitions being materialized: a bar on a terminal (showing the
    latest line our clients logged), plain lines anywhere else (a pipe, a file, CI)."""

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total = total
        self.done = 0
        self.landed = 0
        self._stream = stream
        self._started = time.monotonic()
        self.interactive = stream.isatty()
        self._bar: tqdm[Any] | None = None
        self._handler: _LatestLine | None = None
        if self.interactive:
            self._bar = tqdm(total=total, unit="asset", file=stream, dynamic_ncols=True)
            self._handler = _LatestLine(self._bar)
            logging.getLogger("extract_assets").addHandler(self._handler)

    @property
    def run_config(self) -> dict[str, Any]:
        """On a terminal Dagster's own INFO lines would break the bar; warnings still show."""
        if not self.interactive:
            return {}
        return {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}

    def __enter__(self) -> _RunProgress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._bar is not None:
            self._bar.close()
        if self._handler is not None:
            logging.getLogger("extract_assets").removeHandler(self._handler)
        elapsed = time.monotonic() - self._started
        print(
            f"{self.landed} of {self.total} asset partitions materialized in {elapsed:.0f} s",
            file=self._stream,
        )

    def start(self, run: _DemoRun) -> None:
        if self._bar is not None:
            # The name alone: a narrow terminal keeps room for the bar.
            self._bar.set_description_str(run.assets.node_def.name)
        else:
            print(f"[{self.done}/{self.total}] materializing {run.label}", file=self._stream)

    def print(self, line: str) -> None:
        if self._bar is not None:
            self._bar.write(line, file=self._stream)
        else:
            print(line, file=self._stream)

    def advance(self, count: int, *, landed: int) -> None:
        """A run ended: `count` asset partitions were tried, `landed` of them materialized."""
        self.done += count
        self.landed += landed
        if self._bar is not None:
            self._bar.update(count)


class _LatestLine(logging.Handler):
    """Shows the latest line our clients logged (a download's progress, a wait) beside the bar."""

    def __init__(self, bar: tqdm[Any]) -> None:
        super().__init__(logging.INFO)
        self._bar = bar

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        room = max(24, shutil.get_terminal_size().columns // 3)
        self._bar.set_postfix_str(message if len(message) <= room else message[: room - 1] + "…")


def _landed(materialization: dg.AssetMaterialization) -> str:
    metadata = materialization.metadata
    name = materialization.asset_key.to_user_string()
    if materialization.partition:
        name += f"[{materialization.partition}]"
    if "path" in metadata:
        rows = metadata.get("dagster/partition_row_count") or metadata["dagster/row_count"]
        return f"{name}: {rows.value} rows -> {metadata['path'].value}"
    return f"{name}: {metadata['summary'].value}"


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
