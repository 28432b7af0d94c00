"""A student's live lesson on a phone (issue 10): nothing typed is lost, a full-size phone photo
posts, a rotation is seen wherever the student had scrolled to, and a student takes their own
seat to a second device without ever holding two.

The teacher drives rounds and rotations with a real Socket.IO client (the teacher's page has its
own tests); the student is Debian chromium at 390x844.
"""

from __future__ import annotations

import io
import random
import re
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.pages import (
    PHONE,
    SHOTS,
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

pytestmark = pytest.mark.browser


def big_phone_photo(tmp_path: Path) -> Path:
    """A 4000x3000 JPEG of about 12 MB (noise compresses badly), taken with the phone turned:
    EXIF orientation 6, so it is upright only if the orientation is applied."""
    from PIL import Image

    rng = random.Random(7)
    image = Image.frombytes("RGB", (4000, 3000), rng.randbytes(4000 * 3000 * 3))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to show
    path = tmp_path / "IMG_0001.jpg"
    image.save(path, "JPEG", quality=93, exif=exif.tobytes())
    return path


def focused_id(page: Page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def test_phone_student_keeps_drafts_posts_a_big_photo_and_sees_the_rotation(
        live_server, browser: Browser, contexts: list[BrowserContext], clients,
        tmp_path: Path) -> None:
    base = live_server.url.rstrip("/")
    made = create_class(base, "Room 12 English")
    teacher = clients(base, {"token": made["teacher_secret"]})

    def host(event: str, data: dict) -> dict:
        answer = teacher.call(event, data)
        assert answer["ok"], answer
        return answer

    def open_round(text: str) -> None:
        host("round.start", {"custom_text": text})
        host("round.host_card", {"skip": True})
        host("round.open", {})

    ana = new_page(browser, contexts, PHONE)
    page = ana.page
    student_joins(page, base, made["join_code"], "Ana")
    ben_seat = join_student(base, made["join_code"], "Ben")
    ben = clients(base, {"token": ben_seat["seat_token"]})

    # Round 1: a draft (text and the visibility chosen) survives a reload.
    open_round("What object tells a story about you?")
    expect(page.locator("#prompt")).to_have_text("What object tells a story about you?",
                                                 timeout=T)
    expect(page.locator("#card-count")).to_have_text("0 / 500 characters")
    page.get_by_label("My class").check()
    page.get_by_label("My teacher may show it to the class (spotlight)").check()
    answer = page.get_by_label("Your answer")
    answer.fill("My grandmother’s clock: it ticks like her.")
    expect(page.locator("#card-count")).to_have_text("42 / 500 characters")
    page.reload()
    expect(page.locator("#conn")).to_have_text("Connected", timeout=T)
    expect(answer).to_have_value("My grandmother’s clock: it ticks like her.", timeout=T)
    expect(page.get_by_label("My class")).to_be_checked()
    expect(page.get_by_label("My teacher may show it to the class (spotlight)")).to_be_checked()

    # A full-size phone photo (12 MB, 4000x3000, turned) posts: shrunk in the browser, upright.
    photo = big_phone_photo(tmp_path)
    assert 11_000_000 < photo.stat().st_size < 14_000_000
    page.get_by_label("Add a photo (optional)").set_input_files(str(photo))
    expect(page.locator("#photo-preview-img")).to_have_attribute(
        "src", re.compile(r"^blob:"), timeout=3 * T)
    expect(page.locator("#photo-problem")).to_be_hidden()
    page.get_by_role("button", name="Post my card").click()
    expect(page.locator("#my-card .card-text")).to_have_text(
        "My grandmother’s clock: it ticks like her.", timeout=T)
    expect(page.locator("#my-card img.card-photo")).to_be_visible(timeout=T)
    cards = host("snapshot.get", {})["snapshot"]["cards"]
    mine = next(c for c in cards if c["student_id"] != ben_seat["student_id"])
    assert mine["photo_id"] and mine["visibility"] == "class"
    stored = requests.get(f"{base}/api/classes/{made['class_id']}/photos/{mine['photo_id']}",
                          headers={"Authorization": f"Bearer {made['teacher_secret']}"},
                          timeout=10)
    assert stored.status_code == 200
    from PIL import Image

    width, height = Image.open(io.BytesIO(stored.content)).size
    assert height > width and max(width, height) <= 1600  # upright: portrait
    # Posted: the draft is gone from the device.
    assert page.evaluate(
        "Object.keys(localStorage).filter((k) => k.startsWith('rapport.draft.'))") == []
    shot(page, "student-posted-photo-phone")

    # The teacher answers privately; the student's half-typed answer survives a reload too.
    host("reply.send", {"card_id": mine["id"], "text": "What a lovely thing to keep."})
    reply_box = page.get_by_label("Answer your teacher")
    expect(reply_box).to_be_visible(timeout=T)
    reply_box.fill("She gave it to me when I was seven")
    expect(page.locator("#my-reply-count")).to_have_text("34 / 1000 characters")
    page.reload()
    expect(reply_box).to_have_value("She gave it to me when I was seven", timeout=T)

    # The round closes: the student's card is brought into view and takes the focus.
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    host("round.close", {})
    expect(page.locator("#closed-text")).to_have_text("Thanks! The round is closed.", timeout=T)
    expect(page.locator("#prompt")).to_be_in_viewport(ratio=1, timeout=T)
    assert focused_id(page) == "round-open"
    expect(page.locator("#attention-live")).to_have_text("Your teacher closed the round.",
                                                         timeout=T)

    # Round 2 starts with "Just my teacher" and an empty answer: nothing carries over.
    open_round("What song is stuck in your head this week?")
    expect(page.locator("#prompt")).to_have_text("What song is stuck in your head this week?",
                                                 timeout=T)
    expect(page.get_by_label("Just my teacher")).to_be_checked()
    expect(page.get_by_label("My class")).not_to_be_checked()
    expect(answer).to_have_value("")
    # A photo the browser cannot read: a plain message, and no card without it unless the
    # student says so.
    (tmp_path / "IMG_0002.heic").write_bytes(b"\x00\x00\x00\x18ftypheic" + bytes(2000))
    page.get_by_label("Add a photo (optional)").set_input_files(str(tmp_path / "IMG_0002.heic"))
    expect(page.locator("#photo-problem")).to_contain_text("cannot open that photo", timeout=T)
    answer.fill("Here Comes the Sun")
    page.get_by_role("button", name="Post my card").click()
    expect(page.locator("#card-status")).to_contain_text("post without it", timeout=T)
    expect(page.locator("#my-card")).to_be_hidden()
    shot(page, "student-photo-refused-phone")
    page.get_by_role("button", name="Post without the photo").click()
    expect(page.locator("#my-card .card-text")).to_have_text("Here Comes the Sun", timeout=T)
    expect(page.locator("#my-card img.card-photo")).to_have_count(0)

    ben_card = ben.call("card.submit", {
        "client_id": "benbenbenbenbenben01", "text": "Anything by the Beatles, sorry. " * 8,
        "visibility": "class", "spotlight_ok": True})
    assert ben_card["ok"], ben_card
    expect(page.locator("#classmate-cards li")).to_have_count(1, timeout=T)

    # A phone student scrolled to the bottom sees their room as soon as rotations start.
    page.locator("#about-teacher summary").focus()
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    assert page.evaluate("window.scrollY") > 300
    expect(page.locator("#rotation")).to_be_hidden()
    host("rotation.plan", {"size": 2, "rotations": 2, "minutes": 5})
    host("rotation.start", {})
    room = page.locator("#rotation")
    expect(page.locator("#rotation-title")).to_have_text("Rotation 1 of 2", timeout=T)
    expect(page.locator("#rotation-with")).to_have_text("with Ben")
    expect(room).to_be_in_viewport(ratio=1, timeout=T)  # all of it, once the scroll is done
    assert focused_id(page) == "rotation"
    expect(page.locator("#attention-live")).to_contain_text("Rotation 1 of 2 — Room 1 with Ben",
                                                            timeout=T)
    if SHOTS:  # what the phone's screen shows, not the whole page
        page.screenshot(path=str(Path(SHOTS) / "student-rotation-viewport-phone.png"))
    shot(page, "student-rotation-seen-phone")

    # It moves on: seen again, from the bottom of the page, with the tab title marked while
    # the page is not looked at, a vibration and a tone (made in the page).
    page.evaluate("""() => {
        window.signals = [];
        document.hasFocus = () => false;  // the student is in the video call's window
        navigator.vibrate = (pattern) => { window.signals.push('vibrate'); return true; };
        const start = OscillatorNode.prototype.start;
        OscillatorNode.prototype.start = function (...args) {
            window.signals.push('tone');
            return start.apply(this, args);
        };
    }""")
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    expect(room).not_to_be_in_viewport(timeout=T)
    host("rotation.skip", {})
    expect(page.locator("#rotation-title")).to_have_text("Rotation 2 of 2", timeout=T)
    expect(room).to_be_in_viewport(ratio=1, timeout=T)
    expect(page).to_have_title("• Room 1 — Rapport")
    assert page.evaluate("window.signals") == ["vibrate", "tone"]
    page.evaluate("delete document.hasFocus; window.dispatchEvent(new Event('focus'))")
    expect(page).to_have_title("Room 12 English — Rapport")

    # A spotlight is brought into view too.
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    host("spotlight.set", {"card_id": ben_card["card"]["id"]})
    expect(page.locator("#spotlight-view .card-author")).to_be_in_viewport(ratio=1, timeout=T)
    assert focused_id(page) == "spotlight-view"

    # The sound switch is remembered on this device.
    expect(page.locator("#sound-toggle")).to_have_text("Sound on")
    page.locator("#sound-toggle").click()
    expect(page.locator("#sound-toggle")).to_have_text("Sound off")
    page.evaluate("window.signals = []")
    host("spotlight.set", {"card_id": None})
    host("spotlight.set", {"card_id": ben_card["card"]["id"]})
    expect(page.locator("#attention-live")).to_have_text("In the spotlight: Ben’s card.",
                                                         timeout=T)
    assert "tone" not in page.evaluate("window.signals")
    page.reload()
    expect(page.locator("#sound-toggle")).to_have_text("Sound off", timeout=T)
    assert_fits(page)
    assert_clean([ana], base)


def test_student_takes_their_seat_to_a_second_device(
        live_server, browser: Browser, contexts: list[BrowserContext]) -> None:
    base = live_server.url.rstrip("/")
    made = create_class(base, "Room 4 Science")
    code = made["join_code"]
    teacher = open_staff(browser, contexts, made["teacher_url"], base)
    students = teacher.page.locator("#students li")

    phone = new_page(browser, contexts, PHONE)
    student_joins(phone.page, base, code, "Ana")
    expect(students).to_have_count(1, timeout=T)
    seat_of = "(code) => JSON.parse(localStorage.getItem('rapport.seat.' + code)).student_id"
    first_id = phone.page.evaluate(seat_of, code)

    # On the phone: "Use another device" shows a rejoin code and link for this seat only.
    phone.page.locator("#other-device summary").click()
    phone.page.get_by_role("button", name="Show my rejoin code").click()
    shown = phone.page.locator("#my-rejoin-code")
    expect(shown).to_have_text(re.compile(r"^[A-Z2-9]{4}-[A-Z2-9]{4}$"), timeout=T)
    rejoin_code = shown.inner_text()
    assert phone.page.locator("#my-rejoin-link").input_value().endswith(
        f"/j/{code}#rejoin={rejoin_code.replace('-', '')}")
    shot(phone.page, "student-rejoin-code-phone")

    # A second browser: the name is taken (by Ana's own seat), and the page says what to do.
    laptop = new_page(browser, contexts, PHONE)
    lp = laptop.page
    lp.goto(f"{base}/j/{code}")
    expect(lp.locator("#name-count")).to_have_text("0 / 40 characters")
    lp.get_by_label("Your name").fill("Ana")
    expect(lp.locator("#name-count")).to_have_text("3 / 40 characters")
    lp.get_by_role("button", name="Join").click()
    expect(lp.locator("#join-status")).to_contain_text("another device", timeout=T)
    lp.get_by_label("Rejoin code").fill(rejoin_code.replace("-", " ").lower())
    shot(lp, "student-rejoin-form-phone")
    lp.get_by_role("button", name="Get my place back").click()
    expect(lp.locator("#welcome")).to_be_visible(timeout=T)
    expect(lp.locator("#welcome")).to_have_text("You\u2019re in, Ana!", timeout=T)
    expect(lp.locator("#conn")).to_have_text("Connected", timeout=T)
    assert lp.evaluate(seat_of, code) == first_id

    # The first device has left the seat and says why; the teacher sees one Ana, online.
    expect(phone.page.locator("#notice")).to_contain_text("another device", timeout=T)
    expect(phone.page.locator("#join")).to_be_visible()
    expect(students).to_have_count(1)
    expect(students.first).to_contain_text("Ana")
    expect(students.first.locator(".dot")).to_have_text("online", timeout=T)
    # The used code opens nothing any more.
    phone.page.locator("#rejoin summary").click()
    phone.page.get_by_label("Rejoin code").fill(rejoin_code)
    phone.page.get_by_role("button", name="Get my place back").click()
    expect(phone.page.locator("#rejoin-status")).to_contain_text("did not work", timeout=T)

    # Back to the phone with the rejoin link made on the second device.
    lp.locator("#other-device summary").click()
    lp.get_by_role("button", name="Show my rejoin code").click()
    link = lp.locator("#my-rejoin-link")
    expect(link).to_have_value(re.compile(r"#rejoin=[A-Z2-9]{8}$"), timeout=T)
    phone.page.goto(link.input_value())
    expect(phone.page.locator("#welcome")).to_be_visible(timeout=T)
    expect(phone.page.locator("#welcome")).to_have_text("You\u2019re in, Ana!", timeout=T)
    assert "rejoin" not in phone.page.url
    assert phone.page.evaluate(seat_of, code) == first_id
    expect(lp.locator("#join")).to_be_visible(timeout=T)
    expect(students).to_have_count(1)

    # The teacher confirms "this is Ana" and gives her a code for the other device.
    tp = teacher.page
    students.first.get_by_role("button", name="New device: rejoin code for Ana").click()
    given = students.first.locator(".rejoin-box .code")
    expect(given).to_have_text(re.compile(r"^[A-Z2-9]{4}-[A-Z2-9]{4}$"), timeout=T)
    shot(tp, "teacher-rejoin-code-laptop")
    lp.get_by_label("Rejoin code").fill(given.inner_text())
    lp.get_by_role("button", name="Get my place back").click()
    expect(lp.locator("#welcome")).to_be_visible(timeout=T)
    assert lp.evaluate(seat_of, code) == first_id
    expect(phone.page.locator("#join")).to_be_visible(timeout=T)
    students.first.get_by_role("button", name="Done").click()
    expect(students).to_have_count(1)
    expect(students.first.locator(".dot")).to_have_text("online", timeout=T)
    assert_fits(phone.page)
    # The only console errors allowed are the browser's notes on the refused requests (409/404).
    for who in (phone, laptop):
        who.errors[:] = [e for e in who.errors if "Failed to load resource" not in e]
    assert_clean([teacher, phone, laptop], base)
