"""Browser test of journeys 2-4: a show-and-tell round with a teacher, two students and the stage.

Four browser contexts (teacher on a laptop, two students on phones, the stage on a laptop) on
the `live_server`. The teacher shares first, student A posts a card with a photo, the teacher
spotlights it, the stage and student B show it, B reacts, the teacher replies privately and
only A sees the reply.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from tests.browser.pages import (
    LAPTOP,
    PHONE,
    T,
    assert_clean,
    make_photo,
    new_page,
    open_stage,
    student_joins,
    student_posts,
    teacher_card,
    teacher_creates_class,
    teacher_starts_round,
)

pytestmark = pytest.mark.browser


# ---- the journey -----------------------------------------------------------------------------

def test_round_journey(live_server, browser: Browser, contexts: list[BrowserContext],
                       tmp_path: Path) -> None:
    base = live_server.url.rstrip("/")
    photo = make_photo(tmp_path)

    teacher = new_page(browser, contexts, LAPTOP)
    code = teacher_creates_class(teacher.page, base)
    tp = teacher.page

    a = new_page(browser, contexts, PHONE)
    b = new_page(browser, contexts, PHONE)
    student_joins(a.page, base, code, "Ana")
    student_joins(b.page, base, code, "Ben")
    expect(tp.locator("#online-count")).to_have_text("2 of 2 online", timeout=T)
    stage = open_stage(browser, contexts, tp, base)
    expect(stage.page.locator("#join-code")).to_have_text(code, timeout=T)

    host_text = "I keep vinyl records: my favourite is a 1972 jazz album from my dad."
    prompt = teacher_starts_round(tp, host_text)
    expect(tp.locator("#answered-count")).to_have_text("0 of 2 answered", timeout=T)

    # The stage shows the prompt, the teacher's card and the countdown.
    expect(stage.page.locator("#stage-prompt")).to_have_text(prompt, timeout=T)
    expect(stage.page.locator("#stage-host-text")).to_have_text(host_text, timeout=T)
    expect(stage.page.locator("#stage-countdown")).to_have_text(re.compile(r"\d+:\d\d"), timeout=T)
    expect(stage.page.locator("#join")).to_be_hidden()

    # Student A sees the prompt and the teacher's card above the form, then posts.
    ap = a.page
    expect(ap.locator("#prompt")).to_have_text(prompt, timeout=T)
    expect(ap.locator("#teacher-card-text")).to_have_text(host_text, timeout=T)
    expect(ap.locator("#card-form")).to_be_visible()
    assert ap.evaluate(
        "document.getElementById('teacher-card').compareDocumentPosition("
        "document.getElementById('card-form')) & Node.DOCUMENT_POSITION_FOLLOWING")
    card_text = "This is my grandmother's compass. She used it sailing."
    student_posts(ap, card_text, photo=photo)

    # The teacher sees it arrive, with the photo, and the answered count.
    card = teacher_card(tp, card_text)
    expect(card).to_have_count(1, timeout=T)
    expect(card.locator(".card-author")).to_have_text("Ana")
    expect(card.locator("img.card-photo")).to_have_attribute("src", re.compile(r"^blob:"),
                                                             timeout=T)
    expect(tp.locator("#answered-count")).to_have_text("1 of 2 answered", timeout=T)
    expect(tp.locator("#not-answered li")).to_have_text(["Ben"])

    # Student B sees A's card among classmates' cards (not spotlit yet).
    bp = b.page
    expect(bp.locator("#classmate-cards li .card-text")).to_have_text([card_text], timeout=T)
    expect(bp.locator("#spotlight-view")).to_be_hidden()

    # Spotlight: the teacher picks it; the stage and student B show it large, with the photo.
    card.get_by_role("button", name="Spotlight Ana’s card").click()
    expect(tp.locator("#spot-current")).to_have_text(f"Ana: {card_text}", timeout=T)
    expect(stage.page.locator("#spotlight .stage-card-text")).to_have_text(card_text, timeout=T)
    expect(stage.page.locator("#spotlight .stage-card-author")).to_have_text("Ana")
    expect(stage.page.locator("#spotlight img.stage-photo")).to_have_attribute(
        "src", re.compile(r"^blob:"), timeout=T)
    expect(stage.page.locator("#stage-round")).to_be_hidden()
    spot = bp.locator("#spotlight-view")
    expect(spot.locator(".card-text")).to_have_text(card_text, timeout=T)
    expect(spot.locator("img.card-photo")).to_have_attribute("src", re.compile(r"^blob:"),
                                                            timeout=T)
    expect(ap.locator("#spotlight-view")).to_contain_text("Your card is in the spotlight!",
                                                          timeout=T)

    # Student B reacts; the count shows up for the teacher and on the stage.
    spot.get_by_role("button", name=re.compile(r"^Heart")).click()
    expect(card.locator('.reaction-count[data-reaction="heart"]')).to_contain_text("1", timeout=T)
    expect(stage.page.locator('#spotlight .reaction-count[data-reaction="heart"]')).to_contain_text(
        "1", timeout=T)

    # The teacher replies privately; only A sees it, and A can answer back.
    reply_text = "Thank you Ana, I would love to hear where she sailed."
    card.locator("summary", has_text="Reply privately").click()
    card.get_by_label("Private reply to Ana").fill(reply_text)
    card.get_by_role("button", name="Send privately").click()
    expect(card.locator(".thread-list li")).to_have_text([f"You: {reply_text}"], timeout=T)
    expect(ap.locator("#my-thread-list li")).to_have_text([f"Your teacher: {reply_text}"],
                                                          timeout=T)
    expect(ap.locator("#round-announce")).to_have_text(re.compile("Your teacher replied"),
                                                      timeout=T)
    answer = "She sailed around Crete!"
    ap.get_by_label("Answer your teacher").fill(answer)
    ap.get_by_role("button", name="Send", exact=True).click()
    expect(card.locator(".thread-list li")).to_have_count(2, timeout=T)
    expect(card.locator(".thread-list li").nth(1)).to_have_text(f"Ana: {answer}")

    # Student B's page never contained the private thread.
    b_html = bp.content()
    assert reply_text not in b_html
    assert answer not in b_html
    assert reply_text not in stage.page.content()

    # Export (teacher only): a CSV download of the round with the card in it.
    with tp.expect_download(timeout=T) as download_info:
        tp.get_by_role("button", name="Export CSV").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    assert card_text in Path(download.path()).read_text(encoding="utf-8")

    # Closing: the students see the thanks, A's card stays read-only.
    tp.locator("#round-panel").get_by_role("button", name="Close", exact=True).click()
    expect(tp.locator("#round-again")).to_be_visible(timeout=T)
    expect(ap.locator("#closed-text")).to_have_text("Thanks! The round is closed.", timeout=T)
    expect(ap.locator("#my-card .card-text")).to_have_text(card_text)
    expect(ap.locator("#card-edit")).to_be_hidden()
    expect(bp.locator("#closed-text")).to_be_visible(timeout=T)
    expect(tp.locator("#answered-count")).to_have_text("1 of 2 answered")

    # Approval on: B's card in the next round waits, and classmates see it only once approved.
    tp.get_by_label("Approve class cards before classmates see them").check()
    tp.get_by_role("button", name="Start another round").click()
    teacher_starts_round(tp, "Second round, my answer.")
    expect(bp.locator("#card-form")).to_be_visible(timeout=T)
    student_posts(bp, "My dog is called Biscuit.", spotlight=False)
    expect(bp.locator("#my-card")).to_contain_text("Waiting for approval")
    pending = teacher_card(tp, "Biscuit")
    expect(pending.locator(".badge.pending")).to_have_text("Pending approval", timeout=T)
    expect(ap.locator("#classmate-cards")).to_be_hidden()
    pending.get_by_role("button", name="Approve Ben’s card").click()
    expect(ap.locator("#classmate-cards li .card-text")).to_have_text(["My dog is called Biscuit."],
                                                                     timeout=T)
    expect(bp.locator("#my-card")).not_to_contain_text("Waiting for approval", timeout=T)
    # A's private thread and card from the first round are gone from the teacher's grid.
    expect(teacher_card(tp, card_text)).to_have_count(0)

    assert_clean([teacher, a, b, stage], base)
