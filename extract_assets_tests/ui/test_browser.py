"""The browser test: a user clicks through the demo's Dagster UI in headless Chromium.

One `extract-assets demo` serves every test here. Screenshots of each step land in
`test-artifacts/browser/` (or `$EXTRACT_ASSETS_ARTIFACTS`), with the page's HTML when a test fails.
"""

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import dagster as dg
import pyarrow.parquet as pq
import pytest
from playwright.sync_api import Locator, Page, expect

from extract_assets.asset_settings import TimeWindowFreshness, automation_condition
from extract_assets.build import definitions_from_config
from extract_assets.config import DEMO_CONFIG, load_config
from extract_assets_tests.ui.demo_process import Demo

# The first test here also waits for `dagster dev` to answer (up to READY_TIMEOUT_SECONDS).
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(480)]

DEMO_DEFS = definitions_from_config(DEMO_CONFIG)
ASSETS = sorted(DEMO_DEFS.resolve_all_asset_specs(), key=lambda spec: spec.key.to_user_string())
PROVIDERS = ("linkup", "extractto", "dataextractor")
# The second day of the demo's Extract.to extract: a partition whatever today's date is.
ADS_DAY = (
    load_config(DEMO_CONFIG).extractto.extracts[0].start_date + timedelta(days=1)
).isoformat()
# A run of one small asset took 35-75 s on 2 cores shared with other jobs, mostly process starts.
RUN_TIMEOUT_MS = 240_000

Snapshot = Callable[[str], Path]


def test_team_members_materialized_from_the_ui_shows_the_parquet_files_row_count(
    page: Page, demo: Demo, snapshot: Snapshot
) -> None:
    open_catalog(page)
    page.locator('a[href="/assets/team_members"]').click()
    snapshot("asset-before")
    page.get_by_role("button", name=re.compile(r"\bMaterialize$")).click()
    open_launched_run(page)
    snapshot("run-started")
    wait_for_success(page)
    snapshot("run-succeeded")

    rows = pq.read_table(demo.output / "linkup" / "team_members" / "part-0.parquet").num_rows
    assert rows > 0
    page.goto("/assets/team_members")
    expect(definition_field(page, "Row count")).to_have_text(re.compile(rf"^Row count\s*{rows:,}$"))
    expect(definition_field(page, "Latest materialization")).to_contain_text(" ago")
    snapshot("asset-page")


def test_one_day_of_google_ads_campaigns_materialized_from_the_ui_shows_its_row_count(
    page: Page, demo: Demo, snapshot: Snapshot
) -> None:
    page.goto("/assets/google_ads_campaigns")
    page.get_by_role("button", name=re.compile(r"\bMaterialize")).click()
    dialog = page.get_by_role("dialog")
    partitions = dialog.get_by_placeholder("No matching partitions")
    partitions.fill(ADS_DAY)
    partitions.press("Enter")
    expect(dialog).to_contain_text("1 partition")
    snapshot("partition-chosen")
    dialog.get_by_role("button", name="Launch 1 run").click()
    open_launched_run(page)
    snapshot("run-started")
    wait_for_success(page)
    snapshot("run-succeeded")

    day_file = demo.output / "extractto" / "google_ads_campaigns" / f"date={ADS_DAY}"
    rows = pq.read_table(day_file / "part-0.parquet").num_rows
    assert rows > 0
    page.goto("/assets/google_ads_campaigns?view=partitions")
    page.get_by_placeholder("Filter by name").fill(ADS_DAY)
    page.get_by_text(ADS_DAY, exact=True).filter(visible=True).click()
    row_count = page.get_by_role("row").filter(has_text="dagster/partition_row_count")
    expect(row_count).to_have_text(re.compile(rf"^\s*dagster/partition_row_count\s*{rows:,}\s*$"))
    snapshot("partition-page")


def test_the_catalog_shows_every_asset_in_its_providers_group_with_description_and_kinds(
    page: Page, snapshot: Snapshot
) -> None:
    open_catalog(page)
    for spec in ASSETS:
        row = catalog_row(page, spec.key.to_user_string())
        expect(row.locator('a[href*="/asset-groups"]')).to_have_text(provider_of(spec))
        expect(row).to_contain_text(spec.description or "")
        for kind in spec.kinds:
            expect(row.locator(f'[data-tooltip="{kind}" i]')).to_be_visible()
    snapshot("asset-catalog")


def test_no_first_visit_modal_covers_the_ui(page: Page, snapshot: Snapshot) -> None:
    open_catalog(page)
    snapshot("no-modal")
    expect(page.get_by_role("dialog")).to_have_count(0)
    # The text of Dagster's first-visit modal (matched case-insensitively, in part).
    expect(page.get_by_text("join the dagster community")).to_have_count(0)


def test_the_automation_page_lists_the_schedule_and_every_sensor(
    page: Page, snapshot: Snapshot
) -> None:
    navigate(page, "Automation")
    names = [schedule.name for schedule in DEMO_DEFS.schedules or []]
    names += [sensor.name for sensor in DEMO_DEFS.sensors or []]
    assert names, "the demo declares no schedule or sensor"
    for name in names:
        expect(page.get_by_text(name, exact=True).filter(visible=True)).to_be_visible()
    snapshot("automation")


@pytest.mark.parametrize("asset", ["team_members", "google_ads_campaigns", "documents_inbox"])
def test_an_asset_page_shows_its_group_owners_and_kinds(
    page: Page, snapshot: Snapshot, asset: str
) -> None:
    spec = next(spec for spec in ASSETS if spec.key.to_user_string() == asset)
    open_catalog(page)
    page.locator(f'a[href="/assets/{asset}"]').click()
    expect(definition_field(page, "Group")).to_contain_text(provider_of(spec))
    assert spec.owners, f"{asset} declares no owners"
    for owner in spec.owners:
        expect(definition_field(page, "Owners")).to_contain_text(owner.removeprefix("team:"))
    for kind in spec.kinds:
        expect(definition_field(page, "Kinds")).to_contain_text(kind, ignore_case=True)
    expect(page.get_by_text(spec.description or "", exact=True)).to_be_visible()
    snapshot("definition")


def test_an_asset_page_shows_its_automation_freshness_and_blocking_checks(
    page: Page, snapshot: Snapshot
) -> None:
    """team_members declares them in the demo's YAML: `automation`, `freshness`, `checks`."""
    [extract] = [e for e in load_config(DEMO_CONFIG).linkup.extracts if e.name == "team_members"]
    assert extract.automation is not None and extract.checks.blocking
    freshness = extract.freshness
    assert isinstance(freshness, TimeWindowFreshness) and freshness.warn_after is not None
    condition = automation_condition(extract.automation)
    assert condition is not None
    page.goto("/assets/team_members")
    expect(definition_field(page, "Automation condition")).to_contain_text(condition.get_label())
    expect(page.get_by_text("default_automation_condition_sensor").first).to_be_attached()
    for verb, window in (("Fails", freshness.fail_after), ("Warns", freshness.warn_after)):
        text = f"{verb} if more than {window.days} days since last materialization"
        expect(page.get_by_text(text)).to_be_visible()
    snapshot("automation-and-freshness")
    page.goto("/assets/team_members?view=checks")
    spec = DEMO_DEFS.resolve_assets_def("team_members")
    names = sorted(check.name for check in spec.check_specs)
    assert names
    for name in names:
        page.get_by_text(name, exact=True).first.click()
        expect(page.get_by_text("This is a blocking asset check.")).to_be_visible()
    snapshot("blocking-checks")


def test_sigterm_stops_the_whole_demo_started_as_a_background_job(demo: Demo) -> None:
    # Last in this file: it ends the module's demo. It was started with SIGINT ignored, as
    # `make demo &` is; `dagster dev` copies that and would then ignore the forwarded SIGTERM.
    assert demo.terminate(), f"processes of the demo outlived SIGTERM; see {demo.log}"


def open_catalog(page: Page) -> None:
    """From the start page through the navigation, as a user would (a modal would block it)."""
    navigate(page, "Catalog")
    expect(page.locator('a[href^="/assets/"]').first).to_be_visible()


def navigate(page: Page, item: str) -> None:
    """Opens the start page and clicks an item of the navigation bar."""
    page.goto("/")
    # Each item's accessible name starts with its icon's name, e.g. "catalog_book Catalog".
    page.get_by_role("link", name=re.compile(rf"\b{item}$")).click()


def catalog_row(page: Page, asset: str) -> Locator:
    """The catalog's row of an asset: the nearest block around its link that names a group."""
    link = page.locator(f'a[href="/assets/{asset}"]')
    return link.locator("xpath=ancestor::div[.//a[contains(@href, '/asset-groups')]][1]")


def definition_field(page: Page, label: str) -> Locator:
    """A labelled field of the asset page (Group, Owners, Kinds, Row count) with its values."""
    return page.get_by_text(label, exact=True).locator("xpath=..")


def provider_of(spec: dg.AssetSpec) -> str:
    """The provider an asset reads from: its one kind that names a provider."""
    (provider,) = set(spec.kinds) & set(PROVIDERS)
    return provider


def open_launched_run(page: Page) -> None:
    """The "Launched run" toast's View link, to the run's page."""
    expect(page.get_by_text(re.compile(r"^Launched run"))).to_be_visible()
    page.get_by_role("link", name="View", exact=True).click()
    expect(page).to_have_url(re.compile(r"/runs/"))


def wait_for_success(page: Page) -> None:
    """Waits on the run page until the run ends; it must end in success."""
    status = page.get_by_text(re.compile(r"^(Success|Failure|Canceled)$")).first
    status.wait_for(timeout=RUN_TIMEOUT_MS)
    # On a loaded machine the header's status can lag behind the run's own events, or show
    # "Started" again for a moment when an older update lands after a newer one: its last
    # word is waited for, not its first.
    expect(status, "the run did not succeed; see its page in the artifacts").to_have_text(
        "Success", timeout=RUN_TIMEOUT_MS
    )
