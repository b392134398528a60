"""From YAML alone, two Linkup accounts with their own prefixes, an extract on a cron automation
with a freshness policy and blocking checks: all of it seen in the Dagster UI.

`extract-assets demo` serves this module's own config file (EXTRACT_ASSETS_CONFIG); its emulator
answers both accounts' keys.
"""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from extract_assets_tests.ui.demo_process import Demo, running_demo
from extract_assets_tests.ui.test_browser import (
    Snapshot,
    definition_field,
    open_catalog,
    open_launched_run,
    wait_for_success,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(480)]

CONFIG = """
linkup:
  - account: marketing
    api: {key_env: LINKUP_MARKETING_KEY}
    extracts:
      - name: team_members
        q: All engineering team members with their name and role
        url: https://example.com/team
        owners: [team:marketing]
        automation: {on_cron: "0 6 * * *"}
        freshness: {fail_after: 26h, warn_after: 25h}
        checks: {blocking: true}
  - account: research
    api: {key_env: LINKUP_RESEARCH_KEY}
    extracts:
      - name: team_members
        q: All engineering team members with their name and role
        url: https://example.com/team
        owners: [team:research]
"""


@pytest.fixture(scope="module")
def demo(
    browser: Browser, artifacts: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Demo]:
    folder = tmp_path_factory.mktemp("accounts")
    config = folder / "extract-assets.yaml"
    config.write_text(CONFIG)
    # The demo's emulator knows its own Linkup key; each account's variable names it.
    keys = {"LINKUP_MARKETING_KEY": "demo-linkup-key", "LINKUP_RESEARCH_KEY": "demo-linkup-key"}
    with running_demo(
        folder, artifacts / "accounts-demo.log", config=config, environment=keys
    ) as running:
        yield running


def test_each_account_has_its_asset_under_its_own_prefix(page: Page, snapshot: Snapshot) -> None:
    open_catalog(page)
    for account in ("marketing", "research"):
        expect(page.locator(f'a[href="/assets/{account}/team_members"]')).to_be_visible()
    snapshot("catalog")
    page.goto("/assets/marketing/team_members")
    expect(definition_field(page, "Owners")).to_contain_text("marketing")
    page.goto("/assets/research/team_members")
    expect(definition_field(page, "Owners")).to_contain_text("research")
    snapshot("research-asset")


def test_the_cron_automation_freshness_and_blocking_checks_show_on_the_asset(
    page: Page, snapshot: Snapshot
) -> None:
    page.goto("/assets/marketing/team_members")
    expect(definition_field(page, "Automation condition")).to_contain_text("on_cron(0 6 * * *")
    expect(
        page.get_by_text("Fails if more than 26 hours since last materialization")
    ).to_be_visible()
    expect(
        page.get_by_text("Warns if more than 25 hours since last materialization")
    ).to_be_visible()
    snapshot("automation-and-freshness")
    page.goto("/assets/marketing/team_members?view=checks")
    page.get_by_text("table_schema_unchanged", exact=True).first.click()
    expect(page.get_by_text("This is a blocking asset check.")).to_be_visible()
    snapshot("blocking-check")


def test_an_account_materializes_from_the_ui_into_its_own_folder(
    page: Page, demo: Demo, snapshot: Snapshot
) -> None:
    page.goto("/assets/research/team_members")
    page.get_by_role("button", name=re.compile(r"\bMaterialize$")).click()
    open_launched_run(page)
    wait_for_success(page)
    snapshot("run-succeeded")
    assert (demo.output / "linkup" / "research" / "team_members" / "part-0.parquet").is_file()
    assert not (demo.output / "linkup" / "marketing").exists()
