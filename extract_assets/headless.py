"""The headless demo: every demo asset materialized once, run by run, with a progress display.

Unpartitioned assets run first (they submit the documents the partitioned tables read), then
the last few days of each partitioned one as a single run over that range.
"""

from __future__ import annotations

import logging
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TextIO

import dagster as dg
from tqdm import tqdm

from extract_assets.build import definitions_from_config

HEADLESS_DAYS = 3


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


def materialize_all() -> int:
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
