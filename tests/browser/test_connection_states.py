"""What the pages do when the server refuses or closes a connection, on a phone.

A seat opened on too many screens: the oldest page says why it was closed. A seat that is no
longer valid (`not_authorised`): the page forgets it and offers to join again. A dead
dashboard link: a plain message, not endless retries.
"""

from __future__ import annotations

import pytest
import requests
from playwright.sync_api import Browser, BrowserContext, expect

from server.domain.limits import SEAT_SOCKETS
from tests.browser.pages import (
    PHONE,
    T,
    assert_clean,
    create_class,
    new_page,
    shot,
    student_joins,
)

pytestmark = pytest.mark.browser


def test_closed_and_refused_connections_are_explained(
        live_server, browser: Browser, contexts: list[BrowserContext], clients) -> None:
    base = live_server.url.rstrip("/")
    made = create_class(base)
    student = new_page(browser, contexts, PHONE)
    page = student.page
    student_joins(page, base, made["join_code"], "Ana")
    seat_key = f"rapport.seat.{made['join_code']}"
    seat = page.evaluate(f"JSON.parse(localStorage.getItem('{seat_key}'))")

    # The same seat opened on SEAT_SOCKETS more screens: this, the oldest, is closed.
    for _ in range(SEAT_SOCKETS):
        clients(base, {"token": seat["seat_token"]})
    expect(page.get_by_text("opened on another screen")).to_be_visible(timeout=T)
    shot(page, "student-closed-too-many-screens")

    # The seat is deleted; on the next visit the page learns it is `not_authorised`.
    gone = requests.delete(f"{base}/api/classes/{made['class_id']}/students/{seat['student_id']}",
                           headers={"Authorization": f"Bearer {made['teacher_secret']}"},
                           timeout=10)
    assert gone.status_code == 204
    page.reload()
    expect(page.get_by_text("expired or was reset")).to_be_visible(timeout=T)
    expect(page.get_by_label("Your name")).to_be_visible()
    assert page.evaluate(f"localStorage.getItem('{seat_key}')") is None
    shot(page, "student-seat-not-authorised")

    teacher = new_page(browser, contexts, PHONE)
    teacher.page.goto(f"{base}/teacher#key=not-a-real-teacher-link")
    expect(teacher.page.locator("#fatal-text")).to_contain_text("does not work any more",
                                                                timeout=T)
    shot(teacher.page, "teacher-dead-link")
    assert_clean([student, teacher], base)
