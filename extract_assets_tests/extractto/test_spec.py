import re
from datetime import date
from pathlib import Path

import dagster as dg
import pytest
from pydantic import ValidationError

from extract_assets.config import load_config
from extract_assets.core.errors import ConfigError
from extract_assets.extractto.assets import build_extractto_assets, partitions_for
from extract_assets.extractto.spec import ExtractToConnectionSpec, ExtractToExtractSpec

ADS_ENTRY = (
    "    - name: ads\n"
    "      extract_id: 3f1c2a9e-0000-4000-8000-000000000001\n"
    "      grain: weekly\n"
    "      start_date: 2026-01-05\n"
    "      schedule_hour: 5\n"
    "      tags: {domain: marketing}\n"
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "assets.yaml"
    path.write_text(text)
    return path


def extracts_file(tmp_path: Path, *entries: str) -> Path:
    return write(tmp_path, "extractto:\n  extracts:\n" + "".join(entries))


def test_yaml_and_python_give_the_same_extract_spec(tmp_path: Path) -> None:
    (spec,) = load_config(extracts_file(tmp_path, ADS_ENTRY)).extractto.extracts
    assert spec == ExtractToExtractSpec(
        name="ads",
        extract_id="3f1c2a9e-0000-4000-8000-000000000001",
        grain="weekly",
        start_date=date(2026, 1, 5),
        schedule_hour=5,
        tags={"domain": "marketing"},
    )


def test_yaml_and_python_give_the_same_connection_spec(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "extractto:\n  connections:\n    - name: crm_sync\n      connection_id: c-1\n"
        "      owners: [team:data]\n",
    )
    (spec,) = load_config(path).extractto.connections
    assert spec == ExtractToConnectionSpec(
        name="crm_sync", connection_id="c-1", owners=["team:data"]
    )


def test_the_sensor_settings_of_the_section_are_read(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "extractto:\n  sensor: {running: true, minimum_interval_seconds: 45}\n  extracts:\n"
        + ADS_ENTRY,
    )
    sensor = load_config(path).extractto.sensor
    assert (sensor.running, sensor.minimum_interval_seconds) == (True, 45)


def test_a_spec_defaults_to_daily_partitions_in_the_extractto_group() -> None:
    spec = ExtractToExtractSpec(name="ads", extract_id="e-1", start_date="2026-01-01")
    assert (spec.grain, spec.end_offset, spec.schedule_hour) == ("daily", 0, None)
    [asset] = build_extractto_assets([spec])
    assert asset.specs_by_key[dg.AssetKey("ads")].group_name == "extractto"


def test_a_bad_grain_names_the_file_the_entry_and_the_field(tmp_path: Path) -> None:
    path = extracts_file(
        tmp_path,
        ADS_ENTRY,
        "    - name: fb\n      extract_id: e-2\n      grain: hourly\n"
        "      start_date: 2026-01-01\n",
    )
    with pytest.raises(ConfigError) as failure:
        load_config(path)
    message = str(failure.value)
    assert str(path) in message
    assert "extractto.extracts[1] (name 'fb'), field 'grain'" in message
    assert "'daily', 'weekly' or 'monthly'" in message


def test_a_bad_start_date_names_the_file_the_entry_and_the_field(tmp_path: Path) -> None:
    path = extracts_file(
        tmp_path, "    - name: fb\n      extract_id: e-2\n      start_date: '2026-13-01'\n"
    )
    with pytest.raises(ConfigError) as failure:
        load_config(path)
    message = str(failure.value)
    assert str(path) in message
    assert "extractto.extracts[0] (name 'fb'), field 'start_date'" in message
    assert "'2026-13-01' is not a date: month must be in 1..12" in message


def test_a_start_date_that_is_not_iso_names_the_field(tmp_path: Path) -> None:
    path = extracts_file(
        tmp_path, "    - name: fb\n      extract_id: e-2\n      start_date: 01/02/2026\n"
    )
    with pytest.raises(
        ConfigError, match=r"\(name 'fb'\), field 'start_date': .* not a date written as YYYY-MM-DD"
    ):
        load_config(path)


def test_a_start_date_written_as_a_number_says_to_write_it_as_a_date(tmp_path: Path) -> None:
    path = extracts_file(
        tmp_path, "    - name: fb\n      extract_id: e-2\n      start_date: 20261101\n"
    )
    with pytest.raises(
        ConfigError,
        match=r"field 'start_date': .*20261101 is not a date written as YYYY-MM-DD: write it so",
    ):
        load_config(path)


def test_an_unquoted_impossible_start_date_names_the_file_the_entry_and_the_field(
    tmp_path: Path,
) -> None:
    path = extracts_file(
        tmp_path, "    - name: fb\n      extract_id: e-2\n      start_date: 2026-13-01\n"
    )
    with pytest.raises(ConfigError, match=re.escape(str(path))):
        load_config(path)


def test_a_missing_extract_id_is_named(tmp_path: Path) -> None:
    path = extracts_file(tmp_path, "    - name: fb\n      start_date: 2026-01-01\n")
    with pytest.raises(ConfigError, match=r"\(name 'fb'\), field 'extract_id': Field required"):
        load_config(path)


def test_an_unknown_field_is_refused(tmp_path: Path) -> None:
    path = extracts_file(tmp_path, ADS_ENTRY + "      colour: red\n")
    with pytest.raises(ConfigError, match="field 'colour': Extra inputs are not permitted"):
        load_config(path)


def test_a_schedule_hour_outside_the_day_is_refused(tmp_path: Path) -> None:
    path = extracts_file(tmp_path, ADS_ENTRY.replace("schedule_hour: 5", "schedule_hour: 24"))
    with pytest.raises(ConfigError, match=r"\(name 'ads'\), field 'schedule_hour'"):
        load_config(path)


def test_a_name_repeated_across_extracts_and_connections_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "extractto:\n  extracts:\n"
        + ADS_ENTRY
        + "  connections:\n    - name: ads\n      connection_id: c-1\n",
    )
    with pytest.raises(ConfigError, match="repeated: ads"):
        load_config(path)


def test_an_empty_extract_id_is_refused() -> None:
    with pytest.raises(ValidationError, match="extract_id"):
        ExtractToExtractSpec(name="ads", extract_id="", start_date="2026-01-01")


@pytest.mark.parametrize(
    ("grain", "start", "first_keys"),
    [
        ("daily", "2026-01-05", ["2026-01-05", "2026-01-06"]),
        ("weekly", "2026-01-05", ["2026-01-05", "2026-01-12"]),
        ("monthly", "2026-01-01", ["2026-01-01", "2026-02-01"]),
    ],
)
def test_partitions_follow_the_grain_weeks_from_monday(
    grain: str, start: str, first_keys: list[str]
) -> None:
    spec = ExtractToExtractSpec.model_validate(
        {"name": "ads", "extract_id": "e-1", "grain": grain, "start_date": start}
    )
    assert partitions_for(spec).get_partition_keys()[:2] == first_keys
