"""`python -m benchmarks --quick` end to end: every benchmark runs and fills its rows of the one
results table with sane values. Speed is not checked here; that is what the benchmarks print."""

from __future__ import annotations

import doctest
import math
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

from benchmarks import machine, rss, table
from benchmarks.ndjson_to_parquet import OUT_ENV

# One quick run of every benchmark: 150 s on the quiet machine, over 300 s beside three other
# test workers on its two cores.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[1]
DUCKDB = "DuckDB COPY read_json_auto"
PANDAS = "pandas read_json + to_parquet"


@dataclass(frozen=True)
class Line:
    benchmark: str
    case: str
    figure: str
    value: float
    baseline: str
    baseline_value: float


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The results file of one quick run, written where the test says."""
    tmp = tmp_path_factory.mktemp("bench")
    output = tmp / "RESULTS.md"
    env = {**os.environ, "DAGSTER_HOME": str(tmp), OUT_ENV: str(tmp / "out")}
    command = [sys.executable, "-m", "benchmarks", "--quick", "--output", str(output)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-4000:]
    return output.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def lines(results: str) -> list[Line]:
    rows = [row for row in results.splitlines() if row.startswith("| ") and "---" not in row]
    parsed = []
    for row in rows[1:]:
        bench, case, figure, value, baseline, base_value, _ = row.strip("| ").split(" | ")
        parsed.append(Line(bench, case, figure, _num(value), baseline, _num(base_value)))
    return parsed


def _num(text: str) -> float:
    return float(text.replace(",", ""))


def _find(lines: list[Line], benchmark: str, case: str, figure: str, baseline: str) -> Line:
    """The one row of that benchmark and figure whose case and baseline start so."""
    found = [
        line
        for line in lines
        if (line.benchmark, line.figure) == (benchmark, figure)
        and line.case.startswith(case)
        and line.baseline.startswith(baseline)
    ]
    assert len(found) == 1, f"{len(found)} rows for {benchmark} / {case} / {figure} / {baseline}"
    return found[0]


def test_the_results_name_the_machine_they_ran_on(results: str) -> None:
    assert "- CPU: " in results
    assert "- Python 3." in results


def test_every_value_is_a_finite_non_negative_number(lines: list[Line]) -> None:
    assert lines
    for line in lines:
        assert math.isfinite(line.value) and line.value >= 0, line
        assert math.isfinite(line.baseline_value) and line.baseline_value >= 0, line


def test_ndjson_paths_have_throughput_and_peak_rss_against_duckdb_at_two_sizes(
    lines: list[Line],
) -> None:
    for rows in ("1,000 rows", "2,000 rows"):
        for path in ("pandas", "pyarrow", "polars", "ours", "ours-http"):
            case = f"{path}, {rows} ("
            speed = _find(lines, "NDJSON → Parquet", case, "throughput MB/s", DUCKDB)
            peak = _find(lines, "NDJSON → Parquet", case, "peak RSS MB", DUCKDB)
            assert speed.value > 0 and speed.baseline_value > 0
            assert 10 < peak.value < 4000 and 10 < peak.baseline_value < 4000


def test_ndjson_paths_report_the_cpu_seconds_of_every_thread_against_duckdb(
    lines: list[Line],
) -> None:
    for path in ("pandas", "pyarrow", "polars", "ours", "ours-http"):
        cpu = _find(lines, "NDJSON → Parquet", f"{path}, 2,000 rows (", "CPU s", DUCKDB)
        assert cpu.value > 0 and cpu.baseline_value > 0


def test_our_ndjson_paths_are_also_read_against_pandas(lines: list[Line]) -> None:
    for rows in ("1,000 rows", "2,000 rows"):
        for path in ("ours", "ours-http"):
            for figure in ("throughput MB/s", "peak RSS MB"):
                assert _find(lines, "NDJSON → Parquet", f"{path}, {rows} (", figure, PANDAS)


def test_the_load_during_the_ndjson_runs_is_read_against_the_cores(lines: list[Line]) -> None:
    for rows in ("1,000 rows", "2,000 rows"):
        load = _find(lines, "NDJSON → Parquet", rows, "load average (1 min)", "cores")
        assert load.baseline_value >= 1


def test_every_ndjson_path_says_how_much_of_a_late_key_it_kept(lines: list[Line]) -> None:
    for path in ("pandas", "pyarrow", "duckdb", "polars", "ours", "ours-http"):
        case = f"{path}, key first seen after 2,000 of 3,000 rows"
        kept = _find(lines, "NDJSON → Parquet", case, "late-key values kept", "late-key values")
        assert kept.baseline_value == 1000
        if path.startswith("ours"):
            assert kept.value == kept.baseline_value


def test_each_ndjson_path_reports_its_own_peak_rss(lines: list[Line]) -> None:
    peaks = {line.value for line in lines if line.figure == "peak RSS MB"}
    assert len(peaks) > 1, "every path reports the same peak: it is not the child's own"


def test_our_peak_rss_at_the_larger_input_is_read_against_the_smaller(lines: list[Line]) -> None:
    for path in ("ours", "ours-http"):
        line = _find(lines, "NDJSON → Parquet", f"{path}, 2,000 rows", "peak RSS MB", path)
        assert line.baseline == f"{path} at 1,000 rows"


def test_downloads_are_read_against_httpxs_own_transport_over_http_and_https(
    lines: list[Line],
) -> None:
    for scheme in ("HTTP", "HTTPS"):
        case = f"{scheme}, 1,000 rows ("
        for figure in ("reading thread CPU s", "wall s"):
            assert _find(lines, "download", case, figure, "httpx's own transport")
        pieces = _find(lines, "download", case, "pieces", "httpx's own transport")
        assert 1 <= pieces.value < pieces.baseline_value


def test_the_schema_check_is_read_against_the_materialization_and_the_check_before(
    lines: list[Line],
) -> None:
    goal = "check s (goal ≤ 0.10x)"
    whole = _find(lines, "schema check", "rows_match_schema, 2,000 rows", goal, "materializ")
    before = _find(lines, "schema check", "rows_match_schema, first 500 rows", "check s", "json")
    assert whole.value > 0 and whole.baseline_value > 0
    assert before.value > 0 and before.baseline_value > 0


def test_the_single_run_backfill_makes_one_extract_run_for_all_days(lines: list[Line]) -> None:
    per_partition = "one run per partition"
    runs = _find(lines, "Extract.to backfill", "3-day", "extract runs", per_partition)
    requests = _find(lines, "Extract.to backfill", "3-day", "API requests", per_partition)
    assert (runs.value, runs.baseline_value) == (1, 3)
    assert requests.value < requests.baseline_value
    speed = _find(
        lines, "Extract.to backfill", "150 rows", "rows/s", "httpx pages → pyarrow, one file"
    )
    assert speed.value > 0


def test_the_paced_dataextractor_clients_get_no_429(lines: list[Line]) -> None:
    unpaced = "unpaced client, Retry-After only"
    for case in ("200 datasets, ours, page size 100", "200 datasets, ours, page size 20"):
        assert (
            _find(lines, "dataextractor.io rate limit", case, "429 responses", unpaced).value == 0
        )
        reads = _find(lines, "dataextractor.io rate limit", case, "reads/min", "documented limit")
        assert reads.value > 0 and reads.baseline_value == 60


def test_runs_sharing_the_state_get_no_429_and_stay_under_the_limit(lines: list[Line]) -> None:
    bench = "dataextractor.io shared rate limit"
    for case in ("1 concurrent run, shared state", "2 concurrent runs, shared state"):
        limited = _find(lines, bench, case, "429 responses (goal 0)", "reads admitted")
        assert limited.value == 0 and limited.baseline_value > 0
        reads = _find(lines, bench, case, "reads/min", "documented limit")
        assert reads.value > 0 and reads.baseline_value == 60
        peak = _find(lines, bench, case, "peak reads in 60 s", "documented limit")
        assert 0 < peak.value <= 60
    alone = "same runs, each pacing alone"
    assert _find(lines, bench, "2 concurrent runs, shared", "429 responses (goal 0)", alone)
    own = _find(lines, bench, "2 concurrent runs, each pacing alone", "reads/min", "documented")
    assert own.value > 0


def test_linkup_ticks_read_one_page_where_the_naive_poll_gets_every_task(
    lines: list[Line],
) -> None:
    naive = "GET each task (naive poll)"
    for tasks in (10, 30):
        for case, seconds in (
            (f"Linkup sensor, {tasks} tasks, first scan (empty cursor, 1 tick)", "slowest tick s"),
            (f"Linkup sensor, {tasks} tasks, next tick", "tick s"),
        ):
            requests = _find(lines, "sensor tick", case, "HTTP requests", naive)
            assert (requests.value, requests.baseline_value) == (1, tasks)
            assert _find(lines, "sensor tick", case, seconds, naive).value > 0


def test_dataextractor_polling_idle_tick_makes_two_requests(lines: list[Line]) -> None:
    old = "old tick (re-list the lookback"
    for datasets in (10, 30):
        case = f"dataextractor.io polling sensor, {datasets} datasets, idle tick"
        requests = _find(lines, "sensor tick", case, "HTTP requests", "goal")
        assert (requests.value, requests.baseline_value) == (2, 2)
        assert _find(lines, "sensor tick", case, "HTTP requests", old).baseline_value >= 1
        assert _find(lines, "sensor tick", case, "tick s", "goal").baseline_value == 1


def test_dataextractor_polling_looks_up_each_straggler_at_most_once(lines: list[Line]) -> None:
    old = "old tick (re-list the lookback"
    for datasets in (10, 30):
        for tick in ("tick with 3 stragglers processing", "tick the 3 stragglers complete"):
            case = f"dataextractor.io polling sensor, {datasets} datasets, {tick}"
            assert _find(lines, "sensor tick", case, "HTTP requests", old).value <= 2 + 3


def test_dataextractor_polling_first_pass_takes_one_tick_when_small(lines: list[Line]) -> None:
    for datasets in (10, 30):
        case = f"dataextractor.io polling sensor, {datasets} datasets, first pass (1 tick)"
        assert _find(lines, "sensor tick", case, "HTTP requests, busiest tick", "old tick").value


def test_a_new_column_rewrites_every_earlier_day_file_and_nothing_else_does(
    lines: list[Line],
) -> None:
    same = "one more day, no new column"
    for days in (5, 20):
        case = f"{days} days x 200 rows ("
        rewritten = _find(lines, "table rewrite", case, "files rewritten", same)
        assert (rewritten.value, rewritten.baseline_value) == (days, 0)
        for figure in ("wall s", "Parquet MB/s written", "peak RSS MB"):
            line = _find(lines, "table rewrite", case, figure, same)
            assert line.value > 0 and line.baseline_value > 0, line
        assert _find(lines, "table rewrite", case, "peak RSS above imports MB", "the table")
        read = _find(
            lines, "table rewrite", f"DuckDB count + sum over {days} days", "read s", "same read"
        )
        assert read.value > 0 and read.baseline_value > 0


def test_the_rewrites_peak_rss_at_the_larger_table_is_read_against_the_smaller(
    lines: list[Line],
) -> None:
    for case in ("one more day + video_views, 20 days", "one more day, no new column, 20 days"):
        peak = _find(lines, "table rewrite", case, "peak RSS MB", "same at 5 days")
        assert 10 < peak.value < 4000 and 10 < peak.baseline_value < 4000
        assert _find(lines, "table rewrite", case, "peak RSS above imports MB", "same at 5 days")


def test_iceberg_writes_and_duckdbs_read_are_read_against_parquet_day_folders(
    lines: list[Line],
) -> None:
    write = "7,000 rows, 7 days, one materialization"
    for figure in ("rows/s", "peak RSS MB"):
        line = _find(lines, "iceberg output", write, figure, "Parquet day folders")
        assert line.value > 0 and line.baseline_value > 0, line
    read = _find(lines, "iceberg output", "20 days x 100 rows", "read s", "Parquet day folders")
    assert read.value > 0 and read.baseline_value > 0


def test_dagster_fixed_cost_is_read_against_a_bare_asset_in_the_same_run(
    lines: list[Line],
) -> None:
    seconds = _find(
        lines, "Dagster fixed cost", "`dagster asset materialize`", "seconds", "bare @asset"
    )
    assert seconds.value > 0 and seconds.baseline_value > 0


def test_loading_many_specs_is_read_against_the_goal_and_dagsters_floor(
    lines: list[Line],
) -> None:
    goal = _find(lines, "Dagster fixed cost", "load 5 specs", "seconds", "goal")
    floor = _find(lines, "Dagster fixed cost", "load 5 specs", "seconds", "35 plain @assets")
    assert goal.baseline_value == 2
    assert goal.value == floor.value and floor.baseline_value > 0


@pytest.mark.parametrize("module", [table, machine, rss], ids=lambda m: m.__name__)
def test_the_benchmark_helpers_examples_hold(module: ModuleType) -> None:
    assert doctest.testmod(module).failed == 0
