import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq

PROJECT = Path(__file__).resolve().parents[1]


def test_the_headless_demo_materializes_every_asset_and_says_where(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DAGSTER_HOME": str(tmp_path / "home"),
        "EXTRACT_ASSETS_OUTPUT": str(tmp_path / "data"),
    }
    env.pop("EXTRACT_ASSETS_CONFIG", None)
    done = subprocess.run(
        [sys.executable, "-m", "extract_assets.cli", "demo", "--headless"],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    for name in ("team_members", "pricing_plans", "job_postings"):
        path = tmp_path / "data" / "linkup" / name / "part-0.parquet"
        assert f"{name}: {pq.ParquetFile(path).metadata.num_rows} rows -> {path}" in done.stdout
    days = sorted((tmp_path / "data" / "extractto" / "google_ads_campaigns").glob("date=*"))
    assert len(days) == 3
    for day in days:
        rows = pq.ParquetFile(day / "part-0.parquet").metadata.num_rows
        partition = day.name.removeprefix("date=")
        assert f"google_ads_campaigns[{partition}]: {rows} rows -> {day}" in done.stdout
    assert "hubspot_to_warehouse: run " in done.stdout
    assert (
        "documents_inbox: 3 extracted, 0 skipped, 0 refused, 0 uncertain, 0 failed" in done.stdout
    )
    for table in ("datasets", "fields", "line_items", "ground_truth", "accuracy"):
        folder = tmp_path / "data" / "dataextractor" / f"documents_{table}"
        assert len(list(folder.glob("date=*/part-0.parquet"))) == 3


def test_the_emulator_refuses_a_public_address_unless_told() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "extract_assets.cli", "emulate", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "loopback" in done.stderr
