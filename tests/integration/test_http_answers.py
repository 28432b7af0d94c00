"""Every operation of the served OpenAPI document, called in process for its success case: the
answer has the documented status and media type, a JSON body validates against the documented
schema (closed: a field the document does not name fails too), and an operation documented as
needing a bearer credential refuses a request without one (403) while the others succeeded
without. No operation of the document may go uncalled."""

from __future__ import annotations

import copy
import io
from typing import Any

import jsonschema_rs
import pytest
from PIL import Image
from werkzeug.test import TestResponse

from server.config import VideoConfig
from tests.conftest import card, ok, start_open_round
from tests.inprocess import InProcessApp
from tests.integration.test_video import SECRET, FakeBigBlueButton
from tests.unit.test_audio import webm

OPERATIONS = ("get", "post", "put", "patch", "delete")


def closed(schema: Any) -> Any:
    """`schema` with every object that lists its properties closed to others."""
    if isinstance(schema, list):
        return [closed(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: closed(v) for k, v in schema.items()}
    if "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    return out


class Caller:
    """Calls documented operations and checks each answer against the document."""

    def __init__(self, rapport: InProcessApp) -> None:
        self.web = rapport.web
        self.document = self.web.get("/api/openapi.json").get_json()
        self.components = closed(copy.deepcopy(self.document["components"]))
        self.called: dict[tuple[str, str], str] = {}  # (method, documented path) -> a URL

    def __call__(self, method: str, path: str, url: str, token: str | None = None,
                 **kwargs: Any) -> TestResponse:
        operation = self.document["paths"][path][method]
        # Documented as public: called without the credential, whatever the caller holds.
        headers = {"Authorization": f"Bearer {token}"} if operation.get("security") else {}
        r = self.web.open(url, method=method.upper(), headers=headers, **kwargs)
        [(status, documented)] = [(s, d) for s, d in operation["responses"].items()
                                  if s.startswith("2")]
        assert str(r.status_code) == status, (method, url, r.status_code, r.get_data()[:300])
        if "content" not in documented:
            assert r.data == b"", (method, url)
        else:
            assert r.mimetype in documented["content"], (method, url, r.mimetype)
            if r.mimetype == "application/json":
                schema = {**documented["content"][r.mimetype]["schema"],
                          "components": self.components}
                errors = [e.message for e in jsonschema_rs.validator_for(schema)
                          .iter_errors(r.get_json())]
                assert not errors, (method, path, errors)
        self.called[(method, path)] = url
        return r

    def documented(self) -> set[tuple[str, str]]:
        return {(method, path) for path, item in self.document["paths"].items()
                for method in item if method in OPERATIONS}


@pytest.fixture
def fake_bbb() -> Any:
    fake = FakeBigBlueButton()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def test_every_documented_answer_is_what_the_route_sends(
        make_app: Any, fake_bbb: FakeBigBlueButton) -> None:
    rapport = make_app(video=VideoConfig("bbb", f"{fake_bbb.url}/api", None, SECRET))
    call = Caller(rapport)
    call("get", "/healthz", "/healthz")
    call("get", "/api/openapi.json", "/api/openapi.json")
    call("get", "/api/i18n", "/api/i18n?lang=es-MX,en")
    prompt_id = "personal-hobby-weekend"  # in the library, translated to Spanish
    call("get", "/api/prompts/{prompt_id}", f"/api/prompts/{prompt_id}?lang=es")
    call("get", "/api/prompts/{prompt_id}", f"/api/prompts/{prompt_id}")  # no language asked

    made = call("post", "/api/classes", "/api/classes",
                json={"name": "Period 4", "grade_band": "6-8"}).get_json()
    class_id, teacher = made["class_id"], made["teacher_secret"]
    base = f"/api/classes/{class_id}"
    call("get", "/api/qr.svg", f"/api/qr.svg?code={made['join_code']}")
    call("post", "/api/classes/{class_id}/roster", f"{base}/roster", teacher,
         data="name,email,tags\nAna,ana@school.example,\nBen,ben@school.example,\n",
         content_type="text/csv")
    seats = [call("post", "/api/join", "/api/join",
                  json={"code": made["join_code"], "name": name}).get_json()
             for name in ("Ana", "Ben", "Cy", "Di")]
    students = [rapport.student(seat) for seat in seats]
    rejoin = ok(students[3].call("seat.rejoin_code", {}))["rejoin_code"]
    students[3].close()
    seats[3] = call("post", "/api/rejoin", "/api/rejoin",
                    json={"code": made["join_code"], "rejoin_code": rejoin}).get_json()
    students[3] = rapport.student(seats[3])

    staff = rapport.connect({"token": teacher})
    round_ = start_open_round(staff)
    photo = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 10, 10)).save(photo, format="PNG")
    photo_id = call("post", "/api/classes/{class_id}/photos", f"{base}/photos",
                    seats[0]["seat_token"], content_type="multipart/form-data",
                    data={"photo": (io.BytesIO(photo.getvalue()), "red.png", "image/png")},
                    ).get_json()["photo_id"]
    call("get", "/api/classes/{class_id}/photos/{photo_id}", f"{base}/photos/{photo_id}",
         seats[0]["seat_token"])
    audio_id = call("post", "/api/classes/{class_id}/audio", f"{base}/audio",
                    seats[1]["seat_token"], content_type="multipart/form-data",
                    data={"audio": (io.BytesIO(webm(2)), "a.webm", "audio/webm")},
                    ).get_json()["audio_id"]
    call("get", "/api/classes/{class_id}/audio/{audio_id}", f"{base}/audio/{audio_id}",
         seats[1]["seat_token"])
    ok(students[0].call("card.submit", card("ans-0001", "My globe", photo_id=photo_id)))
    spoken = ok(students[1].call("card.submit", {**card("ans-0002", "", "teacher"),
                                                 "audio_id": audio_id}))["card"]
    ok(staff.call("reply.send", {"card_id": spoken["id"], "text": "Thank you!"}))  # private
    export_round = "/api/classes/{class_id}/rounds/{round_id}/export"
    for fmt in ("json", "csv"):
        call("get", export_round, f"{base}/rounds/{round_['id']}/export?format={fmt}", teacher)

    ok(staff.call("rotation.plan", {"size": 2, "rotations": 2, "minutes": 5}))
    export_rotation = "/api/classes/{class_id}/rotations/{number}/export"
    for fmt in ("csv", "html", "zoom", "zoom-by-hand"):
        call("get", export_rotation, f"{base}/rotations/1/export?format={fmt}", teacher)
    call("post", "/api/classes/{class_id}/video/bbb", f"{base}/video/bbb", teacher)
    ok(staff.call("checkins.plan", {"slots_per_week": 2, "weeks": 2}))
    for fmt in ("csv", "ics"):
        call("get", f"/api/classes/{{class_id}}/checkins.{fmt}", f"{base}/checkins.{fmt}",
             teacher)
    for fmt in ("json", "csv"):
        call("get", "/api/classes/{class_id}/export", f"{base}/export?format={fmt}", teacher)

    call("post", "/api/classes/{class_id}/secrets/{role}", f"{base}/secrets/cohost", teacher)
    call("delete", "/api/classes/{class_id}/secrets/cohost", f"{base}/secrets/cohost", teacher)
    call("delete", "/api/classes/{class_id}/students/{student_id}",
         f"{base}/students/{seats[2]['student_id']}", teacher)
    call("delete", "/api/classes/{class_id}", base, teacher)

    assert set(call.called) == call.documented()
    # Needing a credential, as documented: without one, refused; the others answered above.
    for (method, path), url in call.called.items():
        if call.document["paths"][path][method].get("security"):
            refused = rapport.web.open(url, method=method.upper())
            assert refused.status_code == 403, (method, url, refused.status_code)
            assert "403" in call.document["paths"][path][method]["responses"]
