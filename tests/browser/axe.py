"""Run axe-core (vendored from the npm registry, tests/browser/vendor/) in a Playwright page.

axe is added to a browser context as an init script: Chromium runs init scripts through the
DevTools protocol, outside the page's Content-Security-Policy, so the pages are checked with
their real CSP on (no `bypass_csp`), and the app itself never serves axe.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, Page

AXE_DIR = Path(__file__).resolve().parent / "vendor" / "axe-core"
AXE_JS = AXE_DIR / "axe.min.js"


@cache
def pinned() -> tuple[str, str]:
    version, sha256 = (AXE_DIR / "PIN").read_text().split()
    return version, sha256


def add_axe(context: BrowserContext) -> None:
    """Every page opened in `context` from now on has `window.axe`."""
    version, sha256 = pinned()
    data = AXE_JS.read_bytes()
    assert hashlib.sha256(data).hexdigest() == sha256, (
        f"{AXE_JS} does not match its pin: run tests/browser/vendor/refresh.sh")
    assert f"axe v{version}".encode() in data[:200]
    context.add_init_script(path=str(AXE_JS))


def start(page: Page) -> None:
    """Start axe on the page as it is now (every rule axe enables by default: WCAG 2.x A and
    AA, and best practices) without waiting, so several pages can be checked at once."""
    page.evaluate("() => { window.__axeRun = axe.run(document, {resultTypes: ['violations']}); }")


def violations(page: Page) -> list[dict[str, Any]]:
    """The violations of the run `start` began, each with its impact, help and up to three
    failing nodes."""
    return page.evaluate("""async () => {
        const result = await window.__axeRun;
        return result.violations.map((v) => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 3).map((n) => ({
                target: n.target.join(' '), html: n.html.slice(0, 160),
                summary: (n.failureSummary || '').slice(0, 300)})),
            count: v.nodes.length}));
    }""")


def describe(found: dict[str, list[dict[str, Any]]]) -> str:
    lines = []
    for where, items in found.items():
        for item in items:
            lines.append(f"{where}: {item['id']} ({item['impact']}, {item['count']} nodes) "
                         f"{item['help']}")
            lines.extend(f"    {node['target']}  {node['html']}\n      {node['summary']}"
                         for node in item["nodes"])
    return "\n".join(lines)
