"""The table format of a spec: its own, else the one set for all, else Parquet."""

import pytest

from extract_assets.table_settings import TableSettings


def test_one_setting_makes_every_spec_without_its_own_an_iceberg_table(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EXTRACT_ASSETS_TABLE_FORMAT", "iceberg")

    assert TableSettings().output_format() == "iceberg"
    assert TableSettings(table_format="parquet").output_format() == "parquet"


def test_a_table_format_setting_that_is_not_a_format_says_what_to_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EXTRACT_ASSETS_TABLE_FORMAT", "delta")

    with pytest.raises(ValueError, match="set it to parquet or iceberg"):
        TableSettings().output_format()
