"""Where the browser test leaves screenshots, page HTML and the demo's log for people to read."""

import os
import re
from collections.abc import Mapping
from pathlib import Path

from playwright.sync_api import Page

from extract_assets_tests.ui.demo_process import PROJECT

ARTIFACTS_ENV = "EXTRACT_ASSETS_ARTIFACTS"


def artifacts_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """`$EXTRACT_ASSETS_ARTIFACTS`, else `test-artifacts/browser/` in the project (git-ignored).

    >>> artifacts_dir({ARTIFACTS_ENV: "/tmp/shots"})
    PosixPath('/tmp/shots')
    >>> artifacts_dir({}).relative_to(PROJECT)
    PosixPath('test-artifacts/browser')
    """
    folder = environ.get(ARTIFACTS_ENV)
    return Path(folder) if folder else PROJECT / "test-artifacts" / "browser"


def file_stem(text: str) -> str:
    """A test or step name as a file name.

    >>> file_stem("test_asset_page[team_members]")
    'test_asset_page-team_members'
    """
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")


def save_page(page: Page, folder: Path, stem: str, *, html: bool = False) -> Path:
    """A screenshot of the page as `folder/stem.png`, and its HTML beside it when asked."""
    folder.mkdir(parents=True, exist_ok=True)
    screenshot = folder / f"{file_stem(stem)}.png"
    page.screenshot(path=screenshot)
    if html:
        screenshot.with_suffix(".html").write_text(page.content())
    return screenshot
