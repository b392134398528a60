"""Fixtures of the browser test: Debian's Chromium, one running demo, a fresh page per test."""

import contextlib
import fcntl
import itertools
from collections.abc import Callable, Generator, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from extract_assets_tests.ui.artifacts import artifacts_dir, save_page
from extract_assets_tests.ui.demo_process import Demo, running_demo

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
# Tall enough that the catalog shows every demo asset without scrolling.
VIEWPORT: ViewportSize = {"width": 1440, "height": 1000}
# Clicks and assertions wait this long for the UI, which renders late on a busy machine.
UI_TIMEOUT_MS = 60_000

_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser: drives the Dagster UI of the demo in headless Chromium"
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    # The page fixture reads the outcome to save what a failed test saw.
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


@pytest.fixture(scope="session")
def artifacts(testrun_uid: str) -> Path:
    """The folder of screenshots, page HTML and the demo's log, of this session only."""
    folder = artifacts_dir()
    folder.mkdir(parents=True, exist_ok=True)
    # A screenshot left from an earlier session would pass for one of this session. The xdist
    # workers of this session share the folder: the first of them to get here empties it, and
    # leaves the session's id for the others, so none removes another's screenshots.
    stamp = folder / ".session"
    with (folder / ".session.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not stamp.exists() or stamp.read_text() != testrun_uid:
            for old in [*folder.glob("*.png"), *folder.glob("*.html")]:
                old.unlink()
            stamp.write_text(testrun_uid)
    return folder


# Module scope: the demo's processes stop as soon as the browser tests end, not with the session.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium; a missing one fails the test with the command that installs it."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"The browser test needs Debian's Chromium at {CHROMIUM}: "
            "run `apt-get install chromium` (as root or with sudo), then run the test again.",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def demo(
    browser: Browser, artifacts: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Demo]:
    """`extract-assets demo` on free loopback ports with its own DAGSTER_HOME and output folder.

    It asks for the browser first, so a missing Chromium fails before the demo starts.
    """
    with running_demo(tmp_path_factory.mktemp("demo"), artifacts / "demo.log") as running:
        yield running


@pytest.fixture
def page(
    browser: Browser, demo: Demo, artifacts: Path, request: pytest.FixtureRequest
) -> Iterator[Page]:
    """A fresh page on the demo's UI; when the test fails, its screenshot and HTML are saved."""
    context = browser.new_context(viewport=VIEWPORT, base_url=demo.url)
    context.set_default_timeout(UI_TIMEOUT_MS)
    # `expect` keeps a timeout of its own (5 s), which a busy machine's UI overran.
    expect.set_options(timeout=UI_TIMEOUT_MS)
    opened = context.new_page()
    try:
        yield opened
    finally:
        outcome = request.node.stash.get(_REPORTS, {}).get("call")
        if outcome is None or outcome.failed:
            # A crashed page cannot be saved; the test's own failure says more than that.
            with contextlib.suppress(PlaywrightError):
                save_page(opened, artifacts, f"FAILED-{request.node.name}", html=True)
        context.close()


@pytest.fixture
def snapshot(page: Page, artifacts: Path, request: pytest.FixtureRequest) -> Callable[[str], Path]:
    """Saves a numbered screenshot of the page for each named step of the test."""
    steps = itertools.count(1)

    def take(step: str) -> Path:
        return save_page(page, artifacts, f"{request.node.name}-{next(steps):02d}-{step}")

    return take
