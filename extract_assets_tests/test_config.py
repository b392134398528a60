import re
from pathlib import Path

import pytest

from extract_assets.config import DEMO_CONFIG, load_config
from extract_assets.core.errors import ConfigError

GOOD_ENTRY = "    - name: team\n      q: Team members\n      url: https://example.com/team\n"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "assets.yaml"
    path.write_text(text)
    return path


def test_the_demo_file_declares_linkup_extracts() -> None:
    assert [spec.name for spec in load_config(DEMO_CONFIG).linkup.extracts] == [
        "team_members",
        "pricing_plans",
        "job_postings",
    ]


def test_yaml_and_python_give_the_same_spec(tmp_path: Path) -> None:
    from extract_assets.linkup.spec import LinkupExtractSpec

    (spec,) = load_config(write(tmp_path, "linkup:\n  extracts:\n" + GOOD_ENTRY)).linkup.extracts
    assert spec == LinkupExtractSpec(name="team", q="Team members", url="https://example.com/team")


def test_a_bad_field_names_the_file_the_entry_and_the_field(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "linkup:\n  extracts:\n" + GOOD_ENTRY + "    - name: prices\n      q: Prices\n"
        "      url: ftp://example.com/prices\n",
    )
    with pytest.raises(ConfigError) as failure:
        load_config(path)
    message = str(failure.value)
    assert str(path) in message
    assert "linkup.extracts[1] (name 'prices'), field 'url'" in message
    assert "http(s) URL" in message


def test_a_missing_field_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "linkup:\n  extracts:\n    - name: team\n      url: https://e.com\n")
    with pytest.raises(ConfigError, match=r"\(name 'team'\), field 'q': Field required"):
        load_config(path)


def test_an_unknown_field_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "linkup:\n  extracts:\n" + GOOD_ENTRY + "      colour: red\n")
    with pytest.raises(ConfigError, match="field 'colour': Extra inputs are not permitted"):
        load_config(path)


def test_a_field_name_that_is_almost_right_suggests_the_right_one(tmp_path: Path) -> None:
    entry = "    - name: team\n      q: Team members\n      ulr: https://example.com/team\n"
    path = write(tmp_path, "linkup:\n  extracts:\n" + entry)
    with pytest.raises(
        ConfigError,
        match=re.escape("field 'ulr': Extra inputs are not permitted (did you mean 'url'?)"),
    ):
        load_config(path)


def test_a_misspelt_setting_deep_in_a_section_is_suggested_too(tmp_path: Path) -> None:
    path = write(tmp_path, "extractto:\n  sensor: {runing: true}\n")
    with pytest.raises(ConfigError, match=re.escape("(did you mean 'running'?)")):
        load_config(path)


def test_a_name_that_would_escape_the_output_folder_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path, "linkup:\n  extracts:\n    - name: ../x\n      q: q\n      url: https://e.com\n"
    )
    with pytest.raises(ConfigError, match=re.escape("'../x' is not a valid asset name")):
        load_config(path)


def test_a_schema_that_is_not_one_row_object_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "linkup:\n  extracts:\n" + GOOD_ENTRY + "      schema: {type: array}\n")
    with pytest.raises(ConfigError, match=r"field 'schema'.*type: object"):
        load_config(path)


def test_a_schema_that_is_not_valid_json_schema_is_refused(tmp_path: Path) -> None:
    entry = GOOD_ENTRY + "      schema: {type: object, properties: {n: {type: 12}}}\n"
    path = write(tmp_path, "linkup:\n  extracts:\n" + entry)
    with pytest.raises(ConfigError, match=r"field 'schema'.*is not a valid JSON Schema"):
        load_config(path)


def test_repeated_names_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "linkup:\n  extracts:\n" + GOOD_ENTRY + GOOD_ENTRY)
    with pytest.raises(ConfigError, match="repeated: team"):
        load_config(path)


def test_broken_yaml_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "linkup: [unclosed\n")
    with pytest.raises(ConfigError, match=re.escape(f"{path}: not valid YAML")):
        load_config(path)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=re.escape("nope.yaml: cannot read")):
        load_config(tmp_path / "nope.yaml")


def test_an_api_section_names_the_key_variable_and_the_base_url(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "extractto:\n  api:\n    key_env: SHOP_EXTRACTTO_KEY\n"
        "    base_url: http://127.0.0.1:8000/extractto\n",
    )
    api = load_config(path).extractto.api
    assert (api.key_env, api.base_url) == ("SHOP_EXTRACTTO_KEY", "http://127.0.0.1:8000/extractto")


def test_without_an_api_section_the_provider_variables_apply(tmp_path: Path) -> None:
    api = load_config(write(tmp_path, "linkup:\n  extracts:\n" + GOOD_ENTRY)).linkup.api
    assert (api.key_env, api.base_url) == (None, None)


def test_a_base_url_that_is_not_http_says_to_leave_it_to_the_variable(tmp_path: Path) -> None:
    path = write(tmp_path, "linkup:\n  api:\n    base_url: 127.0.0.1:8000\n")
    with pytest.raises(ConfigError, match=r"linkup\.api\.base_url: .*_BASE_URL variable"):
        load_config(path)


def test_a_key_variable_name_must_be_a_variable_name(tmp_path: Path) -> None:
    path = write(tmp_path, "linkup:\n  api:\n    key_env: lk-SECRET-123\n")
    with pytest.raises(
        ConfigError, match=r"linkup\.api\.key_env: .*never the key itself"
    ) as failure:
        load_config(path)
    assert "lk-SECRET-123" not in str(failure.value)


def test_a_spec_can_be_an_iceberg_table_whose_catalog_a_variable_names(tmp_path: Path) -> None:
    entry = GOOD_ENTRY + "      table_format: iceberg\n      iceberg_catalog_env: LAKE_CATALOG\n"

    (spec,) = load_config(write(tmp_path, "linkup:\n  extracts:\n" + entry)).linkup.extracts

    assert (spec.output_format(), spec.iceberg_catalog_env) == ("iceberg", "LAKE_CATALOG")


def test_a_catalog_uri_given_where_its_variable_belongs_is_refused_without_showing_it(
    tmp_path: Path,
) -> None:
    entry = GOOD_ENTRY + "      iceberg_catalog_env: postgresql://lake:hunter2@db/lake\n"

    with pytest.raises(ConfigError) as failure:
        load_config(write(tmp_path, "linkup:\n  extracts:\n" + entry))

    assert "field 'iceberg_catalog_env'" in str(failure.value)
    assert "never the URI itself" in str(failure.value)
    assert "hunter2" not in str(failure.value)


def test_an_unknown_table_format_is_refused_naming_the_choices(tmp_path: Path) -> None:
    entry = GOOD_ENTRY + "      table_format: delta\n"

    with pytest.raises(ConfigError, match="field 'table_format': Input should be 'parquet' or"):
        load_config(write(tmp_path, "linkup:\n  extracts:\n" + entry))


def test_a_relative_config_path_reads_its_folders_from_beside_it_wherever_the_run_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "dataextractor:\n  submissions:\n    - {name: inbox, folder: docs}\n")
    monkeypatch.chdir(tmp_path)

    (spec,) = load_config("assets.yaml").dataextractor.submissions

    assert spec.folder == tmp_path / "docs"


def test_a_key_given_twice_in_one_mapping_is_refused_naming_both_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "linkup:\n  extracts:\n" + GOOD_ENTRY + "  extracts: []\n")
    with pytest.raises(ConfigError) as failure:
        load_config(path)
    assert f"{path}: not valid YAML at line 6, column 3" in str(failure.value)
    assert "'extracts' is given twice in one mapping (first at line 2)" in str(failure.value)


def test_a_tab_in_the_indentation_is_named_with_its_line_and_how_to_fix_it(tmp_path: Path) -> None:
    path = write(tmp_path, "linkup:\n\textracts: []\n")
    with pytest.raises(ConfigError) as failure:
        load_config(path)
    assert f"{path}: not valid YAML at line 2, column 1: a tab character" in str(failure.value)
    assert "replace the tabs with spaces" in str(failure.value)


@pytest.mark.parametrize("text", ["", "# linkup:\n#   extracts: []\n"])
def test_a_file_that_declares_nothing_is_refused_saying_what_it_needs(
    tmp_path: Path, text: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match=re.escape(f"{path}: the config file declares nothing")):
        load_config(path)


def test_a_file_that_is_a_list_is_refused_saying_what_its_top_level_must_be(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "- linkup:\n    extracts: []\n")
    with pytest.raises(ConfigError) as failure:
        load_config(path)
    assert f"{path}: the config file holds a list" in str(failure.value)
    assert "its top level must be `linkup:`" in str(failure.value)


def test_a_setting_at_the_wrong_level_says_where_it_belongs(tmp_path: Path) -> None:
    path = write(tmp_path, "linkup:\n  name: team\n  extracts: []\n")
    with pytest.raises(
        ConfigError,
        match=re.escape(
            "linkup.name: Extra inputs are not permitted here: 'name' belongs in each "
            "entry of linkup.extracts (check its indentation)"
        ),
    ):
        load_config(path)


def test_a_misspelt_setting_at_the_wrong_level_says_where_the_right_one_belongs(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "extarcts:\n" + GOOD_ENTRY)
    with pytest.raises(
        ConfigError,
        match=re.escape("(did you mean 'extracts'? It belongs under linkup or under extractto)"),
    ):
        load_config(path)


def test_a_section_left_empty_says_to_write_braces_or_indent_its_settings(tmp_path: Path) -> None:
    path = write(tmp_path, "linkup:\nextractto:\n  extracts:\n")
    with pytest.raises(ConfigError) as failure:
        load_config(path)
    assert "linkup: is empty: write {} for no settings" in str(failure.value)
    assert "extractto.extracts: is empty: write [] for none" in str(failure.value)
    assert "ExtractAssetsConfig" not in str(failure.value)


def test_an_extract_named_like_the_linkup_task_outputs_asset_is_refused(tmp_path: Path) -> None:
    entry = GOOD_ENTRY.replace("name: team", "name: linkup_task_outputs")
    with pytest.raises(
        ConfigError, match=r"linkup\.extracts: .*'linkup_task_outputs' is the asset of the Linkup"
    ):
        load_config(write(tmp_path, "linkup:\n  extracts:\n" + entry))


def test_a_schema_referring_to_a_file_is_refused_saying_to_copy_it_under_defs(
    tmp_path: Path,
) -> None:
    entry = GOOD_ENTRY + "      schema: {type: object, properties: {a: {$ref: row.json}}}\n"
    with pytest.raises(
        ConfigError,
        match=r"field 'schema': .*refers to 'row.json', outside the schema: references are "
        r"never fetched .* under \$defs",
    ):
        load_config(write(tmp_path, "linkup:\n  extracts:\n" + entry))


def test_a_schema_referring_to_a_definition_it_lacks_is_refused_naming_it(tmp_path: Path) -> None:
    entry = GOOD_ENTRY + "      schema: {type: object, properties: {a: {$ref: '#/$defs/x'}}}\n"
    with pytest.raises(
        ConfigError, match=r"field 'schema': .*refers to '#/\$defs/x', which the schema does not"
    ):
        load_config(write(tmp_path, "linkup:\n  extracts:\n" + entry))


def test_a_schema_referring_to_its_own_definitions_is_accepted(tmp_path: Path) -> None:
    schema = "{type: object, $defs: {x: {type: string}}, properties: {a: {$ref: '#/$defs/x'}}}"
    entry = GOOD_ENTRY + f"      schema: {schema}\n"
    (spec,) = load_config(write(tmp_path, "linkup:\n  extracts:\n" + entry)).linkup.extracts
    assert spec.row_schema is not None


def test_a_variable_written_to_be_expanded_is_refused_saying_how_keys_are_named(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "linkup:\n  api:\n    key_env: ${SHOP_LINKUP_KEY}\n")
    with pytest.raises(ConfigError) as failure:
        load_config(path)
    assert "api.key_env: '${SHOP_LINKUP_KEY}' is not expanded" in str(failure.value)
    assert "(key_env: SHOP_LINKUP_KEY)" in str(failure.value)


def test_a_variable_written_in_a_query_is_refused_before_it_is_sent_as_written(
    tmp_path: Path,
) -> None:
    entry = GOOD_ENTRY.replace("q: Team members", "q: Team members of ${COMPANY}")
    with pytest.raises(ConfigError, match=re.escape("extracts[0].q: '${COMPANY}' is not expanded")):
        load_config(write(tmp_path, "linkup:\n  extracts:\n" + entry))


def test_a_file_that_is_not_utf8_is_refused_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "assets.yaml"
    path.write_bytes(b"linkup:\n  extracts:\n    - {name: t, q: caf\xe9, url: 'https://e.com'}\n")
    with pytest.raises(
        ConfigError, match=re.escape(f"{path}: not UTF-8 text at line 3 (byte 0xe9): save")
    ):
        load_config(path)


def test_a_missing_file_named_by_the_variable_says_where_it_was_looked_for_and_what_to_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EXTRACT_ASSETS_CONFIG", "my-assets.yaml")
    with pytest.raises(
        ConfigError,
        match=re.escape(
            f"my-assets.yaml (in {tmp_path}): cannot read the config file named by "
            "EXTRACT_ASSETS_CONFIG (No such file or directory): set EXTRACT_ASSETS_CONFIG"
        ),
    ):
        load_config()


def test_an_empty_config_variable_is_refused_rather_than_loading_the_demo(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EXTRACT_ASSETS_CONFIG", "")
    with pytest.raises(ConfigError, match="EXTRACT_ASSETS_CONFIG is set but empty: set it to"):
        load_config()
