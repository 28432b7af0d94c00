"""Browser test of issue 14 on the student page: a student picks Spanish and meets the whole
round in Spanish (interface, prompt and starter, with the English one tap away); switching to
Arabic mid-round turns the page right to left, keeps the draft and the seat, and still fits a
390x844 phone; the seat remembers the language and the teacher sees it.

The teacher is a real Socket.IO client here (the teacher page has its own tests); the student
is Debian chromium at phone size.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, BrowserContext, Page, expect

from server.domain.ui_translations import PLURAL_MARK, UI_DIRECTORY, load_ui_catalogs
from tests.browser.axe import add_axe, describe, start, violations
from tests.browser.pages import (
    LAPTOP,
    PHONE,
    T,
    assert_clean,
    assert_fits,
    new_page,
    shot,
    watch,
)

pytestmark = pytest.mark.browser

PROMPT_ID = "personal-hobby-weekend"  # a library prompt with a starter and a Spanish draft


# The device's speech synthesis, as a phone with only a Spanish voice has it: the page must
# offer "listen" only for Spanish text and speak it with that voice (on the device: nothing
# is sent anywhere, which assert_clean checks).
FAKE_SPEECH = """
(() => {
  // A network voice for English must not be used: the text would leave the device.
  const voices = [{lang: "es-ES", name: "Spanish", voiceURI: "es", localService: true,
                   default: false},
                  {lang: "en-US", name: "Network English", voiceURI: "en", localService: false,
                   default: true}];
  window.__spoken = [];
  class Utterance extends EventTarget {
    constructor(text) { super(); this.text = text; this.lang = ""; this.voice = null; }
  }
  const synth = new EventTarget();
  synth.getVoices = () => voices;
  synth.speak = (u) => {
    window.__spoken.push({text: u.text, lang: u.lang, voice: u.voice && u.voice.name});
    setTimeout(() => u.dispatchEvent(new Event("end")), 0);
  };
  synth.cancel = () => {};
  Object.defineProperty(window, "speechSynthesis", {value: synth});
  window.SpeechSynthesisUtterance = Utterance;
})();
"""


def english_strings() -> list[str]:
    """Every English catalog string, cut at its placeholders into the fixed pieces a page
    would show (only pieces long enough to be words of the interface, not a name or a digit)."""
    english = load_ui_catalogs(UI_DIRECTORY).english
    pieces: set[str] = set()
    for key, text in english.items():
        if key.startswith(("stage.", "teacher.")) or PLURAL_MARK in key:
            continue
        for piece in re.split(r"\{[a-z_]+\}", text):
            piece = piece.strip(" .,:;!?“”«»()—–-")
            if len(piece) >= 4 and not piece.isdigit():
                pieces.add(piece)
    return sorted(pieces)


def english_left(page: Page, allowed: list[str]) -> list[str]:
    """English interface strings the page's visible text still contains (user content and
    the optional English original are `allowed`)."""
    text = page.evaluate("document.body.innerText")
    for piece in allowed:
        text = text.replace(piece, " ")
    return [s for s in english_strings()
            if re.search(rf"(?<!\w){re.escape(s)}(?!\w)", text)]


def test_student_round_in_spanish_then_arabic(live_server, browser: Browser,
                                               contexts: list[BrowserContext], clients,
                                               tmp_path: Path) -> None:
    base = live_server.url.rstrip("/")
    made = requests.post(f"{base}/api/classes", json={"name": "Period 4 ELD",
                                                      "grade_band": "6-8"}, timeout=10).json()
    teacher = clients(base, {"token": made["teacher_secret"]})
    localized = requests.get(f"{base}/api/prompts/{PROMPT_ID}?lang=es", timeout=10).json()
    spanish_prompt, spanish_starter = localized["text"]["text"], localized["starter"]["text"]
    english_prompt = localized["original"]["text"]

    # The student opens the join page (English: the browser says en-US), picks Español.
    context = browser.new_context(viewport=PHONE)
    contexts.append(context)
    add_axe(context)
    context.add_init_script(FAKE_SPEECH)
    student = watch(context)
    page = student.page
    page.goto(f"{base}/j/{made['join_code']}")
    expect(page.locator("#join-title")).to_have_text("Join your class", timeout=T)
    page.locator("#lang-menu").select_option("es")
    expect(page.locator("#join-title")).to_have_text("Únete a tu clase", timeout=T)
    expect(page.locator("html")).to_have_attribute("lang", "es")
    assert page.evaluate("localStorage.getItem('rapport.lang')") == "es"
    page.get_by_label("Tu nombre").fill("Lucía")
    page.get_by_role("button", name="Entrar").click()
    expect(page.locator("#welcome")).to_have_text("¡Ya estás dentro, Lucía!", timeout=T)
    expect(page.locator("#conn")).to_have_text("Conectado", timeout=T)
    expect(page.locator("#round-title")).to_have_text("Esperando a tu profe…", timeout=T)
    shot(page, "i18n-es-waiting")

    # The seat remembers Spanish; the teacher's roster says so.
    snap = teacher.call("snapshot.get", {})["snapshot"]
    lucia = next(s for s in snap["students"] if s["name"] == "Lucía")
    assert lucia["lang"] == "es"

    # A round: the teacher's card, then open with a timer.
    host_text = "On weekends I bake bread with my daughter."
    assert "round" in teacher.call("round.start", {"prompt_id": PROMPT_ID})
    assert "round" in teacher.call("round.host_card", {"text": host_text, "skip": False})
    assert "round" in teacher.call("round.open", {"timer_seconds": 300})

    expect(page.locator("#prompt")).to_have_text(spanish_prompt, timeout=T)
    expect(page.locator("#prompt")).to_have_attribute("lang", "es")
    expect(page.locator("#starter")).to_contain_text(spanish_starter)
    expect(page.locator("#teacher-card-text")).to_have_text(host_text)
    expect(page.locator("#countdown")).to_have_text(re.compile(r"^Quedan \d+:\d\d$"), timeout=T)
    # Read aloud: the Spanish prompt with the Spanish voice; the teacher's card is in the
    # class's language (English), which this device has no voice for, so no button there.
    expect(page.locator("#teacher-card-listen")).to_be_hidden()
    page.locator("#prompt-listen").click()
    spoken = page.evaluate("window.__spoken")
    assert len(spoken) == 1 and spoken[0]["lang"] == "es-ES" and spoken[0]["voice"] == "Spanish"
    assert spoken[0]["text"].startswith(spanish_prompt) and spanish_starter in spoken[0]["text"]
    expect(page.locator("#prompt-listen")).to_have_text("Escuchar")
    # The English original is one tap away, marked as English.
    expect(page.locator("#prompt-original")).to_be_hidden()
    page.get_by_role("button", name="Ver en inglés").click()
    expect(page.locator("#prompt-original-text")).to_have_text(english_prompt)
    expect(page.locator("#prompt-original")).to_have_attribute("lang", "en")
    page.get_by_role("button", name="Ocultar el inglés").click()
    expect(page.locator("#prompt-original")).to_be_hidden()

    # She posts a class card; the teacher spotlights it and answers privately.
    answer = "Los fines de semana juego al fútbol con mis primos."
    page.get_by_label("Tu respuesta").fill(answer)
    page.get_by_label("Mi clase").check()
    page.get_by_label("Mi profe puede mostrarla a la clase (destacarla)").check()
    page.get_by_role("button", name="Publicar mi tarjeta").click()
    expect(page.locator("#my-card .card-text")).to_have_text(answer, timeout=T)
    card = teacher.wait_for("card.added")["card"]
    teacher.call("spotlight.set", {"card_id": card["id"]})
    reply = "¡Qué bien! What position do you play?"
    teacher.call("reply.send", {"card_id": card["id"], "text": reply})
    expect(page.locator("#spotlight-view")).to_contain_text("¡Tu tarjeta está destacada!",
                                                            timeout=T)
    expect(page.locator("#my-thread-list")).to_contain_text(reply, timeout=T)
    expect(page.locator("#card-count")).to_have_text("0 / 500 caracteres")

    # No English interface string left: only user content and the English original.
    user_content = [host_text, answer, reply, "Period 4 ELD", "Lucía", english_prompt,
                    localized["original"]["starter"], "Rapport"]
    assert english_left(page, user_content) == []
    shot(page, "i18n-es-round")
    start(page)
    found = {"student page in Spanish": violations(page)}

    # Mid-round she writes a draft in a second round... (edit keeps the first card): switch
    # language with an unsent draft in the reply box and in an edit of her card.
    page.get_by_role("button", name="Editar").click()
    draft = "Los fines de semana juego al fútbol y al básquet."
    page.get_by_label("Tu respuesta").fill(draft)
    seat_before = page.evaluate("JSON.stringify(Object.entries(localStorage)"
                                ".filter(([k]) => k.startsWith('rapport.seat.')))")
    page.locator("#lang-menu").select_option("ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl", timeout=T)
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    expect(page.locator("#card-text")).to_have_value(draft)
    expect(page.locator("#conn")).to_have_text("متصل")
    expect(page.locator("#prompt")).to_have_attribute("lang", "ar", timeout=T)
    expect(page.locator("#prompt-listen")).to_be_hidden()  # no Arabic voice on this device
    seat_after = page.evaluate("JSON.stringify(Object.entries(localStorage)"
                               ".filter(([k]) => k.startsWith('rapport.seat.')))")
    assert seat_after == seat_before
    # The seat (server side) follows, and the teacher hears of it.
    teacher.wait_for("student.updated", lambda m: m["student"]["lang"] == "ar")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_fits(page)
    shot(page, "i18n-ar-round")
    start(page)
    found["student page in Arabic"] = violations(page)
    assert all(not v for v in found.values()), describe(found)
    # Back to Spanish: the edit is still there and can be saved.
    page.locator("#lang-menu").select_option("es")
    expect(page.locator("html")).to_have_attribute("dir", "ltr", timeout=T)
    expect(page.locator("#card-text")).to_have_value(draft)
    page.get_by_role("button", name="Guardar cambios").click()
    expect(page.locator("#my-card .card-text")).to_have_text(draft, timeout=T)

    # A reload (or a new tab) keeps Spanish from this device.
    page.reload()
    expect(page.locator("#welcome")).to_have_text("¡Ya estás dentro, Lucía!", timeout=T)
    assert_clean([student], base)


def test_teacher_sees_languages_and_the_stage_follows_the_teacher(
        live_server, browser: Browser, contexts: list[BrowserContext]) -> None:
    """The roster and the connection record show each student's language; the teacher's
    language choice turns the stage (on another screen) to it."""
    base = live_server.url.rstrip("/")
    made = requests.post(f"{base}/api/classes", json={"name": "Period 6 ELD",
                                                      "grade_band": "9-12"}, timeout=10).json()
    for name, lang in (("Lucía", "es"), ("Olena", "uk")):
        joined = requests.post(f"{base}/api/join", json={"code": made["join_code"],
                                                         "name": name, "lang": lang}, timeout=10)
        assert joined.status_code == 200, joined.text
    # The start page offers the languages too; the choice stays on the device.
    landing = new_page(browser, contexts, PHONE)
    landing.page.goto(base + "/")
    landing.page.locator("#lang-menu").select_option("ar")
    expect(landing.page.locator("#join-title")).to_have_text("انضم إلى صف", timeout=T)
    expect(landing.page.locator("html")).to_have_attribute("dir", "rtl")
    assert_fits(landing.page)
    shot(landing.page, "i18n-landing-ar")
    landing.page.get_by_label("رمز الصف").fill(made["join_code"])
    landing.page.get_by_role("button", name="انضم", exact=True).click()
    expect(landing.page.locator("#join-title")).to_have_text("انضم إلى صفّك", timeout=T)

    teacher = new_page(browser, contexts, LAPTOP)
    tp = teacher.page
    tp.goto(f"{base}/teacher#key={made['teacher_secret']}")
    expect(tp.locator("#conn")).to_have_text("Connected", timeout=T)
    roster = tp.locator("#students")
    expect(roster.locator("li", has_text="Lucía").locator(".lang-tag")).to_have_text("Spanish",
                                                                                    timeout=T)
    expect(roster.locator("li", has_text="Olena").locator(".lang-tag")).to_have_text("Ukrainian")
    tp.get_by_role("tab", name="Connections").click()
    coverage = tp.locator("#conn-coverage-lang tbody tr")
    expect(coverage).to_have_count(2, timeout=T)
    expect(tp.locator('#conn-coverage-lang tr[data-lang="es"] th')).to_have_text("Spanish")

    stage = new_page(browser, contexts, LAPTOP)
    stage.page.goto(f"{base}/stage#key={made['teacher_secret']}")
    expect(stage.page.locator("#conn")).to_have_text("Live", timeout=T)
    expect(stage.page.locator("html")).to_have_attribute("lang", "en")
    tp.locator("#lang-menu").select_option("ar")
    expect(tp.locator("html")).to_have_attribute("dir", "rtl", timeout=T)
    expect(roster.locator("li", has_text="Lucía").locator(".lang-tag")).not_to_have_text(
        "Spanish", timeout=T)  # now named in Arabic
    expect(stage.page.locator("html")).to_have_attribute("dir", "rtl", timeout=T)
    expect(stage.page.locator("#conn")).to_have_text("مباشر", timeout=T)
    expect(stage.page.locator(".stage-corner-label, #join p").first).not_to_have_text("Join at")
    shot(stage.page, "i18n-stage-ar")
    tp.get_by_role("tab", name="الصف و«أرِ وتحدّث»").click()
    tp.set_viewport_size(PHONE)
    assert_fits(tp)
    shot(tp, "i18n-teacher-ar-phone")
    assert_clean([landing, teacher, stage], base)
