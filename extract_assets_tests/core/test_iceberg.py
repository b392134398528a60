"""Iceberg tables: one snapshot per materialization, partitions replaced, schema evolved in place,
concurrent writers, and every reader sees every row."""

from __future__ import annotations

import json
import multiprocessing
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyiceberg.table import Table
from pyiceberg.types import StringType

from extract_assets.core.day_folders import write_day_folders
from extract_assets.core.errors import OutputError
from extract_assets.core.iceberg import IcebergTableWriter
from extract_assets.core.iceberg_catalog import (
    CATALOG_ENV,
    CatalogSettings,
    IcebergTarget,
    open_catalog,
)
from extract_assets.core.iceberg_read import read_iceberg
from extract_assets.core.paths import day_file
from extract_assets_tests.iceberg_readers import assert_iceberg_readers_agree

WEEK = [date(2026, 11, 1) + timedelta(days=n) for n in range(7)]
INTEGER = {"properties": {"n": {"type": "integer"}}}
# The test once in the default SQLite catalog and once through a REST catalog.
in_each_catalog = pytest.mark.usefixtures("iceberg_catalog_kind")


@pytest.fixture(autouse=True)
def _default_catalog(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CATALOG_ENV, raising=False)


def target(output: Path, settings: CatalogSettings | None = None) -> IcebergTarget:
    return IcebergTarget(
        settings or CatalogSettings(), output, ("extractto",), "ads", ("date", "date")
    )


def write(
    output: Path,
    rows: Mapping[date, Sequence[Mapping[str, Any]]],
    *,
    contract: Any = "variant",
    settings: CatalogSettings | None = None,
) -> Any:
    """One materialization of the days in `rows`, through the day-folder path."""
    pages = [
        [{**row, "date": day.isoformat()} for row in day_rows] for day, day_rows in rows.items()
    ]
    return write_day_folders(
        pages,
        output / "extractto" / "ads",
        sorted(rows),
        json_schema=INTEGER,
        contract=contract,
        iceberg=target(output, settings),
    )


def table(output: Path) -> Table:
    return open_catalog(CatalogSettings(), output).load_table("extractto.ads")


@in_each_catalog
def test_a_window_of_seven_days_lands_as_one_snapshot(tmp_path: Path) -> None:
    written = write(tmp_path, {day: [{"n": day.day}, {"n": -day.day}] for day in WEEK})

    ads = table(tmp_path)
    assert [s.snapshot_id for s in ads.snapshots()] == [written.table.iceberg.snapshot_id]
    assert ads.scan().to_arrow().num_rows == 14
    assert written.rows == 14


@in_each_catalog
def test_re_running_a_partition_replaces_exactly_that_partition(tmp_path: Path) -> None:
    write(tmp_path, {day: [{"n": day.day}] for day in WEEK})
    write(tmp_path, {WEEK[2]: [{"n": 100}, {"n": 101}]})

    rows = assert_iceberg_readers_agree(table(tmp_path), "date")
    by_day = {(r["date"], r["n"]) for r in rows}
    assert by_day == {(d.isoformat(), d.day) for d in WEEK if d != WEEK[2]} | {
        (WEEK[2].isoformat(), 100),
        (WEEK[2].isoformat(), 101),
    }
    assert len(table(tmp_path).snapshots()) == 2


def test_a_partition_rerun_without_rows_reads_as_no_rows(tmp_path: Path) -> None:
    write(tmp_path, {WEEK[0]: [{"n": 1}], WEEK[1]: [{"n": 2}]})
    write(tmp_path, {WEEK[0]: []})

    read = read_iceberg(target(tmp_path), [WEEK[0], WEEK[1]], "ads")
    assert read.column("n").to_pylist() == [2]


def test_a_null_list_of_objects_reads_back_null_not_empty(tmp_path: Path) -> None:
    write(tmp_path, {WEEK[0]: [{"n": 1}, {"n": 2, "items": [{"sku": "a"}]}, {"n": 3, "items": []}]})

    read = read_iceberg(target(tmp_path), [WEEK[0]], "ads")
    assert sorted(zip(read["n"].to_pylist(), read["items"].to_pylist(), strict=True)) == [
        (1, None),
        (2, [{"sku": "a"}]),
        (3, []),
    ]
    assert_iceberg_readers_agree(table(tmp_path), "date")


def test_a_column_another_engine_renamed_is_read_under_its_new_name(tmp_path: Path) -> None:
    write(tmp_path, {WEEK[0]: [{"n": 1, "label": "x"}]})
    with table(tmp_path).update_schema() as update:
        update.rename_column("label", "title")

    read = read_iceberg(target(tmp_path), [WEEK[0]], "ads")
    assert read.select(["n", "title"]).to_pylist() == [{"n": 1, "title": "x"}]


def test_a_column_another_engine_dropped_and_added_again_reads_as_the_new_column(
    tmp_path: Path,
) -> None:
    write(tmp_path, {WEEK[0]: [{"n": 1, "label": "x"}]})
    with table(tmp_path).update_schema() as update:
        update.delete_column("label")
    with table(tmp_path).update_schema() as update:
        update.add_column("label", StringType())

    read = read_iceberg(target(tmp_path), [WEEK[0]], "ads")
    assert read.select(["n", "label"]).to_pylist() == [{"n": 1, "label": None}]


def test_rows_another_writer_appended_are_read_with_ours(tmp_path: Path) -> None:
    write(tmp_path, {WEEK[0]: [{"n": 1}]})
    ads = table(tmp_path)
    ads.append(pa.table({"date": [WEEK[0]], "n": [2]}).cast(ads.schema().as_arrow()))

    read = read_iceberg(target(tmp_path), [WEEK[0]], "ads")
    assert sorted(read["n"].to_pylist()) == [1, 2]


def test_a_day_never_materialized_is_an_error_that_names_it(tmp_path: Path) -> None:
    write(tmp_path, {WEEK[0]: [{"n": 1}]})

    with pytest.raises(FileNotFoundError, match=r"2026-11-02.*materialize those partitions"):
        read_iceberg(target(tmp_path), [WEEK[0], WEEK[1]], "ads")


def test_a_table_never_materialized_is_an_error_that_says_to_materialize(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="materialize ads first"):
        read_iceberg(target(tmp_path), [WEEK[0]], "ads")


def test_the_reader_returns_the_partition_column_last_as_the_parquet_path_does(
    tmp_path: Path,
) -> None:
    write(tmp_path, {WEEK[0]: [{"n": 1, "label": "a"}]})

    read = read_iceberg(target(tmp_path), [WEEK[0]], "ads")
    assert read.schema.names == ["n", "label", "date"]
    assert read.to_pylist() == [{"n": 1, "label": "a", "date": WEEK[0]}]


@in_each_catalog
def test_a_late_column_joins_by_schema_evolution_without_rewriting_earlier_files(
    tmp_path: Path,
) -> None:
    write(tmp_path, {WEEK[0]: [{"n": 1}]})
    before = {task.file.file_path for task in table(tmp_path).scan().plan_files()}

    written = write(tmp_path, {WEEK[1]: [{"n": 2, "label": "late"}]})

    ads = table(tmp_path)
    after = {task.file.file_path for task in ads.scan().plan_files()}
    assert before < after  # the first day's file is still the table's, unchanged
    assert [f.name for f in ads.schema().fields] == ["date", "n", "label"]
    assert written.table.changes.added == ["label"]
    rows = assert_iceberg_readers_agree(ads, "date")
    assert {"date": "2026-11-01", "n": 1} in rows
    assert {"date": "2026-11-02", "n": 2, "label": "late"} in rows


def test_a_type_drift_between_runs_keeps_the_column_and_moves_values_to_a_variant_column(
    tmp_path: Path,
) -> None:
    write(tmp_path, {WEEK[0]: [{"score": 1}]})

    write(tmp_path, {WEEK[1]: [{"score": 2.5}]})

    ads = table(tmp_path)
    assert str(ads.schema().find_field("score").field_type) == "long"
    rows = assert_iceberg_readers_agree(ads, "date")
    assert {"date": "2026-11-02", "score__v_double": 2.5} in rows


def test_evolve_refuses_a_type_change_iceberg_cannot_make_and_writes_nothing(
    tmp_path: Path,
) -> None:
    write(tmp_path, {WEEK[0]: [{"n": 1}]}, contract="evolve")
    snapshot = table(tmp_path).current_snapshot()

    with pytest.raises(OutputError, match=r"'n' is int64 .* need double.*Nothing was written"):
        write(tmp_path, {WEEK[1]: [{"n": 2.5}]}, contract="evolve")

    ads = table(tmp_path)
    assert ads.current_snapshot() == snapshot
    assert not list((tmp_path / "extractto" / "ads" / "data").glob("date=2026-11-02/*"))


def test_a_day_types_drift_inside_one_window_as_on_the_parquet_path(tmp_path: Path) -> None:
    written = write(tmp_path, {WEEK[0]: [{"x": 1}], WEEK[1]: [{"x": 1.5}]})

    assert str(written.table.schema.field("x").type) == "double"
    rows = assert_iceberg_readers_agree(table(tmp_path), "date")
    assert [r["x"] for r in rows] == [1.0, 1.5]


def test_a_day_lands_as_one_data_file_written_row_group_by_row_group(tmp_path: Path) -> None:
    # Written one staged row group at a time: memory holds one, as on the Parquet path.
    write(tmp_path, {WEEK[0]: [{"n": i} for i in range(300_000)], WEEK[1]: [{"n": -1}]})

    files = [task.file for task in table(tmp_path).scan().plan_files()]
    assert sorted(f.record_count for f in files) == [1, 300_000]
    big = next(f for f in files if f.record_count == 300_000)
    assert pq.ParquetFile(big.file_path).num_row_groups == 3


class _Interrupted(IcebergTableWriter):
    """A writer whose first commit attempt lets another writer's commit land first."""

    other: Any = None

    def _commit(self, loaded: Table, final: Any) -> Any:
        if self.other is not None:
            other, self.other = self.other, None
            other()
        return super()._commit(loaded, final)


@in_each_catalog
def test_a_writer_that_loses_the_commit_race_retries_and_both_partitions_land(
    tmp_path: Path,
) -> None:
    write(tmp_path, {WEEK[0]: [{"n": 0}]})
    folder = tmp_path / "extractto" / "ads"
    with _Interrupted(folder, target(tmp_path), json_schema=INTEGER) as slow:
        slow.stage_records([{"n": 1}], day_file(folder, WEEK[1]))
        slow.other = lambda: write(tmp_path, {WEEK[2]: [{"n": 2}]})
        published = slow.publish()

    assert published.iceberg is not None and published.iceberg.attempts == 2
    rows = assert_iceberg_readers_agree(table(tmp_path), "date")
    assert [(r["date"], r["n"]) for r in rows] == [
        ("2026-11-01", 0),
        ("2026-11-02", 1),
        ("2026-11-03", 2),
    ]


def _write_in_process(output: str, day: str, start: Any) -> None:
    start.wait()
    write(Path(output), {date.fromisoformat(day): [{"n": int(day[-2:])}]})


@in_each_catalog
@pytest.mark.slow  # two Python processes, each importing pyiceberg
def test_two_processes_committing_different_partitions_at_the_same_moment_both_land(
    tmp_path: Path,
) -> None:
    write(tmp_path, {WEEK[0]: [{"n": 0}]})
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(2)
    runs = [
        context.Process(target=_write_in_process, args=(str(tmp_path), day.isoformat(), start))
        for day in WEEK[1:3]
    ]
    for run in runs:
        run.start()
    for run in runs:
        run.join(120)

    assert [run.exitcode for run in runs] == [0, 0]
    rows = assert_iceberg_readers_agree(table(tmp_path), "date")
    assert sorted(r["date"] for r in rows) == ["2026-11-01", "2026-11-02", "2026-11-03"]


def test_a_catalog_uri_with_a_password_is_redacted_when_the_catalog_is_unreachable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAKE_CATALOG", "postgresql://lake:hunter2-secret@127.0.0.1:9/lake")
    settings = CatalogSettings(uri_env="LAKE_CATALOG")

    with pytest.raises(ValueError) as raised:
        write(tmp_path, {WEEK[0]: [{"n": 1}]}, settings=settings)

    message = str(raised.value)
    assert "hunter2-secret" not in message
    assert "postgresql://lake:***@127.0.0.1:9/lake" in message
    assert "LAKE_CATALOG" in message


def test_a_catalog_uri_of_an_unknown_kind_is_refused_naming_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAKE_CATALOG", "thrift://user:pw@127.0.0.1:9083")

    with pytest.raises(ValueError, match="LAKE_CATALOG holds a thrift URI") as raised:
        open_catalog(CatalogSettings(uri_env="LAKE_CATALOG"), tmp_path)
    assert "pw" not in str(raised.value).replace("postgresql", "")


def test_a_new_iceberg_table_does_not_take_the_columns_of_a_parquet_table_in_its_folder(
    tmp_path: Path,
) -> None:
    parquet = [[{"date": WEEK[0].isoformat(), "old": "parquet only"}]]
    write_day_folders(parquet, tmp_path / "extractto" / "ads", [WEEK[0]])

    write(tmp_path, {WEEK[1]: [{"n": 1}]})

    assert [f.name for f in table(tmp_path).schema().fields] == ["date", "n"]


def test_an_object_gaining_a_key_evolves_in_place_and_reads_back_in_every_reader(
    tmp_path: Path,
) -> None:
    write(tmp_path, {WEEK[0]: [{"obj": {"a": 1, "b": "x"}, "tags": ["p", "q"]}]})
    write(tmp_path, {WEEK[1]: [{"obj": {"a": 2, "c": True}, "tags": []}]})

    rows = assert_iceberg_readers_agree(table(tmp_path), "date")
    # The object gained a key by schema evolution: earlier rows read it as null.
    assert {"date": "2026-11-01", "obj": {"a": 1, "b": "x", "c": None}, "tags": ["p", "q"]} in rows
    assert {"date": "2026-11-02", "obj": {"a": 2, "b": None, "c": True}, "tags": []} in rows


def test_a_field_inside_an_object_changing_type_moves_the_object_to_the_variant_column(
    tmp_path: Path,
) -> None:
    write(tmp_path, {WEEK[0]: [{"obj": {"a": 1}}]})
    write(tmp_path, {WEEK[1]: [{"obj": {"a": "x"}}, {"obj": {"a": 2, "b": True}}]})

    rows = assert_iceberg_readers_agree(table(tmp_path), "date")
    later = [row for row in rows if row["date"] == "2026-11-02"]
    assert {"date": "2026-11-02", "obj": {"a": 2, "b": True}} in later
    (moved,) = [json.loads(row["obj__v_json"]) for row in later if "obj__v_json" in row]
    assert moved == {"a": "x"}  # as sent: no key of another row added
