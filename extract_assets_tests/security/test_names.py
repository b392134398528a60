"""Asset names that would leave the output folder (or are not names at all) are refused when
specs, config files and components load, before any run, with an error naming the field."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from dagster.components.core.component_tree import ComponentTreeException
from dagster.components.testing import DefsFolderSandbox, create_defs_folder_sandbox
from pydantic import ValidationError

from extract_assets import DataExtractorComponent, ExtractToComponent, LinkupComponent
from extract_assets.config import load_config
from extract_assets.core.errors import ConfigError
from extract_assets.core.paths import asset_folder
from extract_assets.dataextractor.spec import DataExtractorDatasetsSpec, DataExtractorSubmissionSpec
from extract_assets.extractto.spec import ExtractToConnectionSpec, ExtractToExtractSpec
from extract_assets.linkup.spec import LinkupExtractSpec

ESCAPING_NAMES = [
    "../x",
    "..",
    ".",
    "/abs",
    "/etc/passwd",
    "a/../../b",
    "a/b",
    "..\\x",
    "C:\\x",
    "~/x",
    "",
    " ",
    "team\n",
    "team\n../x",
    "x\x00y",
    "é",
]

# Each place a user names an asset, with the other fields it needs: (section, list, entry).
ENTRIES: list[tuple[str, str, dict[str, Any]]] = [
    ("linkup", "extracts", {"q": "Team", "url": "https://example.com/team"}),
    ("extractto", "extracts", {"extract_id": "e-1", "start_date": "2026-11-01"}),
    ("extractto", "connections", {"connection_id": "c-1"}),
    ("dataextractor", "datasets", {"start_date": "2026-11-01"}),
    ("dataextractor", "submissions", {"folder": "inbox"}),
]
SPECS: list[tuple[type[Any], dict[str, Any]]] = [
    (LinkupExtractSpec, ENTRIES[0][2]),
    (ExtractToExtractSpec, ENTRIES[1][2]),
    (ExtractToConnectionSpec, ENTRIES[2][2]),
    (DataExtractorDatasetsSpec, ENTRIES[3][2]),
    (DataExtractorSubmissionSpec, ENTRIES[4][2]),
]
COMPONENTS = {
    "linkup": LinkupComponent,
    "extractto": ExtractToComponent,
    "dataextractor": DataExtractorComponent,
}


@pytest.mark.parametrize("name", ESCAPING_NAMES)
@pytest.mark.parametrize(("spec", "fields"), SPECS, ids=[spec.__name__ for spec, _ in SPECS])
def test_a_python_spec_refuses_the_name(spec: type[Any], fields: dict[str, Any], name: str) -> None:
    with pytest.raises(ValidationError, match="not a valid asset name"):
        spec(name=name, **fields)


@pytest.mark.parametrize("name", ESCAPING_NAMES)
@pytest.mark.parametrize(
    ("section", "kind", "fields"), ENTRIES, ids=[f"{s}.{k}" for s, k, _ in ENTRIES]
)
def test_a_config_file_refuses_the_name_naming_file_and_field(
    section: str, kind: str, fields: dict[str, Any], name: str, tmp_path: Path
) -> None:
    path = tmp_path / "extract-assets.yaml"
    path.write_text(yaml.safe_dump({section: {kind: [{"name": name, **fields}]}}))
    with pytest.raises(ConfigError) as refused:
        load_config(path)
    message = str(refused.value)
    assert str(path) in message
    assert f"{section}.{kind}[0]" in message and "'name'" in message
    assert "not a valid asset name" in message


@pytest.fixture
def sandbox() -> Iterator[DefsFolderSandbox]:
    with create_defs_folder_sandbox() as folder:
        yield folder


@pytest.mark.parametrize("name", ["../x", "/abs", "a/../../b", "", "team\n"])
@pytest.mark.parametrize(
    ("section", "kind", "fields"), ENTRIES, ids=[f"{s}.{k}" for s, k, _ in ENTRIES]
)
def test_a_component_refuses_the_name_at_load(
    section: str,
    kind: str,
    fields: dict[str, Any],
    name: str,
    sandbox: DefsFolderSandbox,
) -> None:
    folder = sandbox.defs_folder_path / "extracts"
    folder.mkdir(parents=True)
    document = {
        "type": f"extract_assets.{COMPONENTS[section].__name__}",
        "attributes": {kind: [{"name": name, **fields}]},
    }
    (folder / "defs.yaml").write_text(yaml.safe_dump(document))
    with pytest.raises(ComponentTreeException) as refused:
        with sandbox.load_component_and_build_defs(defs_path=folder):
            pass
    assert "not a valid asset name" in _with_causes(refused.value)


def _with_causes(error: BaseException) -> str:
    texts = []
    current: BaseException | None = error
    while current is not None:
        texts.append(str(current))
        current = current.__cause__ or current.__context__
    return "\n".join(texts)


@pytest.mark.parametrize("name", ESCAPING_NAMES)
def test_the_output_folder_of_an_asset_refuses_the_name(name: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a valid asset name"):
        asset_folder(tmp_path, "linkup", name)
