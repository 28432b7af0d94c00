"""A real browser: Debian's chromium driven by Playwright (no browser downloads)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import IN_CI, chromium_path, need

try:
    import playwright  # noqa: F401
    PLAYWRIGHT = True
except ImportError:  # in CI a missing part is a failure; elsewhere the tests are not collected
    if IN_CI:
        raise
    PLAYWRIGHT = False
    collect_ignore_glob = ["test_*.py"]


def pytest_report_header() -> str | None:
    if not PLAYWRIGHT:
        return "browser tests skipped: the playwright package is not installed"
    return None

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    path = chromium_path()
    need(path is not None, "Debian chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need(False, "the playwright package is not installed")
        raise
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def contexts(browser: Any) -> Iterator[list[Any]]:
    """Browser contexts a test opens (one per person); all closed at the end."""
    made: list[Any] = []
    yield made
    for context in made:
        context.close()
