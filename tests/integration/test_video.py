"""Video platforms, in process: with nothing configured everything is exactly as before;
BigBlueButton's meeting is created, signed, against a small stand-in BigBlueButton server (on
a port of its own: the app calls it over HTTP as it would the real one)."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from server.app import CSP, PERMISSIONS_POLICY
from server.config import VideoConfig
from tests.conftest import REPO, free_port
from tests.inprocess import InProcessApp


def test_nothing_configured_is_exactly_as_before(rapport: InProcessApp) -> None:
    for path, file in (("/", "index.html"), ("/teacher", "teacher.html"),
                       ("/j/ABCDEF", "student.html"), ("/stage", "stage.html")):
        r = rapport.web.get(path)
        # The constants are the policies without video; with Jitsi they gain one origin.
        assert r.headers["Content-Security-Policy"] == CSP, path
        assert r.headers["Permissions-Policy"] == PERMISSIONS_POLICY, path
        assert r.data == (REPO / "web" / file).read_bytes(), path
    klass = rapport.create_class()
    seat = klass.join("Ana")
    for token in (klass.teacher_secret, klass.cohost_secret, seat["seat_token"]):
        snapshot = rapport.connect({"token": token}).call("snapshot.get", {})["snapshot"]
        assert "video" not in snapshot
    r = rapport.web.post(f"/api/classes/{klass.class_id}/video/bbb",
                         headers=klass.auth(klass.teacher_secret))
    assert r.status_code == 404 and "not set up" in r.get_json()["error"]["message"]


SECRET = "stand-in-bbb-secret"


class FakeBigBlueButton:
    """Checks every call's sha256 checksum like bbb-web does and records the create calls."""

    def __init__(self) -> None:
        self.port = free_port()
        self.created: list[dict[str, str]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                call = parts.path.rsplit("/", 1)[1]
                query, _, checksum = parts.query.rpartition("&checksum=")
                expected = hashlib.sha256(f"{call}{query}{SECRET}".encode()).hexdigest()
                if parts.path != f"/bigbluebutton/api/{call}" or checksum != expected:
                    body = ("<response><returncode>FAILED</returncode><messageKey>checksumError"
                            "</messageKey><message>Checksums do not match</message></response>")
                elif call == "create":
                    params = dict(parse_qsl(query))
                    again = any(c["meetingID"] == params["meetingID"] for c in fake.created)
                    fake.created.append(params)
                    warning = "<messageKey>duplicateWarning</messageKey>" if again else ""
                    body = ("<response><returncode>SUCCESS</returncode><meetingID>"
                            f"{params['meetingID']}</meetingID>{warning}</response>")
                else:
                    body = "<response><returncode>FAILED</returncode></response>"
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bigbluebutton"


@pytest.fixture
def fake_bbb() -> Iterator[FakeBigBlueButton]:
    fake = FakeBigBlueButton()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def _signed(url: str) -> dict[str, str]:
    """The parameters of a signed URL, after checking its checksum as BigBlueButton would."""
    parts = urlsplit(url)
    call = parts.path.rsplit("/", 1)[1]
    query, _, checksum = parts.query.rpartition("&checksum=")
    assert checksum == hashlib.sha256(f"{call}{query}{SECRET}".encode()).hexdigest()
    return {"call": call, **dict(parse_qsl(query))}


def test_bbb_meeting_created_with_the_rotation_rooms(
        make_app: Any, fake_bbb: FakeBigBlueButton, caplog: pytest.LogCaptureFixture) -> None:
    rapport = make_app(video=VideoConfig("bbb", f"{fake_bbb.url}/api", None, SECRET))
    klass = rapport.create_class("Period 6 BBB")
    seats = {name: klass.join(name) for name in ("Ana", "Ben", "Chi", "Dev")}
    students = {name: rapport.student(s) for name, s in seats.items()}
    teacher = rapport.teacher(klass)
    assert teacher.call("rotation.plan", {"size": 2, "rotations": 2, "minutes": 5})["ok"]
    plan = teacher.call("snapshot.get", {})["snapshot"]["rotation"]
    assert teacher.call("snapshot.get", {})["snapshot"]["video"] == {"platform": "bbb"}

    # A student may not create the meeting; the teacher may.
    endpoint = f"/api/classes/{klass.class_id}/video/bbb"
    refused = rapport.web.post(endpoint, headers=klass.auth(seats["Ana"]["seat_token"]))
    assert refused.status_code == 403 and fake_bbb.created == []
    made = rapport.web.post(endpoint, headers=klass.auth(klass.teacher_secret))
    assert made.status_code == 200, made.get_data(as_text=True)
    answer = made.get_json()
    assert answer["duplicate"] is False and answer["rotation"] == 1
    assert answer["rooms"] == len(plan["rotations"][0])

    # One signed create: the class name, and rotation 1's rooms with seat ids as rosters.
    [created] = fake_bbb.created
    assert created["name"] == "Period 6 BBB" and created["breakoutRoomsEnabled"] == "true"
    assert json.loads(created["groups"]) == [
        {"id": str(i + 1), "name": f"Room {i + 1}", "roster": [m["id"] for m in room]}
        for i, room in enumerate(plan["rotations"][0])]
    moderator = _signed(answer["moderator_url"])
    assert moderator["call"] == "join" and moderator["role"] == "MODERATOR"
    assert moderator["meetingID"] == created["meetingID"]

    # Each student's page has a signed join link: their name, their seat as userID, no rights.
    for name, seat in seats.items():
        view = students[name].call("snapshot.get", {})["snapshot"]["video"]
        assert set(view) == {"platform", "join_url"}
        join = _signed(view["join_url"])
        assert join == {"call": "join", "fullName": name, "meetingID": created["meetingID"],
                        "role": "VIEWER", "userID": seat["student_id"], "redirect": "true"}
        assert SECRET not in json.dumps(view)

    # Created again (the meeting is running): BigBlueButton keeps its first groups; said so.
    again = rapport.web.post(endpoint, headers=klass.auth(klass.teacher_secret))
    assert again.status_code == 200 and again.get_json()["duplicate"] is True
    assert caplog.records and SECRET not in caplog.text
