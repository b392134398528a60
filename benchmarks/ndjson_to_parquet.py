"""NDJSON → Parquet: our client and sink against DuckDB, Polars, pyarrow and pandas.

    python -m benchmarks.ndjson_to_parquet --rows 1000000 --rows 4000000 \
        --skip pandas@4000000 --skip pyarrow@4000000 --repeat 3

The input is a generated file of N realistic rows of about 330 bytes (distinct names, emails,
URLs, timestamps, a nested address, a list of tags; cached in benchmarks/out/). "ours-http"
downloads it from a stdlib file server on loopback (`file_server`, sendfile, Range) through
`LinkupClient.write_result`, exactly as a Linkup result is downloaded and written; every other
path reads the same bytes from disk (a warm page cache). `--source emulator` takes a Linkup
result of N rows from the emulator instead (its rows compress about 300:1 and flatter every
path). Each path runs in a child process of its own, so that each peak RSS and CPU time (of
every thread: the engine's, the download's, the writer's) is that path's alone, and throughput
is printed as a ratio against the named baseline, DuckDB's local-file
``COPY (SELECT * FROM read_json_auto(f)) TO … (FORMAT parquet)``. The 1-minute load average is
read before every run and printed beside the figures.

The late-key case (`--late-rows`) writes a file in which a key no row had is first seen after
`--late-after` rows, and reports for each path how many of that key's values reached Parquet.

A new path is one function registered with `@path("name")`: it takes (src, dst, args), writes
dst and returns the number of rows it wrote (or -1 to have them counted from the file's footer).
Paths registered with ``ours=True`` are held to the targets: at least 1.0x the baseline's
throughput, peak RSS under 300 MB, a peak RSS that does not grow with the input, and every
late-key value kept.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import random
import resource
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks import machine
from benchmarks.emulated_source import (
    KEY,
    completed_task,
    download,
    emulator,
    expose,
)
from benchmarks.file_server import serving
from benchmarks.rss import peak_rss_mb, run_child
from benchmarks.table import Row, number

# Inputs and outputs; a test points this at a folder of its own.
OUT_ENV = "EXTRACT_ASSETS_BENCH_OUT"
OUT = Path(os.environ.get(OUT_ENV) or Path(__file__).parent / "out")
BENCHMARK = "NDJSON → Parquet"
BASELINE = "duckdb"
CHUNK_BYTES = 1 << 20
THROUGHPUT_TARGET = 1.0
# Where the children find the file server (its base URL), set by the parent.
SERVER_ENV = "EXTRACT_ASSETS_BENCH_FILES"
LATE_KEY = "referrer"
RSS_TARGET_MB = 300.0
RSS_GROWTH_TOLERANCE = 1.15  # run-to-run noise of the allocator, not growth with size

PathFunction = Callable[[Path, Path, argparse.Namespace], int]


@dataclass(frozen=True)
class _Path:
    run: PathFunction
    imports: tuple[str, ...]
    ours: bool


PATHS: dict[str, _Path] = {}


def path(
    name: str, *, imports: tuple[str, ...] = (), ours: bool = False
) -> Callable[[PathFunction], PathFunction]:
    """Register a conversion path; `imports` are loaded before the clock starts."""

    def register(function: PathFunction) -> PathFunction:
        PATHS[name] = _Path(function, imports, ours)
        return function

    return register


# --- the input -----------------------------------------------------------------------------

ROW_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "email": {"type": "string"},
        "status": {"type": "string", "enum": ["active", "pending", "churned"]},
        "score": {"type": "number"},
        "verified": {"type": "boolean"},
        "created_at": {"type": "string", "format": "date-time"},
        "profile_url": {"type": "string", "format": "uri"},
        "address": {
            "type": "object",
            "properties": {
                "street": {"type": "string"},
                "city": {"type": "string"},
                "country": {"type": "string"},
                "postcode": {"type": "string"},
            },
        },
        "tags": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["id"],
}

_FIRST = ["Ada", "Grace", "Linus", "Margaret", "Ken", "Barbara", "Dennis", "Frances", "Alan"]
_LAST = ["Lovelace", "Hopper", "Torvalds", "Hamilton", "Thompson", "Liskov", "Ritchie", "Allen"]
_CITIES = [("Paris", "FR"), ("Berlin", "DE"), ("Lisbon", "PT"), ("Austin", "US"), ("Osaka", "JP")]
_TAGS = ["enterprise", "trial", "beta", "priority", "partner", "self-serve", "legacy", "eu"]


def _rows(count: int, seed: int = 7, late_after: int | None = None) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    for index in range(count):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        city, country = rng.choice(_CITIES)
        row = {
            "id": index,
            "name": f"{first} {last}",
            "email": f"{first.lower()}.{last.lower()}{index}@example.com",
            "status": rng.choice(("active", "pending", "churned")),
            "score": round(rng.uniform(0, 100), 3),
            "verified": rng.random() < 0.7,
            "created_at": f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T"
            f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}."
            f"{rng.randint(0, 999):03d}Z",
            "profile_url": f"https://example.com/people/{first.lower()}-{last.lower()}-{index}",
            "address": {
                "street": f"{rng.randint(1, 999)} Rue {last}",
                "city": city,
                "country": country,
                "postcode": f"{rng.randint(10000, 99999)}",
            },
            "tags": rng.sample(_TAGS, rng.randint(0, 3)),
        }
        if late_after is not None and index >= late_after:
            row[LATE_KEY] = f"https://news.example.com/{index}"  # a key no earlier row had
        yield row


def ensure_input(rows: int, late_after: int | None = None) -> Path:
    """The cached NDJSON file of `rows` rows, generated on first use; with `late_after`, the
    rows from that one on carry a key `LATE_KEY` that no earlier row has."""
    OUT.mkdir(parents=True, exist_ok=True)
    late = "" if late_after is None else f"-late-{late_after}"
    target = OUT / f"rows-{rows}{late}.ndjson"
    if not target.exists():
        partial = target.with_suffix(".partial")
        with partial.open("w", encoding="utf-8") as handle:
            for row in _rows(rows, late_after=late_after):
                handle.write(json.dumps(row, separators=(",", ":")))
                handle.write("\n")
        partial.rename(target)
    return target


def _chunks(src: Path) -> Iterator[bytes]:
    with src.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            yield chunk


# --- the paths -----------------------------------------------------------------------------


@path("pyarrow", imports=("pyarrow.json", "pyarrow.parquet"))
def _pyarrow(src: Path, dst: Path, args: argparse.Namespace) -> int:
    import pyarrow.json as pj
    import pyarrow.parquet as pq

    table = pj.read_json(src)
    pq.write_table(table, dst)
    return int(table.num_rows)


@path("pandas", imports=("pandas", "pyarrow.parquet"))
def _pandas(src: Path, dst: Path, args: argparse.Namespace) -> int:
    import pandas as pd

    frame = pd.read_json(src, lines=True)
    frame.to_parquet(dst)
    return len(frame)


@path("duckdb", imports=("duckdb",))
def _duckdb(src: Path, dst: Path, args: argparse.Namespace) -> int:
    import duckdb

    with duckdb.connect() as connection:
        connection.execute(
            f"COPY (SELECT * FROM read_json_auto('{src}')) TO '{dst}' (FORMAT parquet)"
        )
    return -1  # counted from the file's footer


@path("polars", imports=("polars",))
def _polars(src: Path, dst: Path, args: argparse.Namespace) -> int:
    import polars as pl

    pl.scan_ndjson(src).sink_parquet(dst)
    return -1


@path("ours", imports=("extract_assets.core.parquet",), ours=True)
def _ours(src: Path, dst: Path, args: argparse.Namespace) -> int:
    from extract_assets.core.parquet import write_ndjson

    return write_ndjson(_chunks(src), dst).rows


@path("ours+schema", imports=("extract_assets.core.parquet",), ours=True)
def _ours_with_schema(src: Path, dst: Path, args: argparse.Namespace) -> int:
    from extract_assets.core.parquet import write_ndjson

    return write_ndjson(_chunks(src), dst, json_schema=ROW_SCHEMA).rows


@path(
    "ours-http", imports=("extract_assets.linkup.client", "extract_assets.core.parquet"), ours=True
)
def _ours_over_http(src: Path, dst: Path, args: argparse.Namespace) -> int:
    from extract_assets.linkup.client import LinkupClient
    from extract_assets.linkup.models import Task

    server = os.environ.get(SERVER_ENV)
    if not server:
        raise RuntimeError(f"ours-http needs the file server's URL in {SERVER_ENV}")
    # A completed task whose result is the input file: write_result downloads and writes it
    # as it would a real result (with the task's row schema and its row count checked).
    rows = _count_lines(src)
    task = Task.model_validate(
        {
            "id": "bench",
            "status": "completed",
            "createdAt": "2026-12-01T00:00:00Z",
            "updatedAt": "2026-12-01T00:00:00Z",
            "input": {"q": "benchmark", "url": "https://example.com/bench", "schema": ROW_SCHEMA},
            "output": {"creditsUsed": 0, "resultUrl": f"{server}/{src.name}", "rowsReturned": rows},
        }
    )
    with LinkupClient(KEY, base_url="http://127.0.0.1:9", requests_per_minute=None) as client:
        return client.write_result(task, dst).rows


def _count_lines(src: Path) -> int:
    """The rows of an NDJSON file, as a provider announces them (read from a sidecar file
    written once, so that counting is not timed)."""
    sidecar = src.with_name(src.name + ".rows")
    return int(sidecar.read_text())


def _write_row_count(src: Path) -> None:
    sidecar = src.with_name(src.name + ".rows")
    if not sidecar.exists():
        with src.open("rb") as handle:
            count = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 24), b""))
        sidecar.write_text(str(count))


# --- running -------------------------------------------------------------------------------


def run_path(name: str, src: Path, dst: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Run one path in this process and measure it (called in the child)."""
    import pyarrow.parquet as pq

    entry = PATHS[name]
    for module in entry.imports:
        importlib.import_module(module)
    dst.unlink(missing_ok=True)
    import_rss_mb = peak_rss_mb()
    cpu_before = _cpu_seconds()
    started = time.perf_counter()
    reported = entry.run(src, dst, args)
    seconds = time.perf_counter() - started
    cpu_seconds = _cpu_seconds() - cpu_before
    rows = pq.read_metadata(dst).num_rows
    if reported >= 0 and reported != rows:
        raise RuntimeError(f"{name} reported {reported} rows but its file holds {rows}")
    names = pq.read_schema(dst).names
    late = pq.read_table(dst, columns=[LATE_KEY]).column(0) if LATE_KEY in names else None
    return {
        "path": name,
        "rows": rows,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "input_bytes": src.stat().st_size,
        "output_bytes": dst.stat().st_size,
        "peak_rss_mb": peak_rss_mb(),
        "import_rss_mb": import_rss_mb,
        "late_values": 0 if late is None else len(late) - late.null_count,
    }


def _cpu_seconds() -> float:
    """CPU time of every thread of this process (a path's child): its engine's threads too."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(names: list[str], src: Path, rows: int, repeat: int) -> dict[str, dict[str, Any]]:
    """The median of `repeat` child processes per path, taking turns so that a noisy moment
    on the machine does not land on one path only; peak RSS and load are the highest seen."""
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for _ in range(repeat):
        for name in names:
            dst = OUT / f"{name}-{rows}.parquet"
            arguments = ["--run-path", name, "--src", str(src), "--dst", str(dst)]
            load = os.getloadavg()[0]
            runs[name].append(
                {**run_child("benchmarks.ndjson_to_parquet", arguments), "load": load}
            )
            dst.unlink(missing_ok=True)
    results = {}
    for name, done in runs.items():
        median = statistics.median(run["seconds"] for run in done)
        chosen = min(done, key=lambda run: abs(run["seconds"] - median))
        results[name] = {
            **chosen,
            "peak_rss_mb": max(run["peak_rss_mb"] for run in done),
            "load": max(run["load"] for run in done),
        }
    return results


def measure_late_key(names: list[str], src: Path, expected: int) -> dict[str, dict[str, Any]]:
    """Each path once on the late-key file: how many of the late key's values it kept, or
    the error it stopped with."""
    results = {}
    for name in names:
        dst = OUT / f"{name}-late.parquet"
        arguments = ["--run-path", name, "--src", str(src), "--dst", str(dst)]
        try:
            done = run_child("benchmarks.ndjson_to_parquet", arguments)
        except RuntimeError as error:
            failure = str(error).strip().splitlines()[-1]
            done = {"path": name, "late_values": 0, "error": failure[:120]}
        results[name] = {**done, "expected": expected}
        dst.unlink(missing_ok=True)
    return results


def _served_input(url: str, rows: int) -> Path:
    """Serve a result of `rows` rows and download it once; children stream it again."""
    OUT.mkdir(parents=True, exist_ok=True)
    task_id = completed_task(url, rows, ROW_SCHEMA)
    expose(url, task_id)
    return download(url, task_id, OUT / f"linkup-{rows}.ndjson")


def _skipped(name: str, rows: int, skips: list[str]) -> bool:
    return name in skips or f"{name}@{rows}" in skips


def report(rows: int, results: dict[str, dict[str, Any]]) -> list[str]:
    """Print the table for one input size; return the targets it missed."""
    base = results.get(BASELINE)
    size_mb = next(iter(results.values()))["input_bytes"] / 1e6
    print(f"\n{rows:,} rows, {size_mb:,.0f} MB of NDJSON")
    header = (
        f"{'path':<12} {'rows':>10} {'MB/s':>6} {'vs ' + BASELINE:>10} {'CPU s':>6} "
        f"{'peak RSS MB':>11} {'after imports':>13} {'Parquet MB':>10} {'load':>5}"
    )
    print(header)
    print("-" * len(header))
    for name, result in results.items():
        versus = f"{_speed(result) / _speed(base):.2f}x" if base else "-"
        print(
            f"{name:<12} {result['rows']:>10,} {_speed(result):>6.0f} {versus:>10} "
            f"{result['cpu_seconds']:>6.2f} {result['peak_rss_mb']:>11.0f} "
            f"{result['import_rss_mb']:>13.0f} {result['output_bytes'] / 1e6:>10.1f} "
            f"{result['load']:>5.2f}"
        )
    missed = []
    for name in (n for n in results if PATHS[n].ours):
        ours = results[name]
        if base:
            ratio = _speed(ours) / _speed(base)
            label = f"{name} throughput >= {THROUGHPUT_TARGET}x {BASELINE}"
            missed += _check(label, ratio >= THROUGHPUT_TARGET, f"{ratio:.2f}x", rows)
        peak = ours["peak_rss_mb"]
        label = f"{name} peak RSS < {RSS_TARGET_MB:.0f} MB"
        missed += _check(label, peak < RSS_TARGET_MB, f"{peak:.0f} MB", rows)
    return missed


def report_late_key(after: int, rows: int, results: dict[str, dict[str, Any]]) -> list[str]:
    """Print what each path kept of a key first seen after `after` rows; return our misses."""
    print(f"\nlate key: {LATE_KEY!r} first seen after {after:,} of {rows:,} rows")
    missed: list[str] = []
    for name, result in results.items():
        kept, expected = result["late_values"], result["expected"]
        if "error" in result:
            outcome = f"failed: {result['error']}"
        else:
            outcome = "kept" if kept == expected else f"LOST {expected - kept:,}"
        print(f"{name:<12} {kept:>10,} of {expected:,} values  {outcome}")
        if PATHS[name].ours:
            missed += _check(f"{name} keeps the late key", kept == expected, outcome, rows)
    return missed


def report_growth(by_size: dict[int, dict[str, dict[str, Any]]]) -> list[str]:
    """Check that our peak RSS does not grow from the smallest input to the largest."""
    sizes = sorted(by_size)
    missed: list[str] = []
    if len(sizes) < 2:
        return missed
    small, large = by_size[sizes[0]], by_size[sizes[-1]]
    for name in (n for n in small if PATHS[n].ours and n in large):
        before, after = small[name]["peak_rss_mb"], large[name]["peak_rss_mb"]
        label = f"{name} peak RSS flat from {sizes[0]:,} to {sizes[-1]:,} rows"
        flat = after <= before * RSS_GROWTH_TOLERANCE
        missed += _check(label, flat, f"{before:.0f} -> {after:.0f} MB", sizes[-1])
    return missed


def _check(label: str, ok: bool, measured: str, rows: int) -> list[str]:
    print(f"target {label}: {measured} {'ok' if ok else 'MISSED'}")
    return [] if ok else [f"{label} ({rows:,} rows)"]


def _speed(result: dict[str, Any]) -> float:
    return float(result["input_bytes"] / 1e6 / result["seconds"])


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, action="append", help="input size; repeatable")
    parser.add_argument("--paths", nargs="*", default=None, help=f"subset of {list(PATHS)}")
    parser.add_argument("--skip", action="append", default=[], help="NAME or NAME@ROWS")
    parser.add_argument("--repeat", type=int, default=1, help="runs per path; the median counts")
    parser.add_argument(
        "--source", choices=("generated", "emulator"), default="generated", help="the input"
    )
    parser.add_argument(
        "--late-rows", type=int, default=300_000, help="rows of the late-key case; 0: none"
    )
    parser.add_argument(
        "--late-after", type=int, default=200_000, help="rows before the late key is first seen"
    )
    parser.add_argument("--run-path", help=argparse.SUPPRESS)
    parser.add_argument("--src", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--dst", type=Path, help=argparse.SUPPRESS)
    return parser


@dataclass
class Measured:
    """Every path at every size ({rows: {path: result}}), and the late-key case."""

    by_size: dict[int, dict[str, dict[str, Any]]]
    late: dict[str, dict[str, Any]]
    late_rows: int
    late_after: int


def measure_all(args: argparse.Namespace) -> Measured:
    """Every path at every size, then the late-key case, with the file server up throughout."""
    by_size: dict[int, dict[str, dict[str, Any]]] = {}
    late: dict[str, dict[str, Any]] = {}
    with ExitStack() as stack:
        url = stack.enter_context(emulator()) if args.source == "emulator" else None
        OUT.mkdir(parents=True, exist_ok=True)
        os.environ[SERVER_ENV] = stack.enter_context(serving(OUT))
        for rows in args.rows or [1_000_000]:
            names = [n for n in args.paths or PATHS if not _skipped(n, rows, args.skip)]
            src = _served_input(url, rows) if url else ensure_input(rows)
            _write_row_count(src)
            by_size[rows] = measure(names, src, rows, args.repeat)
        if args.late_rows:
            names = [n for n in args.paths or PATHS if not _skipped(n, args.late_rows, args.skip)]
            src = ensure_input(args.late_rows, late_after=args.late_after)
            _write_row_count(src)
            late = measure_late_key(names, src, max(args.late_rows - args.late_after, 0))
    return Measured(by_size, late, args.late_rows, args.late_after)


_BASELINES = {
    BASELINE: "DuckDB COPY read_json_auto (local file)",
    "pandas": "pandas read_json + to_parquet",
}
_VERSUS_PANDAS = ("ours", "ours+schema", "ours-http")


def table_rows(measured: Measured) -> list[Row]:
    """Throughput, peak RSS and CPU seconds (every thread) of every path against DuckDB,
    throughput and peak RSS of ours against pandas too, our peak RSS at the largest size
    against the smallest, the load during each size's runs, and the late key's values each
    path kept."""
    by_size = measured.by_size
    table: list[Row] = []
    for rows, results in by_size.items():
        size_mb = next(iter(results.values()))["input_bytes"] / 1e6
        for name, result in results.items():
            case = f"{name}, {rows:,} rows ({number(size_mb)} MB)"
            versus = [BASELINE] if name != BASELINE else []
            versus += ["pandas"] if name in _VERSUS_PANDAS else []
            for base in (b for b in versus if b in results):
                label, other = _BASELINES[base], results[base]
                table += [
                    Row(BENCHMARK, case, "throughput MB/s", _speed(result), label, _speed(other)),
                    Row(
                        BENCHMARK,
                        case,
                        "peak RSS MB",
                        result["peak_rss_mb"],
                        label,
                        other["peak_rss_mb"],
                    ),
                ]
                if base == BASELINE:
                    cpu, other_cpu = result["cpu_seconds"], other["cpu_seconds"]
                    table.append(Row(BENCHMARK, case, "CPU s", cpu, label, other_cpu))
        load = max(result["load"] for result in results.values())
        cores = float(os.cpu_count() or 1)
        table.append(
            Row(BENCHMARK, f"{rows:,} rows: the runs", "load average (1 min)", load, "cores", cores)
        )
    sizes = sorted(by_size)
    if len(sizes) > 1:
        small, large = by_size[sizes[0]], by_size[sizes[-1]]
        for name in (n for n in large if PATHS[n].ours and n in small):
            table.append(
                Row(
                    BENCHMARK,
                    f"{name}, {sizes[-1]:,} rows",
                    "peak RSS MB",
                    large[name]["peak_rss_mb"],
                    f"{name} at {sizes[0]:,} rows",
                    small[name]["peak_rss_mb"],
                )
            )
    for name, result in measured.late.items():
        failed = " (the run failed)" if "error" in result else ""
        table.append(
            Row(
                BENCHMARK,
                f"{name}, key first seen after {measured.late_after:,} of "
                f"{measured.late_rows:,} rows{failed}",
                "late-key values kept",
                result["late_values"],
                "late-key values in the input",
                result["expected"],
            )
        )
    return table


def collect(argv: list[str] | None = None) -> list[Row]:
    """Run the benchmark with these arguments; the rows of the results table."""
    return table_rows(measure_all(_parser().parse_args(argv)))


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.run_path:
        print(json.dumps(run_path(args.run_path, args.src, args.dst, args)))
        return 0
    for line in machine.describe():
        print(line)
    measured = measure_all(args)
    missed: list[str] = []
    for rows, results in measured.by_size.items():
        missed += report(rows, results)
    missed += report_growth(measured.by_size)
    if measured.late:
        missed += report_late_key(measured.late_after, measured.late_rows, measured.late)
    print("\nall targets met" if not missed else "\nmissed: " + "; ".join(missed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
