"""Jitsi Meet driven by Rapport, against a stand-in for Jitsi's `external_api.js`.

The stand-in (tests/browser/jitsi_standin/external_api.js) is served from a second local
origin by a tiny HTTP server in this test; it implements the documented IFrame API calls and
events and records what it is asked. The teacher opens the call on the "Breakout rooms" tab;
four participants are in the call (three named as in Rapport, one phone that needs a manual
match) with a co-host moderator, and one student is missing. Start, a re-plan after a student
drops out of Rapport, skip and end must produce exactly the right calls, and who could not be
moved is listed.
The Content Security Policy lets the page load the stand-in only because Jitsi is configured.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.pages import (
    LAPTOP,
    PHONE,
    T,
    assert_fits,
    create_class,
    join_student,
    new_page,
    open_staff,
    shot,
    student_joins,
)
from tests.conftest import free_port

pytestmark = pytest.mark.browser

STANDIN = Path(__file__).parent / "jitsi_standin" / "external_api.js"
JITSI_SECRET = "stand-in-secret-0123456789abcdef-xyz"


class StandIn:
    """The second origin: serves external_api.js and a placeholder meeting page."""

    def __init__(self) -> None:
        self.port = free_port()
        self.paths: list[str] = []
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                standin.paths.append(self.path)
                if self.path == "/external_api.js":
                    body, kind = STANDIN.read_bytes(), "text/javascript"
                else:
                    body = b"<!doctype html><title>Stand-in meeting</title><p>Stand-in meeting"
                    kind = "text/html"
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def standin() -> Iterator[StandIn]:
    server = StandIn()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


def commands(page: Page) -> list[list[Any]]:
    """The executeCommand calls the stand-in recorded, in order."""
    return [c for c in page.evaluate("window.__jitsiLog.calls")
            if c[0] not in ("listBreakoutRooms", "getParticipantsInfo")]


def room_of(rotation: dict[str, Any], number: int) -> dict[str, str]:
    """Student name -> "Room k" in rotation `number` (0-based) of a staff rotation view."""
    return {m["name"]: f"Room {i + 1}" for i, room in enumerate(rotation["rotations"][number])
            for m in room}


def test_jitsi_moves_matched_participants(
        redis_url: str, make_server: Any, standin: StandIn, browser: Browser,
        contexts: list[BrowserContext], clients: Any) -> None:
    server = make_server(REDIS_URL=redis_url, RAPPORT_JITSI_URL=standin.origin,
                         RAPPORT_JITSI_APP_ID="rapport-test", RAPPORT_JITSI_SECRET=JITSI_SECRET)
    base = server.url
    made = create_class(base, "Period 2 Jitsi")

    # The CSP names the stand-in's origin (and only it) for scripts and frames.
    headers = requests.get(f"{base}/teacher", timeout=10).headers
    csp = dict(d.strip().split(" ", 1) for d in headers["Content-Security-Policy"].split(";"))
    assert csp["script-src"] == f"'self' {standin.origin}"
    assert csp["frame-src"] == standin.origin

    # Five students: Ana on a phone, the others over Socket.IO (online is what planning needs).
    ana = new_page(browser, contexts, PHONE)
    student_joins(ana.page, base, made["join_code"], "Ana")
    seats = {name: join_student(base, made["join_code"], name)
             for name in ("Ben", "Chi", "Dev", "Eve")}
    sockets = {name: clients(base, {"token": seat["seat_token"]}) for name, seat in seats.items()}
    teacher_socket = clients(base, {"token": made["teacher_secret"]})

    # Ana's page: "Join the video call", her name filled in, a token without moderator rights.
    link = ana.page.get_by_role("link", name="Join the video call")
    expect(link).to_be_visible(timeout=T)
    href = link.get_attribute("href") or ""
    assert href.startswith(f"{standin.origin}/rapport-")
    assert href.endswith("#userInfo.displayName=%22Ana%22")
    student_token = re.search(r"\?jwt=([^#]+)", href).group(1)  # type: ignore[union-attr]
    claims = jwt.decode(student_token, JITSI_SECRET, algorithms=["HS256"], audience="jitsi")
    assert claims["moderator"] is False and claims["context"]["user"]["name"] == "Ana"
    assert JITSI_SECRET not in ana.page.content()

    teacher = open_staff(browser, contexts, made["teacher_url"], base)
    tp = teacher.page
    tp.get_by_role("tab", name="Breakout rooms").click()
    card = tp.locator("#video-card")
    expect(card.get_by_role("heading", name="Video call · Jitsi Meet")).to_be_visible(timeout=T)
    expect(tp.locator("#online-count")).to_have_text("5 of 5 online", timeout=T)
    card.get_by_role("button", name="Open the video call here").click()
    tp.wait_for_function("window.__jitsiLog && window.__jitsi", timeout=T)
    constructed = tp.evaluate("window.__jitsiLog.constructed")
    assert len(constructed) == 1
    assert constructed[0]["domain"] == f"127.0.0.1:{standin.port}"
    assert constructed[0]["noSSL"] is True and constructed[0]["displayName"] == "Teacher"
    assert constructed[0]["roomName"] == href.split("/")[3].split("?")[0]
    moderator = jwt.decode(constructed[0]["jwt"], JITSI_SECRET, algorithms=["HS256"],
                           audience="jitsi")
    assert moderator["moderator"] is True
    # The meeting frame really loaded from the second origin (the CSP let it).
    frame = next(f for f in tp.frames if f.url.startswith(standin.origin))
    expect(frame.locator("p")).to_have_text("Stand-in meeting", timeout=T)
    assert "/external_api.js" in standin.paths

    # In the call: Ana, " ben " (as typed), Chi, and a phone nobody recognises. Eve is absent.
    for name in ("Ana", " ben ", "Chi", "Dev's iPad"):
        tp.evaluate("(n) => window.__jitsi._join(n)", name)
    tp.evaluate("() => window.__jitsi._join('Co-host', 'moderator')")  # staff: not a student
    expect(card.locator("#video-unmatched")).to_contain_text("Dev's iPad", timeout=T)
    expect(card.locator("#video-unmatched li")).to_have_count(1)
    assert commands(tp) == []  # nothing to move before a rotation runs

    # Plan 2 rotations of rooms of 2, start.
    panel = tp.locator("#panel-rooms")
    panel.get_by_label("Students per room").fill("2")
    panel.get_by_label("Rotations").fill("3")
    panel.get_by_role("button", name="Plan rotations").click()
    expect(panel.locator("#rot-state")).to_have_text("Plan ready", timeout=T)
    panel.get_by_role("button", name="Start rotations").click()
    expect(panel.locator("#rot-heading")).to_have_text(re.compile("^Rotation 1 of 3"), timeout=T)
    first = teacher_socket.call("snapshot.get", {})["snapshot"]["rotation"]
    rooms_1 = room_of(first, 0)
    room_names = sorted(set(rooms_1.values()))
    expected = {"Ana": rooms_1["Ana"], " ben ": rooms_1["Ben"], "Chi": rooms_1["Chi"],
                "Dev's iPad": "main", "Co-host": "main"}
    tp.wait_for_function("(want) => Object.entries(want).every(([n, r]) => "
                         "window.__jitsi._where()[n] === r)", arg=expected, timeout=T)
    calls = commands(tp)
    adds = [c for c in calls if c[0] == "addBreakoutRoom"]
    assert [c[1] for c in adds] == room_names
    sends = [c for c in calls if c[0] == "sendParticipantToRoom"]
    assert len(sends) == 3 and calls.index(sends[0]) > calls.index(adds[-1])
    problems = card.locator("#video-problems")
    expect(problems).to_contain_text("Eve", timeout=T)
    expect(problems).to_contain_text(f"not moved to {rooms_1['Eve']}")
    shot(tp, "video-jitsi-running-laptop")

    # A manual match: "Dev's iPad" is Dev, who goes to Dev's room at once.
    card.get_by_label("Who is “Dev's iPad”?").select_option(label="Dev")
    tp.wait_for_function("(r) => window.__jitsi._where()[\"Dev's iPad\"] === r",
                         arg=rooms_1["Dev"], timeout=T)
    expect(card.locator("#video-unmatched")).to_contain_text("Everyone in the call is matched",
                                                             timeout=T)
    sends_before_replan = len([c for c in commands(tp) if c[0] == "sendParticipantToRoom"])
    assert sends_before_replan == 4
    tp.set_viewport_size(PHONE)  # a co-host running the lesson from a phone
    assert_fits(tp)
    shot(tp, "video-jitsi-host-phone")
    tp.set_viewport_size(LAPTOP)

    # Ana's phone names her room and says the teacher moves her.
    expect(ana.page.locator("#rotation-video")).to_have_text(
        f"Your teacher moves you to “{rooms_1['Ana']}” in the video call. Stay in the call.",
        timeout=T)
    assert_fits(ana.page)
    shot(ana.page, "video-jitsi-student-phone")

    # Re-plan: Chi drops out of Rapport; rotations 2 and 3 are planned again without Chi.
    sockets["Chi"].close()
    expect(panel.locator("#rot-left")).to_contain_text("Chi", timeout=T)
    replanned = teacher_socket.call("snapshot.get", {})["snapshot"]["rotation"]
    assert all("Chi" not in room_of(replanned, n) for n in (1, 2))
    # The running rotation is kept as it was, so nobody in the call moves.
    assert len([c for c in commands(tp) if c[0] == "sendParticipantToRoom"]) == \
        sends_before_replan

    # Skip: everyone matched goes to their rotation-2 room; Chi (no room now) to the main room.
    panel.get_by_role("button", name="Skip to next").click()
    expect(panel.locator("#rot-heading")).to_have_text(re.compile("^Rotation 2 of 3"), timeout=T)
    rooms_2 = room_of(replanned, 1)
    expected_2 = {"Ana": rooms_2["Ana"], " ben ": rooms_2["Ben"], "Chi": "main",
                  "Dev's iPad": rooms_2["Dev"], "Co-host": "main"}
    tp.wait_for_function("(want) => Object.entries(want).every(([n, r]) => "
                         "window.__jitsi._where()[n] === r)", arg=expected_2, timeout=T)
    moved_now = [c for c in commands(tp) if c[0] == "sendParticipantToRoom"][sends_before_replan:]
    # Exactly one call per participant whose room changed, none for those who stay put.
    previous = {**expected, "Dev's iPad": rooms_1["Dev"]}
    changed = {n for n in expected_2 if expected_2[n] != previous[n]}
    assert len(moved_now) == len(changed), (moved_now, changed)

    # End: every breakout room with people in it is closed, so all are back in the main room.
    panel.get_by_role("button", name="End", exact=True).click()
    expect(panel.locator("#rot-state")).to_have_text("Ended", timeout=T)
    tp.wait_for_function("Object.values(window.__jitsi._where()).every((r) => r === 'main')",
                         timeout=T)
    closes = [c for c in commands(tp) if c[0] == "closeBreakoutRoom"]
    occupied = {rooms_2[n] for n in ("Ana", "Ben", "Dev")}
    assert len(closes) == len(occupied)
    shot(tp, "video-jitsi-ended-laptop")
    assert teacher.errors == [] and ana.errors == []


def test_csp_blocks_jitsi_when_not_configured(live_server: Any, standin: StandIn,
                                              browser: Browser,
                                              contexts: list[BrowserContext]) -> None:
    """Without Jitsi configured, the same script from the stand-in's origin does not load,
    and the pages carry no video UI."""
    base = live_server.url
    made = create_class(base, "Period 4 no video")
    staff = open_staff(browser, contexts, made["teacher_url"], base, LAPTOP)
    page = staff.page
    page.get_by_role("tab", name="Breakout rooms").click()
    expect(page.locator("#panel-rooms")).to_be_visible()
    assert page.locator("#video-card").count() == 0
    loaded = page.evaluate("""(src) => new Promise((resolve) => {
        const s = document.createElement('script');
        s.src = src;
        s.onload = () => resolve('loaded');
        s.onerror = () => resolve('blocked');
        document.head.appendChild(s);
    })""", f"{standin.origin}/external_api.js")
    assert loaded == "blocked"
    assert "/external_api.js" not in standin.paths  # the browser never even asked
