"""Dagster's fixed cost of our assets: from `dagster asset materialize` to the first request at
the provider, and loading definitions with many specs.

    python -m benchmarks.dagster_overhead --repeat 5 --specs 100

Time to first request: `dagster asset materialize` of one Linkup extract (our builder, our
resource), in a process of its own with a fresh instance, from the moment the process starts
to the moment the emulator (a process of its own, on loopback) logs the extract's first
request. Baseline, in the same run with the same command and instance setup: a bare `@asset`
that does one httpx GET at the same emulator. The two alternate, `--repeat` times each; the
medians are compared (goal ≤ 1.1x).

Loading: in a fresh interpreter that has imported Dagster, the seconds to import the package,
read a config file declaring `--specs` specs of each provider and validate the definitions as a
code server would (`Definitions.validate_loadable`); goal ≤ 2 s. Reference, in the same run:
as many plain `@asset`s built and validated, which is Dagster's own floor.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import httpx
import yaml

from benchmarks.emulated_source import KEY, emulator
from benchmarks.table import Row, markdown

BENCHMARK = "Dagster fixed cost"
FIRST_REQUEST_GOAL = 1.1
LOAD_GOAL_SECONDS = 2.0

OURS = """
import dagster as dg
import extract_assets as ea

spec = ea.LinkupExtractSpec(name="team", q="Team members", url="https://example.com/team")
defs = dg.Definitions(
    assets=ea.build_linkup_assets([spec]),
    resources={"linkup": ea.LinkupResource(api_key=dg.EnvVar("LINKUP_API_KEY"))},
)
"""

BARE = """
import os

import dagster as dg
import httpx


@dg.asset
def team() -> None:
    headers = {"Authorization": "Bearer " + os.environ["LINKUP_API_KEY"]}
    httpx.get(os.environ["LINKUP_BASE_URL"] + "/v1/extract/bare", headers=headers)


defs = dg.Definitions(assets=[team])
"""

# Run in a fresh interpreter: what a code server pays to load a code location, after Dagster.
LOAD = """
import json, sys, time
import dagster as dg

started = time.perf_counter()
from extract_assets.build import definitions_from_config
defs = definitions_from_config(sys.argv[1])
dg.Definitions.validate_loadable(defs)
ours = time.perf_counter() - started

started = time.perf_counter()
def plain(n):
    @dg.asset(name=f"plain_{n}")
    def _plain() -> None:
        return None
    return _plain
plain_defs = dg.Definitions(assets=[plain(n) for n in range(int(sys.argv[2]))])
dg.Definitions.validate_loadable(plain_defs)
floor = time.perf_counter() - started
print(json.dumps({"ours": ours, "floor": floor, "assets": len(defs.resolve_all_asset_keys())}))
"""


def first_request_seconds(url: str, module: Path, folder: Path) -> float:
    """Seconds from starting `dagster asset materialize` to the emulator's first Linkup
    request; the run is stopped there."""
    home = Path(tempfile.mkdtemp(dir=folder))
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    environment = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "LINKUP_BASE_URL": f"{url}/linkup",
        "LINKUP_API_KEY": KEY,
        "EXTRACT_ASSETS_OUTPUT": str(home / "data"),
    }
    httpx.post(f"{url}/_emulator/reset").raise_for_status()
    command = [
        sys.executable, "-m", "dagster", "asset", "materialize",
        "-f", str(module), "--select", "team",
    ]  # fmt: skip
    started = time.monotonic()
    # A session of its own: the step runs in a child process, which must stop with the run.
    process = subprocess.Popen(
        command,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        with httpx.Client() as control:
            while True:
                seen = control.get(f"{url}/_emulator/requests", params={"provider": "linkup"})
                if seen.json():
                    return time.monotonic() - started
                if process.poll() is not None:
                    error = process.stderr.read().decode() if process.stderr else ""
                    raise RuntimeError(f"the run ended before any request: {error[-2000:]}")
                time.sleep(0.005)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def load_seconds(specs: int, folder: Path) -> dict[str, float]:
    """What loading `specs` specs of each provider costs, and Dagster's floor for as many
    assets."""
    config = folder / "extract-assets.yaml"
    declared = {
        "linkup": {
            "extracts": [
                {"name": f"web_{n}", "q": "Rows", "url": "https://example.com"}
                for n in range(specs)
            ]
        },
        "extractto": {
            "extracts": [
                {"name": f"ads_{n}", "extract_id": f"e-{n}", "start_date": "2026-01-01"}
                for n in range(specs)
            ]
        },
        "dataextractor": {
            "datasets": [{"name": f"docs_{n}", "start_date": "2026-01-01"} for n in range(specs)]
        },
    }
    config.write_text(yaml.safe_dump(declared), encoding="utf-8")
    probe = subprocess.run(
        [sys.executable, "-c", LOAD, str(config), str(specs * 7)],
        capture_output=True,
        text=True,
        check=True,
    )
    measured: dict[str, float] = json.loads(probe.stdout.strip().splitlines()[-1])
    return measured


def collect(argv: list[str] | None = None) -> list[Row]:
    args = _parser().parse_args(argv)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp, emulator() as url:
        folder = Path(tmp)
        modules = {}
        for name, source in (("ours", OURS), ("bare", BARE)):
            modules[name] = folder / f"{name}.py"
            modules[name].write_text(textwrap.dedent(source), encoding="utf-8")
        times: dict[str, list[float]] = {"ours": [], "bare": []}
        for _ in range(args.repeat):
            for name in ("bare", "ours"):
                times[name].append(first_request_seconds(url, modules[name], folder))
        ours, bare = (statistics.median(times[name]) for name in ("ours", "bare"))
        rows += [
            Row(
                BENCHMARK,
                f"`dagster asset materialize` → first request (median of {args.repeat})",
                "seconds",
                ours,
                "bare @asset, one httpx GET",
                bare,
            ),
            Row(
                BENCHMARK,
                f"`dagster asset materialize` → first request (median of {args.repeat})",
                "ratio to the bare @asset",
                ours / bare,
                f"goal ≤ {FIRST_REQUEST_GOAL}x",
                FIRST_REQUEST_GOAL,
            ),
        ]
        for specs in args.specs or [100]:
            loaded = load_seconds(specs, folder)
            case = f"load {specs} specs of each provider ({int(loaded['assets'])} assets)"
            rows += [
                Row(BENCHMARK, case, "seconds", loaded["ours"], "goal", LOAD_GOAL_SECONDS),
                Row(
                    BENCHMARK,
                    case,
                    "seconds",
                    loaded["ours"],
                    f"{specs * 7} plain @assets (Dagster's floor)",
                    loaded["floor"],
                ),
            ]
    return rows


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each command")
    parser.add_argument(
        "--specs", type=int, action="append", help="specs of each provider (repeatable)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    rows = collect(argv)
    print(markdown(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
