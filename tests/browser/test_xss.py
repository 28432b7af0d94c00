"""User text is always text: a student's name and card full of HTML stay literal on the teacher's
page, the classmates' page and the stage, no dialog fires and no <img src="x"> appears."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Dialog, expect

from tests.browser.pages import (
    LAPTOP,
    PHONE,
    T,
    assert_clean,
    new_page,
    open_stage,
    student_joins,
    student_posts,
    teacher_card,
    teacher_creates_class,
    teacher_starts_round,
)

pytestmark = pytest.mark.browser

NAME = "<img src=x onerror=alert(1)>"
TEXT = "<img src=x onerror=alert(1)><script>alert(2)</script>"
HOST = "<b>bold?</b><img src=x onerror=alert(3)>"


def test_html_in_names_and_cards_stays_text(live_server, browser: Browser,
                                            contexts: list[BrowserContext],
                                            tmp_path: Path) -> None:
    base = live_server.url.rstrip("/")
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    teacher = new_page(browser, contexts, LAPTOP)
    evil = new_page(browser, contexts, PHONE)
    classmate = new_page(browser, contexts, PHONE)
    for who in (teacher, evil, classmate):
        who.page.on("dialog", on_dialog)

    code = teacher_creates_class(teacher.page, base, name="<i>Class</i>")
    student_joins(evil.page, base, code, NAME)
    student_joins(classmate.page, base, code, "Cleo")
    stage = open_stage(browser, contexts, teacher.page, base)
    stage.page.on("dialog", on_dialog)

    teacher_starts_round(teacher.page, HOST)
    expect(evil.page.locator("#teacher-card-text")).to_have_text(HOST, timeout=T)
    expect(stage.page.locator("#stage-host-text")).to_have_text(HOST, timeout=T)
    student_posts(evil.page, TEXT)

    # Teacher: name and text are literal.
    card = teacher_card(teacher.page, TEXT)
    expect(card).to_have_count(1, timeout=T)
    expect(card.locator(".card-author")).to_have_text(NAME)
    expect(card.locator(".card-text")).to_have_text(TEXT)
    card.locator("button[data-action='spotlight']").click()

    # Classmate: in the list and in the spotlight.
    expect(classmate.page.locator("#classmate-cards .card-author")).to_have_text([NAME], timeout=T)
    expect(classmate.page.locator("#classmate-cards .card-text")).to_have_text([TEXT])
    expect(classmate.page.locator("#spotlight-view .card-text")).to_have_text(TEXT, timeout=T)
    expect(classmate.page.locator("#spotlight-view .card-author")).to_have_text(NAME)

    # Stage (spotlit).
    expect(stage.page.locator("#spotlight .stage-card-text")).to_have_text(TEXT, timeout=T)
    expect(stage.page.locator("#spotlight .stage-card-author")).to_have_text(NAME)

    # The author's own page too.
    expect(evil.page.locator("#my-card .card-text")).to_have_text(TEXT)
    expect(evil.page.locator("#welcome")).to_contain_text(NAME)

    for who in (teacher, evil, classmate, stage):
        assert who.page.locator('img[src="x"]').count() == 0
        assert who.page.locator("b", has_text="bold?").count() == 0
        # No script element came from user text (only the page's own module script).
        assert who.page.locator("script:not([src])").count() == 0
    assert dialogs == []
    assert_clean([teacher, evil, classmate, stage], base)
