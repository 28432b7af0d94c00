"""The video call where Rapport cannot move people itself (Zoom) or only fills the rooms when
the meeting is created (BigBlueButton): the host page says what to create, each student's
phone names their room exactly and how to get into it."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.pages import (
    PHONE,
    T,
    assert_clean,
    assert_fits,
    create_class,
    join_student,
    new_page,
    open_staff,
    shot,
    student_joins,
)
from tests.integration.test_video import SECRET, FakeBigBlueButton

pytestmark = pytest.mark.browser


def _class_with_students(base: str, browser: Browser, contexts: list[BrowserContext],
                         clients: Any) -> tuple[dict[str, Any], Any, Page]:
    """A class, Ana on a phone, three more students online over Socket.IO, the teacher's
    dashboard on the Breakout rooms tab with a plan of 2 rotations of rooms of 2."""
    made = create_class(base, "Period 1 Video")
    ana = new_page(browser, contexts, PHONE)
    student_joins(ana.page, base, made["join_code"], "Ana")
    for name in ("Ben", "Chi", "Dev"):
        clients(base, {"token": join_student(base, made["join_code"], name)["seat_token"]})
    teacher = open_staff(browser, contexts, made["teacher_url"], base)
    tp = teacher.page
    tp.get_by_role("tab", name="Breakout rooms").click()
    expect(tp.locator("#online-count")).to_have_text("4 of 4 online", timeout=T)
    panel = tp.locator("#panel-rooms")
    panel.get_by_label("Students per room").fill("2")
    panel.get_by_label("Rotations").fill("2")
    panel.get_by_role("button", name="Plan rotations").click()
    expect(panel.locator("#rot-state")).to_have_text("Plan ready", timeout=T)
    return made, teacher, ana  # type: ignore[return-value]


def test_zoom_rooms_named_exactly(redis_url: str, make_server: Any, browser: Browser,
                                  contexts: list[BrowserContext], clients: Any) -> None:
    base = make_server(REDIS_URL=redis_url, RAPPORT_ZOOM="on").url
    _made, teacher, ana = _class_with_students(base, browser, contexts, clients)
    tp, ap = teacher.page, ana.page
    card = tp.locator("#video-card")
    expect(card.get_by_role("heading", name="Video call · Zoom")).to_be_visible(timeout=T)
    expect(card.locator("#video-zoom-rooms")).to_have_text("Room 1, Room 2", timeout=T)
    expect(card).to_contain_text("Let participants choose room")
    # The card re-renders in the language the teacher picks (Zoom's names stay), and back.
    tp.locator("#lang-menu").select_option("es")
    expect(card.get_by_role("heading", name="Videollamada · Zoom")).to_be_visible(timeout=T)
    expect(card.locator("#video-zoom-count")).to_have_text("2 salas")
    expect(card.locator("#video-zoom-rooms")).to_have_text("Room 1, Room 2")
    shot(tp, "video-zoom-es-laptop")
    tp.locator("#lang-menu").select_option("en")
    expect(card.get_by_role("heading", name="Video call · Zoom")).to_be_visible(timeout=T)
    assert ap.get_by_role("link", name="Join the video call").count() == 0  # Zoom's own join

    tp.get_by_role("button", name="Start rotations").click()
    room = ap.locator("#rotation-room")
    expect(room).to_have_text(re.compile(r"^Room [12]$"), timeout=T)
    name = room.inner_text()
    expect(ap.locator("#rotation-video")).to_have_text(
        f"In Zoom: click Breakout Rooms (on a phone: More › Breakout Rooms), then Join next "
        f"to “{name}”.", timeout=T)
    assert_fits(ap)
    shot(ap, "video-zoom-student-phone")
    shot(tp, "video-zoom-host-laptop")
    assert_clean([teacher, ana], base)


def test_bbb_meeting_from_the_host_page(redis_url: str, make_server: Any, browser: Browser,
                                        contexts: list[BrowserContext], clients: Any) -> None:
    fake = FakeBigBlueButton()
    try:
        base = make_server(REDIS_URL=redis_url, RAPPORT_BBB_URL=fake.url,
                           RAPPORT_BBB_SECRET=SECRET).url
        _made, teacher, ana = _class_with_students(base, browser, contexts, clients)
        tp, ap = teacher.page, ana.page
        link = ap.get_by_role("link", name="Join the video call")
        expect(link).to_be_visible(timeout=T)
        join = dict(parse_qsl(urlsplit(link.get_attribute("href") or "").query))
        assert join["fullName"] == "Ana" and join["role"] == "VIEWER"

        card = tp.locator("#video-card")
        expect(card.get_by_role("heading", name="Video call · BigBlueButton")).to_be_visible()
        card.get_by_role("button", name="Create the meeting with rotation 1's rooms").click()
        expect(card.locator("#video-status")).to_have_text(
            "Meeting ready with 2 rooms of rotation 1. Students can now join from their screens.",
            timeout=T)
        moderator = card.get_by_role("link", name="Open BigBlueButton as moderator")
        assert "role=MODERATOR" in (moderator.get_attribute("href") or "")
        rosters = [g["roster"] for g in json.loads(fake.created[0]["groups"])]
        assert len(rosters) == 2 and any(join["userID"] in r for r in rosters)

        tp.get_by_role("button", name="Start rotations").click()
        room = ap.locator("#rotation-room")
        expect(room).to_have_text(re.compile(r"^Room [12]$"), timeout=T)
        expect(ap.locator("#rotation-video")).to_contain_text(
            f"In BigBlueButton: accept the invitation to “{room.inner_text()}”", timeout=T)
        assert_fits(ap)
        shot(ap, "video-bbb-student-phone")
        shot(tp, "video-bbb-host-laptop")
        assert teacher.errors == [] and ana.errors == []
    finally:
        fake.server.shutdown()
        fake.server.server_close()
