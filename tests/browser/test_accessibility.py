"""axe-core finds no accessibility violations on the landing, teacher, student and stage pages in
their main states, at phone (390x844) and desktop (1280x800) sizes (issue 10).

One lesson on the shared live server, shared by the tests of this module: each test moves the
lesson on to the states it checks (a test run on its own first replays the steps before it)
and checks every page in each state at both sizes. All violations of a test are reported
together, so one run shows all there is to fix.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
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
CARD_TEXT = "This is my grandmother's compass. She used it sailing."


class Lesson:
    """A teacher (desktop), two students (phones) and the stage, moved through a lesson step by
    step; every page has axe loaded."""

    def __init__(self, browser: Browser, base: str, photo: Path) -> None:
        self.browser, self.base, self.photo = browser, base, photo
        self.contexts: list[BrowserContext] = []
        self.teacher = self.open(LAPTOP)
        self.ana = self.open(PHONE)
        self.ben = self.open(PHONE)
        self.stage = self.open(LAPTOP)
        self.code = ""
        self.steps: list[tuple[str, Callable[[], None]]] = [
            ("landing", self.landing), ("class created", self.create),
            ("join form", self.join_form), ("students joined", self.join),
            ("stage open", self.open_stage), ("round open", self.open_round),
            ("card posted", self.post), ("card spotlit", self.spotlight),
            ("presenting", self.presenting_on), ("presenting off", self.presenting_off),
            ("rotation planned", self.plan_rotation), ("rotation running", self.start_rotation),
            ("check-ins", self.checkins), ("connections", self.connections),
            ("round closed", self.close_round), ("landing again", self.landing),
        ]
        self.done = 0
        self.seconds = 0.0

    def open(self, viewport: dict[str, int]) -> Page:
        context = self.browser.new_context(viewport=viewport)
        self.contexts.append(context)
        add_axe(context)
        return context.new_page()

    def reach(self, step: str) -> None:
        """Take the steps up to and including `step` that have not been taken yet."""
        names = [name for name, _ in self.steps]
        target = names.index(step) + 1
        assert self.done <= target, f"the lesson is already past {step!r}"
        for _, action in self.steps[self.done:target]:
            action()
            self.done += 1

    def check(self, *pages: tuple[Page, str]) -> dict[str, list[dict[str, Any]]]:
        """axe on (page, state) pairs at both sizes (the pages' runs overlap); returns the
        violations by "state @ size"."""
        started = time.monotonic()
        found: dict[str, list[dict[str, Any]]] = {}
        originals = [page.viewport_size for page, _ in pages]
        for size, viewport in SIZES.items():
            for page, _ in pages:
                page.set_viewport_size(viewport)
                start(page)
            for page, where in pages:
                key = f"{where} @ {size}"
                shot(page, "axe-" + re.sub(r"[^a-z]+", "-", key.lower()).strip("-"))
                if violations_here := violations(page):
                    found[key] = violations_here
        for (page, _), original in zip(pages, originals, strict=True):
            if original:
                page.set_viewport_size(original)
        self.seconds += time.monotonic() - started
        return found

    # ---- the steps ----

    def landing(self) -> None:
        self.teacher.goto(self.base + "/")
        expect(self.teacher.get_by_role("button", name="Create class")).to_be_visible(timeout=T)

    def create(self) -> None:
        self.code = teacher_creates_class(self.teacher, self.base)

    def join_form(self) -> None:
        self.ana.goto(f"{self.base}/j/{self.code}")
        expect(self.ana.get_by_label("Your name")).to_be_visible(timeout=T)

    def join(self) -> None:
        if self.teacher.locator("#own-done").is_visible():  # the save-this-link step
            self.teacher.locator("#own-done").click()
        student_joins(self.ana, self.base, self.code, "Ana")
        student_joins(self.ben, self.base, self.code, "Ben")
        expect(self.teacher.locator("#online-count")).to_have_text("2 of 2 online", timeout=T)

    def open_stage(self) -> None:
        key = self.teacher.evaluate("sessionStorage.getItem('rapport.key')")
        assert key
        self.stage.goto(f"{self.base}/stage#key={key}")
        expect(self.stage.locator("#conn")).to_have_text(re.compile("Live"), timeout=T)

    def open_round(self) -> None:
        teacher_starts_round(self.teacher, "I keep vinyl records: my favourite is a jazz album.")
        expect(self.ana.locator("#card-form")).to_be_visible(timeout=T)

    def post(self) -> None:
        student_posts(self.ana, CARD_TEXT, photo=self.photo)
        expect(teacher_card(self.teacher, CARD_TEXT)).to_have_count(1, timeout=T)

    def spotlight(self) -> None:
        teacher_card(self.teacher, CARD_TEXT).get_by_role(
            "button", name="Spotlight Ana’s card").click()
        expect(self.ben.locator("#spotlight-view .card-text")).to_have_text(CARD_TEXT, timeout=T)
        expect(self.stage.locator("#spotlight .stage-card-text")).to_have_text(CARD_TEXT,
                                                                               timeout=T)

    def presenting_on(self) -> None:
        self.teacher.locator("#presenting-toggle").click()
        expect(self.teacher.locator("#presenting-toggle")).to_have_attribute("aria-pressed", "true")

    def presenting_off(self) -> None:
        self.teacher.locator("#presenting-toggle").click()
        expect(self.teacher.locator("#presenting-toggle")).to_have_attribute("aria-pressed",
                                                                             "false")

    def plan_rotation(self) -> None:
        self.teacher.get_by_role("tab", name="Breakout rooms").click()
        panel = self.teacher.locator("#panel-rooms")
        panel.get_by_label("Students per room").fill("2")
        panel.get_by_label("Rotations").fill("2")
        panel.get_by_label("Minutes per rotation").fill("1")
        panel.get_by_role("button", name="Plan rotations").click()
        expect(panel.locator("#rot-state")).to_have_text("Plan ready", timeout=T)

    def start_rotation(self) -> None:
        panel = self.teacher.locator("#panel-rooms")
        panel.get_by_role("button", name="Start rotations").click()
        expect(panel.locator("#rot-heading")).to_have_text("Rotation 1 of 2", timeout=T)
        expect(self.ana.locator("#rotation-room")).to_have_text("Room 1", timeout=T)
        expect(self.stage.locator("#stage-rotation")).to_be_visible(timeout=T)

    def checkins(self) -> None:
        self.teacher.get_by_role("tab", name="Check-ins").click()
        panel = self.teacher.locator("#panel-checkins")
        panel.get_by_label("Check-in slots per week").fill("1")
        panel.get_by_label("Weeks to plan").fill("2")
        panel.get_by_role("button", name="Plan check-ins").click()
        expect(panel.locator(".ci-slot").first).to_be_visible(timeout=T)

    def connections(self) -> None:
        self.teacher.get_by_role("tab", name="Connections").click()
        expect(self.teacher.locator("#conn-table tbody tr").first).to_be_visible(timeout=T)

    def close_round(self) -> None:
        self.teacher.get_by_role("tab", name="Class & show-and-tell").click()
        self.teacher.locator("#round-panel").get_by_role("button", name="Close",
                                                        exact=True).click()
        expect(self.ben.locator("#closed-text")).to_be_visible(timeout=T)


@pytest.fixture(scope="module")
def lesson(live_server, browser: Browser,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lesson]:
    made = Lesson(browser, live_server.url.rstrip("/"), make_photo(tmp_path_factory.mktemp("a11y")))
    yield made
    print(f"axe-core: {made.seconds:.1f} s in axe runs")
    for context in made.contexts:
        context.close()


def no_violations(found: dict[str, list[dict[str, Any]]]) -> None:
    assert not found, "axe-core violations:\n" + describe(found)


def test_landing_and_new_class(lesson: Lesson) -> None:
    lesson.reach("landing")
    found = lesson.check((lesson.teacher, "landing"))
    lesson.reach("class created")
    found |= lesson.check((lesson.teacher, "teacher: new class (save this link)"))
    no_violations(found)


def test_joining(lesson: Lesson) -> None:
    lesson.reach("join form")
    found = lesson.check((lesson.ana, "student: join form"))
    lesson.reach("students joined")
    found |= lesson.check((lesson.ana, "student: waiting"),
                          (lesson.teacher, "teacher: class with students"))
    no_violations(found)


def test_round(lesson: Lesson) -> None:
    lesson.reach("stage open")
    found = lesson.check((lesson.stage, "stage: before a round"))
    lesson.reach("round open")
    found |= lesson.check((lesson.ana, "student: round open with the teacher's card"),
                          (lesson.stage, "stage: round"))
    lesson.reach("card posted")
    found |= lesson.check((lesson.ana, "student: after posting"),
                          (lesson.teacher, "teacher: open round with cards"))
    no_violations(found)


def test_spotlight_and_presenting(lesson: Lesson) -> None:
    lesson.reach("card spotlit")
    found = lesson.check((lesson.teacher, "teacher: spotlight"),
                         (lesson.ben, "student: spotlight"), (lesson.stage, "stage: spotlight"))
    lesson.reach("presenting")
    found |= lesson.check((lesson.teacher, "teacher: presenting"))
    lesson.reach("presenting off")
    no_violations(found)


def test_rotation(lesson: Lesson) -> None:
    lesson.reach("rotation planned")
    found = lesson.check((lesson.teacher, "teacher: rotation plan"))
    lesson.reach("rotation running")
    found |= lesson.check((lesson.teacher, "teacher: rotation running"),
                          (lesson.ana, "student: rotation"), (lesson.stage, "stage: rotation"))
    no_violations(found)


def test_checkins_and_connections(lesson: Lesson) -> None:
    lesson.reach("check-ins")
    found = lesson.check((lesson.teacher, "teacher: check-ins"))
    lesson.reach("connections")
    found |= lesson.check((lesson.teacher, "teacher: connections"))
    no_violations(found)


def test_round_closed_and_landing_again(lesson: Lesson) -> None:
    lesson.reach("round closed")
    found = lesson.check((lesson.teacher, "teacher: round closed"),
                         (lesson.ben, "student: round closed"))
    lesson.reach("landing again")
    found |= lesson.check((lesson.teacher, "landing: a class remembered"))
    no_violations(found)
