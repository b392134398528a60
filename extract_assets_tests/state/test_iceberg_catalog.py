"""Iceberg tables in a PostgreSQL catalog, the shared store of the distributed setup."""

from __future__ import annotations

import multiprocessing
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from extract_assets.core.day_folders import write_day_folders
from extract_assets.core.iceberg_catalog import CatalogSettings, IcebergTarget, open_catalog
from extract_assets_tests.iceberg_readers import assert_iceberg_readers_agree
from extract_assets_tests.production.postgres import PostgresServer

from .conftest import new_database

VARIABLE = "LAKE_CATALOG_URI"
SETTINGS = CatalogSettings(uri_env=VARIABLE)


def _write(output: Path, day: date, rows: list[dict[str, Any]]) -> Any:
    return write_day_folders(
        [[{**row, "date": day.isoformat()} for row in rows]],
        output / "extractto" / "ads",
        [day],
        iceberg=IcebergTarget(SETTINGS, output, ("extractto",), "ads", ("date", "date")),
    )


def _write_in_process(url: str, output: str, day: str, start: Any) -> None:
    import os

    os.environ[VARIABLE] = url
    start.wait()
    _write(Path(output), date.fromisoformat(day), [{"n": int(day[-2:])}])


@pytest.fixture
def catalog_url(postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch) -> str:
    url = new_database(postgres)
    monkeypatch.setenv(VARIABLE, url)
    return url


def test_a_table_lands_in_a_postgresql_catalog_and_reports_it_without_the_password(
    catalog_url: str, postgres: PostgresServer, tmp_path: Path
) -> None:
    written = _write(tmp_path, date(2026, 11, 1), [{"n": 1}, {"n": 2}])

    commit = written.table.iceberg
    assert postgres.password not in commit.catalog
    assert commit.catalog.startswith(f"postgresql://{postgres.user}:***@127.0.0.1:")
    table = open_catalog(SETTINGS, tmp_path).load_table("extractto.ads")
    assert table.current_snapshot().snapshot_id == commit.snapshot_id
    rows = assert_iceberg_readers_agree(table, "date")
    assert [r["n"] for r in rows] == [1, 2]
    assert not (tmp_path / "iceberg_catalog.db").exists()


@pytest.mark.slow  # two Python processes, each importing pyiceberg
def test_two_machines_committing_different_days_through_postgresql_both_land(
    catalog_url: str, tmp_path: Path
) -> None:
    _write(tmp_path, date(2026, 11, 1), [{"n": 1}])
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(2)
    runs = [
        context.Process(
            target=_write_in_process, args=(catalog_url, str(tmp_path), f"2026-11-0{n}", start)
        )
        for n in (2, 3)
    ]
    for run in runs:
        run.start()
    for run in runs:
        run.join(120)

    assert [run.exitcode for run in runs] == [0, 0]
    table = open_catalog(SETTINGS, tmp_path).load_table("extractto.ads")
    rows = assert_iceberg_readers_agree(table, "date")
    assert [(r["date"], r["n"]) for r in rows] == [
        ("2026-11-01", 1),
        ("2026-11-02", 2),
        ("2026-11-03", 3),
    ]
