"""A first live lesson that cannot go wrong (issue 10), the teacher's side: the teacher never
loses the class, the join link is one students can open, and presenting hides everything
private."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.pages import (
    LAPTOP,
    PHONE,
    T,
    assert_clean,
    assert_fits,
    new_page,
    open_stage,
    shot,
    student_joins,
    student_posts,
    teacher_card,
    teacher_creates_class,
    teacher_starts_round,
)

pytestmark = pytest.mark.browser

PRIVATE_CARD = "My grandmother taught me to bake bread"
PRIVATE_REPLY = "Thank you for trusting me with this"
CLASS_CARD = "I collect old maps of the city"


def key_in_address_bar(url: str) -> bool:
    return "key=" in url or "#" in url


def test_teacher_closes_the_tab_and_is_back_in_the_class(live_server, browser, contexts) -> None:
    base = live_server.url
    teacher = new_page(browser, contexts, LAPTOP)
    tp = teacher.page
    teacher_creates_class(tp, base, "Period 3 Biology")
    # The "save this link" step, right after creation.
    save = tp.locator("#save-link")
    expect(save).to_be_visible(timeout=T)
    link = tp.locator("#own-link").inner_text()
    assert re.fullmatch(rf"{re.escape(base)}/teacher#key=\S+", link), link
    assert not key_in_address_bar(tp.url)
    with tp.expect_download() as download:
        save.get_by_role("button", name="Download as a file").click()
    assert download.value.suggested_filename == "rapport-period-3-biology-teacher-link.html"
    assert link in download.value.path().read_text()
    shot(tp, "teacher-save-link-laptop")
    save.get_by_role("button", name="Done").click()
    expect(save).to_be_hidden()
    tp.get_by_role("button", name="Save my teacher link").click()  # the dashboard shows it again
    expect(tp.locator("#own-link")).to_have_text(link)
    tp.close()

    # The tab is closed; the teacher opens the site again in the same browser.
    again = teacher.page.context.new_page()
    again.goto(base + "/")
    mine = again.locator("#my-classes")
    expect(mine).to_be_visible(timeout=T)
    mine.get_by_role("button", name="Open Period 3 Biology").click()
    again.wait_for_url(re.compile(r"/teacher$"), timeout=T)
    expect(again.locator("#conn")).to_have_text("Connected", timeout=T)
    expect(again.locator("#class-name")).to_have_text("Period 3 Biology")
    expect(again.locator("#save-link")).to_be_hidden()  # shown once, at creation
    assert not key_in_address_bar(again.url)

    # The browser restarts (localStorage kept, sessionStorage gone) and opens /teacher directly.
    state = again.context.storage_state()
    restarted = browser.new_context(viewport=LAPTOP, storage_state=state)
    contexts.append(restarted)
    page = restarted.new_page()
    page.goto(base + "/teacher")
    expect(page.locator("#conn")).to_have_text("Connected", timeout=T)
    expect(page.locator("#class-name")).to_have_text("Period 3 Biology")

    # "Forget on this device": the landing page no longer lists it.
    page.get_by_role("button", name="Save my teacher link").click()
    page.get_by_role("button", name="Forget on this device").click()
    page.goto(base + "/")
    expect(page.get_by_role("heading", name="Create a class")).to_be_visible(timeout=T)
    expect(page.locator("#my-classes")).to_be_hidden()
    page.goto(base + "/teacher")
    expect(page.locator("#fatal")).to_contain_text("needs your teacher link", timeout=T)


def test_loopback_join_link_is_called_out(live_server, make_server, redis_url, browser,
                                          contexts) -> None:
    teacher = new_page(browser, contexts, LAPTOP)
    teacher_creates_class(teacher.page, live_server.url)
    warning = teacher.page.locator("#join-warning")
    expect(warning).to_be_visible(timeout=T)
    expect(warning).to_contain_text("Students on other devices cannot open this join link")
    expect(warning).to_contain_text("--host 0.0.0.0")
    shot(teacher.page, "teacher-loopback-warning")

    public = make_server(PUBLIC_URL="https://rapport.school.example", REDIS_URL=redis_url)
    other = new_page(browser, contexts, LAPTOP)
    teacher_creates_class(other.page, public.url)
    expect(other.page.locator("#join-link")).to_have_text(
        re.compile(r"^https://rapport\.school\.example/j/\w+$"), timeout=T)
    expect(other.page.locator("#join-warning")).to_be_hidden()
    assert_clean([teacher], live_server.url)
    assert_clean([other], public.url)


def test_presenting_leaves_nothing_private_on_the_page(live_server, browser, contexts) -> None:
    base = live_server.url
    teacher = new_page(browser, contexts, LAPTOP)
    tp = teacher.page
    code = teacher_creates_class(tp, base, "Period 4 Art")
    tp.locator("#own-done").click()
    ana = new_page(browser, contexts, PHONE)
    ben = new_page(browser, contexts, PHONE)
    student_joins(ana.page, base, code, "Ana")
    student_joins(ben.page, base, code, "Ben")
    cy = new_page(browser, contexts, PHONE)
    student_joins(cy.page, base, code, "Cy")
    teacher_starts_round(tp, "I keep bees on my balcony")
    stage = open_stage(browser, contexts, tp, base)
    student_posts(ana.page, PRIVATE_CARD, to_class=False)
    student_posts(ben.page, CLASS_CARD, to_class=True)

    private = teacher_card(tp, PRIVATE_CARD)
    expect(private).to_be_visible(timeout=T)
    private.locator("summary", has_text="Reply privately").click()
    private.get_by_label("Private reply to Ana").fill(PRIVATE_REPLY)
    private.get_by_role("button", name="Send privately").click()
    expect(private.locator(".thread-list")).to_contain_text(PRIVATE_REPLY, timeout=T)
    expect(teacher_card(tp, CLASS_CARD)).to_be_visible()
    expect(stage.page.locator("#stage-answered")).to_have_text("2 of 3 answered", timeout=T)
    shot(stage.page, "stage-round-corner")

    tp.get_by_role("button", name="Presenting: off").click()
    toggle = tp.locator("#presenting-toggle")
    expect(toggle).to_have_attribute("aria-pressed", "true")

    def assert_nothing_private() -> None:
        text = tp.evaluate("document.body.innerText")
        for secret in (PRIVATE_CARD, PRIVATE_REPLY, "Just for you", "key="):
            assert secret not in text, secret
        for secret in (PRIVATE_CARD, PRIVATE_REPLY):
            for el in tp.get_by_text(secret).all():
                expect(el).to_be_hidden()
        expect(tp.locator("#tab-connections")).to_be_hidden()
        expect(tp.locator("#tab-checkins")).to_be_hidden()
        assert CLASS_CARD in text  # the class card stays: the round goes on

    assert_nothing_private()
    # A "just for you" card arriving now is not announced by its author's name either.
    student_posts(cy.page, "Cy's private card", to_class=False)
    expect(tp.locator("#answered-count")).to_have_text("3 of 3 answered", timeout=T)
    assert "Cy" not in tp.locator("#status").inner_text()
    shot(tp, "teacher-presenting-laptop")
    tp.reload()  # remembered across reload
    expect(tp.locator("#conn")).to_have_text("Connected", timeout=T)
    expect(teacher_card(tp, CLASS_CARD)).to_be_visible(timeout=T)
    expect(toggle).to_have_attribute("aria-pressed", "true")
    assert_nothing_private()
    tp.set_viewport_size(PHONE)
    assert_fits(tp)
    shot(tp, "teacher-presenting-phone")
    tp.set_viewport_size(LAPTOP)

    toggle.click()
    expect(teacher_card(tp, PRIVATE_CARD)).to_be_visible()
    assert PRIVATE_CARD in tp.evaluate("document.body.innerText")

    # The class's data in the teacher's page: retention shown and editable, export, deletion.
    retention = tp.get_by_label("Keep the class’s data for (days after its last use)")
    expect(retention).to_have_value("180")
    retention.fill("30")
    tp.locator("#retention-form").get_by_role("button", name="Save").click()
    expect(tp.locator("#status")).to_contain_text("kept for 30 days", timeout=T)
    with tp.expect_download() as download:
        tp.get_by_role("button", name="Export all cards (CSV)").click()
    exported = download.value.path().read_bytes().decode("utf-8-sig")
    assert PRIVATE_CARD in exported and CLASS_CARD in exported
    tp.get_by_role("button", name="Delete this class…").click()
    dialog = tp.locator("#delete-dialog")
    dialog.get_by_label("Type the class name to confirm").fill("Period 4")
    dialog.get_by_role("button", name="Delete the class").click()
    expect(tp.locator("#status")).to_contain_text("Type the class name exactly")
    dialog.get_by_label("Type the class name to confirm").fill("Period 4 Art")
    dialog.get_by_role("button", name="Delete the class").click()
    expect(tp.locator("#fatal")).to_contain_text("was deleted", timeout=T)
    assert_clean([teacher, ana, ben, cy, stage], base)
