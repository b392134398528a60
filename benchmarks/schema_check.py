"""The rows_match_schema check against the materialization it checks.

    python -m benchmarks.schema_check --rows 1000000 --before-rows 50000

One run: a Linkup asset of N rows (the NDJSON benchmark's schema: integers, numbers, booleans,
an enum, a date-time, a uri, a nested object and a list) is materialized with `dg.materialize`
against the emulator (in a process of its own, over loopback); then `check_rows` checks the file it
wrote, and the ratio check ÷ materialization is printed (goal ≤ 0.10). The materialization's own
time includes its check. The check before Arrow (`check_rows_one_by_one`, the jsonschema library
on each row in Python) is far too slow to run on N rows in a benchmark; it runs on the first
`--before-rows` rows of the same file, beside the new check on those same rows.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import dagster as dg
import httpx
import pyarrow.parquet as pq

from benchmarks.emulated_source import KEY, emulator
from benchmarks.ndjson_to_parquet import ROW_SCHEMA
from benchmarks.table import Row, number
from extract_assets.core.validation import SchemaReport, check_rows, check_rows_one_by_one
from extract_assets.linkup.assets import ROWS_MATCH_SCHEMA, build_linkup_assets
from extract_assets.linkup.resource import LinkupResource
from extract_assets.linkup.spec import LinkupExtractSpec

BENCHMARK = "schema check"
GOAL = 0.10


def materialize(url: str, rows: int, output: Path) -> tuple[float, Path]:
    """Seconds to materialize an asset of `rows` rows, and the file it wrote."""
    q = f"schema check benchmark, {rows} rows"
    httpx.post(f"{url}/_emulator/linkup/scenarios", json={"match": q, "rows": rows})
    spec = LinkupExtractSpec(name="people", q=q, url="https://example.com/team", schema=ROW_SCHEMA)
    resource = LinkupResource(
        api_key=KEY,
        base_url=f"{url}/linkup",
        poll_initial_seconds=0.1,
        poll_max_seconds=0.3,
        requests_per_minute=None,
    )
    with dg.instance_for_test() as instance:
        started = time.perf_counter()
        result = dg.materialize(
            build_linkup_assets([spec], output_dir=str(output)),
            resources={"linkup": resource},
            instance=instance,
        )
        seconds = time.perf_counter() - started
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    if not checks.get(ROWS_MATCH_SCHEMA):
        raise RuntimeError(f"the benchmark's rows should pass the schema check: {checks}")
    return seconds, output / "linkup" / "people" / "part-0.parquet"


def timed_check(path: Path, schema: dict[str, Any], before: bool = False) -> tuple[float, int]:
    check = check_rows_one_by_one if before else check_rows
    started = time.perf_counter()
    report: SchemaReport = check(path, schema)
    return time.perf_counter() - started, report.rows_checked


def first_rows(path: Path, rows: int, target: Path) -> Path:
    """The first `rows` rows of the file, in a file of their own."""
    pq.write_table(pq.read_table(path).slice(0, rows), target)
    return target


def measure(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder, emulator() as url:
        output = Path(folder)
        materialized, path = materialize(url, args.rows, output)
        check, checked = timed_check(path, ROW_SCHEMA)
        sample = first_rows(path, args.before_rows, output / "first-rows.parquet")
        new_on_sample, sampled = timed_check(sample, ROW_SCHEMA)
        before_on_sample, _ = timed_check(sample, ROW_SCHEMA, before=True)
    return {
        "rows": checked,
        "materialization_s": materialized,
        "check_s": check,
        "sample_rows": sampled,
        "check_sample_s": new_on_sample,
        "before_sample_s": before_on_sample,
    }


def table_rows(result: dict[str, Any]) -> list[Row]:
    rows, sample = f"{result['rows']:,} rows", f"{result['sample_rows']:,} rows"
    return [
        Row(
            BENCHMARK,
            f"rows_match_schema, {rows}",
            f"check s (goal ≤ {GOAL:.2f}x)",
            result["check_s"],
            "materialization of the same rows, check included",
            result["materialization_s"],
        ),
        Row(
            BENCHMARK,
            f"rows_match_schema, first {sample} of the same file",
            "check s",
            result["check_sample_s"],
            "jsonschema on each row (the check before)",
            result["before_sample_s"],
        ),
    ]


def report(result: dict[str, Any]) -> None:
    ratio = result["check_s"] / result["materialization_s"]
    print(f"load average (1, 5, 15 min): {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        f"{result['rows']:,} rows: materialization {number(result['materialization_s'])} s, "
        f"check {number(result['check_s'])} s, check ÷ materialization {ratio:.3f} "
        f"(goal ≤ {GOAL:.2f}: {'ok' if ratio <= GOAL else 'MISSED'})"
    )
    speedup = result["before_sample_s"] / result["check_sample_s"]
    print(
        f"first {result['sample_rows']:,} rows: check {number(result['check_sample_s'])} s, "
        f"before (jsonschema row by row) {number(result['before_sample_s'])} s, "
        f"{speedup:,.0f}x faster"
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows materialized")
    parser.add_argument(
        "--before-rows", type=int, default=50_000, help="rows the check before Arrow judges"
    )
    return parser


def collect(argv: list[str] | None = None) -> list[Row]:
    """Run the benchmark with these arguments; the rows of the results table."""
    return table_rows(measure(_parser().parse_args(argv)))


def main(argv: list[str] | None = None) -> int:
    result = measure(_parser().parse_args(argv))
    report(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
