"""Browser-test helpers shared by every test in this folder: pages that record console errors
and requests, and the steps of the journeys (create a class, join, start a round...)."""

from __future__ import annotations

import json
import os
import re
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

PHONE = {"width": 390, "height": 844}


LAPTOP = {"width": 1280, "height": 800}


T = 10_000  # ms: generous for a loaded CI machine; expect() returns as soon as it holds


@dataclass
class Watched:
    """A page plus what it did that the test must check: console errors and request URLs."""

    page: Page
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


def watch(context: BrowserContext) -> Watched:
    page = context.new_page()
    watched = Watched(page)
    page.on("console", lambda msg: watched.errors.append(f"console.{msg.type}: {msg.text}")
            if msg.type == "error" else None)
    page.on("pageerror", lambda exc: watched.errors.append(f"pageerror: {exc}"))
    page.on("request", lambda request: watched.requests.append(request.url))
    return watched


def foreign(requests: list[str], base_url: str) -> list[str]:
    base = base_url.rstrip("/") + "/"
    return [url for url in requests
            if not (url.startswith(base) or url == base_url
                    or url.startswith(("data:", "blob:")))]


def assert_clean(pages: list[Watched], base: str) -> None:
    for who in pages:
        assert who.errors == [], who.errors
        assert foreign(who.requests, base) == [], foreign(who.requests, base)


def new_page(browser: Browser, contexts: list[BrowserContext], viewport: dict[str, int]
             ) -> Watched:
    context = browser.new_context(viewport=viewport)
    contexts.append(context)
    return watch(context)


def make_photo(tmp_path: Path) -> Path:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (96, 64), (29, 107, 95))
    ImageDraw.Draw(image).ellipse((20, 8, 76, 56), fill=(240, 163, 111))
    path = tmp_path / "object.png"
    image.save(path)
    return path


def teacher_creates_class(page: Page, base: str, name: str = "Period 3 Biology") -> str:
    """Create a class in the UI; returns the join code."""
    page.goto(base + "/")
    page.get_by_label("Class name").fill(name)
    page.get_by_label("Grade band").select_option("6-8")
    page.get_by_role("button", name="Create class").click()
    page.wait_for_url(re.compile(r"/teacher$"), timeout=T)
    expect(page.locator("#conn")).to_have_text("Connected", timeout=T)
    code = page.locator("#join-code")
    expect(code).to_have_text(re.compile(r"^\S+$"), timeout=T)
    return code.inner_text().strip()


def student_joins(page: Page, base: str, code: str, name: str) -> None:
    page.goto(f"{base}/j/{code}")
    page.get_by_label("Your name").fill(name)
    page.get_by_role("button", name="Join").click()
    expect(page.locator("#welcome")).to_contain_text(name, timeout=T)
    expect(page.locator("#conn")).to_have_text("Connected", timeout=T)
    expect(page.locator("#round-title")).to_have_text("Waiting for your teacher…", timeout=T)


def open_stage(browser: Browser, contexts: list[BrowserContext], teacher: Page, base: str
               ) -> Watched:
    key = teacher.evaluate("sessionStorage.getItem('rapport.key')")
    assert key
    stage = new_page(browser, contexts, LAPTOP)
    stage.page.goto(f"{base}/stage#key={key}")
    expect(stage.page.locator("#conn")).to_have_text("Live", timeout=T)
    return stage


def teacher_starts_round(page: Page, host_text: str, timer: str = "5 minutes",
                         voice: bool = False) -> str:
    """Pick a teacher-side prompt, share first (with a recording too when `voice`: the page
    needs a microphone), open with a timer; returns the prompt text."""
    panel = page.locator("#round-panel")
    expect(panel.locator("#round-picker")).to_be_visible(timeout=T)
    panel.get_by_label("Category").first.select_option(label="Personal")
    first = panel.locator("#prompt-list li").first
    expect(first).to_be_visible(timeout=T)
    # The filtered list arrives asynchronously: wait for it before reading the first prompt.
    expect(first.locator("p.muted")).to_contain_text("Personal", timeout=T)
    prompt = first.locator(".prompt-text").inner_text()
    first.get_by_role("button", name="Start with this prompt").click()
    expect(panel.locator("#draft-prompt")).to_have_text(prompt, timeout=T)
    panel.get_by_label("Share your answer first").fill(host_text)
    if voice:
        panel.get_by_role("button", name="Record my answer").click()
        expect(panel.locator("#voice-elapsed")).to_have_text(re.compile(r"^0:0[1-9] "),
                                                             timeout=T)
        panel.get_by_role("button", name="Stop").click()
        expect(panel.locator("#voice-preview-audio")).to_have_attribute(
            "src", re.compile(r"^blob:"), timeout=T)
    panel.get_by_role("button", name="Share my answer").click()
    panel.get_by_label("Timer").select_option(label=timer)
    panel.get_by_role("button", name="Open the round").click()
    expect(panel.locator("#live-prompt")).to_have_text(prompt, timeout=T)
    expect(panel.locator("#countdown")).to_have_text(re.compile(r"^\d+:\d\d left$"), timeout=T)
    return prompt


def student_posts(page: Page, text: str, *, photo: Path | None = None, to_class: bool = True,
                  spotlight: bool = True) -> None:
    page.get_by_label("Your answer").fill(text)
    if photo is not None:
        page.get_by_label("Add a photo (optional)").set_input_files(str(photo))
        expect(page.locator("#photo-preview-img")).to_have_attribute(
            "src", re.compile(r"^blob:"), timeout=T)
    if to_class:
        page.get_by_label("My class").check()
        if spotlight:
            page.get_by_label("My teacher may show it to the class (spotlight)").check()
    page.get_by_role("button", name="Post my card").click()
    expect(page.locator("#my-card")).to_be_visible(timeout=T)
    expect(page.locator("#my-card .card-text")).to_have_text(text, timeout=T)


def teacher_card(page: Page, text: str) -> Locator:
    return page.locator("#card-grid li.round-card", has=page.locator(".card-text", has_text=text))


SHOTS = os.environ.get("RAPPORT_SCREENSHOTS")  # a folder to keep screenshots in, if set


def create_class(base: str, name: str = "Period 5 History") -> dict:
    request = urllib.request.Request(
        base + "/api/classes", method="POST",
        data=json.dumps({"name": name, "grade_band": "9-12"}).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201
        return json.load(response)


def shot(page: Page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def assert_fits(page: Page) -> None:
    """Nothing sticks out sideways (a phone user never has to scroll the page horizontally)."""
    wide = page.evaluate("""() => {
        const limit = document.documentElement.clientWidth;
        const width = Math.max(document.documentElement.scrollWidth, document.body.scrollWidth);
        if (width <= limit) return [];
        return [...document.querySelectorAll('body *')]
            .filter((el) => el.getBoundingClientRect().right > limit + 1
                && !el.parentElement.closest('.table-wrap, .tabs, .chart'))
            .slice(0, 5).map((el) => el.tagName + '#' + el.id + '.' + el.className
                + ' ' + Math.round(el.getBoundingClientRect().right));
    }""")
    assert wide == [], wide


def open_staff(browser: Browser, contexts: list[BrowserContext],
               url: str, base: str, viewport: dict[str, int] = LAPTOP) -> Watched:
    fragment = url.split("#", 1)[1]
    staff = new_page(browser, contexts, viewport)
    staff.page.goto(f"{base}/teacher#{fragment}")
    expect(staff.page.locator("#conn")).to_have_text("Connected", timeout=T)
    return staff


def join_student(base: str, code: str, name: str) -> dict:
    request = urllib.request.Request(
        base + "/api/join", method="POST",
        data=json.dumps({"code": code, "name": name}).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)
