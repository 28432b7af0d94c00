"""Browser test: the teacher caps the rooms (2 rooms of at most 2 for 7 students), sees before
the start who sits out in each rotation (a different few each time) and how many, on a phone
and on a laptop."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from tests.browser.pages import (
    LAPTOP,
    PHONE,
    T,
    assert_clean,
    assert_fits,
    create_class,
    join_student,
    new_page,
    shot,
)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("viewport", "label"), [(PHONE, "phone"), (LAPTOP, "laptop")])
def test_teacher_sees_who_sits_out_before_the_start(
    live_server, browser: Browser, contexts: list[BrowserContext], clients,
    viewport: dict[str, int], label: str,
) -> None:
    base = live_server.url.rstrip("/")
    made = create_class(base, "Period 2 Art")
    teacher = new_page(browser, contexts, viewport)
    tp = teacher.page
    tp.goto(f"{base}/teacher#{made['teacher_url'].split('#', 1)[1]}")
    expect(tp.locator("#conn")).to_have_text("Connected", timeout=T)
    names = ["Ana", "Ben", "Chi", "Dev", "Eve", "Fay", "Gus"]
    for name in names:
        seat = join_student(base, made["join_code"], name)
        clients(base, {"token": seat["seat_token"]})
    expect(tp.locator("#online-count")).to_have_text("7 of 7 online", timeout=T)

    tp.get_by_role("tab", name="Breakout rooms").click()
    panel = tp.locator("#panel-rooms")
    expect(panel.locator("#rot-absent li")).to_have_count(7, timeout=T)
    panel.get_by_label("Or number of rooms").fill("2")
    panel.get_by_label("At most per room").fill("2")
    panel.get_by_label("Rotations").fill("3")
    shot(tp, f"rotation-cap-form-{label}")
    panel.get_by_role("button", name="Plan rotations").click()

    expect(panel.locator("#rot-state")).to_have_text("Plan ready", timeout=T)
    blocks = panel.locator(".rot-block")
    expect(blocks).to_have_count(3)
    expect(panel.locator("#rot-sizes")).to_have_text(
        "Room sizes: 2 rooms of 2. Sitting out each rotation (main room): 3, "
        "a different few each time.")
    out: list[str] = []
    for i in range(3):
        expect(blocks.nth(i).locator(".member-name")).to_have_count(4)
        line = blocks.nth(i).locator(".sitting-out")
        expect(line).to_contain_text("Sitting out (main room): ")
        sitting = line.inner_text().split(": ", 1)[1].split(", ")
        assert len(sitting) == 3
        out += sitting
    # 9 sit-outs over 7 students: everyone sits out once before anyone does twice.
    assert len(set(out[:6])) == 6
    assert set(names) - set(out[:6]) <= set(out[6:])
    expect(panel.locator("#rot-stats")).to_contain_text("Rotations sat out per student: 1 to 2")
    shot(tp, f"rotation-cap-plan-{label}")
    assert_fits(tp)
    assert_clean([teacher], base)
