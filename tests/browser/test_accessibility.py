"""axe-core finds no accessibility violations on the landing, teacher, student and stage pages in
their main states, at phone (390x844) and desktop (1280x800) sizes (issue 10).

One lesson on the shared live server, walked through once: each page is checked in each state
as the lesson reaches it, at both sizes, and every violation found is reported at the end
(not only the first), so one run shows all there is to fix.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.axe import add_axe, describe, start, violations
from tests.browser.pages import (
    LAPTOP,
    PHONE,
    T,
    make_photo,
    shot,
    student_joins,
    student_posts,
    teacher_card,
    teacher_creates_class,
    teacher_starts_round,
)

pytestmark = pytest.mark.browser

SIZES = {"phone": PHONE, "desktop": LAPTOP}


@pytest.fixture
def axe_contexts(browser: Browser) -> Iterator[list[BrowserContext]]:
    made: list[BrowserContext] = []
    yield made
    for context in made:
        context.close()


def open_page(browser: Browser, made: list[BrowserContext], viewport: dict[str, int]) -> Page:
    context = browser.new_context(viewport=viewport)
    made.append(context)
    add_axe(context)
    return context.new_page()


class Audit:
    """Checks pages at both sizes and keeps every violation, keyed by page, state and size."""

    def __init__(self) -> None:
        self.found: dict[str, list[dict[str, Any]]] = {}
        self.checked: list[str] = []
        self.seconds = 0.0

    def check(self, *pages: tuple[Page, str]) -> None:
        """Check (page, state) pairs at both sizes; the pages' runs overlap."""
        started = time.monotonic()
        originals = [page.viewport_size for page, _ in pages]
        for size, viewport in SIZES.items():
            for page, _ in pages:
                page.set_viewport_size(viewport)
                start(page)
            for page, where in pages:
                key = f"{where} @ {size}"
                self.checked.append(key)
                shot(page, "axe-" + re.sub(r"[^a-z]+", "-", key.lower()).strip("-"))
                if found := violations(page):
                    self.found[key] = found
        for (page, _), original in zip(pages, originals, strict=True):
            if original:
                page.set_viewport_size(original)
        self.seconds += time.monotonic() - started


def test_main_states_have_no_axe_violations(live_server, browser: Browser,
                                            axe_contexts: list[BrowserContext],
                                            tmp_path: Path) -> None:
    base = live_server.url.rstrip("/")
    audit = Audit()

    # ---- landing, then the teacher's new class (the save-this-link step) ----
    tp = open_page(browser, axe_contexts, LAPTOP)
    tp.goto(base + "/")
    expect(tp.get_by_role("button", name="Create class")).to_be_visible(timeout=T)
    audit.check((tp, "landing"))
    code = teacher_creates_class(tp, base)
    audit.check((tp, "teacher: new class"))
    if tp.locator("#own-done").is_visible():
        tp.locator("#own-done").click()

    # ---- students join (phones): the join form, then waiting ----
    ana = open_page(browser, axe_contexts, PHONE)
    ana.goto(f"{base}/j/{code}")
    expect(ana.get_by_label("Your name")).to_be_visible(timeout=T)
    audit.check((ana, "student: join form"))
    student_joins(ana, base, code, "Ana")
    audit.check((ana, "student: waiting"))
    ben = open_page(browser, axe_contexts, PHONE)
    student_joins(ben, base, code, "Ben")
    expect(tp.locator("#online-count")).to_have_text("2 of 2 online", timeout=T)
    audit.check((tp, "teacher: class with students"))

    # ---- a round: teacher's card, students post, the stage ----
    stage = open_stage_with_axe(browser, axe_contexts, tp, base)
    audit.check((stage, "stage: before a round"))
    teacher_starts_round(tp, "I keep vinyl records: my favourite is a 1972 jazz album.")
    expect(ana.locator("#card-form")).to_be_visible(timeout=T)
    audit.check((ana, "student: round open with the teacher's card"), (stage, "stage: round"))
    card_text = "This is my grandmother's compass. She used it sailing."
    student_posts(ana, card_text, photo=make_photo(tmp_path))
    audit.check((ana, "student: after posting"))
    expect(teacher_card(tp, card_text)).to_have_count(1, timeout=T)
    audit.check((tp, "teacher: open round with cards"))

    # ---- spotlight ----
    teacher_card(tp, card_text).get_by_role("button", name="Spotlight Ana’s card").click()
    expect(ben.locator("#spotlight-view .card-text")).to_have_text(card_text, timeout=T)
    expect(stage.locator("#spotlight .stage-card-text")).to_have_text(card_text, timeout=T)
    audit.check((tp, "teacher: spotlight"), (ben, "student: spotlight"),
                (stage, "stage: spotlight"))
    tp.locator("#presenting-toggle").click()
    expect(tp.locator("#presenting-toggle")).to_have_attribute("aria-pressed", "true")
    audit.check((tp, "teacher: presenting"))
    tp.locator("#presenting-toggle").click()
    expect(tp.locator("#presenting-toggle")).to_have_attribute("aria-pressed", "false")

    # ---- a rotation ----
    tp.get_by_role("tab", name="Breakout rooms").click()
    panel = tp.locator("#panel-rooms")
    panel.get_by_label("Students per room").fill("2")
    panel.get_by_label("Rotations").fill("2")
    panel.get_by_label("Minutes per rotation").fill("1")
    panel.get_by_role("button", name="Plan rotations").click()
    expect(panel.locator("#rot-state")).to_have_text("Plan ready", timeout=T)
    audit.check((tp, "teacher: rotation plan"))
    panel.get_by_role("button", name="Start rotations").click()
    expect(panel.locator("#rot-heading")).to_have_text("Rotation 1 of 2", timeout=T)
    expect(ana.locator("#rotation-room")).to_have_text("Room 1", timeout=T)
    expect(stage.locator("#stage-rotation")).to_be_visible(timeout=T)
    audit.check((tp, "teacher: rotation running"), (ana, "student: rotation"),
                (stage, "stage: rotation"))

    # ---- check-ins and the connection record ----
    tp.get_by_role("tab", name="Check-ins").click()
    checkins = tp.locator("#panel-checkins")
    checkins.get_by_label("Check-in slots per week").fill("1")
    checkins.get_by_label("Weeks to plan").fill("2")
    checkins.get_by_role("button", name="Plan check-ins").click()
    expect(checkins.locator(".ci-slot").first).to_be_visible(timeout=T)
    audit.check((tp, "teacher: check-ins"))
    tp.get_by_role("tab", name="Connections").click()
    expect(tp.locator("#conn-table tbody tr").first).to_be_visible(timeout=T)
    audit.check((tp, "teacher: connections"))

    # ---- the round closes ----
    tp.get_by_role("tab", name="Class & show-and-tell").click()
    tp.locator("#round-panel").get_by_role("button", name="Close", exact=True).click()
    expect(ben.locator("#closed-text")).to_be_visible(timeout=T)
    audit.check((tp, "teacher: round closed"), (ben, "student: round closed"))

    # ---- the landing page remembers the class ----
    tp.goto(base + "/")
    expect(tp.get_by_role("button", name="Create class")).to_be_visible(timeout=T)
    audit.check((tp, "landing: a class remembered"))

    assert len(audit.checked) == 46
    print(f"axe-core: {len(audit.checked)} page states checked in {audit.seconds:.1f} s")
    assert not audit.found, "axe-core violations:\n" + describe(audit.found)


def open_stage_with_axe(browser: Browser, made: list[BrowserContext], teacher: Page,
                        base: str) -> Page:
    key = teacher.evaluate("sessionStorage.getItem('rapport.key')")
    assert key
    stage = open_page(browser, made, LAPTOP)
    stage.goto(f"{base}/stage#key={key}")
    expect(stage.locator("#conn")).to_have_text(re.compile("Live"), timeout=T)
    return stage
