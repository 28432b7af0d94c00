"""Browser test of the first journey: a teacher creates a class, a student joins with the code.

Uses the `live_server` (object with `.url`) and `browser` (Playwright Browser on Debian
chromium) fixtures from tests/conftest.py and tests/browser/conftest.py.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from tests.browser.pages import LAPTOP, PHONE, foreign, watch

pytestmark = pytest.mark.browser

WELCOME = "You\u2019re in, Ana <i>L</i>!"  # the page uses a typographic apostrophe


def test_teacher_creates_class_and_sees_student_join(
    live_server, browser: Browser, contexts: list[BrowserContext]
) -> None:
    base = live_server.url.rstrip("/")

    # Teacher, on a laptop.
    teacher_ctx = browser.new_context(viewport=LAPTOP)
    contexts.append(teacher_ctx)
    teacher = watch(teacher_ctx)
    teacher.page.goto(base + "/")
    teacher.page.get_by_label("Class name").fill("Period 3 <b>Biology</b>")
    teacher.page.get_by_label("Grade band").select_option("6-8")
    teacher.page.get_by_role("button", name="Create class").click()

    teacher.page.wait_for_url(re.compile(r"/teacher$"), timeout=5000)
    # The secret left the address bar (it lives in sessionStorage now).
    assert "key=" not in teacher.page.url
    # Class names are text, never HTML.
    class_name = teacher.page.locator("#class-name")
    expect(class_name).to_have_text("Period 3 <b>Biology</b>", timeout=5000)
    expect(teacher.page.locator("#conn")).to_have_text("Connected", timeout=5000)
    code_el = teacher.page.locator("#join-code")
    expect(code_el).to_have_text(re.compile(r"^\S+$"), timeout=5000)
    code = code_el.inner_text().strip()
    expect(teacher.page.get_by_role("img", name="QR code to join")).to_be_visible()
    expect(teacher.page.locator("#no-students")).to_be_visible()

    # Student, on a phone, in a separate browser context.
    student_ctx = browser.new_context(viewport=PHONE)
    contexts.append(student_ctx)
    student = watch(student_ctx)
    student.page.goto(f"{base}/j/{code.lower()}")
    expect(student.page.get_by_label("Class code")).to_have_value(code)
    student.page.get_by_label("Your name").fill("Ana <i>L</i>")
    student.page.get_by_role("button", name="Join").click()
    expect(student.page.locator("#welcome")).to_have_text(WELCOME, timeout=5000)
    expect(student.page.locator("#class-name")).to_have_text(
        "Period 3 <b>Biology</b>", timeout=5000)

    # The teacher sees the student online within a second.
    row = teacher.page.locator("#students li", has_text="Ana <i>L</i>")
    expect(row).to_have_count(1, timeout=1000)
    expect(row.locator(".dot")).to_have_text("online", timeout=1000)
    expect(teacher.page.locator("#online-count")).to_have_text("1 of 1 online", timeout=1000)

    # The seat survives a reload: the student is connected straight away, no form.
    student.page.reload()
    expect(student.page.locator("#welcome")).to_have_text(WELCOME, timeout=5000)
    expect(student.page.locator("#join")).to_be_hidden()
    expect(row.locator(".dot")).to_have_text("online", timeout=2000)

    # Closing the student's page shows them offline.
    student.page.close()
    expect(row.locator(".dot")).to_have_text("offline", timeout=2000)
    expect(teacher.page.locator("#online-count")).to_have_text("0 of 1 online", timeout=1000)

    for who in (teacher, student):
        assert who.errors == [], who.errors
        assert foreign(who.requests, base) == [], foreign(who.requests, base)
