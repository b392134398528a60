"""Asking whether a table's folder can be written, before a provider is paid."""

from pathlib import Path

import pytest

from extract_assets.core.errors import OutputError
from extract_assets.core.storage import RemotePath
from extract_assets.core.writable import check_writable


def test_a_folder_not_there_yet_is_writable_and_is_not_created(tmp_path: Path) -> None:
    check_writable(tmp_path / "lake" / "linkup" / "team")
    assert list(tmp_path.iterdir()) == []


def test_a_file_in_the_way_is_one_line_naming_it_and_what_to_set(tmp_path: Path) -> None:
    (tmp_path / "linkup").write_text("not a folder")
    with pytest.raises(OutputError) as raised:
        check_writable(tmp_path / "linkup" / "team")
    message = str(raised.value)
    assert f"{tmp_path / 'linkup'} is in the way" in message
    assert "EXTRACT_ASSETS_OUTPUT" in message and "\n" not in message


def test_a_table_folder_that_is_a_file_is_in_the_way(tmp_path: Path) -> None:
    (tmp_path / "team").write_text("not a folder")
    with pytest.raises(OutputError, match="part of the output path is a file"):
        check_writable(tmp_path / "team")


def test_a_store_behind_a_url_is_not_asked(tmp_path: Path) -> None:
    check_writable(RemotePath("s3://lake/raw") / "linkup" / "team")
