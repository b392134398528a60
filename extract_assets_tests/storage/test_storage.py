"""Parquet at an fsspec URL: uploaded straight to its final key, visible only once complete."""

import json
import os
import tempfile
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import duckdb
import fsspec
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from fsspec.callbacks import Callback

from extract_assets.core.day_folders import write_day_folders
from extract_assets.core.parquet import write_ndjson, write_records
from extract_assets.core.paths import asset_folder, output_base
from extract_assets.core.storage import (
    STORAGE_OPTIONS_ENV,
    RemotePath,
    location,
    storage_options,
    upload,
)
from extract_assets.core.table import read_document

from .conftest import Bucket

PART_BYTES = 5 << 20  # the smallest part S3 (and moto) accepts


class _Watch(Callback):
    """After each part is sent, looks at the bucket the way any other reader would."""

    def __init__(self, bucket: Bucket, fail_after_parts: int | None = None) -> None:
        super().__init__()
        self.bucket = bucket
        self.fail_after_parts = fail_after_parts
        self.seen: list[tuple[list[str], list[str]]] = []

    def relative_update(self, inc: int = 1) -> None:
        self.seen.append((self.bucket.keys(), self.bucket.uploads_in_progress()))
        if self.fail_after_parts is not None and len(self.seen) >= self.fail_after_parts:
            raise ConnectionError("the network went away during the upload")


@pytest.fixture
def big_file(tmp_path: Path) -> Path:
    path = tmp_path / "big.parquet"
    path.write_bytes(os.urandom(2 * PART_BYTES + 12345))
    return path


@pytest.fixture
def private_tempdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the sink stages files for a URL, so a test can see what it leaves behind."""
    staging = tmp_path / "tmp"
    staging.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(staging))
    return staging


def test_an_object_uploaded_in_parts_is_invisible_until_the_upload_completes(
    bucket: Bucket, big_file: Path
) -> None:
    watch = _Watch(bucket)
    upload(
        big_file,
        RemotePath(bucket.url("day/part-0.parquet")),
        part_bytes=PART_BYTES,
        callback=watch,
    )
    assert len(watch.seen) == 3  # one look after each part
    assert all(seen == ([], ["day/part-0.parquet"]) for seen in watch.seen)
    assert bucket.keys() == ["day/part-0.parquet"]
    body = bucket.client.get_object(Bucket=bucket.name, Key="day/part-0.parquet")["Body"].read()
    assert body == big_file.read_bytes()


def test_an_upload_that_fails_midway_leaves_no_object_and_no_parts(
    bucket: Bucket, big_file: Path
) -> None:
    watch = _Watch(bucket, fail_after_parts=1)
    with pytest.raises(ConnectionError):
        upload(
            big_file,
            RemotePath(bucket.url("day/part-0.parquet")),
            part_bytes=PART_BYTES,
            callback=watch,
        )
    # It failed after a part was sent, before the upload completed.
    assert watch.seen[0] == ([], ["day/part-0.parquet"])
    # Parts still in flight may report after the abort: no object was visible at any time.
    assert all(keys == [] for keys, _ in watch.seen)
    assert bucket.keys() == []
    assert bucket.uploads_in_progress() == []


def test_the_sink_writes_to_a_url_and_reports_the_url(
    bucket: Bucket, private_tempdir: Path
) -> None:
    result = write_records(({"id": i} for i in range(1000)), bucket.url("t/part-0.parquet"))
    assert result.path == bucket.url("t/part-0.parquet")
    assert result.rows == 1000
    head = bucket.client.head_object(Bucket=bucket.name, Key="t/part-0.parquet")
    assert head["ContentLength"] == result.bytes
    assert list(private_tempdir.iterdir()) == []


def test_a_sink_that_fails_midway_leaves_nothing_in_the_bucket_nor_on_disk(
    bucket: Bucket, private_tempdir: Path
) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"".join(b'{"id": %d}\n' % i for i in range(5000))
        raise ConnectionResetError("the provider dropped the connection")

    with pytest.raises(ConnectionResetError):
        write_ndjson(chunks(), bucket.url("t/part-0.parquet"), row_group_rows=1000)
    assert bucket.keys() == []
    assert bucket.uploads_in_progress() == []
    assert list(private_tempdir.iterdir()) == []


def test_day_folders_at_a_url_read_back_as_one_table(bucket: Bucket) -> None:
    days = [date(2026, 11, 1) + timedelta(days=n) for n in range(3)]
    pages = [[{"date": day.isoformat(), "n": n} for day in days for n in range(day.day)]]
    folder = asset_folder(output_base(bucket.url("lake")), "extractto", "ads")
    written = write_day_folders(pages, folder, days)
    assert written.rows == 1 + 2 + 3

    fs = fsspec.filesystem("s3")
    table = ds.dataset(
        f"{bucket.name}/lake/extractto/ads", filesystem=fs, format="parquet", partitioning="hive"
    ).to_table()
    by_day = {str(d): table.filter(ds.field("date") == str(d)).num_rows for d in days}
    assert by_day == {"2026-11-01": 1, "2026-11-02": 2, "2026-11-03": 3}

    with duckdb.connect() as con:
        con.register_filesystem(fs)
        counted = con.sql(
            "SELECT date, count(*) FROM read_parquet("
            f"'{bucket.url('lake/extractto/ads')}/*/*.parquet', hive_partitioning = true) "
            "GROUP BY date ORDER BY date"
        ).fetchall()
    assert counted == [(days[0], 1), (days[1], 2), (days[2], 3)]


def test_an_output_url_stays_a_url_and_a_local_folder_a_path(tmp_path: Path) -> None:
    assert location("s3://lake/raw/") == RemotePath("s3://lake/raw")
    assert output_base(str(tmp_path)) == tmp_path.resolve()
    assert location(f"file://{tmp_path}") == tmp_path


def test_storage_options_come_from_json_in_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(STORAGE_OPTIONS_ENV, '{"endpoint_url": "http://127.0.0.1:9000"}')
    assert storage_options() == {"endpoint_url": "http://127.0.0.1:9000"}


def test_bad_storage_options_say_what_to_give_without_showing_the_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(STORAGE_OPTIONS_ENV, '{"secret": "s3cr3t-VALUE"')
    with pytest.raises(ValueError, match="give an object") as raised:
        storage_options()
    assert "s3cr3t-VALUE" not in str(raised.value)


def test_a_table_at_a_url_keeps_its_schema_there_and_every_file_on_it(
    bucket: Bucket, private_tempdir: Path
) -> None:
    days = [date(2026, 11, 1) + timedelta(days=n) for n in range(3)]
    folder = asset_folder(output_base(bucket.url("lake")), "extractto", "ads")
    write_day_folders([[{"date": d.isoformat(), "n": 1} for d in days]], folder, days)
    late = date(2026, 11, 9)
    written = write_day_folders([[{"date": late.isoformat(), "n": 2, "new": "x"}]], folder, [late])

    assert written.table.rewritten == 3
    stored = bucket.keys()
    assert "lake/extractto/ads.schema.json" in stored
    document = read_document(folder)
    assert document is not None and document.schema.names == ["n", "new"]
    fs = fsspec.filesystem("s3")
    for key in stored:
        if key.endswith(".parquet"):
            assert pq.read_schema(f"{bucket.name}/{key}", filesystem=fs).equals(document.schema)
    assert list(private_tempdir.iterdir()) == []


def test_a_schema_document_another_run_replaced_is_read_as_it_is_now(
    bucket: Bucket, private_tempdir: Path
) -> None:
    day = date(2026, 11, 1)
    folder = asset_folder(output_base(bucket.url("lake")), "extractto", "ads")
    write_day_folders([[{"date": day.isoformat(), "n": 1}]], folder, [day])
    assert read_document(folder) is not None
    # This process has listed the folder (as finding the table's files does), so its client
    # remembers the document as it was; then another run, in another process with another
    # client, replaces it with a longer one.
    fs, path = folder.parent.filesystem()
    fs.ls(path, detail=True)
    key = "lake/extractto/ads.schema.json"
    document = json.loads(bucket.client.get_object(Bucket=bucket.name, Key=key)["Body"].read())
    document["empty_partitions"] = [f"2026-12-{n:02d}" for n in range(1, 32)]
    bucket.client.put_object(Bucket=bucket.name, Key=key, Body=json.dumps(document).encode())

    after = read_document(folder)
    assert after is not None and after.empty_partitions == document["empty_partitions"]
