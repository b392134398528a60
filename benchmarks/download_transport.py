"""Downloading a result: our file transport against httpx's own, over HTTP and HTTPS.

    python -m benchmarks.download_transport --rows 1000000 --repeat 5

The realistic NDJSON file of `ndjson_to_parquet` (N rows) is served on loopback by the
benchmarks' file server, once plainly and once over TLS with a self-signed certificate, and read
whole through an httpx client: with httpx's own transport (the baseline) and with
`FileTransport`, which downloads use, taking turns. Measured on the reading thread alone (the
server's threads share the process): its CPU seconds, which the download takes from the thread
that also cuts blocks for the Parquet sink; the wall time; and how many pieces the body came in.
Each figure is the median of the turns.
"""

from __future__ import annotations

import argparse
import ssl
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from benchmarks import machine
from benchmarks.file_server import serving
from benchmarks.ndjson_to_parquet import ensure_input
from benchmarks.table import Row, markdown, number
from extract_assets.core.file_transport import FileTransport
from extract_assets_tests.tls import self_signed_certificate

BENCHMARK = "download"
BASELINE = "httpx's own transport"


def _read(client: httpx.Client, url: str) -> dict[str, float]:
    cpu, wall = time.thread_time(), time.perf_counter()
    size = pieces = 0
    with client.stream("GET", url) as response:
        response.raise_for_status()
        for piece in response.iter_raw():
            size += len(piece)
            pieces += 1
    return {
        "cpu": time.thread_time() - cpu,
        "wall": time.perf_counter() - wall,
        "pieces": pieces,
        "bytes": size,
    }


def _medians(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def measure(rows: int, repeat: int) -> dict[str, dict[str, dict[str, float]]]:
    """Per scheme, the medians of each transport's reads of the `rows`-row file."""
    src = ensure_input(rows)
    results: dict[str, dict[str, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        certificate = self_signed_certificate(Path(tmp))
        trusting = ssl.create_default_context(cafile=str(certificate[0]))
        clients: dict[str, Callable[[], httpx.Client]] = {
            "httpx": lambda: httpx.Client(verify=trusting, timeout=60),
            "ours": lambda: httpx.Client(transport=FileTransport(ssl_context=trusting), timeout=60),
        }
        for scheme, tls in (("http", None), ("https", certificate)):
            with serving(src.parent, tls=tls) as base:
                runs: dict[str, list[dict[str, float]]] = {name: [] for name in clients}
                for _ in range(repeat):
                    for name, make in clients.items():
                        with make() as client:
                            runs[name].append(_read(client, f"{base}/{src.name}"))
            results[scheme] = {name: _medians(done) for name, done in runs.items()}
    return results


def table_rows(rows: int, results: dict[str, dict[str, dict[str, float]]]) -> list[Row]:
    rows_out = []
    for scheme, by_transport in results.items():
        ours, base = by_transport["ours"], by_transport["httpx"]
        case = f"{scheme.upper()}, {rows:,} rows ({ours['bytes'] / 1e6:,.0f} MB), FileTransport"
        for figure, key in (
            ("reading thread CPU s", "cpu"),
            ("wall s", "wall"),
            ("pieces", "pieces"),
        ):
            rows_out.append(Row(BENCHMARK, case, figure, ours[key], BASELINE, base[key]))
    return rows_out


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the file")
    parser.add_argument("--repeat", type=int, default=5, help="turns; the medians count")
    return parser


def collect(argv: list[str] | None = None) -> list[Row]:
    """Run the benchmark with these arguments; the rows of the results table."""
    args = _parser().parse_args(argv)
    return table_rows(args.rows, measure(args.rows, args.repeat))


def main(argv: list[str] | None = None) -> int:
    for line in machine.describe():
        print(line)
    rows = collect(argv)
    print()
    print(markdown(rows))
    for row in rows:
        if row.figure.startswith("reading thread CPU"):
            print(f"{row.case}: {number(row.value)} CPU-s against {number(row.baseline_value)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
