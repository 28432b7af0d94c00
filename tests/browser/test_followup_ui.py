"""Browser test of journeys 6-7: the teacher's check-in plan and connection record.

A roster is imported over HTTP (Ana is tagged ELL), two students join, the teacher plans
check-ins and sees the capacity message and the fair share, marks one meeting done, exports the
plan, opens Connections, sees the table (never-reached first), saves a private note that is
still there after a reload; a co-host page has no Check-ins or Connections tabs.
"""

from __future__ import annotations

import re
import urllib.request

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from tests.browser.pages import (
    LAPTOP,
    PHONE,
    T,
    assert_clean,
    assert_fits,
    create_class,
    new_page,
    open_staff,
    shot,
    student_joins,
)

pytestmark = pytest.mark.browser

ROSTER = "name,email,tags\nAna,ana@example.org,ELL\nBen,ben@example.org,\n"


def import_roster(base: str, class_id: str, secret: str) -> None:
    request = urllib.request.Request(
        f"{base}/api/classes/{class_id}/roster", method="POST", data=ROSTER.encode(),
        headers={"Content-Type": "text/csv", "Authorization": f"Bearer {secret}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def test_checkins_and_connection_record(live_server, browser: Browser,
                                        contexts: list[BrowserContext]) -> None:
    base = live_server.url.rstrip("/")
    made = create_class(base, "Period 2 English")
    import_roster(base, made["class_id"], made["teacher_secret"])

    a = new_page(browser, contexts, PHONE)
    b = new_page(browser, contexts, PHONE)
    student_joins(a.page, base, made["join_code"], "Ana")
    student_joins(b.page, base, made["join_code"], "Ben")

    teacher = open_staff(browser, contexts, made["teacher_url"], base)
    tp = teacher.page
    expect(tp.locator("#online-count")).to_have_text("2 of 2 online", timeout=T)
    expect(tp.locator("#students li", has_text="Ana").locator(".tag")).to_have_text("ELL")

    # ---- check-ins ----
    tp.get_by_role("tab", name="Check-ins").click()
    panel = tp.locator("#panel-checkins")
    expect(panel).to_be_visible()
    panel.get_by_label("Check-in slots per week").fill("1")
    panel.get_by_label("Weeks to plan").fill("1")
    panel.get_by_role("button", name="Plan check-ins").click()
    capacity = panel.locator("#ci-capacity")
    expect(capacity).to_contain_text("No: not everyone can be seen", timeout=T)
    expect(capacity).to_contain_text("Weeks to see everyone once: 2")
    expect(capacity).to_have_attribute("data-ok", "false")

    panel.get_by_label("Weeks to plan").fill("3")
    panel.get_by_role("button", name="Plan check-ins").click()
    expect(capacity).to_contain_text("Yes: everyone can be seen", timeout=T)
    expect(panel.locator("#ci-fair")).to_contain_text("ELL")
    slots = panel.locator(".ci-slot")
    expect(slots).to_have_count(3)
    # The ELL student comes first and the reason says why.
    expect(slots.first.locator(".ci-name")).to_have_text("Ana")
    expect(slots.first.locator(".ci-why")).to_contain_text("ELL")
    shot(tp, "checkins-laptop")
    # The plan re-renders in the language the teacher picks, and back.
    tp.locator("#lang-menu").select_option("es")
    expect(capacity).to_contain_text("Sí: puedes hablar con todos", timeout=T)
    expect(panel.locator(".ci-week h4").first).to_have_text("Semana 1 (esta semana)")
    expect(slots.first.locator(".ci-why")).to_have_text("aún no atendido; ELL: peso 2×")
    shot(tp, "checkins-es-laptop")
    tp.locator("#lang-menu").select_option("en")
    expect(capacity).to_contain_text("Yes: everyone can be seen", timeout=T)

    slots.first.get_by_role("button", name="Done").click()
    expect(slots.first.locator(".pill")).to_have_text("Done", timeout=T)
    expect(slots.first).to_have_attribute("data-status", "done")

    with tp.expect_download() as download:
        panel.get_by_role("button", name="Export CSV").click()
    assert download.value.suggested_filename == "checkins.csv"
    with tp.expect_download() as download:
        panel.get_by_role("button", name="Export calendar (.ics)").click()
    assert download.value.suggested_filename == "checkins.ics"
    tp.set_viewport_size(PHONE)
    assert_fits(tp)
    shot(tp, "checkins-phone")
    tp.set_viewport_size(LAPTOP)

    # ---- connections ----
    tp.get_by_role("tab", name="Connections").click()
    cpanel = tp.locator("#panel-connections")
    rows = cpanel.locator("#conn-table tbody tr:not(.note-row)")
    expect(rows).to_have_count(2, timeout=T)
    # Sorted by days since last real connection, "never" first: Ben, then Ana (checked in).
    expect(rows.nth(0).locator("th")).to_contain_text("Ben")
    expect(rows.nth(0).locator("td.days")).to_have_text("never")
    expect(rows.nth(1).locator("th")).to_contain_text("Ana")
    expect(rows.nth(1).locator("td.days")).to_have_text("0")
    expect(cpanel.locator("#conn-not")).to_contain_text("Ben")
    expect(cpanel.locator("#conn-coverage")).to_contain_text("ELL")
    expect(cpanel.locator("#conn-coverage-chart svg rect.bar")).not_to_have_count(0)
    expect(cpanel.locator("#conn-weekly-summary")).to_contain_text("1 real connection")
    # The weekly summary re-renders in the language the teacher picks, and back.
    tp.locator("#lang-menu").select_option("es")
    expect(cpanel.locator("#conn-weekly-summary")).to_contain_text("1 conexión real", timeout=T)
    shot(tp, "connections-es-laptop")
    tp.locator("#lang-menu").select_option("en")
    expect(cpanel.locator("#conn-weekly-summary")).to_contain_text("1 real connection", timeout=T)
    expect(cpanel.locator("#conn-questions li")).not_to_have_count(0)

    note = "Loves <b>chess</b>; ask about the club."
    rows.nth(0).get_by_role("button", name="Add note").click()
    editor = cpanel.get_by_label("Private note about Ben")
    expect(editor).to_be_visible()
    editor.fill(note)
    cpanel.get_by_role("button", name="Save note").click()
    expect(cpanel.locator(".note-form")).to_contain_text("Note saved.", timeout=T)
    shot(tp, "connections-laptop")
    tp.set_viewport_size(PHONE)
    assert_fits(tp)
    shot(tp, "connections-phone")
    tp.set_viewport_size(LAPTOP)

    tp.reload()
    expect(tp.locator("#conn")).to_have_text("Connected", timeout=T)
    tp.get_by_role("tab", name="Connections").click()
    expect(cpanel).to_be_visible()
    ben = cpanel.locator("#conn-table tbody tr:not(.note-row)", has_text="Ben")
    expect(ben.locator(".note-preview")).to_have_text(note, timeout=T)
    ben.get_by_role("button", name=re.compile("note about Ben")).click()
    expect(cpanel.get_by_label("Private note about Ben")).to_have_value(note)
    assert tp.locator("b", has_text="chess").count() == 0

    # ---- a co-host never sees these tabs ----
    cohost = open_staff(browser, contexts, made["cohost_url"], base)
    expect(cohost.page.locator("#role-label")).to_have_text("You are a co-host", timeout=T)
    expect(cohost.page.get_by_role("tab", name="Breakout rooms")).to_be_visible()
    expect(cohost.page.get_by_role("tab", name="Check-ins")).to_be_hidden()
    expect(cohost.page.get_by_role("tab", name="Connections")).to_be_hidden()
    expect(cohost.page.locator("#panel-checkins")).to_be_hidden()
    expect(cohost.page.locator("#panel-connections")).to_be_hidden()

    assert_clean([teacher, a, b, cohost], base)
