"""A `dg` project made from scratch, as a user would: scaffold, fill in, check, materialize.

Offline: the project is a hand-written pyproject and `definitions.py` (what `create-dagster`
writes), and its `.env` points `dg` at this environment instead of a new virtualenv.
"""

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import httpx
import pyarrow.parquet as pq
import pytest

from extract_assets.emulator import EmulatorServer
from extract_assets.linkup.resource import LinkupResource

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
LINKUP_KEY = "demo-linkup-key"
EXTRACTTO_KEY = "demo-extractto-key"
DAY = "2026-11-01"

PYPROJECT = """\
[project]
name = "shop"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["extract-assets"]

[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[tool.dg]
directory_type = "project"

[tool.dg.project]
root_module = "shop"
"""

DEFINITIONS = """\
from pathlib import Path

import dagster as dg


@dg.definitions
def defs() -> dg.Definitions:
    return dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
"""


class Project:
    """A `dg` project in a temp folder, run with this environment's `dg` and a temp instance."""

    def __init__(self, root: Path, emulator: EmulatorServer) -> None:
        self.root = root
        self.home = root / "dagster_home"
        self.output = root / "data"
        self.defs = root / "src" / "shop" / "defs"
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.endswith(("_BASE_URL", "_API_KEY")) and key != "EXTRACT_ASSETS_CONFIG"
        }
        self.env.update(
            PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}",
            PYTHONPATH=str(root / "src"),
            DAGSTER_HOME=str(self.home),
            EXTRACT_ASSETS_OUTPUT=str(self.output),
            LINKUP_API_KEY=LINKUP_KEY,
            SHOP_EXTRACTTO_KEY=EXTRACTTO_KEY,
        )
        self.emulator = emulator

    def create(self) -> None:
        self.defs.mkdir(parents=True)
        self.home.mkdir()
        (self.home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        (self.root / "pyproject.toml").write_text(PYPROJECT)
        (self.root / ".env").write_text(f"DG_PROJECT_PYTHON_EXECUTABLE={sys.executable}\n")
        (self.root / "src" / "shop" / "__init__.py").write_text("")
        (self.root / "src" / "shop" / "definitions.py").write_text(DEFINITIONS)
        (self.defs / "__init__.py").write_text("")

    def run_dg(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN / "dg"), *args],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )

    def dg(self, *args: str) -> str:
        """Run `dg` in the project; fail with everything it printed if it fails."""
        done = self.run_dg(*args)
        if done.returncode != 0:
            raise AssertionError(f"dg {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def fill_in(self, folder: str, replacements: dict[str, str]) -> None:
        """Edit a scaffolded `defs.yaml` the way a user does: replace the example values."""
        defs_yaml = self.defs / folder / "defs.yaml"
        text = defs_yaml.read_text()
        for example, value in replacements.items():
            assert example in text, f"the scaffold no longer shows {example!r}"
            text = text.replace(example, value)
        defs_yaml.write_text(text)


@pytest.fixture(scope="module")
def project(
    tmp_path_factory: pytest.TempPathFactory, emulator: EmulatorServer
) -> Iterator[Project]:
    """The project with one Linkup and one Extract.to extract, scaffolded and filled in."""
    shop = Project(tmp_path_factory.mktemp("shop"), emulator)
    shop.create()
    shop.dg("scaffold", "defs", "extract_assets.LinkupComponent", "web")
    shop.dg("scaffold", "defs", "extract_assets.ExtractToComponent", "ads")
    linkup_url = emulator.base_url("linkup")
    shop.fill_in("web", {"# base_url: http://127.0.0.1:8000/linkup": f"base_url: {linkup_url}"})
    extract_id = emulator.control.extractto_demo()["extract_id"]
    shop.fill_in(
        "ads",
        {
            "# base_url: http://127.0.0.1:8000/extractto": (
                f"base_url: {emulator.base_url('extractto')}"
            ),
            "key_env: EXTRACTTO_API_KEY": "key_env: SHOP_EXTRACTTO_KEY",
            "replace-with-your-extract-id": extract_id,
            'start_date: "2026-01-01"': f'start_date: "{DAY}"',
        },
    )
    yield shop


def test_dg_lists_the_extract_assets_components(project: Project) -> None:
    listed = json.loads(project.dg("list", "components", "--json"))
    keys = {entry["key"] for entry in listed["items"]}
    assert {
        "extract_assets.LinkupComponent",
        "extract_assets.ExtractToComponent",
        "extract_assets.DataExtractorComponent",
    } <= keys


def test_dg_check_defs_accepts_the_filled_in_project(project: Project) -> None:
    assert "All definitions loaded successfully" in project.dg("check", "defs")


def test_dg_list_defs_shows_the_declared_assets(project: Project) -> None:
    listed = json.loads(project.dg("list", "defs", "--json"))
    assets = {asset["asset_key"] for asset in listed["assets"]}
    assert assets == {"team_members", "linkup_task_outputs", "ads_campaigns"}


def test_dg_launch_writes_the_rows_the_emulator_served(
    project: Project, emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator.control.extractto_settings(sync_seconds=0.05)
    project.dg("launch", "--assets", "team_members")
    project.dg("launch", "--assets", "ads_campaigns", "--partition", DAY)

    team = pq.read_table(project.output / "linkup" / "team_members" / "part-0.parquet")
    assert team.num_rows == len(linkup_rows_served(project, monkeypatch)) > 0

    ads = pq.read_table(project.output / "extractto" / "ads_campaigns" / f"date={DAY}")
    assert ads.num_rows == len(extractto_rows_served(emulator, DAY)) > 0


def linkup_rows_served(project: Project, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The NDJSON lines of the task the run recorded, read from the emulator."""
    monkeypatch.setenv("DAGSTER_HOME", str(project.home))
    with dg.DagsterInstance.get() as instance:
        event = instance.get_latest_materialization_event(dg.AssetKey("team_members"))
    assert event is not None and event.asset_materialization is not None
    task_id = str(event.asset_materialization.metadata["linkup/task_id"].value)
    resource = LinkupResource(api_key=LINKUP_KEY, base_url=project.emulator.base_url("linkup"))
    with resource.get_client() as client:
        output = client.get(task_id).output
    assert output is not None
    return httpx.get(output.result_url).text.splitlines()


def extractto_rows_served(emulator: EmulatorServer, day: str) -> list[object]:
    """The demo data table's rows for `day`, page by page, without our client."""
    table_id = emulator.control.extractto_demo()["data_table_id"]
    params = {"date_from": day, "date_to": day, "limit": "10000"}
    rows: list[object] = []
    headers = {"Authorization": f"Bearer {EXTRACTTO_KEY}"}
    with httpx.Client(base_url=emulator.base_url("extractto"), headers=headers) as http:
        while True:
            page = http.get(f"/data-tables/{table_id}/rows", params=params).raise_for_status()
            rows += page.json()["data"]
            if not page.json()["next_cursor"]:
                return rows
            params["cursor"] = page.json()["next_cursor"]


def test_dg_check_defs_names_the_file_line_and_field_of_a_bad_value(
    tmp_path: Path, emulator: EmulatorServer
) -> None:
    shop = Project(tmp_path, emulator)
    shop.create()
    (shop.defs / "web").mkdir()
    defs_yaml = shop.defs / "web" / "defs.yaml"
    defs_yaml.write_text(
        "type: extract_assets.LinkupComponent\n"
        "attributes:\n"
        "  extracts:\n"
        "    - name: team_members\n"
        "      q: Every team member\n"
        "      url: example.com/team\n"
    )
    done = shop.run_dg("check", "defs")
    printed = done.stdout + done.stderr
    assert done.returncode != 0
    assert f"attributes.extracts.0.url at {defs_yaml}:6" in printed
    assert "must be an http(s) URL such as https://example.com/team" in printed
