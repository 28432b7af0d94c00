"""A spoken answer, recorded with Chromium's fake microphone on a phone-sized student page and
posted "just my teacher": the teacher's page plays it; another student's page never receives
its bytes, its URL or its id (every websocket frame and HTTP response recorded), and that
student's own request for it is refused."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator

import pytest
import requests
from playwright.sync_api import Browser, BrowserContext, Response, WebSocket, expect

from tests.browser.conftest import CHROMIUM_ARGS
from tests.browser.pages import (
    LAPTOP,
    PHONE,
    T,
    Watched,
    assert_clean,
    assert_fits,
    new_page,
    shot,
    student_joins,
    teacher_creates_class,
    teacher_starts_round,
    watch,
)
from tests.conftest import chromium_path

pytestmark = pytest.mark.browser

# A fake microphone (a beep) that needs no permission prompt: recording is real MediaRecorder.
FAKE_MEDIA = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


@pytest.fixture(scope="module")
def mic_browser(browser: Browser) -> Iterator[Browser]:
    """A second Chromium from the session's Playwright, with the fake microphone."""
    mic = browser.browser_type.launch(executable_path=chromium_path(), headless=True,
                                      args=[*CHROMIUM_ARGS, *FAKE_MEDIA])
    yield mic
    mic.close()

# Counts the page's requests for the microphone: none may happen before the student's tap.
COUNT_MICROPHONE = """
window.microphoneAsked = 0;
const ask = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
navigator.mediaDevices.getUserMedia = (constraints) => {
  window.microphoneAsked += 1;
  return ask(constraints);
};
"""


class Everything:
    """Every websocket frame and every HTTP response body a page receives."""

    def __init__(self, watched: Watched) -> None:
        self.frames: list[bytes] = []
        self.responses: list[tuple[str, bytes]] = []
        watched.page.on("websocket", self._socket)
        watched.page.on("response", self._response)

    def _socket(self, ws: WebSocket) -> None:
        self.frames.append(ws.url.encode())
        ws.on("framereceived", lambda payload: self.frames.append(
            payload.encode() if isinstance(payload, str) else payload))

    def _response(self, response: Response) -> None:
        try:
            body = response.body()
        except Exception:  # redirects and aborted requests have no body
            body = b""
        self.responses.append((response.url, body))

    def contains(self, needle: bytes) -> list[str]:
        found = [f"frame {f[:80]!r}" for f in self.frames if needle in f]
        return found + [f"response {url}" for url, body in self.responses
                        if needle in url.encode() or needle in body]


def test_voice_answer_reaches_the_teacher_only(live_server, mic_browser: Browser,
                                               contexts: list[BrowserContext]) -> None:
    base = live_server.url.rstrip("/")
    teacher_context = mic_browser.new_context(viewport=LAPTOP, permissions=["microphone"])
    contexts.append(teacher_context)
    teacher = watch(teacher_context)
    code = teacher_creates_class(teacher.page, base)
    tp = teacher.page
    teacher_got: list[tuple[str, int]] = []
    tp.on("response", lambda r: teacher_got.append((r.url, r.status)))

    ana_context = mic_browser.new_context(viewport=PHONE, permissions=["microphone"])
    contexts.append(ana_context)
    ana_context.add_init_script(COUNT_MICROPHONE)
    ana = watch(ana_context)
    ben = new_page(mic_browser, contexts, PHONE)
    ben_got = Everything(ben)  # before Ben's page loads: everything it ever receives
    student_joins(ana.page, base, code, "Ana")
    student_joins(ben.page, base, code, "Ben")
    # The teacher answers first, in words and by voice: every student can play it.
    teacher_starts_round(tp, "I collect shells from every beach I visit.", voice=True)
    expect(tp.locator("#live-host-voice audio")).to_have_attribute("src", re.compile(r"^blob:"),
                                                                  timeout=T)
    shot(tp, "voice-0-teacher-live")
    ap = ana.page
    expect(ap.locator("#card-form")).to_be_visible(timeout=T)
    for page in (ap, ben.page):
        page.wait_for_function("""() => {
            const a = document.querySelector('#teacher-card-voice audio');
            return a && a.src.startsWith('blob:') && a.readyState >= 1 && a.duration > 0;
        }""", timeout=T)

    # Nothing records until the student taps; then the indicator shows the time and Stop.
    expect(ap.locator("#voice-live")).to_be_hidden()
    expect(ap.locator("#voice-preview")).to_be_hidden()
    assert ap.evaluate("window.microphoneAsked") == 0
    ap.get_by_role("button", name="Record my answer").click()
    live = ap.locator("#voice-live")
    expect(live).to_be_visible(timeout=T)
    expect(live).to_contain_text("Recording")
    expect(ap.locator("#voice-elapsed")).to_have_text(re.compile(r"^0:0[2-9] of 1:00$"),
                                                      timeout=T)
    expect(ap.locator("#card-status")).to_contain_text("Recording now")
    assert ap.evaluate("window.microphoneAsked") == 1
    assert_fits(ap)
    shot(ap, "voice-1-recording-phone")
    ap.get_by_role("button", name="Stop").click()
    expect(live).to_be_hidden(timeout=T)
    expect(ap.locator("#voice-preview-audio")).to_have_attribute("src", re.compile(r"^blob:"),
                                                                 timeout=T)
    expect(ap.get_by_role("button", name="Record again")).to_be_visible()

    # Spoken only, just for the teacher (the default choice).
    expect(ap.get_by_label("Just my teacher")).to_be_checked()
    with ap.expect_response(lambda r: r.url.endswith("/audio") and r.request.method == "POST",
                            timeout=T) as uploaded:
        ap.get_by_role("button", name="Post my card").click()
    assert uploaded.value.status == 201, uploaded.value.text()
    stored = uploaded.value.json()
    audio_id = stored["audio_id"]
    audio_url = f"{uploaded.value.url}/{audio_id}"
    assert stored["mime"] == "audio/webm" and stored["duration_ms"] >= 1500, stored
    expect(ap.locator("#my-card")).to_be_visible(timeout=T)
    mine = ap.locator("#my-card audio.card-audio")
    expect(mine).to_have_attribute("src", re.compile(r"^blob:"), timeout=T)
    expect(ap.locator("#my-card")).to_contain_text("Only your teacher sees this.")
    assert_fits(ap)
    shot(ap, "voice-2-posted-phone")

    # The teacher's page loads it into a player with a real length.
    card = tp.locator("#card-grid li.round-card", has=tp.locator("audio.card-audio"))
    expect(card).to_contain_text("Ana", timeout=T)
    expect(card).to_contain_text("Just for you")
    tp.wait_for_function("""() => {
        const a = document.querySelector('#card-grid audio.card-audio');
        return a && a.src.startsWith('blob:') && a.readyState >= 1 && a.duration > 0;
    }""", timeout=T)
    assert (audio_url, 200) in teacher_got
    key = tp.evaluate("sessionStorage.getItem('rapport.key')")
    recording = requests.get(audio_url, headers={"Authorization": f"Bearer {key}"}, timeout=10)
    assert recording.status_code == 200 and recording.content.startswith(b"\x1a\x45\xdf\xa3")

    # Editing keeps the recording unless Ana removes or replaces it: add words beside it.
    ap.locator("#card-edit").click()
    expect(ap.locator("#voice-preview-audio")).to_have_attribute("src", re.compile(r"^blob:"),
                                                                 timeout=T)
    ap.get_by_label("Your answer").fill("Shells from the beach")
    ap.get_by_role("button", name="Save changes").click()
    expect(ap.locator("#my-card .card-text")).to_have_text("Shells from the beach", timeout=T)
    expect(ap.locator("#my-card audio.card-audio")).to_have_attribute(
        "src", re.compile(r"^blob:"), timeout=T)
    expect(card).to_contain_text("Shells from the beach", timeout=T)
    assert requests.get(audio_url, headers={"Authorization": f"Bearer {key}"},
                        timeout=10).content == recording.content

    # Ben's page: meanwhile, and after a fresh snapshot, none of it ever arrived.
    expect(ben.page.locator("#round-open")).to_be_visible(timeout=T)
    ben.page.reload()
    expect(ben.page.locator("#conn")).to_have_text("Connected", timeout=T)
    expect(ben.page.locator("#prompt")).not_to_be_empty(timeout=T)
    assert ben_got.frames and ben_got.responses  # it did record the page's traffic
    for needle in (audio_id.encode(), recording.content[64:128],
                   base64.b64encode(recording.content)[100:164]):
        assert ben_got.contains(needle) == [], needle
    # The only recordings Ben's page holds are his teacher's own answer.
    assert ben.page.evaluate("""() => [...document.querySelectorAll('audio[src], .card-audio')]
        .filter((a) => !a.closest('#teacher-card, #about-teacher')).length""") == 0
    seat = ben.page.evaluate(f"JSON.parse(localStorage.getItem('rapport.seat.{code}'))")
    refused = ben.page.context.request.get(
        audio_url, headers={"Authorization": f"Bearer {seat['seat_token']}"})
    assert refused.status == 404
    assert_clean([teacher, ana, ben], base)
