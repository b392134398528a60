"""One table per asset: every file of a folder on the table's schema, whatever the source sends."""

import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from extract_assets.core.contract import SchemaContract, SchemaContractError
from extract_assets.core.day_folders import DayFolders, day_file, write_day_folders
from extract_assets.core.errors import IncompleteResultError, OutputError
from extract_assets.core.leftovers import owner_token
from extract_assets.core.paths import schema_document
from extract_assets.core.table import TableWriter, read_document
from extract_assets.metadata import column_schema, table_metadata
from extract_assets_tests.readers import WITHOUT_SPARK, assert_all_readers_agree

START = date(2026, 11, 1)
DECLARED = {
    "properties": {
        "impressions": {"type": "integer", "description": "Times the ad was shown."},
        "cost": {"type": "integer"},
    }
}


def days(n: int, start: date = START) -> list[date]:
    return [start + timedelta(days=i) for i in range(n)]


def write(
    folder: Path,
    rows_by_day: Mapping[date, Sequence[Mapping[str, Any]]],
    *,
    json_schema: Mapping[str, Any] | None = None,
    contract: SchemaContract = "variant",
) -> DayFolders:
    wanted = sorted(rows_by_day)
    page = [{"date": day.isoformat(), **row} for day in wanted for row in rows_by_day[day]]
    return write_day_folders([page], folder, wanted, json_schema=json_schema, contract=contract)


def file_schemas(folder: Path) -> list[pa.Schema]:
    return [pq.read_schema(path) for path in sorted(folder.glob("*/*.parquet"))]


def assert_one_table(folder: Path) -> pa.Table:
    """Every file has the schema document's schema, and four readers read it as one table."""
    document = read_document(folder)
    assert document is not None
    for schema in file_schemas(folder):
        assert schema.equals(document.schema), f"{schema} != {document.schema}"
    table = ds.dataset(folder, partitioning="hive").to_table()
    glob = f"{folder}/*/*.parquet"
    with duckdb.connect() as connection:
        query = f"SELECT * FROM read_parquet('{glob}', hive_partitioning = true)"
        duck = connection.sql(query).to_arrow_table()
    polars = pl.scan_parquet(glob, hive_partitioning=True).collect()
    assert duck.num_rows == polars.height == table.num_rows
    assert set(duck.column_names) == set(polars.columns) == set(table.column_names)
    return table


def messy_week() -> dict[date, list[dict[str, Any]]]:
    """The scenario of a messy but legal source over seven days."""
    week = days(7)
    rows: dict[date, list[dict[str, Any]]] = {day: [] for day in week}
    for index, day in enumerate(week):
        if index in {2, 4}:
            continue  # days without rows
        for i in range(20):
            row: dict[str, Any] = {"impressions": 100 + i, "cost": 3 if index == 0 else 12.5}
            if index in {1, 3} and i < 2:
                row["impressions"] = str(3185 + i)
            row["notes"] = None if index < 3 else f"note {i}"
            if index == 6 and i >= 15:
                row["label"] = f"late {i}"
            rows[day].append(row)
    return rows


def test_a_messy_week_reads_as_one_table_in_every_reader(tmp_path: Path) -> None:
    folder = tmp_path / "extractto" / "ads"
    rows = messy_week()
    written = write(folder, rows, json_schema=DECLARED)
    table = assert_one_table(folder)
    assert table.num_rows == sum(len(r) for r in rows.values()) == 100
    assert table.schema.field("impressions").type == pa.int64()
    assert sorted(v for v in table.column("impressions").to_pylist() if v > 3000) == [
        3185,
        3185,
        3186,
        3186,
    ]
    assert table.column("label").null_count == 95
    assert table.schema.field("cost").type == pa.int64()  # declared: kept
    assert sorted(set(table.column("cost__v_double").to_pylist()) - {None}) == [12.5]
    assert written.table.changes.converted["impressions"] == 4


def test_the_same_messy_week_without_declared_types_reads_as_one_table(tmp_path: Path) -> None:
    folder = tmp_path / "extractto" / "ads"
    write(folder, messy_week())
    table = assert_one_table(folder)
    assert table.schema.field("cost").type == pa.float64()  # inferred: widened
    assert table.num_rows == 100


def test_a_day_without_rows_is_a_file_of_the_table_schema_with_no_rows(tmp_path: Path) -> None:
    folder = tmp_path / "extractto" / "ads"
    write(folder, {START: [{"n": 1}], START + timedelta(days=1): []})
    empty = pq.read_table(day_file(folder, START + timedelta(days=1)))
    assert (empty.num_rows, empty.schema.names) == (0, ["n"])


def test_days_without_rows_before_any_column_is_known_have_no_file(tmp_path: Path) -> None:
    folder = tmp_path / "extractto" / "ads"
    write(folder, {START: [], START + timedelta(days=1): []})
    assert file_schemas(folder) == []
    document = read_document(folder)
    assert document is not None
    assert document.empty_partitions == [
        "date=2026-11-01/part-0.parquet",
        "date=2026-11-02/part-0.parquet",
    ]

    write(folder, {START + timedelta(days=2): [{"n": 1}]})
    assert [s.names for s in file_schemas(folder)] == [["n"], ["n"], ["n"]]
    assert_one_table(folder)


def test_a_late_column_rewrites_earlier_partitions_and_reports_how_many(tmp_path: Path) -> None:
    folder = tmp_path / "extractto" / "ads"
    write(folder, {day: [{"n": 1}] for day in days(5)})
    later = write(folder, {START + timedelta(days=9): [{"n": 2, "late": "x"}]})
    assert later.table.rewritten == 5
    assert later.table.changes.added == ["late"]
    table = assert_one_table(folder)
    assert table.num_rows == 6


def test_rerunning_a_partition_never_drops_a_column_of_the_table(tmp_path: Path) -> None:
    folder = tmp_path / "extractto" / "ads"
    write(folder, {START: [{"n": 1, "extra": "x"}], START + timedelta(days=1): [{"n": 2}]})
    again = write(folder, {START: [{"n": 1}]})
    assert again.table.schema.names == ["n", "extra"]
    assert again.table.rewritten == 0
    assert_one_table(folder)


def test_a_type_that_widens_later_widens_every_file(tmp_path: Path) -> None:
    folder = tmp_path / "extractto" / "ads"
    write(folder, {START: [{"x": 1}]})
    write(folder, {START + timedelta(days=1): [{"x": 3.5}]})
    table = assert_one_table(folder)
    assert sorted(table.column("x").to_pylist()) == [1.0, 3.5]


def test_a_frozen_table_fails_names_the_change_and_writes_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "extractto" / "ads"
    write(folder, {START: [{"impressions": 1}]}, json_schema=DECLARED, contract="freeze")
    before = {p: p.read_bytes() for p in folder.rglob("*.parquet")}
    document = schema_document(folder).read_text()
    with pytest.raises(SchemaContractError) as raised:
        write(
            folder,
            {START: [{"impressions": 2}], START + timedelta(days=1): [{"impressions": "n/a"}]},
            json_schema=DECLARED,
            contract="freeze",
        )
    assert "'impressions'" in str(raised.value) and "freeze" in str(raised.value)
    assert {p: p.read_bytes() for p in folder.rglob("*.parquet")} == before
    assert schema_document(folder).read_text() == document
    assert [p.name for p in folder.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_discard_row_leaves_out_the_rows_that_do_not_fit_and_writes_every_day(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "extractto" / "ads"
    rows = {
        START: [{"impressions": "n/a"}, {"impressions": 1}],
        START + timedelta(days=1): [{"impressions": "n/a"}],
    }
    written = write(folder, rows, json_schema=DECLARED, contract="discard_row")

    assert {day: r.rows for day, r in written.days.items()} == {
        START: 1,
        START + timedelta(days=1): 0,
    }
    assert written.table.changes.discarded_rows == 2
    assert assert_one_table(folder).column("impressions").to_pylist() == [1]


def test_discard_row_checks_a_providers_count_against_the_rows_that_arrived(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "linkup" / "team"
    lines = b'{"impressions": "n/a"}\n{"impressions": 1}\n'
    with TableWriter(folder, json_schema=DECLARED, contract="discard_row") as table:
        staged = table.stage_ndjson([lines], folder / "part-0.parquet", expected_rows=2)
        with pytest.raises(IncompleteResultError, match="2 rows arrived but 3 were expected"):
            table.stage_ndjson([lines], folder / "part-1.parquet", expected_rows=3)
    assert staged.rows == 1


def test_a_declared_key_named_apart_by_case_keeps_its_description(tmp_path: Path) -> None:
    folder = tmp_path / "extractto" / "ads"
    schema = {
        "properties": {
            "Price": {"type": "integer", "description": "List price."},
            "price": {"type": "number", "description": "Price paid."},
        }
    }
    write(folder, {START: [{"Price": 1, "price": 2.5}]}, json_schema=schema)
    document = json.loads((tmp_path / "extractto" / "ads.schema.json").read_text())
    described = {c["name"]: c.get("description") for c in document["columns"]}
    assert described["Price"] == "List price."
    assert described["price__case_2"] == "Price paid."


def test_the_schema_document_sits_beside_the_folder_with_columns_a_person_reads(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "extractto" / "ads"
    write(folder, {START: [{"impressions": 1, "cost": 2}]}, json_schema=DECLARED)
    document = json.loads((tmp_path / "extractto" / "ads.schema.json").read_text())
    assert document["columns"][0] == {
        "name": "impressions",
        "type": "int64",
        "declared": True,
        "description": "Times the ad was shown.",
    }
    assert document["schema_contract"] == "variant"


def test_a_table_written_before_schema_documents_is_adopted_as_one(tmp_path: Path) -> None:
    folder = tmp_path / "extractto" / "ads"
    for day, table in [
        (START, pa.table({"x": [1]})),
        (START + timedelta(1), pa.table({"y": ["a"]})),
    ]:
        day_file(folder, day).parent.mkdir(parents=True)
        pq.write_table(table, day_file(folder, day))
    written = write(folder, {START + timedelta(days=2): [{"x": 2}]})
    assert written.table.rewritten == 2
    assert assert_one_table(folder).num_rows == 3


def test_an_unpartitioned_table_keeps_its_columns_across_writes(tmp_path: Path) -> None:
    folder = tmp_path / "linkup" / "team"
    for rows in ([{"name": "a", "age": 1}], [{"name": "b"}]):
        with TableWriter(folder) as table:
            table.stage_records(rows, folder / "part-0.parquet")
            written = table.publish()
    assert written.schema.names == ["name", "age"]
    assert pq.read_table(folder / "part-0.parquet").to_pylist() == [{"name": "b", "age": None}]


def test_a_write_removes_what_a_dead_run_of_the_table_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A temp folder of its own: in the shared one, tests running at the same time leave and
    # remove temp folders of dead runs too, which would change the count below.
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    folder = tmp_path / "extractto" / "ads"
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    pid = int(dead.stdout)
    host = owner_token().partition("@")[2]
    folder.parent.mkdir(parents=True)
    leftover = folder.parent / f".ads.{pid}@{host}.{'a' * 32}.0.tmp"
    leftover.write_bytes(b"half a file")
    other_table = folder.parent / f".clicks.{pid}@{host}.{'b' * 32}.0.tmp"
    other_table.write_bytes(b"not ours to judge")
    spool = Path(tempfile.gettempdir()) / f"extract-assets-spool-{pid}@{host}-xyz"
    spool.mkdir()
    (spool / "2026-11-01.ndjson").write_text("{}\n")
    alive = Path(tempfile.mkdtemp(prefix=f"extract-assets-spool-{os.getpid()}@{host}-"))

    written = write(folder, {START: [{"n": 1}]})

    assert not leftover.exists() and not spool.exists()
    assert other_table.exists() and alive.exists()
    assert written.table.leftovers_removed == 2
    alive.rmdir()


def write_task(folder: Path, task_id: str, schema: Mapping[str, Any], rows: list[Any]) -> Any:
    """A Linkup task's rows into `linkup_task_outputs`, as the asset writes them."""
    with TableWriter(folder, json_schema=schema) as table:
        table.stage_records(rows, folder / f"task_id={task_id}" / "part-0.parquet")
        return table.publish()


def test_tasks_of_different_shapes_make_one_table_of_all_their_columns(tmp_path: Path) -> None:
    folder = tmp_path / "linkup" / "linkup_task_outputs"
    people = {"properties": {"name": {"type": "string"}, "age": {"type": "integer"}}}
    prices = {"properties": {"sku": {"type": "string"}, "age": {"type": "string"}}}
    write_task(folder, "t1", people, [{"name": "Ada", "age": 36}])
    second = write_task(folder, "t2", prices, [{"sku": "A-1", "age": "new"}])

    assert second.schema.names == ["name", "age", "sku", "age__v_text"]
    assert second.rewritten == 1
    table = ds.dataset(folder, partitioning="hive").to_table().to_pylist()
    assert sorted(table, key=lambda r: r["task_id"]) == [
        {"name": "Ada", "age": 36, "sku": None, "age__v_text": None, "task_id": "t1"},
        {"name": None, "age": None, "sku": "A-1", "age__v_text": "new", "task_id": "t2"},
    ]


def task_rows(folder: Path) -> list[dict[str, Any]]:
    """The rows of `linkup_task_outputs` by task, once four readers have read the same."""
    rows = assert_all_readers_agree(folder, "task_id", WITHOUT_SPARK)
    return sorted(rows, key=lambda row: row["task_id"])


def test_a_property_an_earlier_task_declared_keeps_its_type_when_a_later_task_omits_it(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "linkup" / "linkup_task_outputs"
    people = {"properties": {"p": {"type": "object", "properties": {"age": {"type": "integer"}}}}}
    write_task(folder, "t1", people, [{"p": {"age": 36}}])
    write_task(folder, "t2", {"properties": {"sku": {"type": "string"}}}, [{"p": {"age": 1.5}}])

    document = read_document(folder)
    assert document is not None and document.schema.field("p").type.field("age").type == pa.int64()
    first, second = task_rows(folder)
    assert first["p"] == {"age": 36}
    assert second["p"] is None and json.loads(second["p__v_json"]) == {"age": 1.5}


def test_a_column_an_earlier_task_declared_keeps_its_type_when_a_later_task_omits_it(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "linkup" / "linkup_task_outputs"
    write_task(folder, "t1", {"properties": {"age": {"type": "integer"}}}, [{"age": 36}])
    write_task(folder, "t2", {"properties": {"sku": {"type": "string"}}}, [{"age": 1.5}])

    first, second = task_rows(folder)
    assert (first["age"], second["age"], second["age__v_double"]) == (36, None, 1.5)


def test_a_column_seen_only_null_takes_the_type_a_later_task_declares(tmp_path: Path) -> None:
    folder = tmp_path / "linkup" / "linkup_task_outputs"
    write_task(folder, "t1", {"properties": {}}, [{"age": None}])
    write_task(folder, "t2", {"properties": {"age": {"type": "integer"}}}, [{"age": "36"}])

    assert [(row["age"], row.get("age__v_bigint")) for row in task_rows(folder)] == [
        (None, None),
        (36, None),
    ]


def test_a_property_a_later_task_declares_in_an_object_takes_its_declared_type(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "linkup" / "linkup_task_outputs"
    write_task(folder, "t1", {"properties": {}}, [{"p": {"name": "Ada"}}])
    person = {"type": "object", "properties": {"age": {"type": "integer"}}}
    write_task(folder, "t2", {"properties": {"p": person}}, [{"p": {"age": "36"}}])

    assert [row["p"] for row in task_rows(folder)] == [
        {"name": "Ada", "age": None},
        {"name": None, "age": 36},
    ]


def _write_one_day(folder: str, day: str, column: str) -> None:
    rows = [{"date": day, "n": i, column: f"{column}-{i}"} for i in range(2_000)]
    write_day_folders([rows], Path(folder), [date.fromisoformat(day)])


def test_two_runs_publishing_at_once_leave_one_table_with_both_their_columns(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "extractto" / "ads"
    write(folder, {START: [{"n": 1}]})
    context = multiprocessing.get_context("spawn")
    runs = [
        context.Process(target=_write_one_day, args=(str(folder), f"2026-11-0{d}", f"col{d}"))
        for d in (2, 3)
    ]
    for run in runs:
        run.start()
    for run in runs:
        run.join(60)
    assert [run.exitcode for run in runs] == [0, 0]
    table = assert_one_table(folder)
    assert set(table.column_names) == {"n", "col2", "col3", "date"}
    assert table.num_rows == 4_001


def test_the_reported_column_schema_carries_the_json_schemas_descriptions(tmp_path: Path) -> None:
    folder = tmp_path / "extractto" / "ads"
    written = write(folder, {START: [{"impressions": "7"}]}, json_schema=DECLARED)
    reported = table_metadata(written.table)["dagster/column_schema"]
    columns = {column.name: column for column in reported.columns}
    assert columns["impressions"].description == "Times the ad was shown."
    assert columns["impressions"].type == "int64"
    assert reported == column_schema(written.table.schema, written.table.descriptions)


def test_an_output_path_that_is_a_file_is_one_clear_line(tmp_path: Path) -> None:
    (tmp_path / "extractto").write_text("not a folder")
    with pytest.raises(OutputError) as raised:
        write(tmp_path / "extractto" / "ads", {START: [{"n": 1}]})
    message = str(raised.value)
    assert "part of the output path is a file" in message
    assert "EXTRACT_ASSETS_OUTPUT" in message and "\n" not in message


def test_a_write_that_opened_before_another_published_fits_to_what_that_one_brought(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "t"
    with TableWriter(folder) as first:
        first.stage_records([{"id": 1}], folder / "date=2026-11-01" / "part-0.parquet")
        first.publish()
    late = TableWriter(folder)
    with TableWriter(folder) as early:
        early.stage_records([{"id": 2, "x": 10}], folder / "date=2026-11-02" / "part-0.parquet")
        early.publish()
    with late:
        late.stage_records([{"id": 3, "x": "ten"}], folder / "date=2026-11-03" / "part-0.parquet")
        written = late.publish()
    assert written.changes.summary() == "added x__v_text; 1 values moved to x__v_text"
    rows = ds.dataset(folder, partitioning="hive").to_table().sort_by("id").to_pylist()
    assert [(row["x"], row["x__v_text"]) for row in rows] == [
        (None, None),
        (10, None),
        (None, "ten"),
    ]


def test_a_row_key_named_like_the_partition_column_is_stored_apart(tmp_path: Path) -> None:
    folder = tmp_path / "linkup" / "linkup_task_outputs"
    write_task(folder, "t1", {"properties": {}}, [{"task_id": "theirs", "n": 1}])

    (row,) = assert_all_readers_agree(folder, "task_id", WITHOUT_SPARK)
    assert row == {"task_id": "t1", "task_id__case_2": "theirs", "n": 1}


def test_a_row_key_differing_from_the_partition_column_in_case_is_stored_apart(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "extractto" / "ads"
    write(folder, {START: [{"Date": "theirs", "n": 1}]})

    (row,) = assert_all_readers_agree(folder, "date", WITHOUT_SPARK)
    assert row == {"date": START.isoformat(), "Date__case_2": "theirs", "n": 1}


@pytest.mark.parametrize("how", ["ndjson", "records"])
def test_every_timestamp_sent_as_text_is_counted_as_converted(tmp_path: Path, how: str) -> None:
    folder = tmp_path / "linkup" / "t"
    stamps = {"properties": {"at": {"type": "string", "format": "date-time"}}}
    rows = [{"at": "2026-11-01T10:00:00+02:00"}, {"at": "2026-11-01T10:00:00Z"}, {"at": None}]
    with TableWriter(folder, json_schema=stamps) as table:
        if how == "ndjson":
            body = "".join(json.dumps(row) + "\n" for row in rows).encode()
            table.stage_ndjson([body], folder / "part-0.parquet")
        else:
            table.stage_records(rows, folder / "part-0.parquet")
        written = table.publish()

    assert written.changes.converted == {"at": 2}


def test_every_timestamp_of_a_day_sent_as_text_is_counted_as_converted(tmp_path: Path) -> None:
    stamps = {"properties": {"at": {"type": "string", "format": "date-time"}}}
    rows = [{"at": "2026-11-01T10:00:00+02:00"}, {"at": "2026-11-01T10:00:00Z"}]

    written = write(tmp_path / "extractto" / "ads", {START: rows}, json_schema=stamps)

    assert written.table.changes.converted == {"at": 2}


def test_a_null_item_among_records_is_a_row_of_nulls_as_a_null_ndjson_line_is(
    tmp_path: Path,
) -> None:
    from_records, from_ndjson = tmp_path / "records", tmp_path / "ndjson"
    with TableWriter(from_records) as table:
        table.stage_records([{"a": 1}, None, {"a": 3}], from_records / "part-0.parquet")
        table.publish()
    with TableWriter(from_ndjson) as table:
        table.stage_ndjson([b'{"a": 1}\nnull\n{"a": 3}\n'], from_ndjson / "part-0.parquet")
        table.publish()
    rows = assert_all_readers_agree(from_records, None, WITHOUT_SPARK)
    assert rows == assert_all_readers_agree(from_ndjson, None, WITHOUT_SPARK)
    assert sorted(rows, key=lambda row: row["a"] or 0) == [{"a": None}, {"a": 1}, {"a": 3}]
